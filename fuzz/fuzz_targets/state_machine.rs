//! The state machine under arbitrary call sequences and clock moves: the
//! SPEC §5 invariants hold after every step.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mfa_core::{Challenge, ChallengeState, Channel, IssueRequest, UnixTime, Verification};
use mfa_core_fuzz::{Counter, assert_sound};

#[derive(Arbitrary, Debug)]
enum Op<'a> {
    Verify(&'a str),
    VerifyRight,
    Cancel,
    Resend {
        call: bool,
        message: Option<&'a str>,
    },
    Status,
    Advance(u32),
    Rewind(u32),
    Jump(u64),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    seed: u64,
    call: bool,
    alphas: bool,
    token_length: u8,
    max_attempts: u8,
    valid_for: u32,
    max_deliveries: u8,
    issued_at: u64,
    ops: Vec<Op<'a>>,
}

fuzz_target!(|i: Input<'_>| {
    let req = IssueRequest {
        allow_alphas: Some(i.alphas),
        token_length: Some(i64::from(4 + i.token_length % 17)),
        max_attempts: Some(i64::from(1 + i.max_attempts % 20)),
        valid_for: Some(i64::from(i.valid_for % 604_801)),
        max_deliveries: Some(i64::from(1 + i.max_deliveries % 20)),
        from: Some("+15554433222"),
        ..IssueRequest::new(
            if i.call { Channel::Call } else { Channel::Sms },
            "+15557788999",
        )
    };
    let params = req.validate().expect("in range by construction");
    let mut now = UnixTime::from_secs(i.issued_at);
    let (mut c, _) = Challenge::issue(&params, &mut Counter(i.seed), now).unwrap();
    let right = c.parts().token.expose_secret().to_string();
    let mut verified = 0;
    for op in i.ops {
        let before = c.clone();
        let expired =
            now.as_secs().abs_diff(c.parts().issued_at.as_secs()) >= u64::from(c.parts().valid_for);
        let open = c.parts().state == ChallengeState::Pending && !expired;
        match op {
            Op::Verify(s) => match c.verify(s, now).into_answer() {
                Verification::Verified => {
                    assert!(open);
                    assert_eq!(c.parts().to, before.parts().to);
                    verified += 1;
                }
                Verification::WrongToken { attempts_left } => {
                    assert!(open);
                    assert_eq!(
                        attempts_left,
                        c.parts().max_attempts - c.parts().attempts_used
                    );
                }
                Verification::Rejected(r) => {
                    assert!(!open);
                    assert_eq!(Some(r), c.parts().state.closed());
                }
            },
            Op::VerifyRight => {
                let out = c.verify(&right, now).into_answer();
                if open {
                    assert_eq!(out, Verification::Verified);
                    verified += 1;
                } else {
                    assert!(matches!(out, Verification::Rejected(_)));
                }
            }
            Op::Cancel => assert_eq!(c.cancel(now).into_answer().is_ok(), open),
            Op::Resend { call, message } => {
                let ch = if call { Channel::Call } else { Channel::Sms };
                if let Ok(d) = c.resend(ch, message, now).into_answer() {
                    assert!(open);
                    let text = d.text();
                    let message = message.unwrap_or(ch.default_message());
                    // A message with braces is a template (SPEC §4.10);
                    // one without comes first in the text, as the guide
                    // has it.
                    if !message.contains(['{', '}']) {
                        assert!(text.starts_with(message));
                    }
                }
            }
            Op::Status => {
                let s = c.state_at(now);
                assert_eq!(c, before);
                assert_eq!(
                    s == ChallengeState::Expired,
                    before.parts().state == ChallengeState::Expired
                        || (before.parts().state == ChallengeState::Pending && expired)
                );
            }
            Op::Advance(s) => now = now.add_secs(u64::from(s)),
            Op::Rewind(s) => now = UnixTime::from_secs(now.as_secs().saturating_sub(u64::from(s))),
            Op::Jump(t) => now = UnixTime::from_secs(t),
        }
        assert_sound(&c);
        if before.parts().state.is_terminal() {
            assert_eq!(c, before, "a terminal challenge changed");
        }
        if expired && before.parts().state == ChallengeState::Pending && c != before {
            assert_eq!(c.parts().state, ChallengeState::Expired);
        }
        assert_eq!(c.revision(), before.revision() + u64::from(c != before));
        assert!(verified <= 1);
    }
});
