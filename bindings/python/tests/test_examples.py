"""The Flask example, driven through Flask's test client."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

flask = pytest.importorskip("flask")

from mfa_core import LockoutPolicy, SendPolicy  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "flask_app.py"


def load_example():
    spec = importlib.util.spec_from_file_location("flask_app", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def client_and_outbox():
    outbox = []
    app = load_example().create_app(
        send=lambda ch, to, text: outbox.append((ch, to, text)),
        send_policy=SendPolicy([(2, 3600)]),
        lockout_policy=LockoutPolicy(free_failures=3, base_delay_secs=60, max_delay_secs=60, hard_limit=10),
    )
    return app.test_client(), outbox


def test_issue_then_verify(client_and_outbox):
    client, outbox = client_and_outbox
    r = client.post("/mfa/sms", data=json.dumps({"to": "+15557788999"}))
    assert r.status_code == 200
    body = r.get_json()
    assert list(body) == ["id", "success", "to", "channel"] and body["success"]
    channel, to, text = outbox[-1]
    assert (channel, to) == ("sms", "+15557788999")
    code = text.rsplit(" ", 1)[1]
    wrong = client.post(f"/mfa/{body['id']}/verify", data=json.dumps({"token": "000000" if code != "000000" else "111111"}))
    assert (wrong.status_code, wrong.get_json()) == (200, {"success": False})
    ok = client.post(f"/mfa/{body['id']}/verify", data=json.dumps({"token": code[:3] + " " + code[3:]}))
    assert (ok.status_code, ok.get_json()) == (200, {"success": True})
    again = client.post(f"/mfa/{body['id']}/verify", data=json.dumps({"token": code}))
    assert again.status_code == 404
    assert again.get_json()["errors"][0]["code"] == "already_verified"


def test_refusals(client_and_outbox):
    client, outbox = client_and_outbox
    bad = client.post("/mfa/sms", data='{"to": "+15557788999", "colour": "red"}')
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["code"] == "invalid_body"
    invalid = client.post("/mfa/call", data=json.dumps({"to": "555", "token_length": 3}))
    assert invalid.status_code == 422
    assert [e["code"] for e in invalid.get_json()["errors"]] == ["invalid_e164", "out_of_range"]
    assert client.post("/mfa/00000000-0000-4000-8000-000000000000/verify",
                       data='{"token": "123456"}').status_code == 404
    # The send limit: two per hour for a number, then 429 with Retry-After.
    for _ in range(2):
        assert client.post("/mfa/sms", data='{"to": "+15550001111"}').status_code == 200
    limited = client.post("/mfa/sms", data='{"to": "+15550001111"}')
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert len(outbox) == 2


def test_lockout_across_challenges(client_and_outbox):
    client, outbox = client_and_outbox
    ids = [client.post("/mfa/sms", data='{"to": "+15552223333", "max_attempts": 20}').get_json()["id"]
           for _ in range(2)]
    codes = [text.rsplit(" ", 1)[1] for _, _, text in outbox]
    # Three free failures and a fourth that starts the wait: then even
    # the right code is refused, on the number's other challenge too.
    for _ in range(4):
        r = client.post(f"/mfa/{ids[0]}/verify", data='{"token": "ZZZZ"}')
        assert r.get_json() == {"success": False}
    locked = client.post(f"/mfa/{ids[1]}/verify", data=json.dumps({"token": codes[1]}))
    assert locked.status_code == 429 and locked.get_json()["errors"][0]["code"] == "locked"
    assert locked.headers["Retry-After"] == "60"
