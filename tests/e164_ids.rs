//! E.164 numbers and challenge ids: accept and reject tables.

mod common;
use common::*;

use mfa_core::{
    Challenge, ChallengeId, Channel, IdError, IssueRequest, PhoneError, PhoneNumber, UnixTime,
};

#[test]
fn e164_accepts() {
    for ok in [
        "+12",
        "+15557788999",
        "+5554433222",
        "+442071838750",
        "+8613800138000",
        "+123456789012345",
        "+99",
    ] {
        let n = PhoneNumber::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert_eq!(n.as_str(), ok);
        assert_eq!(n.to_string(), ok);
    }
}

#[test]
fn e164_rejects() {
    use PhoneError::*;
    let table: &[(&str, PhoneError)] = &[
        ("", MissingPlus),
        ("15557788999", MissingPlus),
        ("00155577", MissingPlus),
        (" +15557788999", MissingPlus),
        ("+", TooShort { digits: 0 }),
        ("+1", TooShort { digits: 1 }),
        ("+1234567890123456", TooLong { digits: 16 }),
        ("+0", TooShort { digits: 1 }),
        ("+01", LeadingZero),
        ("+015557788999", LeadingZero),
        ("+1 555 778 8999", NotADigit { at: 2 }),
        ("+1-555", NotADigit { at: 2 }),
        ("+15557788999 ", NotADigit { at: 12 }),
        ("++1555", NotADigit { at: 1 }),
        ("+1555a", NotADigit { at: 5 }),
        ("+1٥٥٥", NotADigit { at: 2 }),
        ("+１５５５", NotADigit { at: 1 }),
        ("+(1)555", NotADigit { at: 1 }),
        ("+1555\n", NotADigit { at: 5 }),
    ];
    for &(text, err) in table {
        assert_eq!(PhoneNumber::parse(text), Err(err), "{text:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn ids_are_v4_lowercase_and_drawn_from_the_first_16_bytes() {
    let bytes: Vec<u8> = (0u8..16).chain([0; 6]).collect();
    let mut rng = StreamRng::new(&bytes);
    let params = IssueRequest::new(Channel::Sms, "+15557788999")
        .validate()
        .unwrap();
    let (challenge, _) = Challenge::issue(&params, &mut rng, UnixTime::from_secs(0)).unwrap();
    let id = challenge.parts().id;
    assert_eq!(id.to_string(), "00010203-0405-4607-8809-0a0b0c0d0e0f");
    assert_eq!(rng.requests, [22]);
    // Every id from a real RNG is v4 and parses back to itself.
    let mut r = rng_seeded();
    for _ in 0..200 {
        let (challenge, _) = Challenge::issue(&params, &mut r, UnixTime::from_secs(0)).unwrap();
        let id = challenge.parts().id;
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(&text[14..15], "4");
        assert!(matches!(&text[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(text, text.to_lowercase());
        assert_eq!(ChallengeId::parse(&text), Ok(id));
        assert_eq!(ChallengeId::parse(&text.to_uppercase()), Ok(id));
        assert_eq!(id.encode().as_str(), text);
    }
}

fn rng_seeded() -> rand_chacha::ChaCha20Rng {
    rng(99)
}

#[test]
fn id_parse_rejects() {
    use IdError::*;
    let good = "8630cc54-f6b2-45dd-b73b-cce28eb668d8";
    assert!(ChallengeId::parse(good).is_ok());
    let table: &[(&str, IdError)] = &[
        ("", Length { given: 0 }),
        ("8630cc54f6b245ddb73bcce28eb668d8", Length { given: 32 }),
        (
            "{8630cc54-f6b2-45dd-b73b-cce28eb668d8}",
            Length { given: 38 },
        ),
        (
            "urn:uuid:8630cc54-f6b2-45dd-b73b-cce28eb668d8",
            Length { given: 45 },
        ),
        (" 8630cc54-f6b2-45dd-b73b-cce28eb668d", NotHex { at: 0 }),
        ("8630cc54_f6b2-45dd-b73b-cce28eb668d8", Hyphen { at: 8 }),
        ("8630cc54-f6b2x45dd-b73b-cce28eb668d8", Hyphen { at: 13 }),
        ("8630cc54-f6b2-45dd-b73b-cce28eb668dg", NotHex { at: 35 }),
        ("8630cc5--f6b2-45dd-b73b-cce28eb668d8", NotHex { at: 7 }),
        ("8630cc54-f6b2-15dd-b73b-cce28eb668d8", Version),
        ("00000000-0000-0000-0000-000000000000", Version),
        ("8630cc54-f6b2-45dd-c73b-cce28eb668d8", Variant),
        ("8630cc54-f6b2-45dd-773b-cce28eb668d8", Variant),
        (
            "8630cc54-f6b2-45dd-b73b-cce28eb668d８",
            Length { given: 38 },
        ),
    ];
    for &(text, err) in table {
        assert_eq!(ChallengeId::parse(text), Err(err), "{text:?}");
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn id_bytes_round_trip() {
    let id: ChallengeId = "8630cc54-f6b2-45dd-b73b-cce28eb668d8".parse().unwrap();
    assert_eq!(ChallengeId::from_bytes(*id.as_bytes()), Ok(id));
    let mut b = *id.as_bytes();
    b[6] = 0x15;
    assert_eq!(ChallengeId::from_bytes(b), Err(IdError::Version));
    assert_eq!(
        format!("{id:?}"),
        "ChallengeId(8630cc54-f6b2-45dd-b73b-cce28eb668d8)"
    );
}
