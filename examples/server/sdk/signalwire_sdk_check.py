#!/usr/bin/env python3
"""Drives mfa-server with SignalWire's own Python SDK (PyPI `signalwire-sdk`,
`RestClient(host=...)`: a loopback host is spoken to over plain HTTP), and
checks the webhooks the server signed with the PyPI `standardwebhooks`
package: an implementation of the convention that is not the server's.

Run by api-check.sh, which starts the server with the stdout transport
(deliveries in MFA_DELIVERIES, one JSON line each) and a webhook file
naming http://127.0.0.1:$WEBHOOK_PORT/hook with WEBHOOK_SECRET.

Environment: MFA_HOST (127.0.0.1:PORT), MFA_PROJECT, MFA_TOKEN,
MFA_DELIVERIES, WEBHOOK_PORT, WEBHOOK_SECRET.
"""

import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from signalwire.rest import RestClient, SignalWireRestError
from standardwebhooks.webhooks import Webhook

ENV = os.environ
received = []


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def code_for(to, length=6):
    """The code of the last delivery to `to` (an SMS ends with it, a call
    spells it out `1, 2, 3.`)."""
    for _ in range(200):
        with open(ENV["MFA_DELIVERIES"]) as f:
            texts = [json.loads(l)["text"] for l in f if json.loads(l)["to"] == to]
        if texts:
            return re.sub(r"[^0-9A-Za-z]", "", texts[-1])[-length:]
        time.sleep(0.02)
    raise AssertionError(f"no delivery to {to}")


def refused(call, status, code):
    try:
        call()
    except SignalWireRestError as e:
        assert e.status_code == status, (e.status_code, e.body)
        assert e.body["errors"][0]["code"] == code, e.body
        return
    raise AssertionError(f"expected {status} {code}")


def main():
    hooks = ThreadingHTTPServer(("127.0.0.1", int(ENV["WEBHOOK_PORT"])), Hook)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    client = RestClient(project=ENV["MFA_PROJECT"], token=ENV["MFA_TOKEN"], host=ENV["MFA_HOST"])
    checks = 0

    to = "+15557788999"
    r = client.mfa.sms(to=to)
    assert set(r) == {"id", "success", "to", "channel"}, r
    assert (r["success"], r["to"], r["channel"]) == (True, to, "sms"), r
    code = code_for(to)
    wrong = "".join("1" if c == "0" else "0" for c in code)
    assert client.mfa.verify(r["id"], token=wrong) == {"success": False}
    assert client.mfa.verify(r["id"], token=code) == {"success": True}
    refused(lambda: client.mfa.verify(r["id"], token=code), 404, "already_verified")
    checks += 4

    to2 = "+447700900123"
    r2 = client.mfa.call(to=to2, token_length=8, allow_alphas=True, max_attempts=4)
    assert r2["channel"] == "call", r2
    assert client.mfa.verify(r2["id"], token=code_for(to2, 8).lower()) == {"success": True}
    refused(lambda: client.mfa.sms(to="555"), 422, "invalid_e164")
    refused(lambda: client.mfa.verify("8630cc54-f6b2-45dd-b73b-cce28eb668d8", token="1"), 404, "not_found")
    bad = RestClient(project=ENV["MFA_PROJECT"], token="wrong", host=ENV["MFA_HOST"])
    refused(lambda: bad.mfa.sms(to=to), 401, "unauthorized")
    checks += 4

    # Every event of both challenges, verified by the PyPI package.
    want = {(r["id"], t) for t in ("mfa.issued", "mfa.sent", "mfa.verified")}
    want |= {(r2["id"], t) for t in ("mfa.issued", "mfa.sent", "mfa.verified")}
    webhook = Webhook(ENV["WEBHOOK_SECRET"])
    for _ in range(500):
        if len(received) >= len(want):
            break
        time.sleep(0.02)
    got = set()
    for headers, body in received:
        event = webhook.verify(body, headers)  # raises on a bad signature
        assert code not in body.decode() and "7788999" not in body.decode(), body
        got.add((event["data"]["id"], event["type"]))
    assert got == want, (got, want)
    checks += len(received)

    version = __import__("importlib.metadata").metadata.version
    print(
        f"signalwire-sdk {version('signalwire-sdk')}: {checks} checks passed "
        f"({len(received)} webhooks verified by standardwebhooks {version('standardwebhooks')})"
    )


if __name__ == "__main__":
    main()
