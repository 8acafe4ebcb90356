//! The exact text of every `Display` and `Debug` a host may log, and the
//! small accessors that feed them.

mod common;
use common::*;

use mfa_core::sms::Encoding;
use mfa_core::{
    Alphabet, ChallengeId, ChallengeState, Channel, Closed, IdError, IssueRequest, PhoneNumber,
    ResendError, UnixTime, Verification,
};

#[test]
fn resend_error_texts() {
    assert_eq!(
        ResendError::Closed(Closed::Canceled).to_string(),
        "the challenge was canceled"
    );
    assert_eq!(
        ResendError::DeliveriesExhausted { max: 5 }.to_string(),
        "all 5 allowed deliveries have been made"
    );
    let (mut c, _) = issue(call(TO), 1);
    let e = c
        .resend(Channel::Sms, Some("Code:"), T0)
        .into_answer()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`message` needs a `from` number: an SMS with a custom message cannot use the shared route"
    );
}

#[test]
fn closed_texts() {
    let texts: Vec<String> = [
        Closed::AlreadyVerified,
        Closed::AttemptsExhausted,
        Closed::Expired,
        Closed::Canceled,
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    assert_eq!(
        texts,
        [
            "the challenge was already verified",
            "every verification attempt has been used",
            "the challenge has expired",
            "the challenge was canceled"
        ]
    );
}

#[test]
fn state_names() {
    let names: Vec<_> = [
        ChallengeState::Pending,
        ChallengeState::Verified,
        ChallengeState::Exhausted,
        ChallengeState::Expired,
        ChallengeState::Canceled,
    ]
    .iter()
    .map(|s| s.name())
    .collect();
    assert_eq!(
        names,
        ["pending", "verified", "exhausted", "expired", "canceled"]
    );
    assert!(!ChallengeState::Pending.is_terminal());
}

#[test]
fn small_types_print_plainly() {
    let n: PhoneNumber = TO.parse().unwrap();
    assert_eq!(format!("{n:?}"), "PhoneNumber(+15557788999)");
    assert_eq!(n.to_string(), TO);
    assert_eq!(Channel::Sms.to_string(), "sms");
    assert_eq!(Channel::Call.to_string(), "call");
    assert_eq!(UnixTime::from_secs(42).to_string(), "42");
    let id: ChallengeId = "8630cc54-f6b2-45dd-b73b-cce28eb668d8".parse().unwrap();
    assert_eq!(
        format!("{:?}", id.encode()),
        "\"8630cc54-f6b2-45dd-b73b-cce28eb668d8\""
    );
    assert_eq!(Encoding::Gsm7.name(), "gsm7");
    assert_eq!(Encoding::Ucs2.name(), "ucs2");
    assert_eq!(Encoding::Gsm7.unit_name(), "septets");
    assert_eq!(Encoding::Ucs2.unit_name(), "UTF-16 code units");
    assert_eq!(
        (Encoding::Gsm7.single_limit(), Encoding::Gsm7.part_limit()),
        (160, 153)
    );
    assert_eq!(
        (Encoding::Ucs2.single_limit(), Encoding::Ucs2.part_limit()),
        (70, 67)
    );
}

#[test]
fn id_error_texts() {
    let texts: Vec<String> = [
        IdError::Length { given: 3 },
        IdError::Hyphen { at: 8 },
        IdError::NotHex { at: 2 },
        IdError::Version,
        IdError::Variant,
    ]
    .iter()
    .map(|e| e.to_string())
    .collect();
    assert_eq!(
        texts,
        [
            "id must be 36 characters (8-4-4-4-12 hex digits with hyphens), given 3",
            "id must have a '-' at byte 8",
            "id byte 2 is not a hex digit",
            "id is not a version-4 UUID",
            "id is not an RFC 9562 variant UUID"
        ]
    );
}

#[test]
fn phone_error_codes() {
    use mfa_core::PhoneError::*;
    let codes: Vec<_> = [
        MissingPlus,
        NotADigit { at: 1 },
        LeadingZero,
        TooShort { digits: 1 },
        TooLong { digits: 16 },
    ]
    .iter()
    .map(|e| e.code())
    .collect();
    assert_eq!(
        codes,
        [
            "missing_plus",
            "not_a_digit",
            "leading_zero",
            "too_short",
            "too_long"
        ]
    );
}

#[test]
fn alphabet_accessors() {
    assert_eq!(Alphabet::Numeric.symbols(), b"0123456789");
    assert_eq!(
        Alphabet::Alphanumeric.symbols(),
        b"0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    );
    assert!(Alphabet::Alphanumeric.allows_alphas());
    assert!(!Alphabet::Numeric.allows_alphas());
}

#[test]
fn verification_is_verified_only_when_verified() {
    assert!(Verification::Verified.is_verified());
    assert!(!Verification::WrongToken { attempts_left: 1 }.is_verified());
    assert!(!Verification::Rejected(Closed::Expired).is_verified());
}

#[test]
fn delivery_and_challenge_accessors() {
    let req = mfa_core::IssueRequest {
        from: Some("+15554433222"),
        message: Some("Hi"),
        valid_for: Some(60),
        max_attempts: Some(7),
        max_deliveries: Some(9),
        ..sms(TO)
    };
    let (c, d) = issue(req, 3);
    assert_eq!(d.message(), "Hi");
    assert_eq!(d.from().unwrap().as_str(), "+15554433222");
    assert_eq!(c.parts().from.unwrap().as_str(), "+15554433222");
    assert_eq!(c.parts().issued_at, T0);
    assert_eq!(c.parts().valid_for, 60);
    assert_eq!(c.parts().max_attempts, 7);
    assert_eq!(c.parts().max_deliveries, 9);
    assert_eq!(c.parts().deliveries, 1);
    assert_eq!(c.parts().channel, Channel::Sms);
    let p = params(req);
    assert_eq!(p.channel(), Channel::Sms);
    assert_eq!(p.message(), "Hi");
    assert_eq!(p.from().unwrap().as_str(), "+15554433222");
    assert!(!p.has_host_token());
}

#[test]
fn token_error_texts_never_hold_the_token() {
    use mfa_core::{Token, TokenError};
    assert_eq!(
        TokenError::Length { given: 3 }.to_string(),
        "must have 4 to 20 characters (given 3)"
    );
    let e = Token::new("98A7", Alphabet::Numeric).unwrap_err();
    assert_eq!(
        e.to_string(),
        "character 2 is not in the numeric (0-9) alphabet"
    );
    let e = Token::new("98AU", Alphabet::Alphanumeric).unwrap_err();
    assert_eq!(
        e.to_string(),
        "character 3 is not in the alphanumeric (0-9, A-Z without I L O U) alphabet"
    );
}

#[test]
fn token_equality_is_on_content_and_length() {
    use mfa_core::Token;
    let t = |s| Token::new(s, Alphabet::Alphanumeric).unwrap();
    assert_eq!(t("1234"), t("1234"));
    assert_ne!(t("1234"), t("1235"));
    assert_ne!(t("1234"), t("12345"));
    assert_ne!(t("A234"), t("1234"));
    assert_eq!(t("ABCDEFGHJKMNPQRSTVWX"), t("ABCDEFGHJKMNPQRSTVWX"));
    assert_ne!(t("ABCDEFGHJKMNPQRSTVWX"), t("ABCDEFGHJKMNPQRSTVWY"));
    assert_eq!(format!("{:?}", t("1234")), "Token(<redacted>, len 4)");
}

/// What a user typed is the code whenever the try is right: `Debug` shows
/// its length only.
#[test]
fn a_normalised_submission_is_redacted() {
    let n = mfa_core::Normalized::new("48-2057").unwrap();
    assert_eq!(n.as_str(), "482057");
    assert_eq!(format!("{n:?}"), "Normalized(<redacted>, len 6)");
}

/// A host-supplied token is the secret: a request's `Debug` says only
/// that there is one.
#[test]
fn a_request_never_shows_its_host_token() {
    let req = IssueRequest {
        token: Some("48205716"),
        ..IssueRequest::new(Channel::Sms, "+15557788999")
    };
    let shown = format!("{req:?}");
    assert!(!shown.contains("48205716"), "{shown}");
    assert!(shown.contains("token: Some(\"<redacted>\")"), "{shown}");
    assert!(shown.contains("+15557788999"), "{shown}");
    let none = format!("{:?}", IssueRequest::new(Channel::Sms, "+15557788999"));
    assert!(none.contains("token: None"), "{none}");
}
