//! The state machine beyond the guide's scenarios: resend, cancel, status,
//! revisions, stored parts, and secrets kept out of text.

mod common;
use common::*;

use mfa_core::limits::*;
use mfa_core::sms::Encoding;
use mfa_core::{
    Alphabet, Challenge, ChallengeParts, ChallengeState, Channel, Closed, Field, PartsError,
    ResendError, Rule, Token, UnixTime, Verification,
};

#[test]
fn resend_keeps_the_token_and_can_switch_to_voice() {
    let (mut c, first) = issue(sms(TO), 20);
    let token = code(&c);
    let d = c
        .resend(Channel::Call, None, T0.add_secs(60))
        .into_answer()
        .unwrap();
    assert_eq!(d.channel(), Channel::Call);
    assert_eq!(c.parts().channel, Channel::Call);
    let spelled: Vec<String> = token.chars().map(String::from).collect();
    assert_eq!(
        d.text(),
        format!("{} {}.", DEFAULT_CALL_MESSAGE, spelled.join(", "))
    );
    assert_eq!(c.parts().deliveries, 2);
    assert_eq!(c.revision(), 1);
    // Same channel again, with the first text.
    let again = c
        .resend(Channel::Sms, None, T0.add_secs(61))
        .into_answer()
        .unwrap();
    assert_eq!(again.text(), first.text());
    assert!(
        c.verify(&token, T0.add_secs(62))
            .into_answer()
            .is_verified()
    );
}

#[test]
fn deliveries_are_capped() {
    let (mut c, _) = issue(sms(TO), 21);
    for n in 2..=MAX_DELIVERIES.default {
        assert!(c.resend(Channel::Sms, None, T0).into_answer().is_ok());
        assert_eq!(c.parts().deliveries, n);
    }
    let rev = c.revision();
    assert_eq!(
        c.resend(Channel::Sms, None, T0).into_answer().unwrap_err(),
        ResendError::DeliveriesExhausted { max: 5 }
    );
    assert_eq!(c.revision(), rev);
    assert_eq!(
        c.parts().state,
        ChallengeState::Pending,
        "the challenge can still be verified"
    );
    let (mut one, _) = issue(
        mfa_core::IssueRequest {
            max_deliveries: Some(1),
            ..sms(TO)
        },
        22,
    );
    assert!(matches!(
        one.resend(Channel::Call, None, T0).into_answer(),
        Err(ResendError::DeliveriesExhausted { max: 1 })
    ));
}

#[test]
fn resend_revalidates_the_text_for_the_channel() {
    // A call-only challenge has no `from`: a custom SMS text is refused.
    let (mut c, _) = issue(call(TO), 23);
    let err = c
        .resend(Channel::Sms, Some("Code:"), T0)
        .into_answer()
        .unwrap_err();
    let ResendError::Invalid(v) = err else {
        panic!("{err:?}")
    };
    assert_eq!(v.iter().next().unwrap().rule, Rule::FromRequired);
    assert_eq!(c.parts().deliveries, 1);
    assert_eq!(c.parts().channel, Channel::Call);
    // A voice text that fits 500 characters can be too long for one SMS.
    let long = "a".repeat(300);
    let (mut c, _) = issue(
        mfa_core::IssueRequest {
            from: Some("+15554433222"),
            ..call(TO)
        },
        24,
    );
    assert!(
        c.resend(Channel::Call, Some(&long), T0)
            .into_answer()
            .is_ok()
    );
    let err = c
        .resend(Channel::Sms, Some(&long), T0)
        .into_answer()
        .unwrap_err();
    assert_eq!(
        err,
        ResendError::Invalid({
            mfa_core::IssueRequest {
                message: Some(&long),
                from: Some("+15554433222"),
                ..sms(TO)
            }
            .validate()
            .unwrap_err()
        })
    );
    let ResendError::Invalid(v) = err else {
        unreachable!()
    };
    assert_eq!(
        v.iter().next().unwrap().rule,
        Rule::SmsSegment {
            encoding: Encoding::Gsm7,
            units: 307,
            limit: 160
        }
    );
    assert_eq!(v.iter().next().unwrap().field, Field::Message);
}

#[test]
fn resend_and_cancel_on_terminal_challenges_say_why() {
    let (mut c, _) = issue(sms(TO), 25);
    assert!(c.verify(&code(&c), T0).into_answer().is_verified());
    assert_eq!(
        c.resend(Channel::Sms, None, T0).into_answer().unwrap_err(),
        ResendError::Closed(Closed::AlreadyVerified)
    );
    assert_eq!(c.cancel(T0).into_answer(), Err(Closed::AlreadyVerified));
    assert_eq!(c.revision(), 1);

    let (mut c, _) = issue(
        mfa_core::IssueRequest {
            max_attempts: Some(1),
            ..sms(TO)
        },
        26,
    );
    assert_eq!(
        c.verify("0000", T0).into_answer(),
        Verification::WrongToken { attempts_left: 0 }
    );
    assert_eq!(c.cancel(T0).into_answer(), Err(Closed::AttemptsExhausted));
    assert!(matches!(
        c.resend(Channel::Call, None, T0).into_answer(),
        Err(ResendError::Closed(Closed::AttemptsExhausted))
    ));
}

#[test]
fn resend_or_cancel_past_the_window_records_expiry() {
    let (mut c, _) = issue(sms(TO), 27);
    let late = c.expires_at();
    assert_eq!(
        c.resend(Channel::Sms, None, late)
            .into_answer()
            .unwrap_err(),
        ResendError::Closed(Closed::Expired)
    );
    assert_eq!(c.parts().state, ChallengeState::Expired);
    assert_eq!(c.revision(), 1);
    let (mut c, _) = issue(sms(TO), 28);
    assert_eq!(c.cancel(late).into_answer(), Err(Closed::Expired));
    assert_eq!(c.parts().state, ChallengeState::Expired);
    assert_eq!(c.revision(), 1);
}

#[test]
fn status_changes_nothing() {
    let (c, _) = issue(sms(TO), 29);
    let before = c.clone();
    assert_eq!(c.state_at(T0), ChallengeState::Pending);
    assert_eq!(c.state_at(T0.add_secs(3600)), ChallengeState::Expired);
    assert_eq!(c, before);
}

#[test]
fn every_change_raises_the_revision_by_one() {
    let (mut c, _) = issue(
        mfa_core::IssueRequest {
            max_attempts: Some(5),
            ..sms(TO)
        },
        30,
    );
    let mut rev = c.revision();
    assert_eq!(rev, 0);
    let _ = c.verify("0000", T0).into_answer();
    assert_eq!(c.revision(), rev + 1);
    rev += 1;
    let _ = c.resend(Channel::Call, None, T0).into_answer().unwrap();
    assert_eq!(c.revision(), rev + 1);
    rev += 1;
    let _ = c.verify("0000", T0).into_answer();
    assert_eq!(c.revision(), rev + 1);
    rev += 1;
    c.cancel(T0).into_answer().unwrap();
    assert_eq!(c.revision(), rev + 1);
}

#[test]
fn attempts_left_is_zero_once_terminal() {
    let (mut c, _) = issue(sms(TO), 31);
    assert_eq!(c.attempts_left(), 3);
    c.cancel(T0).into_answer().unwrap();
    assert_eq!(c.attempts_left(), 0);
}

fn parts(c: &Challenge) -> ChallengeParts {
    c.parts().clone()
}

#[test]
fn parts_round_trip_and_are_checked() {
    let (mut c, _) = issue(sms(TO), 32);
    let _ = c.verify("0000", T0).into_answer();
    assert_eq!(Challenge::from_parts(parts(&c)).unwrap(), c);

    let bad = |f: &dyn Fn(&mut ChallengeParts)| {
        let mut p = parts(&c);
        f(&mut p);
        Challenge::from_parts(p).unwrap_err()
    };
    assert_eq!(bad(&|p| p.valid_for = 604_801), PartsError::ValidFor);
    assert_eq!(bad(&|p| p.max_attempts = 0), PartsError::MaxAttempts);
    assert_eq!(bad(&|p| p.max_attempts = 21), PartsError::MaxAttempts);
    assert_eq!(bad(&|p| p.attempts_used = 4), PartsError::AttemptsUsed);
    assert_eq!(bad(&|p| p.max_deliveries = 0), PartsError::MaxDeliveries);
    assert_eq!(bad(&|p| p.max_deliveries = 21), PartsError::MaxDeliveries);
    assert_eq!(bad(&|p| p.deliveries = 0), PartsError::Deliveries);
    assert_eq!(bad(&|p| p.deliveries = 6), PartsError::Deliveries);
    assert_eq!(bad(&|p| p.attempts_used = 3), PartsError::StateCounters);
    assert_eq!(
        bad(&|p| p.state = ChallengeState::Exhausted),
        PartsError::StateCounters
    );
    assert_eq!(
        bad(&|p| {
            p.state = ChallengeState::Verified;
            p.attempts_used = 0;
        }),
        PartsError::StateCounters
    );
    assert_eq!(
        bad(&|p| {
            p.state = ChallengeState::Canceled;
            p.attempts_used = 3;
        }),
        PartsError::StateCounters
    );
    assert_eq!(
        bad(&|p| p.token = Token::new("ABCD", Alphabet::Alphanumeric).unwrap()),
        PartsError::TokenAlphabet
    );
    // Edge cases that are fine.
    let mut p = parts(&c);
    p.state = ChallengeState::Exhausted;
    p.attempts_used = 3;
    assert!(Challenge::from_parts(p).is_ok());
    let mut p = parts(&c);
    p.deliveries = 5;
    p.valid_for = 604_800;
    assert!(Challenge::from_parts(p).is_ok());
    for e in [
        PartsError::TokenAlphabet,
        PartsError::ValidFor,
        PartsError::MaxAttempts,
        PartsError::AttemptsUsed,
        PartsError::MaxDeliveries,
        PartsError::Deliveries,
        PartsError::StateCounters,
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn the_token_never_reaches_debug_or_errors() {
    let req = mfa_core::IssueRequest {
        allow_alphas: Some(true),
        token_length: Some(20),
        ..sms(TO)
    };
    let (mut c, d) = issue(req, 33);
    let token = code(&c);
    let texts = [
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{d:?}"),
        format!("{:?}", c.parts().token),
        format!("{:?}", c.parts().clone()),
    ];
    for t in &texts {
        assert!(!t.contains(&token), "token leaked into {t}");
        assert!(t.contains("redacted"), "{t}");
    }
    // A host token is kept out of the parameters' Debug too.
    let p = params(mfa_core::IssueRequest {
        token: Some("97531"),
        ..sms(TO)
    });
    assert!(!format!("{p:?}").contains("97531"));
    assert!(format!("{p:?}").contains("redacted"));
    // Error texts on every path.
    let _ = c.verify("0000", T0).into_answer();
    let long = "x".repeat(200);
    let e = c
        .resend(Channel::Sms, Some(&long), T0)
        .into_answer()
        .unwrap_err();
    assert!(!e.to_string().contains(&token));
    assert!(!format!("{e:?}").contains(&token));
}

#[test]
fn closed_reasons_are_distinct_and_named() {
    let all = [
        Closed::AlreadyVerified,
        Closed::AttemptsExhausted,
        Closed::Expired,
        Closed::Canceled,
    ];
    let codes: Vec<_> = all.iter().map(|c| c.code()).collect();
    assert_eq!(
        codes,
        [
            "already_verified",
            "attempts_exhausted",
            "expired",
            "canceled"
        ]
    );
    let states = [
        ChallengeState::Verified,
        ChallengeState::Exhausted,
        ChallengeState::Expired,
        ChallengeState::Canceled,
    ];
    for (s, c) in states.iter().zip(all) {
        assert!(s.is_terminal());
        assert_eq!(s.closed(), Some(c));
        assert!(!c.to_string().is_empty());
    }
    assert_eq!(ChallengeState::Pending.closed(), None);
}

#[test]
fn host_clock_in_unix_seconds() {
    assert_eq!(
        UnixTime::from_secs(5).add_secs(u64::MAX).as_secs(),
        u64::MAX
    );
    // The system clock is the `std` feature's.
    #[cfg(feature = "std")]
    assert!(UnixTime::now().as_secs() > 1_600_000_000);
}

#[test]
fn debug_shows_the_numbers() {
    let with_from = mfa_core::IssueRequest {
        from: Some("+15554433222"),
        ..sms(TO)
    };
    let (c, d) = issue(with_from, 34);
    for t in [format!("{c:?}"), format!("{d:?}")] {
        assert!(t.contains(r#"to: PhoneNumber(+15557788999)"#), "{t}");
        assert!(
            t.contains(r#"from: Some(PhoneNumber(+15554433222))"#),
            "{t}"
        );
    }
    let (c, d) = issue(sms(TO), 35);
    for t in [format!("{c:?}"), format!("{d:?}")] {
        assert!(t.contains("from: None"), "{t}");
    }
}
