#!/usr/bin/env bash
# API conformance of mfa-server against its own /openapi.json, and the
# client the guide's users have:
#
#  1. SignalWire's Python SDK (signalwire-sdk, RestClient with host=)
#     drives the guide's routes; the PyPI standardwebhooks package checks
#     the webhooks the server signed (sdk/signalwire_sdk_check.py);
#  2. schemathesis runs property-based tests of every operation in the
#     document (--checks all: no 5xx, every status, content type, header
#     and body as documented, invalid data refused, ...), bounded by
#     --max-time (API_CHECK_SECS, default 150).
#
# Python packages come from PyPI, pinned in sdk/requirements.txt, into a
# virtual environment (API_CHECK_VENV, default under /tmp). The server is
# the debug build, on 127.0.0.1 only, with a fresh SQLite file, the
# stdout transport, limits raised so that the tests reach the success
# paths, and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")"
: "${API_CHECK_SECS:=150}" "${API_CHECK_VENV:=${TMPDIR:-/tmp}/mfa-api-check-venv}"
started=$(date +%s)

# Installed once per requirements file (a copy of it marks the venv).
if ! cmp -s sdk/requirements.txt "$API_CHECK_VENV/requirements.txt"; then
  python3 -m venv "$API_CHECK_VENV"
  "$API_CHECK_VENV/bin/pip" install -q --disable-pip-version-check -r sdk/requirements.txt
  cp sdk/requirements.txt "$API_CHECK_VENV/requirements.txt"
fi
work=$(mktemp -d /tmp/mfa-api-check.XXXXXX)
cargo build --locked --quiet --bin mfa-server
# A copy: a target directory shared with other builds may be rebuilt meanwhile.
cp "${CARGO_TARGET_DIR:-target}/debug/mfa-server" "$work/mfa-server"
bin="$work/mfa-server"
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
secret="whsec_$(head -c 32 /dev/urandom | base64)"
hook_port=$("$API_CHECK_VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(umask 077 && echo "p1 http://127.0.0.1:$hook_port/hook $secret" >"$work/webhooks")

RUST_LOG=warn "$bin" --listen 127.0.0.1:0 --database "sqlite://$work/mfa.db" \
  --project "p1:$token" --transport stdout --webhook-file "$work/webhooks" \
  --send-limit 64/1 --lockout 100,1,1,100 --project-budget off --country-budget off \
  >"$work/deliveries.jsonl" 2>"$work/server.log" &
pid=$!
for _ in $(seq 300); do
  base=$(sed -n 's/^mfa-server listening on //p' "$work/server.log")
  [ -n "$base" ] && break
  kill -0 "$pid" || { cat "$work/server.log"; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "api-check: the server did not start" >&2; exit 1; }
echo "api-check: mfa-server at $base"

echo "== SignalWire Python SDK"
MFA_HOST=${base#http://} MFA_PROJECT=p1 MFA_TOKEN=$token MFA_DELIVERIES="$work/deliveries.jsonl" \
  WEBHOOK_PORT=$hook_port WEBHOOK_SECRET=$secret \
  timeout 120 "$API_CHECK_VENV/bin/python" sdk/signalwire_sdk_check.py

echo "== schemathesis (every operation, --checks all, ${API_CHECK_SECS}s at most)"
# Live challenges for the routes on /mfa/{id} (schemathesis.toml).
issue() {
  curl -sf -u "p1:$token" -H 'content-type: application/json' \
    -d '{"to":"+15550001111","max_attempts":20,"valid_for":604800}' "$base/api/relay/rest/mfa/sms" |
    "$API_CHECK_VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
API_CHECK_ID=$(issue)
API_CHECK_CANCEL_ID=$(issue)
export API_CHECK_ID API_CHECK_CANCEL_ID
# One worker: CPython 3.11's ast.parse is not safe across threads, and
# hypothesis calls it ("AST constructor recursion depth mismatch").
status=0
timeout $((API_CHECK_SECS + 120)) "$API_CHECK_VENV/bin/schemathesis" --no-color \
  --config-file schemathesis.toml run "$base/openapi.json" \
  --checks all --auth "p1:$token" --max-time "$API_CHECK_SECS" --workers 1 \
  --request-timeout 10 --seed "${API_CHECK_SEED:-1}" --output-truncate true \
  --report junit --report-junit-path "$work/junit.xml" || status=$?
if [ -f "$work/junit.xml" ]; then
  "$API_CHECK_VENV/bin/python" - "$work/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
cases = [c for s in suites for c in s.iter("testcase")]
failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
skipped = sum(1 for c in cases if c.find("skipped") is not None)
for c in cases:
    bad = c.find("failure") is not None or c.find("error") is not None
    print(f"  {'FAILED' if bad else 'ok'}  {c.get('name')}")
print(f"schemathesis: {len(cases) - failed - skipped} passed, {failed} failed, {skipped} skipped (operations)")
PY
fi
if grep -q "panicked" "$work/server.log"; then
  echo "api-check: the server panicked" >&2
  grep -m5 "panicked" "$work/server.log" >&2
  status=1
fi
kill -0 "$pid" || { echo "api-check: the server died" >&2; status=1; }
echo "api-check: $(( $(date +%s) - started )) s"
exit "$status"
