#!/usr/bin/env python3
"""Request latency with a webhook receiver that is healthy, hangs, or is
gone (docs/PERFORMANCE.md): the same load against three servers.

    python3 load/webhook_p99.py path/to/mfa-server [REQUESTS] [THREADS]

Each run starts the server on 127.0.0.1 (fresh SQLite, stdout transport
to /dev/null, budgets and limits off) with a webhook file pointing at:
- `ok`: a receiver that answers 204 at once;
- `hang`: a receiver that accepts and never answers (every try waits out
  the 5 s timeout);
- `dead`: a closed port (every try is refused);
and `none`: no webhook file. THREADS clients (default 4), each on one
kept-alive connection, issue an SMS code to a fresh number and verify a
wrong code, REQUESTS times in all (default 2000 pairs). Prints p50, p99
and max of every request, and the server's webhook counters. Loopback
only; every server is stopped at the end.
"""

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BIN = sys.argv[1]
REQUESTS = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
THREADS = int(sys.argv[3]) if len(sys.argv) > 3 else 4
AUTH = "Basic " + base64.b64encode(b"p1:load-token-load-token-load").decode()
SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


class Ok(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(mode, work):
    args = [BIN, "--listen", "127.0.0.1:0", "--database", f"sqlite://{work}/mfa.db",
            "--project", "p1:load-token-load-token-load", "--transport", "stdout",
            "--send-limit", "64/1", "--lockout", "100,1,1,100",
            "--project-budget", "off", "--country-budget", "off"]
    keep = None
    if mode != "none":
        if mode == "ok":
            keep = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
            threading.Thread(target=keep.serve_forever, daemon=True).start()
            port = keep.server_address[1]
        elif mode == "hang":
            keep = socket.socket()
            keep.bind(("127.0.0.1", 0))
            keep.listen(4096)  # accepted by the kernel, never answered
            port = keep.getsockname()[1]
        else:
            port = free_port()  # nothing listens
        path = os.path.join(work, "webhooks")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(f"p1 http://127.0.0.1:{port}/hook {SECRET}\n")
        args += ["--webhook-file", path]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "RUST_LOG": "error"})
    line = proc.stderr.readline()
    addr = line.strip().rsplit("http://", 1)[1]
    return proc, addr, keep


def client(addr, n, offset, out):
    host, port = addr.split(":")
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Authorization": AUTH, "Content-Type": "application/json"}
    for i in range(n):
        body = json.dumps({"to": f"+1555{(offset + i) % 10_000_000:07d}"})
        t = time.perf_counter()
        conn.request("POST", "/api/relay/rest/mfa/sms", body, headers)
        r = conn.getresponse()
        answer = json.loads(r.read())
        out.append((time.perf_counter() - t, r.status))
        t = time.perf_counter()
        conn.request("POST", f"/api/relay/rest/mfa/{answer['id']}/verify", '{"token":"000000"}', headers)
        r = conn.getresponse()
        r.read()
        out.append((time.perf_counter() - t, r.status))


def metrics(addr):
    conn = http.client.HTTPConnection(*addr.split(":"))
    conn.request("GET", "/metrics", headers={"Authorization": AUTH})
    text = conn.getresponse().read().decode()
    found = {}
    for line in text.splitlines():
        if line.startswith("mfa_webhook_") and not line.startswith("mfa_webhook_try"):
            name, value = line.rsplit(" ", 1)
            found[name] = value
    return found


def run(mode):
    with tempfile.TemporaryDirectory() as work:
        proc, addr, keep = start(mode, work)
        try:
            out, threads = [], []
            per = REQUESTS // THREADS
            t0 = time.perf_counter()
            for k in range(THREADS):
                th = threading.Thread(target=client, args=(addr, per, k * per + hash(mode) % 1000, out))
                th.start()
                threads.append(th)
            for th in threads:
                th.join()
            wall = time.perf_counter() - t0
            lat = sorted(d for d, _ in out)
            errors = sum(1 for _, s in out if s >= 500)
            q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
            print(f"{mode:5} {len(out):6} requests  {len(out) / wall:7.0f}/s  p50 {q(0.5):6.2f} ms  "
                  f"p99 {q(0.99):6.2f} ms  max {lat[-1] * 1000:7.2f} ms  5xx {errors}  {metrics(addr)}")
        finally:
            proc.terminate()
            proc.wait(timeout=15)
            if isinstance(keep, ThreadingHTTPServer):
                keep.shutdown()
            elif keep is not None:
                keep.close()


for mode in ("none", "ok", "hang", "dead"):
    run(mode)
