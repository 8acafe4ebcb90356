//! The `templates` family of test vectors (`tests/vectors/templates.json`,
//! SPEC §4.10): a `{code}` placeholder in `message`, `{{` and `}}` for
//! literal braces, every other brace refused, and the length rules on the
//! rendered text.
//!
//! Built like the other families (`tests/vectors.rs`): each vector is a
//! request plus the oracle's answer (`tests/oracle/mod.rs`), checked by
//! `templates_vectors_are_current` and rewritten with
//! `MFA_WRITE_VECTORS=1`; `replay_templates` then checks the crate against
//! the file from its inputs alone. `files_are_oracle_transcripts` (in
//! `tests/vectors.rs`) covers this file with every other family.
#![cfg(feature = "serde")]

mod oracle;

use mfa_core::sms::segments;
use mfa_core::{Challenge, Channel, Field, Request, Rule, UnixTime, check_template};
use serde_json::{Map, Value, json};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
const FILE: &str = "templates.json";
const FROM: &str = "+15554433222";
const T6: &str = "123456";
const T20: &str = "12345678901234567890";

/// One case: name, channel, message, `from` given, host token,
/// `token_length`.
struct Case {
    name: String,
    channel: Channel,
    message: String,
    from: bool,
    token: Option<&'static str>,
    token_length: Option<i64>,
}

fn case(name: impl Into<String>, channel: Channel, message: impl Into<String>) -> Case {
    Case {
        name: name.into(),
        channel,
        message: message.into(),
        from: true,
        token: Some(T6),
        token_length: None,
    }
}

impl Case {
    fn token(self, token: &'static str) -> Case {
        Case {
            token: Some(token),
            ..self
        }
    }
    fn no_from(self) -> Case {
        Case {
            from: false,
            ..self
        }
    }
    fn request(&self) -> Value {
        let mut body = Map::new();
        body.insert("to".into(), json!(oracle::TO));
        if self.from {
            body.insert("from".into(), json!(FROM));
        }
        body.insert("message".into(), json!(self.message));
        if let Some(n) = self.token_length {
            body.insert("token_length".into(), json!(n));
        }
        if self
            .token
            .is_some_and(|t| t.bytes().any(|b| b.is_ascii_alphabetic()))
        {
            body.insert("allow_alphas".into(), json!(true));
        }
        let mut host = Map::new();
        if let Some(t) = self.token {
            host.insert("token".into(), json!(t));
        }
        json!({
            "name": self.name,
            "channel": self.channel.name(),
            "body": body,
            "host": host,
        })
    }
}

fn cases() -> Vec<Case> {
    use Channel::{Call, Sms};
    let x = |n: usize| "x".repeat(n);
    let y = |n: usize| "y".repeat(n);
    let zh = |n: usize| "ж".repeat(n);
    vec![
        // Where the placeholder stands.
        case("sms: placeholder at the end", Sms, "Your code is {code}"),
        case("sms: placeholder at the start", Sms, "{code} is your code"),
        case(
            "sms: placeholder in the middle",
            Sms,
            "Your code {code} expires in 10 minutes",
        ),
        case("sms: the placeholder alone", Sms, "{code}"),
        case("sms: two placeholders", Sms, "Code {code}, again {code}"),
        case("sms: two placeholders side by side", Sms, "{code}{code}"),
        case(
            "sms: placeholder with an alphanumeric token",
            Sms,
            "Use {code} to sign in",
        )
        .token("K7P2QX9A"),
        case("sms: placeholder in a UCS-2 text", Sms, "Ваш код {code}"),
        // Escapes.
        case(
            "sms: {{code}} is the literal text {code}",
            Sms,
            "Type {{code}} as {code}",
        ),
        case("sms: escapes around a placeholder", Sms, "{{{code}}}"),
        case(
            "sms: escapes without a placeholder: the guide's form",
            Sms,
            "Code {{A}}:",
        ),
        case(
            "sms: escapes without a placeholder, ending in white space",
            Sms,
            "Set }} and {{ ",
        ),
        case("sms: four braces are two", Sms, "{{{{ {code} }}}}"),
        // The call channel.
        case(
            "call: placeholder at the end: spelled, then '.'",
            Call,
            "Your code is {code}",
        ),
        case(
            "call: placeholder before text: spelled, no '.'",
            Call,
            "{code} is your code",
        ),
        case(
            "call: the template supplies the full stop",
            Call,
            "Your code is {code}.",
        ),
        case(
            "call: two placeholders, only the last one ends in '.'",
            Call,
            "Your code is {code}. Again: {code}",
        ),
        case("call: the placeholder alone", Call, "{code}"),
        case(
            "call: side by side, the first placeholder gets no '.'",
            Call,
            "{code}{code}",
        )
        .token("1234"),
        case(
            "call: placeholder with an alphanumeric token",
            Call,
            "Your code is {code}, goodbye",
        )
        .token("K7P2"),
        case(
            "call: escapes without a placeholder: the guide's form",
            Call,
            "Code {{x}}",
        ),
        case(
            "call: a template needs no from",
            Call,
            "Your code is {code}",
        )
        .no_from(),
        // The default-message rule compares the message as given.
        case(
            "sms: the default text as a template is custom: from_required",
            Sms,
            "Your Personal Authorization Code is: {code}",
        )
        .no_from(),
        case(
            "sms: the default text as a template, with from: same text as the default",
            Sms,
            "Your Personal Authorization Code is: {code}",
        ),
        case(
            "sms: the default text given as is needs no from",
            Sms,
            "Your Personal Authorization Code is:",
        )
        .no_from(),
        case(
            "sms: a broken template without from: from_required, then template_invalid",
            Sms,
            "Your code is {Code}",
        )
        .no_from(),
        // Broken templates.
        case(
            "sms: {Code} is an unknown placeholder",
            Sms,
            "Your code is {Code}",
        ),
        case(
            "sms: { code } is an unknown placeholder",
            Sms,
            "Your code is { code }",
        ),
        case(
            "sms: {token} is an unknown placeholder",
            Sms,
            "Your code is {token}",
        ),
        case("sms: {} is an unknown placeholder", Sms, "Your code is {}"),
        case("sms: an unclosed placeholder", Sms, "Your code is {code"),
        case("sms: a lone '{' before a placeholder", Sms, "a { {code}"),
        case("sms: a lone '}'", Sms, "Code } {code}"),
        case("sms: a '}' after a placeholder", Sms, "{code}}"),
        case("sms: three '}': the third is lone", Sms, "}}}"),
        case(
            "sms: the position counts characters, not bytes",
            Sms,
            "жж {x}",
        ),
        case(
            "sms: the position counts characters, not UTF-16 units",
            Sms,
            "😀😀 {x}",
        ),
        case("sms: only the first error is reported", Sms, "} {x} {"),
        case(
            "call: {CODE} is an unknown placeholder",
            Call,
            "{code} {CODE}",
        ),
        case(
            "sms: a broken template gets no length violation",
            Sms,
            format!("{}{{", x(300)),
        ),
        case(
            "call: a broken template gets no length violation",
            Call,
            format!("{}}}", y(600)),
        ),
        // Lengths of the rendered text: SMS, GSM 7-bit.
        case(
            "sms gsm7: 154 + token 6 = 160 septets fits (the message alone is 162)",
            Sms,
            format!("{}{{code}}", x(154)),
        ),
        case(
            "sms gsm7: 155 + token 6 = 161 septets",
            Sms,
            format!("{}{{code}}", x(155)),
        ),
        case(
            "sms gsm7: two 20-symbol tokens, 120 + 40 = 160 fits",
            Sms,
            format!("{}{{code}}{{code}}", x(120)),
        )
        .token(T20),
        case(
            "sms gsm7: two 20-symbol tokens, 121 + 40 = 161: too long only once rendered",
            Sms,
            format!("{}{{code}}{{code}}", x(121)),
        )
        .token(T20),
        case(
            "sms gsm7: 75 literal braces cost 150 septets, + separator + 6 = 157",
            Sms,
            "{{".repeat(75),
        ),
        case(
            "sms gsm7: 77 literal braces cost 154 septets, + separator + 6 = 161",
            Sms,
            "{{".repeat(77),
        ),
        // SMS, UCS-2.
        case(
            "sms ucs2: 30 + two 20-symbol tokens = 70 fits",
            Sms,
            format!("{}{{code}}{{code}}", zh(30)),
        )
        .token(T20),
        case(
            "sms ucs2: 31 + two 20-symbol tokens = 71: too long only once rendered",
            Sms,
            format!("{}{{code}}{{code}}", zh(31)),
        )
        .token(T20),
        case(
            "sms ucs2: 64 + token 6 = 70 fits",
            Sms,
            format!("{}{{code}}", zh(64)),
        ),
        // Voice, 500 characters, the token as written.
        case(
            "call: 480 + token 20 = 500 fits (spoken, the text is far longer)",
            Call,
            format!("{}{{code}}", y(480)),
        )
        .token(T20),
        case(
            "call: 481 + token 20 = 501",
            Call,
            format!("{}{{code}}", y(481)),
        )
        .token(T20),
        case(
            "call: 460 + two 20-symbol tokens = 500 fits",
            Call,
            format!("{}{{code}}{{code}}", y(460)),
        )
        .token(T20),
        case(
            "call: 461 + two 20-symbol tokens = 501: too long only once rendered",
            Call,
            format!("{}{{code}} {{code}}", y(460)),
        )
        .token(T20),
        case(
            "call: 480 escaped braces are 480 characters: 480 + 20 = 500 fits",
            Call,
            format!("{}{{code}}", "{{".repeat(480)),
        )
        .token(T20),
        case(
            "call: 481 escaped braces + 20 = 501",
            Call,
            format!("{}{{code}}", "}}".repeat(481)),
        )
        .token(T20),
        // token_length out of range: the message is judged with 4.
        Case {
            token: None,
            token_length: Some(99),
            ..case(
                "sms: token_length out of range: judged with 4, 152 + 8 = 160 fits",
                Sms,
                format!("{}{{code}}{{code}}", x(152)),
            )
        },
        Case {
            token: None,
            token_length: Some(99),
            ..case(
                "sms: token_length out of range: judged with 4, 153 + 8 = 161",
                Sms,
                format!("{}{{code}}{{code}}", x(153)),
            )
        },
    ]
}

fn vectors() -> Vec<Value> {
    cases()
        .iter()
        .map(|c| {
            let mut r = Map::new();
            r.insert("family".into(), json!("templates"));
            r.extend(c.request().as_object().unwrap().clone());
            let r = Value::Object(r);
            match oracle::answer(&r) {
                Ok(a) => oracle::merge(&r, &a),
                Err(e) => panic!("templates: {e}: {r}"),
            }
        })
        .collect()
}

fn document() -> Value {
    json!({
        "schema": "mfa-core/templates/1",
        "description": "request with a message template -> rendered text and its measures, or every violation",
        "vectors": vectors(),
    })
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap();
    s.push('\n');
    s
}

#[test]
fn templates_vectors_are_current() {
    let path = format!("{DIR}/{FILE}");
    let text = pretty(&document());
    if std::env::var_os("MFA_WRITE_VECTORS").is_some() {
        std::fs::write(&path, &text).unwrap();
    } else {
        assert!(
            std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()),
            "{FILE} differs from what the generator produces: rerun with MFA_WRITE_VECTORS=1 and review the diff"
        );
    }
}

fn load() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}/{FILE}")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema"], "mfa-core/templates/1");
    v["vectors"].as_array().unwrap().clone()
}

/// Every vector, from its inputs alone: validation gives the violations
/// or, once issued with the host token, the text; the measures are those
/// of the text itself.
#[test]
fn replay_templates() {
    let vectors = load();
    assert!(vectors.len() >= 40, "only {} vectors", vectors.len());
    for v in vectors {
        let name = &v["name"];
        let r = oracle::Req::from_json(&v).unwrap();
        let req = r.request();
        match req.validate() {
            Err(e) => assert_eq!(
                oracle::violations_json(&e).unwrap(),
                v["result"]["violations"],
                "{name}"
            ),
            Ok(p) => {
                let ok = &v["result"]["ok"];
                let mut rng = oracle::StreamRng::new(&[0; 16]);
                let (_, d) = Challenge::issue(&p, &mut rng, UnixTime::from_secs(0)).unwrap();
                let mut text = String::new();
                d.write_text(&mut text).unwrap();
                assert_eq!(text, ok["text"], "{name}");
                let s = segments(&text);
                assert_eq!(d.segments(), s, "{name}");
                assert_eq!(
                    (s.encoding.name(), s.units, s.parts, text.chars().count()),
                    (
                        ok["encoding"].as_str().unwrap(),
                        ok["units"].as_u64().unwrap() as usize,
                        ok["parts"].as_u64().unwrap() as usize,
                        ok["chars"].as_u64().unwrap() as usize,
                    ),
                    "{name}"
                );
                assert_eq!(
                    check_template(p.message()).unwrap() as u64,
                    ok["placeholders"].as_u64().unwrap(),
                    "{name}"
                );
                if p.channel() == Channel::Sms {
                    assert!(s.parts == 1 && s.units <= s.encoding.single_limit());
                }
                assert!(ok["voice_length"].as_u64().unwrap() <= 500, "{name}");
            }
        }
    }
}

/// The file covers what SPEC §4.10 decides: every error kind, both
/// channels, every length rule failing only once rendered, and the from
/// rule on a template.
#[test]
fn the_file_covers_every_rule() {
    let vectors = load();
    let codes: Vec<(String, String, Option<String>)> = vectors
        .iter()
        .flat_map(|v| {
            v["result"]["violations"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|x| {
                    (
                        x["field"].as_str().unwrap().to_string(),
                        x["code"].as_str().unwrap().to_string(),
                        x["data"]["kind"].as_str().map(String::from),
                    )
                })
        })
        .collect();
    for kind in ["unknown_placeholder", "lone_open_brace", "lone_close_brace"] {
        assert!(codes.iter().any(|c| c.2.as_deref() == Some(kind)), "{kind}");
    }
    for code in [
        "from_required",
        "template_invalid",
        "sms_too_long",
        "voice_too_long",
    ] {
        assert!(codes.iter().any(|c| c.1 == code), "{code}");
    }
    assert!(
        codes
            .iter()
            .all(|c| c.0 == "message" || c.0 == "token_length")
    );
    let ok: Vec<&Value> = vectors
        .iter()
        .filter_map(|v| v["result"].get("ok"))
        .collect();
    for k in 0..=2 {
        assert!(
            ok.iter().any(|o| o["placeholders"] == k),
            "{k} placeholders"
        );
    }
    for ch in ["sms", "call"] {
        assert!(
            vectors
                .iter()
                .any(|v| v["channel"] == ch && v["result"].get("ok").is_some()),
            "{ch}"
        );
    }
}

/// A template's violation never repeats the message (SPEC §1.7, §7.8): the
/// data are a kind and a position, and the display is fixed words.
#[test]
fn template_violations_hold_no_message_text() {
    let secret = "Codeword-7781 {Zebra}";
    let req = Request {
        from: Some(FROM),
        message: Some(secret),
        ..Request::new(Channel::Sms, oracle::TO)
    };
    let v = req.validate().unwrap_err();
    let x = v.of(Field::Message).next().unwrap();
    assert!(matches!(x.rule, Rule::Template(_)));
    let shown = format!("{v} {:?}", x.rule);
    for part in ["Codeword", "7781", "Zebra"] {
        assert!(!shown.contains(part), "{shown}");
    }
}

/// A resend judges the message it is given by the same rules (SPEC §5.7):
/// a template renders on the new channel; a broken one is refused and
/// changes nothing.
#[test]
fn resend_renders_and_judges_templates() {
    let req = Request {
        from: Some(FROM),
        token: Some(T6),
        ..Request::new(Channel::Sms, oracle::TO)
    };
    let p = req.validate().unwrap();
    let mut rng = oracle::StreamRng::new(&[0; 16]);
    let t0 = UnixTime::from_secs(0);
    let (mut c, _) = Challenge::issue(&p, &mut rng, t0).unwrap();
    let d = c
        .resend(Channel::Call, Some("Again: {code}. Bye"), t0)
        .unwrap();
    assert_eq!(d.text(), "Again: 1, 2, 3, 4, 5, 6. Bye");
    let rev = c.revision();
    assert!(c.resend(Channel::Sms, Some("{Code}"), t0).is_err());
    assert_eq!(c.revision(), rev);
    let d = c.resend(Channel::Sms, Some("{code} is it"), t0).unwrap();
    assert_eq!(d.text(), "123456 is it");
}
