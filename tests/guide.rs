//! The guide's scenarios, end to end through the public API.

mod common;
use common::*;

use mfa_core::limits::*;
use mfa_core::sms::Encoding;
use mfa_core::{
    Alphabet, Challenge, ChallengeState, Channel, Closed, Field, IssueRequest, Rule, UnixTime,
    Verification,
};

#[test]
fn default_sms_request() {
    let (c, d) = issue(sms(TO), 1);
    assert_eq!(d.channel(), Channel::Sms);
    assert_eq!(d.to().as_str(), TO);
    assert_eq!(d.from(), None);
    let text = d.text();
    let token = code(&c);
    assert_eq!(
        text,
        format!("Your Personal Authorization Code is: {token}")
    );
    assert_eq!(token.len(), 6);
    assert!(token.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(c.parts().max_attempts, 3);
    assert_eq!(c.parts().valid_for, 3600);
    assert_eq!(c.expires_at(), T0.add_secs(3600));
    assert_eq!(c.parts().state, ChallengeState::Pending);
    assert_eq!(c.revision(), 0);
    let seg = d.segments();
    assert_eq!(
        (seg.encoding, seg.units, seg.parts),
        (Encoding::Gsm7, 43, 1)
    );
}

#[test]
fn the_guides_long_example() {
    // Its `from` ("+5554433222") is valid E.164; `allow_alpha` is the
    // guide's spelling, which the wire layer maps onto `allow_alphas`.
    let req = IssueRequest {
        from: Some("+5554433222"),
        message: Some("Here is your code: "),
        allow_alphas: Some(true),
        token_length: Some(8),
        valid_for: Some(7200),
        max_attempts: Some(4),
        ..sms(TO)
    };
    let (mut c, d) = issue(req, 2);
    let token = code(&c);
    assert_eq!(token.len(), 8);
    assert_eq!(c.parts().alphabet, Alphabet::Alphanumeric);
    assert!(token.bytes().all(|b| ALPHANUMERIC.contains(&b)));
    // The message ends in white space: no extra separator.
    assert_eq!(d.text(), format!("Here is your code: {token}"));
    assert_eq!(d.from().unwrap().as_str(), "+5554433222");
    assert_eq!(c.expires_at(), T0.add_secs(7200));
    for left in (1..4).rev() {
        assert_eq!(
            c.verify(&wrong(&token), T0.add_secs(10)).into_answer(),
            Verification::WrongToken {
                attempts_left: left
            }
        );
    }
    // The fourth try is the last allowed one, and it is right.
    assert!(
        c.verify(&token.to_lowercase(), T0.add_secs(7199))
            .into_answer()
            .is_verified()
    );
}

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

#[test]
fn voice_request_spells_the_token() {
    let (c, d) = issue(call(TO), 3);
    let t: Vec<char> = code(&c).chars().collect();
    let spelled = format!(
        "{}, {}, {}, {}, {}, {}.",
        t[0], t[1], t[2], t[3], t[4], t[5]
    );
    assert_eq!(
        d.text(),
        format!("Your Personal Authorization Code is {spelled}")
    );
    assert_eq!(d.chars(), d.text().chars().count());
    assert_eq!(d.channel(), Channel::Call);
}

#[test]
fn verify_right_verifies_the_number() {
    let (mut c, _) = issue(sms(TO), 4);
    let v = c.verify(&code(&c), T0.add_secs(1)).into_answer();
    assert_eq!(v, Verification::Verified);
    assert_eq!(c.parts().to.as_str(), TO);
    assert_eq!(c.parts().state, ChallengeState::Verified);
    assert_eq!(c.parts().attempts_used, 1);
    assert_eq!(c.revision(), 1);
}

#[test]
fn verify_wrong_uses_one_attempt() {
    let (mut c, _) = issue(sms(TO), 5);
    let v = c.verify(&wrong(&code(&c)), T0).into_answer();
    assert_eq!(v, Verification::WrongToken { attempts_left: 2 });
    assert_eq!(c.parts().state, ChallengeState::Pending);
    assert_eq!(c.attempts_left(), 2);
    assert_eq!(c.revision(), 1);
}

#[test]
fn wrong_until_exhausted_then_even_the_right_code_is_refused() {
    let (mut c, _) = issue(sms(TO), 6);
    let right = code(&c);
    assert_eq!(
        c.verify("0000x", T0).into_answer(),
        Verification::WrongToken { attempts_left: 2 }
    );
    assert_eq!(
        c.verify(&wrong(&right), T0).into_answer(),
        Verification::WrongToken { attempts_left: 1 }
    );
    // The last wrong try still answers "wrong token"...
    assert_eq!(
        c.verify(&wrong(&right), T0).into_answer(),
        Verification::WrongToken { attempts_left: 0 }
    );
    assert_eq!(c.parts().state, ChallengeState::Exhausted);
    // ...every later try gets the terminal reason and changes nothing.
    let rev = c.revision();
    assert_eq!(
        c.verify(&right, T0).into_answer(),
        Verification::Rejected(Closed::AttemptsExhausted)
    );
    assert_eq!(c.revision(), rev);
    assert_eq!(c.parts().attempts_used, 3);
}

#[test]
fn after_expiry_whatever_is_submitted() {
    let (mut c, _) = issue(sms(TO), 7);
    let right = code(&c);
    let at = c.expires_at();
    // One second before: still fine (and a wrong try is just wrong).
    assert_eq!(
        c.state_at(UnixTime::from_secs(at.as_secs() - 1)),
        ChallengeState::Pending
    );
    assert_eq!(c.state_at(at), ChallengeState::Expired);
    assert_eq!(
        c.parts().state,
        ChallengeState::Pending,
        "status records nothing"
    );
    assert_eq!(
        c.verify(&right, at).into_answer(),
        Verification::Rejected(Closed::Expired)
    );
    assert_eq!(
        c.parts().state,
        ChallengeState::Expired,
        "the verify call records it"
    );
    assert_eq!(
        c.parts().attempts_used,
        0,
        "no attempt is used on an expired challenge"
    );
    assert_eq!(c.revision(), 1);
    assert_eq!(
        c.verify(&right, at).into_answer(),
        Verification::Rejected(Closed::Expired)
    );
    assert_eq!(c.revision(), 1);
}

#[test]
fn replay_after_success_is_refused() {
    let (mut c, _) = issue(sms(TO), 8);
    let right = code(&c);
    assert!(c.verify(&right, T0).into_answer().is_verified());
    for _ in 0..3 {
        assert_eq!(
            c.verify(&right, T0).into_answer(),
            Verification::Rejected(Closed::AlreadyVerified)
        );
    }
    assert_eq!(c.revision(), 1);
}

#[test]
fn after_cancel_nothing_verifies() {
    let (mut c, _) = issue(sms(TO), 9);
    let right = code(&c);
    assert_eq!(c.cancel(T0).into_answer(), Ok(()));
    assert_eq!(c.parts().state, ChallengeState::Canceled);
    assert_eq!(c.revision(), 1);
    assert_eq!(
        c.verify(&right, T0).into_answer(),
        Verification::Rejected(Closed::Canceled)
    );
    assert_eq!(c.cancel(T0).into_answer(), Err(Closed::Canceled));
    assert_eq!(c.revision(), 1);
}

#[test]
fn valid_for_zero_is_expired_at_once() {
    let (mut c, _) = issue(
        IssueRequest {
            valid_for: Some(0),
            ..sms(TO)
        },
        10,
    );
    assert_eq!(c.state_at(T0), ChallengeState::Expired);
    assert_eq!(
        c.verify(&code(&c), T0).into_answer(),
        Verification::Rejected(Closed::Expired)
    );
}

/// SPEC §5.2: expired when `now` and `issued_at` are `valid_for` or more
/// seconds apart, in either direction.
#[test]
fn the_window_is_symmetric_and_fails_closed() {
    let (c, _) = issue(
        IssueRequest {
            valid_for: Some(60),
            ..sms(TO)
        },
        11,
    );
    let at = |delta: i64| UnixTime::from_secs(T0.as_secs().checked_add_signed(delta).unwrap());
    // A verifying host whose clock lags by less than the window still verifies.
    for delta in [-59, -1, 0, 1, 59] {
        assert_eq!(c.state_at(at(delta)), ChallengeState::Pending, "{delta}");
    }
    // 60 seconds or more apart, either way: expired.
    for delta in [-86_400, -61, -60, 60, 61] {
        assert_eq!(c.state_at(at(delta)), ChallengeState::Expired, "{delta}");
    }
    // A clock stuck at the epoch does not accept today's code.
    let mut stuck = c.clone();
    assert_eq!(
        stuck
            .verify(&code(&c), UnixTime::from_secs(0))
            .into_answer(),
        Verification::Rejected(Closed::Expired)
    );
    let mut lagging = c.clone();
    assert!(
        lagging
            .verify(&code(&c), at(-30))
            .into_answer()
            .is_verified()
    );
}

#[test]
fn valid_for_zero_is_expired_at_once_whatever_the_clock() {
    let (c, _) = issue(
        IssueRequest {
            valid_for: Some(0),
            ..sms(TO)
        },
        14,
    );
    for delta in [-1, 0, 1] {
        let now = UnixTime::from_secs(T0.as_secs().checked_add_signed(delta).unwrap());
        let mut copy = c.clone();
        assert_eq!(
            copy.verify(&code(&c), now).into_answer(),
            Verification::Rejected(Closed::Expired),
            "{delta}"
        );
    }
}

#[test]
fn a_recorded_expiry_survives_a_clock_that_steps_back() {
    let (mut c, _) = issue(
        IssueRequest {
            valid_for: Some(60),
            ..sms(TO)
        },
        12,
    );
    assert_eq!(
        c.verify("1234", T0.add_secs(60)).into_answer(),
        Verification::Rejected(Closed::Expired)
    );
    assert_eq!(
        c.verify(&code(&c), T0).into_answer(),
        Verification::Rejected(Closed::Expired)
    );
    assert_eq!(c.state_at(T0), ChallengeState::Expired);
}

/// The window is computed exactly at the top of the range: `expires_at`
/// saturates, but the test itself is the distance between the two times.
#[test]
fn the_window_at_the_end_of_time() {
    let issued = UnixTime::from_secs(u64::MAX - 10);
    let p = params(sms(TO));
    let (mut c, _) = Challenge::issue(&p, &mut rng(13), issued).unwrap();
    assert_eq!(c.expires_at(), UnixTime::from_secs(u64::MAX));
    assert_eq!(
        c.state_at(UnixTime::from_secs(u64::MAX)),
        ChallengeState::Pending
    );
    assert_eq!(
        c.state_at(UnixTime::from_secs(u64::MAX - 10 - 3599)),
        ChallengeState::Pending
    );
    assert_eq!(
        c.state_at(UnixTime::from_secs(u64::MAX - 10 - 3600)),
        ChallengeState::Expired
    );
    assert!(
        c.verify(&code(&c), UnixTime::from_secs(u64::MAX))
            .into_answer()
            .is_verified()
    );
}

#[test]
fn custom_sms_message_without_from_is_refused() {
    let err = IssueRequest {
        message: Some("Code:"),
        ..sms(TO)
    }
    .validate()
    .unwrap_err();
    let v: Vec<_> = err.iter().collect();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].field, Field::Message);
    assert_eq!(v[0].rule, Rule::FromRequired);
    // The default text, spelled out, needs no `from`.
    assert!(
        IssueRequest {
            message: Some(DEFAULT_SMS_MESSAGE),
            ..sms(TO)
        }
        .validate()
        .is_ok()
    );
    // A call may use any message without `from`.
    assert!(
        IssueRequest {
            message: Some("Code:"),
            ..call(TO)
        }
        .validate()
        .is_ok()
    );
}
