//! Parameter validation and rendering: any request either is refused with
//! at least one violation, or issues a challenge whose text obeys the rules.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mfa_core::sms::{Encoding, segments};
use mfa_core::{Challenge, Channel, Request, UnixTime};
use mfa_core_fuzz::FuzzRng;

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    call: bool,
    to: Option<&'a str>,
    from: Option<&'a str>,
    message: Option<&'a str>,
    token_length: Option<i64>,
    max_attempts: Option<i64>,
    allow_alphas: Option<bool>,
    valid_for: Option<i64>,
    max_deliveries: Option<i64>,
    token: Option<&'a str>,
    now: u64,
    rng: &'a [u8],
}

fuzz_target!(|i: Input<'_>| {
    let channel = if i.call { Channel::Call } else { Channel::Sms };
    let req = Request {
        channel,
        to: i.to,
        from: i.from,
        message: i.message,
        token_length: i.token_length,
        max_attempts: i.max_attempts,
        allow_alphas: i.allow_alphas,
        valid_for: i.valid_for,
        max_deliveries: i.max_deliveries,
        token: i.token,
    };
    let params = match req.validate() {
        Ok(p) => p,
        Err(v) => {
            assert!(!v.is_empty());
            let text = v.to_string();
            for x in v.iter() {
                assert!(text.contains(x.field.name()));
            }
            return;
        }
    };
    let Ok((c, d)) = Challenge::issue(&params, &mut FuzzRng(i.rng), UnixTime::from_secs(i.now))
    else {
        return;
    };
    mfa_core_fuzz::assert_sound(&c);
    let text = d.text();
    // A message with braces is a template (SPEC §4.10): the token goes
    // where `{code}` stands. Without braces, the guide's form.
    let message = params.message();
    let plain = !message.contains(['{', '}']);
    let placeholders = mfa_core::check_template(message).expect("validated");
    assert!(!plain || text.starts_with(message));
    assert_eq!(d.chars(), text.chars().count());
    let s = segments(&text);
    assert_eq!(d.segments(), s);
    match channel {
        Channel::Sms => {
            let limit = if s.encoding == Encoding::Gsm7 {
                160
            } else {
                70
            };
            assert!(s.units <= limit && s.parts == 1);
            let token = c.parts().token.expose_secret();
            assert!(text.matches(token).count() >= placeholders.max(1));
            assert!(placeholders > 0 || text.ends_with(token));
        }
        Channel::Call => {
            // SPEC §4.5: message, separator and the token as written (not
            // the spelled-out form read to the user) count at most 500.
            if plain {
                let separator = message
                    .chars()
                    .next_back()
                    .is_some_and(|c| !c.is_whitespace());
                let written =
                    message.chars().count() + usize::from(separator) + c.parts().token.len();
                assert!(written <= 500);
            }
            // The spelled code ends in '.' where it ends the text.
            assert!(text.ends_with('.') || (placeholders > 0 && !message.ends_with("{code}")));
        }
    }
});
