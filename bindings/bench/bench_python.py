"""Per-call cost of the Python binding against a pure-Python equivalent
(secrets + hmac.compare_digest). Prints one JSON object: label -> µs/call.

Run with an interpreter that has the mfa_core wheel installed
(bindings/bench.sh does it)."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import sys
import uuid

import mfa_core
from mfa_core import Challenge, Request
from timing import per_call

T0 = 1_700_000_000
TO = "+15557788999"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


# --- the pure-Python equivalent: what a host writes by hand -----------------------------

def py_issue(to: str, now: int):
    if not E164.fullmatch(to):
        raise ValueError("to")
    code = f"{secrets.randbelow(10**6):06d}"
    record = {"id": str(uuid.uuid4()), "to": to, "token": code, "issued_at": now,
              "valid_for": 3600, "max_attempts": 3, "attempts_used": 0, "state": "pending"}
    return record, f"Your Personal Authorization Code is: {code}"


def py_verify(record, typed: str, now: int) -> bool:
    if record["state"] != "pending" or abs(now - record["issued_at"]) >= record["valid_for"]:
        return False
    record["attempts_used"] += 1
    typed = typed.replace(" ", "").replace("-", "")
    ok = hmac.compare_digest(record["token"].encode(), typed.encode())
    if ok:
        record["state"] = "verified"
    elif record["attempts_used"] >= record["max_attempts"]:
        record["state"] = "exhausted"
    return ok


# --- the runs -------------------------------------------------------------------------------

REQ = Request(TO)


def mfa_issue(n, _):
    for _ in range(n):
        Challenge.issue(REQ, now=T0)


def mfa_issue_json(n, _):
    for _ in range(n):
        c, d = Challenge.issue(REQ, now=T0)
        c.to_json()


def pure_issue(n, _):
    for _ in range(n):
        py_issue(TO, T0)


def pure_issue_json(n, _):
    for _ in range(n):
        r, _t = py_issue(TO, T0)
        json.dumps(r)


def mfa_challenges(n):
    out = []
    for _ in range(n):
        c, _ = Challenge.issue(REQ, now=T0)
        out.append((c, c.expose_token()))
    return out


def mfa_verify(n, items):
    for c, code in items:
        c.verify(code, now=T0 + 1)


def pure_records(n):
    return [py_issue(TO, T0)[0] for _ in range(n)]


def pure_verify(n, records):
    for r in records:
        py_verify(r, r["token"], T0 + 1)


def mfa_stored(n):
    return [(c.to_json(), code) for c, code in mfa_challenges(n)]


def mfa_verify_stored(n, items):
    for text, code in items:
        v = Challenge.from_json(text).verify(code, now=T0 + 1)
        v.record


def pure_stored(n):
    return [json.dumps(r) for r in pure_records(n)]


def pure_verify_stored(n, texts):
    for text in texts:
        r = json.loads(text)
        py_verify(r, r["token"], T0 + 1)
        json.dumps(r)


def main() -> None:
    results = {
        "python: issue": (per_call(mfa_issue), per_call(pure_issue)),
        "python: issue + stored JSON": (per_call(mfa_issue_json), per_call(pure_issue_json)),
        "python: verify (in memory)": (per_call(mfa_verify, mfa_challenges), per_call(pure_verify, pure_records)),
        "python: verify from stored JSON, JSON back": (
            per_call(mfa_verify_stored, mfa_stored), per_call(pure_verify_stored, pure_stored)),
    }
    json.dump({"python": sys.version.split()[0], "mfa_core": mfa_core.__version__,
               "rows": {k: {"binding": a, "plain": b} for k, (a, b) in results.items()}},
              sys.stdout)
    print()


if __name__ == "__main__":
    main()
