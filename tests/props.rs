//! Property tests: invariants over random requests, submissions, clocks and
//! call sequences.

mod common;
use common::*;

use mfa_core::sms::segments;
use mfa_core::{
    Alphabet, Challenge, ChallengeId, ChallengeParts, Channel, Closed, Normalized, PhoneNumber,
    Request, State, Token, UnixTime, Verification,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Verify { right: bool, junk: String },
    Cancel,
    Resend { call: bool },
    Advance(u64),
    Rewind(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), "\\PC{0,8}").prop_map(|(right, junk)| Op::Verify { right, junk }),
        1 => Just(Op::Cancel),
        2 => any::<bool>().prop_map(|call| Op::Resend { call }),
        2 => (0u64..2000).prop_map(Op::Advance),
        1 => (0u64..2000).prop_map(Op::Rewind),
    ]
}

fn request() -> impl Strategy<Value = Request<'static>> {
    (
        any::<bool>(),
        4i64..=20,
        1i64..=20,
        any::<bool>(),
        0i64..=5000,
        1i64..=20,
    )
        .prop_map(|(call, len, attempts, alphas, valid, deliveries)| Request {
            token_length: Some(len),
            max_attempts: Some(attempts),
            allow_alphas: Some(alphas),
            valid_for: Some(valid),
            max_deliveries: Some(deliveries),
            ..Request::new(if call { Channel::Call } else { Channel::Sms }, TO)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn tokens_have_the_asked_length_and_alphabet(seed: u64, req in request()) {
        let p = params(req);
        let (c, d) = Challenge::issue(&p, &mut rng(seed), T0).unwrap();
        let t = code(&c);
        prop_assert_eq!(t.len(), usize::from(p.token_length()));
        prop_assert!(t.bytes().all(|b| p.alphabet().contains(b)));
        prop_assert_eq!(c.parts().alphabet, p.alphabet());
        // The rendered text is what validation measured.
        let text = d.text();
        prop_assert_eq!(d.chars(), text.chars().count());
        prop_assert_eq!(d.segments(), segments(&text));
        prop_assert!(text.contains(t.chars().next().unwrap()));
    }

    /// Random call sequences against a tiny model of SPEC §5.
    #[test]
    fn the_state_machine_keeps_its_invariants(
        seed: u64, req in request(), ops in proptest::collection::vec(op(), 0..40)
    ) {
        let p = params(req);
        let (mut c, _) = Challenge::issue(&p, &mut rng(seed), T0).unwrap();
        let right = code(&c);
        let mut now = T0;
        let mut verified_count = 0;
        for op in ops {
            let before = c.clone();
            let rev = c.revision();
            let was_terminal = c.parts().state.is_terminal();
            // SPEC §5.2: `valid_for` or more seconds apart, either way.
            let apart = now.as_secs().abs_diff(c.parts().issued_at.as_secs());
            let expired_now = apart >= u64::from(c.parts().valid_for);
            match op {
                Op::Verify { right: use_right, junk } => {
                    let sub = if use_right { right.clone() } else { format!("{junk}?") };
                    let out = c.verify(&sub, now);
                    if was_terminal {
                        prop_assert_eq!(out, Verification::Rejected(before.parts().state.closed().unwrap()));
                    } else if expired_now {
                        prop_assert_eq!(out, Verification::Rejected(Closed::Expired));
                        prop_assert_eq!(c.parts().state, State::Expired);
                    } else if use_right {
                        // The right token before expiry on a pending challenge always verifies.
                        prop_assert_eq!(out, Verification::Verified);
                        verified_count += 1;
                    } else {
                        let wrong = matches!(out, Verification::WrongToken { .. });
                        prop_assert!(wrong);
                        prop_assert_eq!(c.parts().attempts_used, before.parts().attempts_used + 1);
                    }
                }
                Op::Cancel => {
                    let r = c.cancel(now);
                    prop_assert_eq!(r.is_ok(), !was_terminal && !expired_now);
                }
                Op::Resend { call } => {
                    let ch = if call { Channel::Call } else { Channel::Sms };
                    let r = c.resend(ch, None, now);
                    if let Ok(d) = r {
                        prop_assert!(!was_terminal && !expired_now);
                        prop_assert_eq!(d.channel(), ch);
                        prop_assert!(d.text().contains(right.chars().last().unwrap()));
                    }
                }
                Op::Advance(s) => now = now.add_secs(s),
                Op::Rewind(s) => now = UnixTime::from_secs(now.as_secs().saturating_sub(s)),
            }
            // Invariants after every step.
            prop_assert!(c.parts().attempts_used <= c.parts().max_attempts);
            prop_assert!(c.parts().deliveries >= 1 && c.parts().deliveries <= c.parts().max_deliveries);
            if was_terminal {
                prop_assert_eq!(&c, &before, "a terminal challenge changed");
            }
            let changed = c != before;
            prop_assert_eq!(c.revision(), rev + u64::from(changed));
            prop_assert!(verified_count <= 1);
            prop_assert!(Challenge::from_parts(c.parts().clone()).is_ok());
        }
    }

    #[test]
    fn validate_never_panics(
        call: bool,
        to in proptest::option::of("\\PC{0,20}"),
        from in proptest::option::of("[+0-9]{0,18}"),
        message in proptest::option::of("\\PC{0,600}"),
        token_length in proptest::option::of(any::<i64>()),
        max_attempts in proptest::option::of(-5i64..30),
        allow_alphas in proptest::option::of(any::<bool>()),
        valid_for in proptest::option::of(any::<i64>()),
        max_deliveries in proptest::option::of(any::<i64>()),
        token in proptest::option::of("[0-9A-Za-z]{0,24}"),
    ) {
        let req = Request {
            channel: if call { Channel::Call } else { Channel::Sms },
            to: to.as_deref(),
            from: from.as_deref(),
            message: message.as_deref(),
            token_length,
            max_attempts,
            allow_alphas,
            valid_for,
            max_deliveries,
            token: token.as_deref(),
        };
        match req.validate() {
            Ok(p) => {
                let (mut c, d) = Challenge::issue(&p, &mut rng(1), T0).unwrap();
                prop_assert!(!d.text().is_empty());
                let _ = c.verify(message.as_deref().unwrap_or(""), T0);
            }
            Err(v) => {
                prop_assert!(!v.is_empty());
                prop_assert!(!v.to_string().is_empty());
                for x in v.iter() {
                    prop_assert!(v.to_string().contains(x.field.name()));
                }
            }
        }
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,64}", b in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = PhoneNumber::parse(&s);
        let _ = ChallengeId::parse(&s);
        let _ = Normalized::new(&s);
        let _ = Token::new(&s, Alphabet::Alphanumeric);
        let _ = segments(&s);
        let lossy = String::from_utf8_lossy(&b);
        let _ = ChallengeId::parse(&lossy);
        let _ = segments(&lossy);
    }

    #[test]
    fn resend_never_panics(seed: u64, msg in "\\PC{0,700}", call: bool, dt in 0u64..5000) {
        let (mut c, _) = Challenge::issue(&params(Request::new(Channel::Sms, TO)), &mut rng(seed), T0).unwrap();
        let ch = if call { Channel::Call } else { Channel::Sms };
        if let Ok(d) = c.resend(ch, Some(&msg), T0.add_secs(dt)) {
            // A message with braces is a template (SPEC §4.10); one without
            // comes first in the text, as the guide has it.
            if !msg.contains(['{', '}']) {
                prop_assert!(d.text().starts_with(msg.as_str()));
            }
        }
    }

    #[test]
    fn from_parts_never_panics_nor_admits_a_broken_challenge(
        valid_for: u32, max_attempts: u8, attempts_used: u8,
        max_deliveries: u8, deliveries: u8, state in 0u8..5, alnum: bool, issued: u64,
        tok in "[0-9A-Z]{4,20}",
    ) {
        let alphabet = if alnum { Alphabet::Alphanumeric } else { Alphabet::Numeric };
        let Ok(token) = Token::new(&tok, Alphabet::Alphanumeric) else { return Ok(()) };
        let state = [State::Pending, State::Verified, State::Exhausted, State::Expired, State::Canceled][usize::from(state)];
        let parts = ChallengeParts {
            id: "8630cc54-f6b2-45dd-b73b-cce28eb668d8".parse().unwrap(),
            channel: Channel::Sms,
            to: TO.parse().unwrap(),
            from: None,
            token,
            alphabet,
            issued_at: UnixTime::from_secs(issued),
            valid_for,
            max_attempts,
            attempts_used,
            max_deliveries,
            deliveries,
            state,
        };
        if let Ok(mut c) = Challenge::from_parts(parts) {
            prop_assert!(c.parts().valid_for <= 604_800);
            prop_assert!((1..=20).contains(&c.parts().max_attempts));
            prop_assert!(c.parts().attempts_used <= c.parts().max_attempts);
            prop_assert!(c.parts().token.expose_secret().bytes().all(|b| c.parts().alphabet.contains(b)));
            // Driving it further keeps the invariants.
            for _ in 0..25 {
                let _ = c.verify("0000", c.parts().issued_at);
                prop_assert!(c.parts().attempts_used <= c.parts().max_attempts);
            }
        }
    }

    /// Spaces, tabs and dashes anywhere, case, confusables and other
    /// scripts' digits never change what a submission means.
    #[test]
    fn normalisation_equivalences(
        tok in "[0-9A-HJKMNP-TV-Z]{4,20}",
        seps in proptest::collection::vec(0usize..4, 0..30),
        script in 0usize..4,
    ) {
        let base = Normalized::new(&tok).unwrap();
        prop_assert_eq!(base.as_str(), tok.as_str());
        // Separators.
        let mut spaced = String::new();
        for (i, ch) in tok.chars().enumerate() {
            if let Some(&s) = seps.get(i) {
                spaced.push_str(["", " ", "\t", "-"][s]);
            }
            spaced.push(ch);
        }
        spaced.push_str(" -\t");
        prop_assert_eq!(Normalized::new(&spaced), Some(base.clone()));
        // Case.
        prop_assert_eq!(Normalized::new(&tok.to_lowercase()), Some(base.clone()));
        // Confusables.
        let conf: String = tok.chars().map(|c| match c { '0' => 'O', '1' => 'l', c => c }).collect();
        prop_assert_eq!(Normalized::new(&conf), Some(base.clone()));
        // Other scripts' digits.
        let zero = ['\u{660}', '\u{FF10}', '\u{966}', '\u{1D7CE}'][script] as u32;
        let other: String = tok.chars().map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero + d).unwrap(),
            None => c,
        }).collect();
        prop_assert_eq!(Normalized::new(&other), Some(base));
    }

    /// `Normalized::new` and `verify` agree with a model written straight
    /// from the rules, one character at a time, on submissions mixing
    /// digits (the fast path takes 4 to 20 of them alone), letters,
    /// separators, other scripts' digits and junk.
    #[test]
    fn normalisation_matches_the_rules(
        typed in "[0-9]{0,22}|[0-9/:]{4,20}|[0-9a-zA-Z \\t.:/\\-\u{663}\u{FF13}\u{E9}\u{1D7D1}]{0,24}",
        token in "[0-9]{4,20}",
    ) {
        let model = normalise_by_the_rules(&typed);
        prop_assert_eq!(Normalized::new(&typed).map(|n| n.as_str().to_string()), model.clone());
        let params = Request {
            token: Some(&token),
            token_length: Some(token.len() as i64),
            max_attempts: Some(20),
            ..Request::new(Channel::Sms, TO)
        }
        .validate()
        .unwrap();
        let (mut c, _) = Challenge::issue(&params, &mut rng(1), T0).unwrap();
        let right = model.as_deref() == Some(token.as_str());
        prop_assert_eq!(c.verify(&typed, T0).is_verified(), right);
    }
}

/// SPEC §3's normalisation, one character at a time.
fn normalise_by_the_rules(typed: &str) -> Option<String> {
    let mut out = String::new();
    for c in typed.chars() {
        match c {
            ' ' | '\t' | '-' => {}
            'O' | 'o' => out.push('0'),
            'I' | 'i' | 'L' | 'l' => out.push('1'),
            'U' | 'u' => return None,
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_uppercase()),
            c => out.push(char::from(b'0' + other_script_digit(c)?)),
        }
    }
    (4..=20).contains(&out.len()).then_some(out)
}

/// The value of the few non-ASCII decimal digits the strategy above uses
/// (Arabic-Indic, fullwidth, mathematical bold); `None` for the rest.
fn other_script_digit(c: char) -> Option<u8> {
    let zero = ['\u{660}', '\u{FF10}', '\u{1D7CE}']
        .into_iter()
        .find(|&z| (z as u32..z as u32 + 10).contains(&(c as u32)))?;
    Some((c as u32 - zero as u32) as u8)
}
