"""Every vector of tests/vectors/*.json, replayed through the Python API.

Each test asserts what the Rust replay and transcript tests
(tests/vectors.rs, tests/oracle/mod.rs) assert for its file; the counts
are printed at the end of the run (conftest.py).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

import mfa_core
from mfa_core import (
    BadBody,
    Challenge,
    ChallengeId,
    InvalidId,
    InvalidPolicy,
    InvalidRecord,
    InvalidRequest,
    Lockout,
    LockoutPolicy,
    Request,
    SendLog,
    SendPolicy,
    wire,
)

from conftest import VECTORS, load

TO = "+15557788999"
RENDER_FROM = "+15554433222"
FAMILIES = [
    "tokens", "params", "render", "segments", "normalize", "traces", "wire",
    "bodies", "ids", "stored", "limits", "lockout", "calling_codes", "templates",
]


class Stream:
    """Serves bytes in order across calls and records each request's size,
    like the Rust tests' StreamRng."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.requests: List[int] = []

    def __call__(self, n: int) -> bytes:
        self.requests.append(n)
        if self.pos + n > len(self.data):
            raise RuntimeError("byte stream exhausted")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out


def request_of(v: Dict[str, Any]) -> Request:
    """A vector's request: the guide's body read as the crate reads it,
    plus the host-side settings."""
    host = v.get("host") or {}
    return wire.parse_request_body(
        json.dumps(v["body"]), v["channel"],
        max_deliveries=host.get("max_deliveries"), token=host.get("token"))


def violations_json(vs) -> List[Dict[str, Any]]:
    out = []
    for x in vs:
        d: Dict[str, Any] = {"field": x.field, "code": x.rule}
        if x.data:
            d["data"] = x.data
        out.append(d)
    return out


def test_every_file_is_replayed():
    files = sorted(p.stem for p in VECTORS.glob("*.json"))
    assert files == sorted(FAMILIES), "a vector file this suite does not replay"


def test_tokens(passed):
    for v in load("tokens.json"):
        kw: Dict[str, Any] = {"allow_alphas": v["alphabet"] == "alphanumeric"}
        if v.get("host_token") is not None:
            kw["token"] = v["host_token"]
        else:
            kw["token_length"] = v["token_length"]
        rng = Stream(bytes.fromhex(v["rng"]))
        c, _ = Challenge.issue(Request(TO, "sms", **kw), now=0, rng=rng)
        assert rng.pos == len(rng.data), v["name"]  # every byte consumed
        assert rng.requests == v["requests"], v["name"]
        assert c.id == v["id"], v["name"]
        assert c.expose_token() == v["token"], v["name"]
        # The same through a plain bytes stream.
        c2, _ = Challenge.issue(Request(TO, "sms", **kw), now=0, rng=bytes.fromhex(v["rng"]))
        assert c2 == c
        passed("tokens.json")


def params_result(r: Request) -> Dict[str, Any]:
    try:
        p = r.validate()
    except InvalidRequest as e:
        return {"violations": violations_json(e.violations)}
    return {"ok": {
        "to": p.to, "from": p.from_, "message": p.message,
        "token_length": p.token_length, "max_attempts": p.max_attempts,
        "allow_alphas": p.allow_alphas, "valid_for": p.valid_for,
        "max_deliveries": p.max_deliveries,
    }}


def test_params(passed):
    for v in load("params.json"):
        r = request_of(v)
        assert params_result(r) == v["result"], v["name"]
        # Issuing refuses exactly the invalid ones, with the same list.
        if "violations" in v["result"]:
            with pytest.raises(InvalidRequest) as e:
                Challenge.issue(r, now=0, rng=bytes(64))
            assert violations_json(e.value.violations) == v["result"]["violations"]
            assert e.value.response.status == 422
            # A 422 detail never echoes a submitted value (SPEC §7.8).
            values = [v["body"].get(k) for k in ("to", "from", "message")]
            values.append((v.get("host") or {}).get("token"))
            details = [x["detail"] for x in e.value.response.json()["errors"]]
            for s in values:
                if isinstance(s, str) and len(s) >= 4:
                    assert all(s not in d for d in details), v["name"]
        passed("params.json")


def test_render(passed):
    for v in load("render.json"):
        token = v["token"]
        r = Request(TO, v["channel"], from_=RENDER_FROM, message=v["message"],
                    allow_alphas=any(ch.isascii() and ch.isalpha() for ch in token), token=token)
        _, d = Challenge.issue(r, now=0, rng=bytes(16))
        m = v["message"] if v["message"] is not None else (
            mfa_core.DEFAULT_SMS_MESSAGE if v["channel"] == "sms" else mfa_core.DEFAULT_CALL_MESSAGE)
        assert mfa_core.check_template(m) == 0
        # The literal text (SPEC §4.10): braces only as `{{` and `}}`.
        m = m.replace("{{", "{").replace("}}", "}")
        spelled = len(token) if v["channel"] == "sms" else 3 * len(token) - 1
        separator = d.chars - (len(m) + spelled)
        assert separator in (0, 1), v
        got = {
            "text": d.text, "separator": separator == 1,
            "voice_length": len(m) + separator + len(token), "chars": d.chars,
            "encoding": d.segments.encoding, "units": d.segments.units,
            "parts": d.segments.parts,
        }
        want = {k: v[k] for k in got}
        assert got == want, v["name"]
        assert len(d.text) == d.chars
        passed("render.json")


def test_segments(passed):
    for v in load("segments.json"):
        s = mfa_core.segments(v["text"])
        assert (s.encoding, s.units, s.parts) == (v["encoding"], v["units"], v["parts"]), v
        passed("segments.json")


def test_normalize(passed):
    for v in load("normalize.json"):
        assert mfa_core.normalize(v["input"]) == v["normalized"], v
        passed("normalize.json")


def perform(c: Challenge, step: Dict[str, Any]) -> Dict[str, Any]:
    at = step["at"]
    before = c.revision
    op = step["op"]
    if op == "verify":
        o = c.verify(step["token"], now=at)
        if o.kind == "verified":
            out: Dict[str, Any] = {"kind": "verified"}
        elif o.kind == "wrong_token":
            out = {"kind": "wrong_token", "attempts_left": o.attempts_left}
        else:
            out = {"kind": "rejected", "reason": o.reason}
    elif op == "cancel":
        o = c.cancel(now=at)
        out = {"kind": "canceled"} if o.canceled else {"kind": "rejected", "reason": o.reason}
    elif op == "resend":
        o = c.resend(step["channel"], step["message"], now=at)
        if o.kind == "delivered":
            out = {"kind": "delivered", "channel": o.delivery.channel, "text": o.delivery.text}
        elif o.kind == "rejected":
            out = {"kind": "rejected", "reason": o.reason}
        elif o.kind == "deliveries_exhausted":
            out = {"kind": "deliveries_exhausted", "max": o.max}
        else:
            out = {"kind": "invalid", "violations": violations_json(o.violations)}
    elif op == "status":
        assert c.revision == before
        return {"kind": "status", "state": c.state_at(at)}
    else:
        raise AssertionError(f"op {op}")
    # The write plan: the revision read, the one after, the record to write.
    assert o.expected_revision == before and o.revision == c.revision
    assert o.changed == (c.revision != before)
    assert o.record == (c.to_json() if o.changed else None)
    return out


def test_traces(passed):
    for v in load("traces.json"):
        r = request_of(v)
        c, d = Challenge.issue(r, now=v["issued_at"], rng=bytes.fromhex(v["rng"]))
        assert c.id == v["id"], v["name"]
        assert c.expose_token() == v["token"], v["name"]
        assert d.text == v["first_delivery"], v["name"]
        for step in v["steps"]:
            outcome = perform(c, step)
            after = {
                "state": c.state, "status": c.state_at(step["at"]), "revision": c.revision,
                "attempts_used": c.attempts_used, "deliveries": c.deliveries,
                "channel": c.channel, "issued_at": c.issued_at, "outcome": outcome,
            }
            assert after == step["after"], (v["name"], step)
            # The stored record reads back as the same challenge.
            assert Challenge.from_json(c.to_json()) == c
        passed("traces.json")


def wire_response(o: Dict[str, Any]) -> mfa_core.HttpResponse:
    kind = o["kind"]
    if kind in ("verified", "wrong_token"):
        left = o.get("attempts_left", 0)
        # A real challenge that gives this outcome: max_attempts tries, one used.
        c, _ = Challenge.issue(Request(TO, max_attempts=left + 1, token="000000"),
                               now=0, rng=bytes(16))
        return c.verify("000000" if kind == "verified" else "111111", now=0).response()
    if kind in ("rejected", "resend_rejected", "cancel_rejected"):
        return wire.closed(o["reason"])
    if kind == "unknown_id":
        return wire.not_found()
    if kind in ("issued", "resent"):
        # An RNG that serves the id's own bytes, and a host token.
        raw = ChallengeId.parse(o["id"]).bytes
        c, _ = Challenge.issue(Request(o["to"], o["channel"], token="000000"), now=0, rng=raw)
        return wire.issued(c) if kind == "issued" else wire.resent(c)
    if kind == "deliveries_exhausted":
        return wire.deliveries_exhausted(o["max"])
    if kind == "resend_invalid":
        c, _ = Challenge.issue(Request(TO), now=0, rng=b"\xab" * 32)
        res = c.resend(o["channel"], o.get("message"), now=0)
        assert res.kind == "invalid"
        return res.response()
    if kind == "canceled":
        c, _ = Challenge.issue(Request(TO), now=0, rng=b"\xab" * 32)
        return c.cancel(now=0).response()
    if kind == "invalid":
        with pytest.raises(InvalidRequest) as e:
            wire.parse_request_body(json.dumps(o["body"]), o["channel"]).validate()
        return e.value.response
    if kind == "bad_body":
        with pytest.raises(BadBody) as e:
            wire.parse_request_body(o["json"])
        return e.value.response
    raise AssertionError(kind)


def test_wire(passed):
    for v in load("wire.json"):
        r = wire_response(v["outcome"])
        assert r.status == v["status"], v
        body = json.loads(r.body)
        assert body == v["body"], v
        # The contract's key order (SPEC §7.5, §7.6).
        if v["outcome"]["kind"] == "issued":
            assert list(body) == ["id", "success", "to", "channel"]
        for e in body.get("errors", []):
            assert list(e) == ["detail", "status", "title", "code"]
        if "text" in v:
            assert r.body == v["text"], v  # exact bytes
        assert ("Content-Type", "application/json") in r.headers
        passed("wire.json")


def test_bodies(passed):
    for v in load("bodies.json"):
        want = v["result"]
        try:
            if v["endpoint"] == "request":
                r = wire.parse_request_body(v["json"])
                got = {k: getattr(r, a) for k, a in (
                    ("to", "to"), ("from", "from_"), ("message", "message"),
                    ("token_length", "token_length"), ("max_attempts", "max_attempts"),
                    ("allow_alphas", "allow_alphas"), ("valid_for", "valid_for"))
                    if getattr(r, a) is not None}
            else:
                got = {"token": wire.parse_verify_body(v["json"])}
            assert {"ok": got} == want, v["name"]
        except BadBody as e:
            bad = want["bad_body"]
            entry, = e.response.json()["errors"]
            assert e.response.status == bad["status"], v["name"]
            assert (entry["title"], entry["code"]) == (bad["title"], bad["code"]), v["name"]
            assert entry["detail"] == e.detail == str(e)
            if bad["detail_names"] is not None:
                assert bad["detail_names"] in e.detail, v["name"]
            for s in bad["detail_must_not_contain"]:
                assert s not in e.detail, v["name"]
        passed("bodies.json")


def test_ids(passed):
    for v in load("ids.json"):
        try:
            if "text" in v:
                i = ChallengeId.parse(v["text"])
            else:
                i = ChallengeId.from_bytes(bytes.fromhex(v["bytes"]))
            got: Dict[str, Any] = {"ok": {"canonical": str(i), "bytes": i.bytes.hex()}}
        except InvalidId as e:
            assert e.field == "id"
            got = {"error": {"kind": e.rule, **e.data}}
        assert got == v["result"], v["name"]
        passed("ids.json")


def test_stored(passed):
    for v in load("stored.json"):
        text = v["json"]
        if "ok" in v["result"]:
            c = Challenge.from_json(text)
            assert c.to_json() == v["result"]["ok"]["written"], v["name"]
        else:
            assert isinstance(v["result"]["refused"]["field"], str)
            with pytest.raises(InvalidRecord) as e:
                Challenge.from_json(text)
            # A read error never holds the token (SPEC §8.4).
            try:
                w = json.loads(text)
            except ValueError:
                w = None
            token = None
            if isinstance(w, dict):
                for path in (("v2", "challenge", "token"), ("v1", "challenge", "token"), ("v1", "token")):
                    x: Any = w
                    for k in path:
                        x = x.get(k) if isinstance(x, dict) else None
                    if isinstance(x, str):
                        token = x
                        break
            if token is not None and len(token) >= 4:
                assert token not in str(e.value), v["name"]
                assert token not in repr(e.value), v["name"]
        passed("stored.json")


def limit_error(e: InvalidPolicy) -> Dict[str, Any]:
    return {"field": e.field, "rule": e.rule, "data": e.data}


def test_limits(passed):
    for v in load("limits.json"):
        windows = [(w["max"], w["interval_secs"]) for w in v["policy"]["windows"]]
        try:
            read: Optional[SendPolicy] = SendPolicy.from_json(json.dumps(v["policy"]))
        except InvalidRecord:
            read = None
        try:
            policy = SendPolicy(windows)
        except InvalidPolicy as e:
            assert limit_error(e) == v["invalid_policy"], v["name"]
            assert read is None and v["steps"] == [], v["name"]
            passed("limits.json")
            continue
        assert "invalid_policy" not in v, v["name"]
        assert read is not None and read.windows == policy.windows, v["name"]
        log = SendLog()
        for s in v["steps"]:
            before = log.revision
            d = log.try_send(policy, now=s["at"]) if s["op"] == "send" else log.check(policy, now=s["at"])
            after: Dict[str, Any] = {"decision": "allowed" if d.allowed else "refused"}
            if not d.allowed:
                after["retry_after"] = d.retry_after
                assert d.response().retry_after == d.retry_after
            after["revision"] = log.revision
            after["events"] = log.events
            assert after == s["after"], (v["name"], s)
            assert d.expected_revision == before and d.revision == log.revision
            assert d.record == (log.to_json() if log.revision != before else None)
        # The stored log reads back.
        assert SendLog.from_json(log.to_json()).events == log.events
        passed("limits.json")


def test_lockout(passed):
    for v in load("lockout.json"):
        p = v["policy"]
        try:
            read: Optional[LockoutPolicy] = LockoutPolicy.from_json(json.dumps(p))
        except InvalidRecord:
            read = None
        try:
            policy = LockoutPolicy(p["free_failures"], p["base_delay_secs"],
                                   p["max_delay_secs"], p["hard_limit"])
        except InvalidPolicy as e:
            assert limit_error(e) == v["invalid_policy"], v["name"]
            assert read is None, v["name"]
            passed("lockout.json")
            continue
        assert "invalid_policy" not in v, v["name"]
        assert read is not None and read.to_json() == policy.to_json(), v["name"]
        state = Lockout()
        for s in v["steps"]:
            before = state.revision
            after: Dict[str, Any] = {}
            if s["op"] in ("try", "check"):
                a = state.admit(policy, now=s["at"]) if s["op"] == "try" else state.check(policy, now=s["at"])
                after["answer"] = a.kind
                if a.kind == "wait":
                    after["secs"] = a.secs
                assert (a.response() is None) == a.allowed
            else:
                a = state.reset()
            after["failures"] = state.failures
            after["revision"] = state.revision
            assert after == s["after"], (v["name"], s)
            assert a.expected_revision == before and a.revision == state.revision
            assert a.record == (state.to_json() if state.revision != before else None)
        passed("lockout.json")


def test_calling_codes(passed):
    codes = set()
    for v in load("calling_codes.json"):
        got = mfa_core.country_code(v["number"])
        assert got == v["country_code"], v["name"]
        if got is not None:
            codes.add(got)
        passed("calling_codes.json")
    assert len(codes) == 216  # every assigned code appears


def test_templates(passed):
    for v in load("templates.json"):
        r = request_of(v)
        try:
            p = r.validate()
        except InvalidRequest as e:
            assert {"violations": violations_json(e.violations)} == v["result"], v["name"]
            passed("templates.json")
            continue
        _, d = Challenge.issue(r, now=0, rng=bytes(16))
        k = mfa_core.check_template(p.message)
        token_len = len(v["host"]["token"])
        # The voice length counts the token as written (SPEC §4.5, §4.10).
        if d.channel == "sms":
            extra = 0
        elif k == 0:
            extra = 2 * token_len - 1
        else:
            extra = k * (2 * token_len - 2) + int(p.message.endswith("{code}"))
        got = {"placeholders": k, "text": d.text, "voice_length": d.chars - extra,
               "chars": d.chars, "encoding": d.segments.encoding,
               "units": d.segments.units, "parts": d.segments.parts}
        assert {"ok": got} == v["result"], v["name"]
        passed("templates.json")


def test_check_template_errors():
    assert mfa_core.check_template("Code {code}, again {code}; {{literal}}") == 2
    with pytest.raises(InvalidRequest) as e:
        mfa_core.check_template("héllo {Code}")
    (x,) = e.value.violations
    assert (x.field, x.rule, x.data) == ("message", "template_invalid",
                                         {"kind": "unknown_placeholder", "position": 6})
