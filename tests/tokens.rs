//! Token sampling (exact, byte by byte), normalisation of submissions and
//! host-supplied tokens.

mod common;
use common::*;

use mfa_core::{Alphabet, Challenge, IssueRequest, Normalized, RngError, Token, Verification};

fn issue_with<'b>(req: IssueRequest<'_>, bytes: &'b [u8]) -> (String, StreamRng<'b>) {
    let p = params(req);
    let mut r = StreamRng::new(bytes);
    let (c, _) = Challenge::issue(&p, &mut r, T0).expect("enough bytes");
    (code(&c), r)
}

const ID: [u8; 16] = [7; 16];

fn stream(token_bytes: &[u8]) -> Vec<u8> {
    ID.iter().chain(token_bytes).copied().collect()
}

#[test]
fn numeric_digit_is_byte_mod_10() {
    let bytes = stream(&[0, 9, 10, 99, 249, 123]);
    let (t, r) = issue_with(sms(TO), &bytes);
    assert_eq!(t, "090993");
    assert_eq!(r.requests, [22]);
    assert_eq!(r.used(), 22);
}

#[test]
fn numeric_rejects_250_and_up_and_asks_for_exactly_what_is_missing() {
    // Bytes 250..=255 are rejected: three of the six first bytes are.
    let bytes = stream(&[
        250, 1, 255, 2, 3, 251, /* refill of 3: */ 252, 4, 5, /* refill of 1: */ 6,
    ]);
    let (t, r) = issue_with(sms(TO), &bytes);
    assert_eq!(t, "123456");
    assert_eq!(r.requests, [22, 3, 1]);
    assert_eq!(r.used(), bytes.len());
}

#[test]
fn alphanumeric_symbol_is_byte_mod_32() {
    let req = IssueRequest {
        allow_alphas: Some(true),
        token_length: Some(8),
        ..sms(TO)
    };
    let bytes = stream(&[0, 31, 32, 250, 255, 10, 18, 63]);
    let (t, r) = issue_with(req, &bytes);
    assert_eq!(t, "0Z0TZAJZ");
    assert_eq!(r.requests, [24]);
    // No rejection: 256 is a multiple of 32.
    for b in 0..=255u8 {
        let req = IssueRequest {
            allow_alphas: Some(true),
            token_length: Some(4),
            ..sms(TO)
        };
        let (t, _) = issue_with(req, &stream(&[b; 4]));
        let sym = Alphabet::Alphanumeric.symbols()[usize::from(b % 32)] as char;
        assert_eq!(t, sym.to_string().repeat(4));
    }
}

#[test]
fn every_token_length_draws_that_many_symbols() {
    for len in 4..=20u8 {
        for alphas in [false, true] {
            let req = IssueRequest {
                token_length: Some(len.into()),
                allow_alphas: Some(alphas),
                ..sms(TO)
            };
            let (c, _) = issue(req, u64::from(len));
            let t = code(&c);
            assert_eq!(t.len(), usize::from(len));
            let alphabet = Alphabet::from_allow_alphas(alphas);
            assert!(t.bytes().all(|b| alphabet.contains(b)), "{t}");
        }
    }
}

#[test]
fn a_host_token_consumes_only_the_id_bytes() {
    let req = IssueRequest {
        token: Some("424242"),
        ..sms(TO)
    };
    let bytes = stream(&[]);
    let (t, r) = issue_with(req, &bytes);
    assert_eq!(t, "424242");
    assert_eq!(r.requests, [16]);
}

#[test]
fn a_failing_rng_issues_nothing() {
    let p = params(sms(TO));
    assert_eq!(
        Challenge::issue(&p, &mut FailingRng, T0).unwrap_err(),
        RngError
    );
    // Enough for the id, not for the token.
    let mut r = StreamRng::new(&ID);
    assert_eq!(Challenge::issue(&p, &mut r, T0).unwrap_err(), RngError);
    assert_eq!(RngError.to_string(), "the random number generator failed");
}

#[test]
fn the_alphabet_has_32_symbols_without_confusables() {
    assert_eq!(Alphabet::Alphanumeric.symbols().len(), 32);
    for b in b"ILOU" {
        assert!(!Alphabet::Alphanumeric.symbols().contains(b));
        assert!(!Alphabet::Alphanumeric.contains(*b));
    }
    let mut sorted = Alphabet::Alphanumeric.symbols().to_vec();
    sorted.dedup();
    assert_eq!(sorted.len(), 32);
    for b in 0..=255u8 {
        assert_eq!(
            Alphabet::Alphanumeric.contains(b),
            Alphabet::Alphanumeric.symbols().contains(&b)
        );
        assert_eq!(Alphabet::Numeric.contains(b), b.is_ascii_digit());
    }
}

#[test]
fn normalisation_table() {
    let table: &[(&str, Option<&str>)] = &[
        ("123456", Some("123456")),
        (" 123 456 ", Some("123456")),
        ("123-456", Some("123456")),
        ("\t1\t2-3 4", Some("1234")),
        ("abcd", Some("ABCD")),
        ("aBcD", Some("ABCD")),
        ("O0o0", Some("0000")),
        ("IiLl", Some("1111")),
        ("١٢٣٤٥٦", Some("123456")), // Arabic-Indic
        ("۱۲۳۴", Some("1234")),     // Extended Arabic-Indic
        ("１２３４", Some("1234")), // fullwidth
        ("१२३४", Some("1234")),     // Devanagari
        ("𝟏𝟐𝟑𝟒", Some("1234")),     // mathematical bold
        ("๑๒๓๔", Some("1234")),     // Thai
        ("12٣4", Some("1234")),     // mixed scripts
        ("12345678901234567890", Some("12345678901234567890")),
        ("1234-5678-9012-3456-7890", Some("12345678901234567890")),
        // Wrong: too short, too long, or a character outside the rules.
        ("", None),
        ("   ", None),
        ("123", None),
        ("123456789012345678901", None),
        ("123.456", None),
        ("123_456", None),
        ("12\n34", None),
        ("12\u{A0}34", None), // no-break space is not dropped
        ("12\u{3000}34", None),
        ("1234u", None),
        ("UUUU", None),
        ("ＡＢＣＤ", None), // fullwidth letters are not digits
        ("①②③④", None),     // circled digits are No, not Nd
        ("½1234", None),
        ("1234é", None),
        ("12\u{0}34", None),
    ];
    for &(input, want) in table {
        let got = Normalized::new(input);
        assert_eq!(got.as_ref().map(|n| n.as_str()), want, "{input:?}");
    }
}

#[test]
fn normalised_submissions_verify() {
    let req = IssueRequest {
        token: Some("0110"),
        ..sms(TO)
    };
    for typed in ["0110", "O1I0", "o-l-i-o", " 0 1 1 0 ", "٠١١٠", "０１１０"] {
        let (mut c, _) = issue(req, 1);
        assert!(c.verify(typed, T0).into_answer().is_verified(), "{typed:?}");
    }
    let req = IssueRequest {
        token: Some("AB12XYZ9"),
        allow_alphas: Some(true),
        ..sms(TO)
    };
    for typed in ["ab12xyz9", "AB12-XYZ9", "aB1 2xY z9"] {
        let (mut c, _) = issue(req, 1);
        assert!(c.verify(typed, T0).into_answer().is_verified(), "{typed:?}");
    }
    for typed in ["AB12XYZ", "AB12XYZ99", "AB12XYZ8", "AB12.XYZ9", ""] {
        let (mut c, _) = issue(req, 1);
        assert!(
            matches!(
                c.verify(typed, T0).into_answer(),
                Verification::WrongToken { .. }
            ),
            "{typed:?}"
        );
    }
}

#[test]
fn host_token_new_checks_length_and_alphabet() {
    assert!(Token::new("1234", Alphabet::Numeric).is_ok());
    assert!(Token::new(&"9".repeat(20), Alphabet::Numeric).is_ok());
    assert!(Token::new(&"9".repeat(21), Alphabet::Numeric).is_err());
    assert!(Token::new("123", Alphabet::Numeric).is_err());
    assert!(Token::new("ABCD", Alphabet::Numeric).is_err());
    assert!(Token::new("ABCD", Alphabet::Alphanumeric).is_ok());
    assert!(Token::new("ABCO", Alphabet::Alphanumeric).is_err());
    assert!(Token::new("١٢٣٤", Alphabet::Numeric).is_err());
}

#[test]
fn the_compare_sees_every_byte_and_word() {
    // Differences in each 8-byte word of the compare, alone and in
    // combinations that cancel out if the words were XOR-ed or AND-ed.
    let t = |s: &str| Token::new(s, Alphabet::Numeric).unwrap();
    let zeros = "00000000000000000000";
    for differ in [
        "10000000000000000000", // word 0 only
        "00000000100000000000", // word 1 only
        "00000000000000001000", // the tail only
        "10000000100000000000", // words 0 and 1, same pattern
        "10000000000000001000", // word 0 and the tail, same pattern
        "00000000100000001000", // word 1 and the tail, same pattern
        "10000000100000001000", // all three, same pattern
        "00000000000000000001", // the last byte
    ] {
        assert_ne!(t(differ), t(zeros), "{differ}");
        // And through verify, which uses the same compare.
        let req = IssueRequest {
            token: Some(zeros),
            ..sms(TO)
        };
        let (mut c, _) = issue(req, 1);
        assert!(
            !c.verify(differ, T0).into_answer().is_verified(),
            "{differ}"
        );
        assert!(c.verify(zeros, T0).into_answer().is_verified());
    }
}
