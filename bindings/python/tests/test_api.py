"""The Python API beyond the vectors: defaults, secrecy, errors, the
write plan."""

from __future__ import annotations

import json

import pytest

import mfa_core
from mfa_core import (
    BadBody,
    Challenge,
    ChallengeId,
    InvalidId,
    InvalidPhone,
    InvalidPolicy,
    InvalidRecord,
    InvalidRequest,
    Lockout,
    LockoutPolicy,
    MfaError,
    RandomSourceError,
    Request,
    SendLog,
    SendPolicy,
    wire,
)

TO = "+15557788999"


def test_issue_with_the_os_rng_and_the_clock():
    c, d = Challenge.issue(Request(TO))
    code = c.expose_token()
    assert len(code) == 6 and code.isdigit()
    assert d.text == f"Your Personal Authorization Code is: {code}"
    assert (c.state, c.revision, c.attempts_left, c.channel) == ("pending", 0, 3, "sms")
    assert c.expires_at == c.issued_at + 3600
    # Two issues draw different ids.
    assert Challenge.issue(Request(TO))[0].id != c.id
    assert c.verify(code[:3] + "-" + code[3:]).verified


def test_no_code_in_repr_or_errors():
    c, d = Challenge.issue(Request(TO, token_length=12), now=0)
    code = c.expose_token()
    for obj in (c, d, c.verify("999999999999", now=1), Request(TO, token="12345678")):
        assert code not in repr(obj) and "12345678" not in repr(obj)
    tampered = json.loads(c.to_json())
    tampered["v2"]["challenge"]["state"] = "exhausted"
    with pytest.raises(InvalidRecord) as e:
        Challenge.from_json(json.dumps(tampered))
    assert code not in str(e.value) and code not in repr(e.value)
    with pytest.raises(BadBody) as b:
        wire.parse_verify_body('{"token": "%s", "token": "%s"}' % (code, code))
    assert code not in str(b.value)


def test_invalid_request_carries_every_violation():
    with pytest.raises(InvalidRequest) as e:
        Request("+1", "call", token_length=3, valid_for=-1).validate()
    err = e.value
    assert isinstance(err, MfaError) and isinstance(err, ValueError)
    assert [(v.field, v.rule) for v in err.violations] == [
        ("to", "invalid_e164"), ("token_length", "out_of_range"), ("valid_for", "out_of_range")]
    assert err.violations[0].data == {"kind": "too_short", "digits": 1}
    assert err.violations[1].data == {"min": 4, "max": 20, "given": 3}
    assert err.fields == ["to", "token_length", "valid_for"]
    assert err.response.status == 422 and len(err.response.json()["errors"]) == 3


def test_field_errors():
    with pytest.raises(InvalidPolicy) as p:
        LockoutPolicy(free_failures=101, hard_limit=100)
    assert (p.value.field, p.value.rule, p.value.data) == (
        "free_failures", "above_other", {"other": "hard_limit", "bound": 100, "given": 101})
    with pytest.raises(InvalidPolicy) as w:
        SendPolicy([(65, 60)])
    assert (w.value.field, w.value.rule) == ("max", "out_of_range")
    with pytest.raises(InvalidId) as i:
        ChallengeId.parse("nope")
    assert (i.value.rule, i.value.data) == ("length", {"given": 4})
    with pytest.raises(InvalidPhone) as ph:
        mfa_core.country_code("+1 555")
    assert ph.value.data == {"kind": "not_a_digit", "at": 2}
    assert mfa_core.country_code("+447700900123") == 44


def test_rng_sources():
    with pytest.raises(RandomSourceError):
        Challenge.issue(Request(TO), now=0, rng=bytes(10))
    def broken(n):
        raise OSError("no entropy")
    with pytest.raises(OSError):
        Challenge.issue(Request(TO), now=0, rng=broken)
    with pytest.raises(ValueError):
        Challenge.issue(Request(TO), now=0, rng=lambda n: bytes(n - 1))
    with pytest.raises(TypeError):
        Challenge.issue(Request(TO), now=0, rng=42)
    import secrets
    c, _ = Challenge.issue(Request(TO, allow_alphas=True), now=0, rng=secrets.token_bytes)
    assert len(c.expose_token()) == 6


def test_write_plan_for_compare_and_swap():
    c, _ = Challenge.issue(Request(TO, max_attempts=2, valid_for=60), now=0, rng=bytes(64))
    stored = (c.to_json(), c.revision)
    v = c.verify("123456", now=1)
    assert (v.kind, v.attempts_left, v.expected_revision, v.revision, v.changed) == ("wrong_token", 1, 0, 1, True)
    assert Challenge.from_json(v.record).attempts_used == 1
    # The expiry is recorded by the first call that finds it: a change too.
    late = c.cancel(now=61)
    assert (late.canceled, late.reason, late.changed) == (False, "expired", True)
    again = c.cancel(now=62)
    assert (again.changed, again.record) == (False, None)
    assert stored[1] == 0


def test_resend_and_limiters():
    c, _ = Challenge.issue(Request(TO, from_="+15554433222", max_deliveries=2), now=0, rng=bytes(64))
    r = c.resend("call", now=5)
    assert r.kind == "delivered" and r.delivery.text.endswith("0, 0, 0, 0, 0, 0.")
    assert c.resend(now=6).kind == "deliveries_exhausted"
    assert c.resend(now=6).response().status == 429
    log, policy = SendLog(), SendPolicy([(1, 30)])
    assert log.try_send(policy, now=100).allowed
    refused = log.try_send(policy, now=110)
    assert (refused.allowed, refused.retry_after, refused.changed) == (False, 20, False)
    assert refused.response().headers[-1] == ("Retry-After", "20")
    lock, lp = Lockout(), LockoutPolicy(free_failures=0, base_delay_secs=5, max_delay_secs=5, hard_limit=2)
    assert lock.admit(lp, now=0).allowed
    assert lock.admit(lp, now=1).secs == 4
    assert lock.reset().changed and lock.failures == 0
    assert Lockout.from_json(lock.to_json()).revision == lock.revision
