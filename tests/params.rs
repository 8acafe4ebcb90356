//! Every parameter just inside and just outside its range, and the text of
//! every error.

mod common;
use common::*;

use mfa_core::limits::*;
use mfa_core::sms::Encoding;
use mfa_core::{Alphabet, Channel, Field, IssueRequest, PhoneError, Rule, TokenError, Violation};

fn only_violation(req: IssueRequest<'_>) -> Violation {
    let v = req.validate().expect_err("request should be refused");
    assert_eq!(v.len(), 1, "expected exactly one violation, got: {v}");
    *v.iter().next().unwrap()
}

fn range(min: i64, max: i64, given: i64) -> Rule {
    Rule::Range { min, max, given }
}

/// One integer field: how to set it on a request, how to read it back from
/// the params, its wire field, its range and its default.
struct IntField {
    field: Field,
    set: fn(i64) -> IssueRequest<'static>,
    get: fn(&mfa_core::Params<'_>) -> i64,
    min: i64,
    max: i64,
    default: i64,
}

const INT_FIELDS: [IntField; 4] = [
    IntField {
        field: Field::TokenLength,
        set: |n| IssueRequest {
            token_length: Some(n),
            ..sms(TO)
        },
        get: |p| p.token_length().into(),
        min: TOKEN_LENGTH.min as i64,
        max: TOKEN_LENGTH.max as i64,
        default: TOKEN_LENGTH.default as i64,
    },
    IntField {
        field: Field::MaxAttempts,
        set: |n| IssueRequest {
            max_attempts: Some(n),
            ..sms(TO)
        },
        get: |p| p.max_attempts().into(),
        min: MAX_ATTEMPTS.min as i64,
        max: MAX_ATTEMPTS.max as i64,
        default: MAX_ATTEMPTS.default as i64,
    },
    IntField {
        field: Field::ValidFor,
        set: |n| IssueRequest {
            valid_for: Some(n),
            ..sms(TO)
        },
        get: |p| p.valid_for().into(),
        min: VALID_FOR.min as i64,
        max: VALID_FOR.max as i64,
        default: VALID_FOR.default as i64,
    },
    IntField {
        field: Field::MaxDeliveries,
        set: |n| IssueRequest {
            max_deliveries: Some(n),
            ..sms(TO)
        },
        get: |p| p.max_deliveries().into(),
        min: MAX_DELIVERIES.min as i64,
        max: MAX_DELIVERIES.max as i64,
        default: MAX_DELIVERIES.default as i64,
    },
];

/// Every integer field just inside and just outside its range, at the far
/// ends of `i64`, and absent.
#[test]
fn integer_fields_take_their_range_and_default() {
    for f in &INT_FIELDS {
        let name = f.field.name();
        for n in [f.min, f.min + 1, f.max - 1, f.max] {
            assert_eq!((f.get)(&params((f.set)(n))), n, "{name} = {n}");
        }
        for n in [f.min - 1, f.max + 1, -1, i64::MIN, i64::MAX] {
            if (f.min..=f.max).contains(&n) {
                continue;
            }
            let v = only_violation((f.set)(n));
            assert_eq!(
                (v.field, v.rule),
                (f.field, range(f.min, f.max, n)),
                "{name} = {n}"
            );
        }
        assert_eq!((f.get)(&params(sms(TO))), f.default, "{name} default");
    }
}

#[test]
fn allow_alphas_picks_the_alphabet() {
    for (given, alphabet) in [
        (None, Alphabet::Numeric),
        (Some(false), Alphabet::Numeric),
        (Some(true), Alphabet::Alphanumeric),
    ] {
        let p = params(IssueRequest {
            allow_alphas: given,
            ..sms(TO)
        });
        assert_eq!(p.alphabet(), alphabet, "{given:?}");
    }
}

#[test]
fn to_is_required_and_must_be_e164() {
    let v = only_violation(IssueRequest::empty(Channel::Sms));
    assert_eq!((v.field, v.rule), (Field::To, Rule::Required));
    let v = only_violation(sms("5557788999"));
    assert_eq!(
        (v.field, v.rule),
        (Field::To, Rule::E164(PhoneError::MissingPlus))
    );
}

#[test]
fn from_must_be_e164_when_given() {
    let v = only_violation(IssueRequest {
        from: Some("+0123"),
        ..call(TO)
    });
    assert_eq!(
        (v.field, v.rule),
        (Field::From, Rule::E164(PhoneError::LeadingZero))
    );
    // A malformed `from` with a custom SMS message is one violation, not
    // also a missing `from`.
    let v = only_violation(IssueRequest {
        from: Some("x"),
        message: Some("Hi"),
        ..sms(TO)
    });
    assert_eq!(v.field, Field::From);
}

#[test]
fn every_violation_at_once_in_field_order() {
    let req = IssueRequest {
        to: Some("+1"),
        from: Some("+1 555"),
        message: Some(&"€".repeat(80)),
        token_length: Some(3),
        max_attempts: Some(0),
        allow_alphas: Some(false),
        valid_for: Some(604_801),
        max_deliveries: Some(0),
        token: Some("12A"),
        channel: Channel::Sms,
    };
    let v = req.validate().unwrap_err();
    let fields: Vec<_> = v.iter().map(|v| v.field).collect();
    assert_eq!(
        fields,
        [
            Field::To,
            Field::From,
            Field::Message,
            Field::TokenLength,
            Field::MaxAttempts,
            Field::ValidFor,
            Field::MaxDeliveries,
            Field::Token,
        ]
    );
    assert_eq!(v.len(), 8);
    assert!(!v.is_empty());
    // Display lists them all, separated by "; ".
    let text = v.to_string();
    assert_eq!(text.matches("; ").count(), 7, "{text}");
    assert!(text.starts_with("`to` must be an E.164 number"));
    assert!(text.ends_with("`token` must be from 4 to 20 (given 3)"));
    // The message was judged with the shortest token, 4: 160 + 1 + 4 septets.
    assert_eq!(
        v.of(Field::Message).next().unwrap().rule,
        Rule::SmsSegment {
            encoding: Encoding::Gsm7,
            units: 165,
            limit: 160
        }
    );
    assert_eq!(
        v.of(Field::Token).next().unwrap().rule,
        Rule::Range {
            min: 4,
            max: 20,
            given: 3
        }
    );
}

#[test]
fn the_most_violations_fit() {
    // Both message rules and both token rules at once.
    let long = "x".repeat(200);
    let req = IssueRequest {
        to: None,
        from: None,
        message: Some(&long),
        token_length: Some(5),
        max_attempts: Some(99),
        allow_alphas: None,
        valid_for: Some(-9),
        max_deliveries: Some(99),
        token: Some("1234"),
        channel: Channel::Sms,
    };
    let v = req.validate().unwrap_err();
    let codes: Vec<_> = v.iter().map(|v| (v.field.name(), v.rule.code())).collect();
    assert_eq!(
        codes,
        [
            ("to", "required"),
            ("message", "from_required"),
            ("message", "sms_too_long"),
            ("max_attempts", "out_of_range"),
            ("valid_for", "out_of_range"),
            ("max_deliveries", "out_of_range"),
            ("token", "length_mismatch"),
        ]
    );
}

#[test]
fn error_texts_name_field_and_rule_but_never_the_text_given() {
    let cases: Vec<(IssueRequest<'_>, &str)> = vec![
        (IssueRequest::empty(Channel::Call), "`to` is required"),
        (
            call("+1555x"),
            "`to` must be an E.164 number: only digits may follow the '+' (byte 5 is not one)",
        ),
        (
            call("+1"),
            "`to` must be an E.164 number: at least 2 digits must follow the '+' (found 1)",
        ),
        (
            call("+1234567890123456"),
            "`to` must be an E.164 number: at most 15 digits may follow the '+' (found 16)",
        ),
        (
            call("+05"),
            "`to` must be an E.164 number: the first digit after '+' may not be 0",
        ),
        (
            IssueRequest {
                token_length: Some(21),
                ..call(TO)
            },
            "`token_length` must be from 4 to 20 (given 21)",
        ),
        (
            IssueRequest {
                max_attempts: Some(0),
                ..call(TO)
            },
            "`max_attempts` must be from 1 to 20 (given 0)",
        ),
        (
            IssueRequest {
                valid_for: Some(604_801),
                ..call(TO)
            },
            "`valid_for` must be from 0 to 604800 (given 604801)",
        ),
        (
            IssueRequest {
                message: Some("Code"),
                ..sms(TO)
            },
            "`message` needs a `from` number: an SMS with a custom message cannot use the shared route",
        ),
        (
            IssueRequest {
                token: Some("12345"),
                token_length: Some(6),
                ..call(TO)
            },
            "`token` has 5 characters but token_length is 6",
        ),
        (
            IssueRequest {
                token: Some("12AB"),
                ..call(TO)
            },
            "`token` character 2 is not in the numeric (0-9) alphabet",
        ),
        (
            IssueRequest {
                token: Some("ABCU"),
                allow_alphas: Some(true),
                ..call(TO)
            },
            "`token` character 3 is not in the alphanumeric (0-9, A-Z without I L O U) alphabet",
        ),
    ];
    for (req, text) in cases {
        let v = req.validate().unwrap_err();
        assert_eq!(v.to_string(), text);
    }
}

#[test]
fn message_limit_texts() {
    let from = Some("+15554433222");
    let gsm = "a".repeat(160);
    let v = IssueRequest {
        message: Some(&gsm),
        from,
        ..sms(TO)
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        v.to_string(),
        "`message` must fit one SMS segment with the token: the text needs 167 septets (gsm7), one segment holds 160"
    );
    let ucs = "ж".repeat(70);
    let v = IssueRequest {
        message: Some(&ucs),
        from,
        ..sms(TO)
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        v.to_string(),
        "`message` must fit one SMS segment with the token: the text needs 77 UTF-16 code units (ucs2), one segment holds 70"
    );
    let long = "a".repeat(500);
    let v = IssueRequest {
        message: Some(&long),
        ..call(TO)
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        v.to_string(),
        "`message` must be at most 500 characters with the token (is 507)"
    );
}

/// Every length rule of `message` at its boundary (SPEC §4.4, §4.5): the
/// message, the channel, the token length, and the violation expected
/// (`None`: it fits).
#[test]
fn message_length_boundaries() {
    let sms_over = |units, encoding, limit| {
        Some(Rule::SmsSegment {
            encoding,
            units,
            limit,
        })
    };
    let voice_over = |chars| Some(Rule::VoiceLength { chars, limit: 500 });
    let a = |n: usize| "a".repeat(n);
    let cases: Vec<(Channel, String, i64, Option<Rule>)> = vec![
        // GSM 7-bit: message + ' ' + 6 digits against 160 septets.
        (Channel::Sms, a(153), 6, None),
        (Channel::Sms, a(154), 6, sms_over(161, Encoding::Gsm7, 160)),
        // No separator after white space: 154 + 6.
        (Channel::Sms, format!("{} ", a(153)), 6, None),
        // An extension character costs 2 septets.
        (Channel::Sms, format!("{}€", a(151)), 6, None),
        (
            Channel::Sms,
            format!("{}€", a(152)),
            6,
            sms_over(161, Encoding::Gsm7, 160),
        ),
        // The token length in effect counts.
        (Channel::Sms, a(139), 20, None),
        (Channel::Sms, a(140), 20, sms_over(161, Encoding::Gsm7, 160)),
        // UCS-2: 70 UTF-16 code units; outside the BMP a character costs 2.
        (Channel::Sms, "ж".repeat(63), 6, None),
        (
            Channel::Sms,
            "ж".repeat(64),
            6,
            sms_over(71, Encoding::Ucs2, 70),
        ),
        (Channel::Sms, format!("{}😀", "ж".repeat(61)), 6, None),
        (
            Channel::Sms,
            format!("{}😀", "ж".repeat(62)),
            6,
            sms_over(71, Encoding::Ucs2, 70),
        ),
        // Voice: message + ' ' + the token as written, at most 500 characters.
        (Channel::Call, a(493), 6, None),
        (Channel::Call, a(494), 6, voice_over(501)),
        (Channel::Call, format!("{} ", a(493)), 6, None),
        (Channel::Call, a(479), 20, None),
        (Channel::Call, a(480), 20, voice_over(501)),
        // Characters, not bytes nor UTF-16 units.
        (Channel::Call, "€".repeat(493), 6, None),
        (Channel::Call, "😀".repeat(493), 6, None),
        (Channel::Call, "😀".repeat(494), 6, voice_over(501)),
    ];
    for (channel, message, len, expected) in cases {
        let req = IssueRequest {
            message: Some(&message),
            from: Some("+15554433222"),
            token_length: Some(len),
            ..IssueRequest::new(channel, TO)
        };
        let got = req.validate().err().map(|v| {
            assert_eq!(v.len(), 1, "{v}");
            v.iter().next().unwrap().rule
        });
        assert_eq!(
            got,
            expected,
            "{channel} {len}: {} chars",
            message.chars().count()
        );
    }
}

/// What validation measured is what is sent: an SMS at the limit is
/// exactly 160 septets; a call's text spells the token out, so what is
/// read is longer than what the limit counts.
#[test]
fn the_text_sent_is_the_text_measured() {
    let fits = "a".repeat(153);
    let p = params(IssueRequest {
        message: Some(&fits),
        from: Some("+15554433222"),
        ..sms(TO)
    });
    let (_, d) = mfa_core::Challenge::issue(&p, &mut rng(1), T0).unwrap();
    assert_eq!(d.segments().units, 160);
    assert_eq!(d.text().len(), 160);
    let fits = "a".repeat(493);
    let p = params(IssueRequest {
        message: Some(&fits),
        ..call(TO)
    });
    let (_, d) = mfa_core::Challenge::issue(&p, &mut rng(1), T0).unwrap();
    // "1, 2, 3, 4, 5, 6." is 17 characters.
    assert_eq!(d.chars(), 493 + 1 + 17);
    assert_eq!(d.text().chars().count(), d.chars());
}

#[test]
fn empty_message_has_no_separator() {
    let p = params(IssueRequest {
        message: Some(""),
        from: Some("+15554433222"),
        ..sms(TO)
    });
    let (c, d) = mfa_core::Challenge::issue(&p, &mut rng(1), T0).unwrap();
    assert_eq!(d.text(), code(&c));
    let p = params(IssueRequest {
        message: Some(""),
        ..call(TO)
    });
    let (_, d) = mfa_core::Challenge::issue(&p, &mut rng(1), T0).unwrap();
    assert_eq!(d.text().len(), 17);
}

#[test]
fn host_token_rules() {
    // A matching token_length is fine.
    let p = params(IssueRequest {
        token: Some("1234"),
        token_length: Some(4),
        ..sms(TO)
    });
    assert_eq!(p.token_length(), 4);
    // Length from the token when token_length is absent.
    let p = params(IssueRequest {
        token: Some("1234"),
        ..sms(TO)
    });
    assert_eq!(p.token_length(), 4);
    assert!(p.has_host_token());
    let (c, d) = mfa_core::Challenge::issue(&p, &mut rng(1), T0).unwrap();
    assert_eq!(code(&c), "1234");
    assert!(d.text().ends_with(" 1234"));
    // Lower case is not silently upper-cased: the code is sent as given.
    let v = only_violation(IssueRequest {
        token: Some("abcd"),
        allow_alphas: Some(true),
        ..sms(TO)
    });
    assert_eq!(
        v.rule,
        Rule::TokenAlphabet {
            position: 0,
            alphabet: Alphabet::Alphanumeric
        }
    );
    let long = "1".repeat(21);
    let v = only_violation(IssueRequest {
        token: Some(&long),
        ..sms(TO)
    });
    assert_eq!(
        (v.field, v.rule),
        (
            Field::Token,
            Rule::Range {
                min: 4,
                max: 20,
                given: 21
            }
        )
    );
    let v = only_violation(IssueRequest {
        token: Some("123"),
        ..sms(TO)
    });
    assert_eq!(
        v.rule,
        Rule::Range {
            min: 4,
            max: 20,
            given: 3
        }
    );
    // The errors never repeat the token.
    let v = IssueRequest {
        token: Some("98765"),
        token_length: Some(6),
        ..sms(TO)
    }
    .validate()
    .unwrap_err();
    assert!(!v.to_string().contains("98765"));
    assert!(!format!("{v:?}").contains("98765"));
    assert_eq!(
        mfa_core::Token::new("1234\u{0}", Alphabet::Numeric).unwrap_err(),
        TokenError::Alphabet {
            position: 4,
            alphabet: Alphabet::Numeric
        }
    );
}

#[test]
fn field_names_are_the_wire_names() {
    let names: Vec<_> = [
        Field::To,
        Field::From,
        Field::Message,
        Field::TokenLength,
        Field::MaxAttempts,
        Field::ValidFor,
        Field::MaxDeliveries,
        Field::Token,
    ]
    .iter()
    .map(|f| f.name())
    .collect();
    assert_eq!(
        names,
        [
            "to",
            "from",
            "message",
            "token_length",
            "max_attempts",
            "valid_for",
            "max_deliveries",
            "token"
        ]
    );
}

/// SPEC §2.6: a request produces at most 8 violations (one per field, two
/// on `message`, but a malformed `from` and `from_required` exclude each
/// other), and 8 are reached. Every combination of a good, a missing and
/// a bad value per field, on both channels.
#[test]
fn at_most_eight_violations_and_eight_are_reached() {
    let long = "ж".repeat(70);
    let mut most = 0;
    for channel in [Channel::Sms, Channel::Call] {
        for to in [None, Some("+0"), Some(TO)] {
            for from in [None, Some("+1 555"), Some("+15554433222")] {
                for message in [None, Some(long.as_str()), Some("Code:"), Some("")] {
                    for token_length in [None, Some(21), Some(6)] {
                        for token in [None, Some("123456"), Some("12")] {
                            for bad in 0..16u8 {
                                let req = IssueRequest {
                                    channel,
                                    to,
                                    from,
                                    message,
                                    token_length,
                                    max_attempts: (bad & 1 != 0).then_some(21),
                                    allow_alphas: None,
                                    valid_for: (bad & 2 != 0).then_some(-1),
                                    max_deliveries: (bad & 4 != 0).then_some(21),
                                    token,
                                };
                                if let Err(v) = req.validate() {
                                    assert!(v.len() <= 8, "{v}");
                                    most = most.max(v.len());
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(most, 8);
}
