//! Language-neutral test vectors (`tests/vectors/*.json`).
//!
//! `generate()` builds every vector from the crate itself, through the
//! oracle (`tests/oracle/mod.rs`, also the `oracle` example): each vector
//! is a request plus `oracle::answer(request)`, so every file is a
//! transcript of the oracle. The test `vectors_are_current` fails if the
//! committed files differ from what it builds; run with
//! `MFA_WRITE_VECTORS=1` to rewrite them. The `replay_*` tests then read the
//! files as a port would and check the crate against them from their inputs
//! alone, and `files_are_oracle_transcripts` feeds every file's requests
//! through the oracle.
#![cfg(feature = "serde")]

mod oracle;
use oracle::StreamRng;
use oracle::{FAMILIES, Req, hex, merge, split};

use mfa_core::sms::segments;
use mfa_core::wire::HttpResponse;
use mfa_core::{Challenge, ChallengeId, Channel, Normalized, Request, UnixTime};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

fn unhex(s: &str) -> Vec<u8> {
    oracle::unhex(s).unwrap()
}

fn channel_name(c: Channel) -> &'static str {
    c.name()
}

fn req_json(channel: Channel, body: Value, host: Value) -> Value {
    json!({"channel": channel_name(channel), "body": body, "host": host})
}

fn file(schema: &str, description: &str, vectors: Vec<Value>) -> Value {
    json!({"schema": schema, "description": description, "vectors": vectors})
}

/// `request` (a vector's inputs, without `family`) with the oracle's
/// answer: the vector.
fn vector(family: &str, request: Value) -> Value {
    let mut r = Map::new();
    r.insert("family".into(), json!(family));
    r.extend(request.as_object().expect("a request is an object").clone());
    let r = Value::Object(r);
    match oracle::answer(&r) {
        Ok(a) => merge(&r, &a),
        Err(e) => panic!("{family}: {e}: {r}"),
    }
}

// --- tokens -----------------------------------------------------------------

fn token_vectors() -> Vec<Value> {
    let mut out = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(0x7E57);
    // The stream is cut to the bytes issuing consumes: the sizes the
    // oracle reports it asked for.
    let mut add = |mut request: Value, stream: Vec<u8>| {
        request["rng"] = json!(hex(&stream));
        let full = vector("tokens", request.clone());
        let used: u64 = full["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .sum();
        request["rng"] = json!(hex(&stream[..used as usize]));
        out.push(vector("tokens", request));
    };
    let drawn = |name: &str, alphas: bool, len: i64| {
        let alphabet = if alphas { "alphanumeric" } else { "numeric" };
        json!({"name": name, "alphabet": alphabet, "token_length": len})
    };
    for alphas in [false, true] {
        for len in 4..=20i64 {
            for k in 0..2 {
                let mut stream = vec![0u8; 16 + 3 * 20];
                rng.fill_bytes(&mut stream);
                let alphabet = if alphas { "alphanumeric" } else { "numeric" };
                add(
                    drawn(&format!("random {alphabet} {len} #{k}"), alphas, len),
                    stream,
                );
            }
        }
    }
    // Streams that hit the numeric rejection step (bytes 250..=255).
    let crafted: &[(&str, i64, &[u8])] = &[
        (
            "every reject byte once",
            6,
            &[250, 251, 252, 253, 254, 255, 0, 1, 2, 3, 4, 5],
        ),
        ("boundary bytes 249 and 250", 4, &[249, 250, 9, 10, 19]),
        ("reject in each refill", 4, &[255, 1, 2, 3, 255, 255, 4]),
        ("reject at the end", 5, &[10, 20, 30, 40, 250, 249]),
        ("all 0xff then digits", 4, &[255, 255, 255, 255, 0, 0, 0, 0]),
        (
            "max length with rejects",
            20,
            &[
                250, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 251, 19, 20,
            ],
        ),
    ];
    for &(name, len, bytes) in crafted {
        let mut stream = vec![0x5Au8; 16];
        stream.extend_from_slice(bytes);
        add(drawn(name, false, len), stream);
    }
    // The alphanumeric alphabet never rejects: high bytes map by `% 32`.
    let mut stream = vec![0xA5u8; 16];
    stream.extend(224u8..=255);
    add(drawn("alphanumeric high bytes", true, 20), stream);
    // A host token consumes only the id bytes.
    add(
        json!({"name": "host token: id bytes only", "alphabet": "numeric",
               "token_length": 6, "host_token": "271828"}),
        vec![0x11; 40],
    );
    out
}
// --- parameters -------------------------------------------------------------

fn param_vectors() -> Vec<Value> {
    let to = "+15557788999";
    let mut cases: Vec<(&str, Channel, Value, Value)> = vec![
        ("defaults sms", Channel::Sms, json!({"to": to}), json!({})),
        ("defaults call", Channel::Call, json!({"to": to}), json!({})),
        (
            "the guide's long example",
            Channel::Sms,
            json!({
            "to": to, "from": "+5554433222", "message": "Here is your code: ",
            "allow_alphas": true, "token_length": 8, "valid_for": 7200, "max_attempts": 4}),
            json!({}),
        ),
        ("missing to", Channel::Sms, json!({}), json!({})),
        (
            "custom sms message needs from",
            Channel::Sms,
            json!({"to": to, "message": "Code:"}),
            json!({}),
        ),
        (
            "default sms message spelled out needs no from",
            Channel::Sms,
            json!({"to": to, "message": "Your Personal Authorization Code is:"}),
            json!({}),
        ),
        (
            "call default text on sms is custom",
            Channel::Sms,
            json!({"to": to, "message": "Your Personal Authorization Code is"}),
            json!({}),
        ),
        (
            "custom call message needs no from",
            Channel::Call,
            json!({"to": to, "message": "Code:"}),
            json!({}),
        ),
        (
            "bad from is not also a missing from",
            Channel::Sms,
            json!({"to": to, "from": "555", "message": "Hi"}),
            json!({}),
        ),
        (
            "everything wrong",
            Channel::Sms,
            json!({
            "to": "+1", "from": "+0", "message": "€".repeat(80), "token_length": 3,
            "max_attempts": 0, "valid_for": 604801}),
            json!({"max_deliveries": 0, "token": "12A"}),
        ),
        (
            "host token sets the length",
            Channel::Sms,
            json!({"to": to}),
            json!({"token": "1234"}),
        ),
        (
            "host token length mismatch",
            Channel::Sms,
            json!({"to": to, "token_length": 6}),
            json!({"token": "12345"}),
        ),
        (
            "host token lower case refused",
            Channel::Sms,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "abcd"}),
        ),
        (
            "host token with a confusable letter",
            Channel::Sms,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "ABCI"}),
        ),
        (
            "host token alphanumeric",
            Channel::Call,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "K7P2"}),
        ),
        // A host token gets at most one violation: out_of_range, then
        // invalid_alphabet, then length_mismatch (SPEC §2.6).
        (
            "host token too short and outside the alphabet: out_of_range only",
            Channel::Sms,
            json!({"to": to, "token_length": 6}),
            json!({"token": "12A"}),
        ),
        (
            "host token too long, outside the alphabet, mismatched: out_of_range only",
            Channel::Sms,
            json!({"to": to, "token_length": 6, "allow_alphas": true}),
            json!({"token": "abcdefghijklmnopqrstu"}),
        ),
        (
            "host token outside the alphabet and mismatched: invalid_alphabet only",
            Channel::Sms,
            json!({"to": to, "token_length": 8}),
            json!({"token": "12A4"}),
        ),
        (
            "host token with U at its last position: invalid_alphabet only",
            Channel::Sms,
            json!({"to": to, "token_length": 6, "allow_alphas": true}),
            json!({"token": "K7P2QU"}),
        ),
        (
            "host token with a non-ASCII character counted once",
            Channel::Sms,
            json!({"to": to}),
            json!({"token": "12٣4"}),
        ),
        (
            "host token mismatched with an out-of-range token_length",
            Channel::Sms,
            json!({"to": to, "token_length": 30}),
            json!({"token": "123456"}),
        ),
        (
            "host token too short with an out-of-range token_length",
            Channel::Sms,
            json!({"to": to, "token_length": 3}),
            json!({"token": "123"}),
        ),
        (
            "host token of 3 without token_length",
            Channel::Sms,
            json!({"to": to}),
            json!({"token": "123"}),
        ),
        (
            "host token of 21 without token_length",
            Channel::Call,
            json!({"to": to}),
            json!({"token": "123456789012345678901"}),
        ),
        (
            "host token of 20 without token_length sets the length",
            Channel::Sms,
            json!({"to": to}),
            json!({"token": "12345678901234567890"}),
        ),
        (
            "host token of 4 lets a 155-char sms message fit",
            Channel::Sms,
            json!({"to": to, "from": "+15554433222", "message": "a".repeat(155)}),
            json!({"token": "1234"}),
        ),
        (
            "bad host token: message judged with 6, 155 chars too long",
            Channel::Sms,
            json!({"to": to, "from": "+15554433222", "message": "a".repeat(155)}),
            json!({"token": "ABCD"}),
        ),
        (
            "host token of wrong length: message judged with 6, 153 chars fit",
            Channel::Sms,
            json!({"to": to, "from": "+15554433222", "message": "a".repeat(153)}),
            json!({"token": "123"}),
        ),
        // `message` can get two violations at once (SPEC §2.5.3).
        (
            "message: from_required and sms_too_long (gsm7)",
            Channel::Sms,
            json!({"to": to, "message": "a".repeat(154)}),
            json!({}),
        ),
        (
            "message: from_required and sms_too_long (ucs2)",
            Channel::Sms,
            json!({"to": to, "message": "ж".repeat(64)}),
            json!({}),
        ),
        (
            "message: a malformed from counts as given, sms_too_long only",
            Channel::Sms,
            json!({"to": to, "from": "", "message": "a".repeat(154)}),
            json!({}),
        ),
        (
            "message: sms default given explicitly with a 20-symbol token fits",
            Channel::Sms,
            json!({"to": to, "message": "Your Personal Authorization Code is:", "token_length": 20}),
            json!({}),
        ),
        (
            "message: empty sms message is custom",
            Channel::Sms,
            json!({"to": to, "message": ""}),
            json!({}),
        ),
        (
            "message: call too long and no from is fine",
            Channel::Call,
            json!({"to": to, "message": "a".repeat(494)}),
            json!({}),
        ),
        (
            "eight violations at once, the most: a malformed from",
            Channel::Sms,
            json!({"to": "+0", "from": "+1 555", "message": "ж".repeat(70), "token_length": 21,
                   "max_attempts": 21, "valid_for": -1}),
            json!({"max_deliveries": 21, "token": "123456"}),
        ),
        (
            "eight violations at once, the most: from_required instead",
            Channel::Sms,
            json!({"to": "+0", "message": "ж".repeat(70), "token_length": 21,
                   "max_attempts": 21, "valid_for": -1}),
            json!({"max_deliveries": 21, "token": "123456"}),
        ),
        (
            "integers at the ends of i64 are ordinary out-of-range values",
            Channel::Sms,
            json!({"to": to, "token_length": i64::MIN, "max_attempts": i64::MAX,
                   "valid_for": i64::MIN}),
            json!({"max_deliveries": i64::MAX}),
        ),
        (
            "to: not_a_digit reported at the first bad byte",
            Channel::Sms,
            json!({"to": "+1555é77"}),
            json!({}),
        ),
        (
            "to: missing_plus before anything else",
            Channel::Sms,
            json!({"to": "0 5"}),
            json!({}),
        ),
        (
            "to: + alone is too_short",
            Channel::Sms,
            json!({"to": "+"}),
            json!({}),
        ),
        (
            "to: +0 is too_short, +05 leading_zero",
            Channel::Sms,
            json!({"to": "+0", "from": "+05"}),
            json!({}),
        ),
        (
            "to: 16 digits with a leading zero is too_long",
            Channel::Sms,
            json!({"to": "+0123456789012345"}),
            json!({}),
        ),
        (
            "to: trailing newline is not_a_digit",
            Channel::Sms,
            json!({"to": "+15557788999\n"}),
            json!({}),
        ),
    ];
    for (field, lo, hi) in [
        ("token_length", 4i64, 20i64),
        ("max_attempts", 1, 20),
        ("valid_for", 0, 604_800),
    ] {
        for v in [lo - 1, lo, hi, hi + 1] {
            let name: &'static str = Box::leak(format!("{field} = {v}").into_boxed_str());
            cases.push((name, Channel::Sms, json!({"to": to, field: v}), json!({})));
        }
    }
    for v in [0i64, 1, 20, 21] {
        let name: &'static str = Box::leak(format!("max_deliveries = {v}").into_boxed_str());
        cases.push((
            name,
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": v}),
        ));
    }
    for (n, ok) in [
        ("+12", true),
        ("+123456789012345", true),
        ("+1234567890123456", false),
        ("+1", false),
        ("+0123", false),
        ("1555", false),
        ("+1 555", false),
        ("+١٥٥٥", false),
        ("", false),
    ] {
        let name: &'static str =
            Box::leak(format!("to {n:?} ({})", if ok { "ok" } else { "bad" }).into_boxed_str());
        cases.push((name, Channel::Call, json!({"to": n}), json!({})));
        let name: &'static str = Box::leak(format!("from {n:?}").into_boxed_str());
        cases.push((name, Channel::Call, json!({"to": to, "from": n}), json!({})));
    }
    // Message length boundaries: SMS (GSM 7-bit and UCS-2) and voice.
    let from = "+15554433222";
    for (name, ch, msg, len) in [
        ("sms gsm 160", Channel::Sms, "a".repeat(153), 6),
        ("sms gsm 161", Channel::Sms, "a".repeat(154), 6),
        (
            "sms gsm trailing space 160",
            Channel::Sms,
            format!("{} ", "a".repeat(153)),
            6,
        ),
        (
            "sms gsm extension at 160",
            Channel::Sms,
            format!("{}€", "a".repeat(151)),
            6,
        ),
        (
            "sms gsm extension at 161",
            Channel::Sms,
            format!("{}€", "a".repeat(152)),
            6,
        ),
        (
            "sms gsm 20-char token 160",
            Channel::Sms,
            "a".repeat(139),
            20,
        ),
        ("sms ucs2 70", Channel::Sms, "ж".repeat(63), 6),
        ("sms ucs2 71", Channel::Sms, "ж".repeat(64), 6),
        (
            "sms ucs2 surrogate pair at 70",
            Channel::Sms,
            format!("{}😀", "ж".repeat(61)),
            6,
        ),
        (
            "sms ucs2 surrogate pair at 71",
            Channel::Sms,
            format!("{}😀", "ж".repeat(62)),
            6,
        ),
        (
            "sms ç forces ucs2",
            Channel::Sms,
            format!("{}ç", "a".repeat(63)),
            6,
        ),
        (
            "sms Ç stays gsm",
            Channel::Sms,
            format!("{}Ç", "a".repeat(152)),
            6,
        ),
        // Voice length = message + separator + token length (SPEC §4.5).
        (
            "voice 500: 493 chars + space + 6 symbols",
            Channel::Call,
            "a".repeat(493),
            6,
        ),
        (
            "voice 501: 494 chars + space + 6 symbols",
            Channel::Call,
            "a".repeat(494),
            6,
        ),
        (
            "voice 500: 494 chars ending in a space + 6 symbols",
            Channel::Call,
            format!("{} ", "a".repeat(493)),
            6,
        ),
        (
            "voice 501: 495 chars ending in a space + 6 symbols",
            Channel::Call,
            format!("{} ", "a".repeat(494)),
            6,
        ),
        (
            "voice 500: 479 chars + space + 20 symbols",
            Channel::Call,
            "a".repeat(479),
            20,
        ),
        (
            "voice 501: 480 chars + space + 20 symbols",
            Channel::Call,
            "a".repeat(480),
            20,
        ),
        (
            "voice 500: 495 chars + space + 4 symbols",
            Channel::Call,
            "a".repeat(495),
            4,
        ),
        (
            "voice 500 counts characters not bytes: 493 x U+20AC",
            Channel::Call,
            "€".repeat(493),
            6,
        ),
        (
            "voice 501 counts characters not bytes: 494 x U+20AC",
            Channel::Call,
            "€".repeat(494),
            6,
        ),
        (
            "voice 500 counts characters not UTF-16 units: 493 x U+1F600",
            Channel::Call,
            "😀".repeat(493),
            6,
        ),
        (
            "voice 501 counts characters not UTF-16 units: 494 x U+1F600",
            Channel::Call,
            "😀".repeat(494),
            6,
        ),
        (
            "voice 257 chars is 507 UTF-16 units: 250 x U+1F600 fits",
            Channel::Call,
            "😀".repeat(250),
            6,
        ),
        (
            "voice 500: 492 chars + U+001F (not white space) + space + 6",
            Channel::Call,
            format!("{}\u{1F}", "a".repeat(492)),
            6,
        ),
        (
            "voice 501: 493 chars + U+001F (not white space) + space + 6",
            Channel::Call,
            format!("{}\u{1F}", "a".repeat(493)),
            6,
        ),
        (
            "voice 500: 493 chars + U+0085 (white space, no separator) + 6",
            Channel::Call,
            format!("{}\u{85}", "a".repeat(493)),
            6,
        ),
        (
            "voice 501: 494 chars + U+0085 (white space, no separator) + 6",
            Channel::Call,
            format!("{}\u{85}", "a".repeat(494)),
            6,
        ),
        (
            "voice 500: 493 chars + U+00A0 (white space, no separator) + 6",
            Channel::Call,
            format!("{}\u{A0}", "a".repeat(493)),
            6,
        ),
        (
            "voice 500: 493 chars + U+3000 (white space, no separator) + 6",
            Channel::Call,
            format!("{}\u{3000}", "a".repeat(493)),
            6,
        ),
        (
            "voice 501: 494 chars + U+200B (not white space) + space + 6",
            Channel::Call,
            format!("{}\u{200B}", "a".repeat(493)),
            6,
        ),
        (
            "voice 500 judged with 4 when token_length is bad: 495 chars",
            Channel::Call,
            "a".repeat(495),
            0,
        ),
        (
            "voice 501 judged with 4 when token_length is bad: 496 chars",
            Channel::Call,
            "a".repeat(496),
            21,
        ),
        (
            "sms ucs2 70: 62 chars + U+001F (not white space) + space + 6",
            Channel::Sms,
            format!("{}\u{1F}", "ж".repeat(62)),
            6,
        ),
        (
            "sms ucs2 71: 63 chars + U+001F (not white space) + space + 6",
            Channel::Sms,
            format!("{}\u{1F}", "ж".repeat(63)),
            6,
        ),
        (
            "sms ucs2 70: 64 chars ending in U+3000 (white space) + 6",
            Channel::Sms,
            format!("{}\u{3000}", "ж".repeat(63)),
            6,
        ),
        (
            "message judged with 4 when token_length is bad",
            Channel::Sms,
            "a".repeat(156),
            99,
        ),
    ] {
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        cases.push((
            name,
            ch,
            json!({"to": to, "from": from, "message": msg, "token_length": len}),
            json!({}),
        ));
    }
    cases
        .into_iter()
        .map(|(name, ch, body, host)| {
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.extend(req_json(ch, body, host).as_object().unwrap().clone());
            vector("params", Value::Object(m))
        })
        .collect()
}

// --- rendering ---------------------------------------------------------------

fn render_vectors() -> Vec<Value> {
    let cases: Vec<(Channel, Option<String>, &str)> = vec![
        (Channel::Sms, None, "123456"),
        (Channel::Call, None, "123456"),
        (Channel::Sms, Some("Here is your code: ".into()), "K7P2QX9A"),
        (
            Channel::Call,
            Some("Here is your code: ".into()),
            "K7P2QX9A",
        ),
        (Channel::Sms, Some("".into()), "0000"),
        (Channel::Call, Some("".into()), "0000"),
        (Channel::Sms, Some("Code:\n".into()), "4321"),
        (Channel::Sms, Some("Code:\t".into()), "4321"),
        (Channel::Call, Some("Code\u{3000}".into()), "4321"),
        (Channel::Sms, Some("Code\u{A0}".into()), "4321"),
        (Channel::Sms, Some("Ihr Code für München:".into()), "98765"),
        (Channel::Sms, Some("Votre code est ç".into()), "98765"),
        (Channel::Sms, Some("Код подтверждения:".into()), "55555"),
        (Channel::Sms, Some("確認コード".into()), "246810"),
        (
            Channel::Sms,
            Some("Code [ok] {{x}} €5 ~ ^ | \\".into()),
            "13579",
        ),
        (Channel::Sms, Some("Code 😀".into()), "13579"),
        (
            Channel::Call,
            Some("Your code, spelled:".into()),
            "ABCDEFGHJKMNPQRSTVWX",
        ),
        (Channel::Sms, Some("x".repeat(139)), "12345678901234567890"),
        (Channel::Call, Some("y".repeat(440)), "12345678901234567890"),
        (Channel::Sms, Some("ж".repeat(63)), "123456"),
    ];
    // "Ends in white space" is the Unicode White_Space property exactly
    // (SPEC §4.2): U+001C..U+001F, U+180E, U+200B and U+FEFF are not in it,
    // whatever a runtime's `isspace` says; U+0085, U+00A0, U+3000 are.
    let mut cases = cases;
    for c in [
        '\u{9}', '\u{A}', '\u{B}', '\u{C}', '\u{D}', '\u{1C}', '\u{1D}', '\u{1E}', '\u{1F}', ' ',
        '\u{85}', '\u{A0}', '\u{1680}', '\u{180E}', '\u{2000}', '\u{2007}', '\u{200A}', '\u{200B}',
        '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}', '\u{FEFF}',
    ] {
        cases.push((Channel::Sms, Some(format!("Code{c}")), "4321"));
    }
    for c in ['\u{1F}', '\u{85}', '\u{A0}', '\u{FEFF}'] {
        cases.push((Channel::Call, Some(format!("Code{c}")), "4321"));
    }
    let mut seen = Vec::new();
    cases.retain(|c| {
        let new = !seen.contains(c);
        seen.push(c.clone());
        new
    });
    cases
        .into_iter()
        .map(|(ch, message, token)| {
            let name = match message.as_deref() {
                None => format!("{}: default message", ch.name()),
                Some(m) => match m.chars().last() {
                    Some(c)
                        if c.is_whitespace()
                            || c.is_control()
                            || matches!(c, '\u{180E}' | '\u{200B}' | '\u{FEFF}') =>
                    {
                        let kind = if c.is_whitespace() {
                            "white space, no separator"
                        } else {
                            "not white space, separator"
                        };
                        format!(
                            "{}: message {m:?} ends in U+{:04X} ({kind})",
                            ch.name(),
                            c as u32
                        )
                    }
                    _ if m.chars().count() <= 30 => format!("{}: message {m:?}", ch.name()),
                    _ => format!("{}: message of {} chars", ch.name(), m.chars().count()),
                },
            };
            vector(
                "render",
                json!({"name": name, "channel": ch.name(), "message": message, "token": token}),
            )
        })
        .collect()
}

// --- segments -----------------------------------------------------------------

fn segment_vectors() -> Vec<Value> {
    let mut texts: Vec<String> = Vec::new();
    // Every character of the GSM 7-bit tables, and the characters next to them.
    let table = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    assert_eq!(table.chars().count(), 127);
    texts.extend(table.chars().map(String::from));
    texts.extend("\u{C}^{}\\[~]|€".chars().map(String::from));
    texts.extend(
        [
            "\u{1B}", "`", "\t", "\u{7F}", "ç", "Ã", "ÿ", "¢", "\u{A0}", "ж", "€€", "😀", "\u{0}",
            "\u{80}",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    texts.push(String::new());
    let a = |n: usize| "a".repeat(n);
    let zh = |n: usize| "ж".repeat(n);
    for n in [
        1, 152, 153, 154, 159, 160, 161, 305, 306, 307, 459, 460, 1600,
    ] {
        texts.push(a(n));
    }
    for n in [69, 70, 71, 133, 134, 135, 201, 202] {
        texts.push(zh(n));
    }
    for n in [79, 80, 81, 153] {
        texts.push("€".repeat(n));
    }
    for n in [34, 35, 36, 67] {
        texts.push("😀".repeat(n));
    }
    // Extension characters and surrogate pairs right at part boundaries.
    texts.push(format!("{}€{}", a(152), a(10)));
    texts.push(format!("{}€{}", a(152), a(151)));
    texts.push(format!("{}€{}", a(152), a(152)));
    texts.push(format!("{}€{}", a(151), a(153)));
    texts.push(format!("{}[{}]{}", a(158), a(150), a(2)));
    texts.push(format!("{}😀{}", zh(66), zh(65)));
    texts.push(format!("{}😀{}", zh(66), zh(66)));
    texts.push(format!("{}😀{}", zh(65), zh(67)));
    texts.push(format!("{}ж", a(159)));
    texts.push(format!("{}ж", "€".repeat(69)));
    texts.push(format!("{}\u{1B}", a(69)));
    // Seeded random mixes.
    let pool: Vec<char> = "aZ0 .€[|ÇçжΩ😀\n\u{1B}`".chars().collect();
    let mut rng = ChaCha20Rng::seed_from_u64(0x5E6);
    for _ in 0..60 {
        let len = (rng.next_u32() % 400) as usize;
        let s: String = (0..len)
            .map(|_| pool[(rng.next_u32() as usize) % pool.len()])
            .collect();
        texts.push(s);
    }
    // Mostly-GSM random texts (one foreign character at most).
    for k in 0..30 {
        let len = 150 + (rng.next_u32() % 200) as usize;
        let mut s: String = (0..len)
            .map(|_| ['a', '€', 'b', '^'][(rng.next_u32() % 4) as usize])
            .collect();
        if k % 3 == 0 {
            s.push('😀');
        }
        texts.push(s);
    }
    texts
        .into_iter()
        .map(|t| vector("segments", json!({ "text": t })))
        .collect()
}

// --- normalisation ---------------------------------------------------------------

fn normalize_vectors() -> Vec<Value> {
    let mut inputs: Vec<String> = [
        "123456",
        " 123 456 ",
        "123-456",
        "\t1\t2-3 4",
        "abcd",
        "aBcD",
        "O0o0",
        "IiLl",
        "oOiIlL",
        "٠١٢٣٤٥٦٧٨٩",
        "۰۱۲۳۴۵۶۷۸۹",
        "०१२३४५६७८९",
        "০১২৩৪৫৬৭৮৯",
        "๐๑๒๓๔๕๖๗๘๙",
        "０１２３４５６７８９",
        "𝟎𝟏𝟐𝟑",
        "𝟘𝟙𝟚𝟛",
        "𝟶𝟷𝟸𝟹",
        "፩፪፫፬",
        "①②③④",
        "½234",
        "12٣4",
        "k7p2-qx9a",
        "K7P2 QX9A",
        "12345678901234567890",
        "1234-5678-9012-3456-7890",
        "123456789012345678901",
        "",
        "   ",
        "---",
        "123",
        "1 2 3",
        "123.456",
        "123_456",
        "12\n34",
        "12\r34",
        "12\u{A0}34",
        "12\u{3000}34",
        "12\u{200B}34",
        // The voice spelling typed back as written (SPEC §3.4).
        "7, 9, 8, 2, 7, 7.",
        "1, 2, 3, 4",
        "1234u",
        "UUUU",
        "ＡＢＣＤ",
        "1234é",
        "12\u{0}34",
        "+1234",
        "1234!",
        "\u{11F50}\u{11F51}\u{11F52}\u{11F53}",
        "\u{1E4F1}\u{1E4F2}\u{1E4F3}\u{1E4F4}",
        "\u{116D0}\u{116DA}\u{116D9}\u{116E3}",
        "\u{65F}\u{660}\u{669}\u{66A}",
        "ⅠⅡⅢⅣ",
        "𝍠𝍡𝍢𝍣",
        "꘠꘡꘢꘣",
        "߀߁߂߃",
        "០១២៣",
        "᠐᠑᠒᠓",
        "၀၁၂၃",
        "႐႑႒႓",
        "𑁦𑁧𑁨𑁩",
        "a-b-c-d-e-f-g-h-j-k",
        "ABCDEFGHJKMNPQRSTVWXYZ",
        "ilo0ILO0",
        "l1I1",
        "0O0o",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every Nd run's zero and nine, in a 4-symbol submission.
    let zeros: Vec<u32> = (0u32..0x110000)
        .filter_map(char::from_u32)
        .filter(|&c| {
            c != '0'
                && Normalized::new(&format!("{c}000"))
                    .map(|n| n.as_str() == "0000")
                    .unwrap_or(false)
        })
        .map(|c| c as u32)
        .collect();
    for z in zeros {
        let zero = char::from_u32(z).unwrap();
        let nine = char::from_u32(z + 9).unwrap();
        inputs.push(format!("{zero}{nine}{zero}{nine}"));
    }
    inputs
        .into_iter()
        .map(|s| vector("normalize", json!({ "input": s })))
        .collect()
}

// --- state-machine traces ------------------------------------------------------

#[derive(Clone)]
enum Step {
    Verify(u64, &'static str),
    VerifyRight(u64),
    Cancel(u64),
    Resend(u64, Channel, Option<&'static str>),
    Status(u64),
}

/// The JSON input of one step (what a port reads).
fn step_input(step: &Step, right: &str) -> Value {
    match step {
        Step::Verify(at, typed) => json!({"op": "verify", "at": at, "token": typed}),
        Step::VerifyRight(at) => json!({"op": "verify", "at": at, "token": right}),
        Step::Cancel(at) => json!({"op": "cancel", "at": at}),
        Step::Resend(at, ch, msg) => {
            json!({"op": "resend", "at": at, "channel": ch.name(), "message": msg})
        }
        Step::Status(at) => json!({"op": "status", "at": at}),
    }
}

fn trace_vectors() -> Vec<Value> {
    use Step::*;
    let t0 = 1_700_000_000u64;
    let to = "+15557788999";
    let a = |n: usize| -> &'static str { Box::leak("a".repeat(n).into_boxed_str()) };
    let (a139, a140, a153, a154, a493, a494) = (a(139), a(140), a(153), a(154), a(493), a(494));
    let traces: Vec<(&str, Channel, Value, Value, Vec<Step>)> = vec![
        (
            "right first time",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![VerifyRight(t0 + 5), VerifyRight(t0 + 6)],
        ),
        (
            "wrong, then right",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Verify(t0, "000000"), VerifyRight(t0 + 1)],
        ),
        (
            "wrong until exhausted",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Verify(t0, "1"),
                Verify(t0, "12.34"),
                Verify(t0, "999999"),
                VerifyRight(t0),
                Status(t0),
            ],
        ),
        (
            "the guide's long example",
            Channel::Sms,
            json!({"to": to, "from": "+5554433222", "message": "Here is your code: ",
            "allow_alphas": true, "token_length": 8, "valid_for": 7200, "max_attempts": 4}),
            json!({}),
            vec![
                Verify(t0 + 10, "AAAAAAAA"),
                Verify(t0 + 20, "aaaa-aaaa"),
                VerifyRight(t0 + 7199),
                VerifyRight(t0 + 7200),
            ],
        ),
        (
            "expired",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({}),
            vec![
                Status(t0 + 59),
                Status(t0 + 60),
                VerifyRight(t0 + 60),
                VerifyRight(t0),
                Status(t0),
            ],
        ),
        (
            "valid_for 0",
            Channel::Call,
            json!({"to": to, "valid_for": 0}),
            json!({}),
            vec![Status(t0), VerifyRight(t0)],
        ),
        (
            "clock goes backwards",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({}),
            vec![Status(t0 - 86400), Verify(0, "000000"), VerifyRight(t0 - 1)],
        ),
        (
            "cancel",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Cancel(t0 + 1),
                VerifyRight(t0 + 2),
                Cancel(t0 + 3),
                Resend(t0 + 4, Channel::Sms, None),
            ],
        ),
        (
            "cancel past the window records expiry",
            Channel::Sms,
            json!({"to": to, "valid_for": 10}),
            json!({}),
            vec![Cancel(t0 + 10), Status(t0)],
        ),
        (
            "resend on voice then sms",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0 + 30, Channel::Call, None),
                Resend(t0 + 60, Channel::Sms, None),
                VerifyRight(t0 + 90),
            ],
        ),
        (
            "resend cap",
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": 2}),
            vec![
                Resend(t0, Channel::Sms, None),
                Resend(t0, Channel::Sms, None),
                VerifyRight(t0),
            ],
        ),
        (
            "resend custom sms text without from",
            Channel::Call,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, Some("Code:")),
                Resend(t0, Channel::Sms, None),
            ],
        ),
        (
            "resend refused: text too long for sms, fine for a call",
            Channel::Call,
            json!({"to": to, "from": "+15554433222"}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, Some(a154)),
                Resend(t0 + 1, Channel::Sms, Some(a153)),
                Resend(t0 + 2, Channel::Call, Some(a154)),
            ],
        ),
        (
            "resend refused: voice text too long",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0, Channel::Call, Some(a494)),
                Resend(t0 + 1, Channel::Call, Some(a493)),
            ],
        ),
        (
            "resend refused: custom sms text without from and too long",
            Channel::Call,
            json!({"to": to}),
            json!({}),
            vec![Resend(t0, Channel::Sms, Some(a154)), Status(t0)],
        ),
        (
            "resend judges the text with the challenge's token length",
            Channel::Sms,
            json!({"to": to, "from": "+15554433222", "token_length": 20}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, Some(a140)),
                Resend(t0, Channel::Sms, Some(a139)),
            ],
        ),
        (
            "resend order: deliveries exhausted before invalid text",
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": 1}),
            vec![Resend(t0, Channel::Sms, Some(a154)), Status(t0)],
        ),
        (
            "resend order: canceled before deliveries exhausted and invalid text",
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": 1}),
            vec![Cancel(t0), Resend(t0 + 1, Channel::Sms, Some(a154))],
        ),
        (
            "resend order: expiry before deliveries exhausted and invalid text",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({"max_deliveries": 1}),
            vec![
                Resend(t0 + 60, Channel::Sms, Some(a154)),
                Resend(t0 + 1, Channel::Sms, Some(a154)),
            ],
        ),
        (
            "resend keeps the attempts and the window",
            Channel::Sms,
            json!({"to": to, "max_attempts": 2}),
            json!({}),
            vec![
                Verify(t0 + 10, "000000"),
                Resend(t0 + 3500, Channel::Call, None),
                Status(t0 + 3599),
                Status(t0 + 3600),
                VerifyRight(t0 + 3600),
            ],
        ),
        (
            "resend with no message after a custom call message: sms default, no from needed",
            Channel::Call,
            json!({"to": to, "message": "Custom call text:"}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, None),
                Resend(t0, Channel::Call, None),
            ],
        ),
        (
            "resend with no message after a custom sms message",
            Channel::Sms,
            json!({"to": to, "from": "+15554433222", "message": "Here is your code: "}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, None),
                Resend(
                    t0,
                    Channel::Sms,
                    Some("Your Personal Authorization Code is:"),
                ),
            ],
        ),
        (
            "resend message ending in U+001F gets a separator",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0, Channel::Call, Some("Code\u{1F}")),
                Resend(t0, Channel::Call, Some("Code\u{85}")),
            ],
        ),
        (
            "resend after exhaustion",
            Channel::Sms,
            json!({"to": to, "max_attempts": 1}),
            json!({}),
            vec![
                Verify(t0, "0000"),
                Resend(t0, Channel::Call, None),
                Cancel(t0),
            ],
        ),
        (
            "one attempt, right",
            Channel::Call,
            json!({"to": to, "max_attempts": 1}),
            json!({}),
            vec![VerifyRight(t0), Verify(t0, "0000")],
        ),
        (
            "normalised submissions",
            Channel::Sms,
            json!({"to": to, "max_attempts": 5}),
            json!({"token": "0110"}),
            vec![
                Verify(t0, "0111"),
                Verify(t0, "٠١١"),
                VerifyRight(t0),
                Verify(t0, "O1I0"),
            ],
        ),
        (
            "normalised right answer",
            Channel::Sms,
            json!({"to": to}),
            json!({"token": "0110"}),
            vec![Verify(t0, " o-l-I-O ")],
        ),
        (
            "alphanumeric case-insensitive",
            Channel::Sms,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "K7P2QX"}),
            vec![Verify(t0, "k7p2 qx")],
        ),
        (
            "issued at 2^64-11",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Status(u64::MAX),
                Status(u64::MAX - 10 - 3599),
                Status(u64::MAX - 10 - 3600),
                Status(0),
                Verify(u64::MAX, "000000"),
                VerifyRight(u64::MAX - 1),
            ],
        ),
        (
            "issued at 2^64-11, verified 3599 seconds before issue",
            Channel::Call,
            json!({"to": to}),
            json!({}),
            vec![VerifyRight(u64::MAX - 10 - 3599), Status(u64::MAX)],
        ),
        (
            "issued at 2^64-10: 2^64-3610 is exactly valid_for away",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Status(u64::MAX - 3609),
                Status(u64::MAX - 3608),
                Status(u64::MAX),
                VerifyRight(u64::MAX - 3609),
            ],
        ),
        (
            "issued at 2^64-11, clock 3600 behind records expiry",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Cancel(u64::MAX - 3610), Status(u64::MAX - 10)],
        ),
        (
            "issued at 2^64-1 with the longest window",
            Channel::Sms,
            json!({"to": to, "valid_for": 604_800}),
            json!({}),
            vec![
                Status(u64::MAX - 604_799),
                Status(u64::MAX - 604_800),
                Status(0),
                Resend(u64::MAX, Channel::Call, None),
                VerifyRight(u64::MAX - 604_799),
            ],
        ),
        (
            "issued at 100, clock at 0 is inside the window",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Status(0), VerifyRight(0)],
        ),
        (
            "issued at 0, clock at 2^64-1 is expired",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Status(3599), Status(u64::MAX), Cancel(u64::MAX), Status(0)],
        ),
        (
            "clock behind by exactly valid_for",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({}),
            vec![Status(t0 - 59), Verify(t0 - 60, "000000"), Status(t0)],
        ),
        (
            "twenty attempts",
            Channel::Sms,
            json!({"to": to, "max_attempts": 20}),
            json!({}),
            (0..20).map(|i| Verify(t0 + i, "0000")).collect(),
        ),
    ];
    let mut rng = ChaCha20Rng::seed_from_u64(0x7ACE);
    let issued_at_of = |name: &str| {
        if name.starts_with("issued at 2^64-11") {
            u64::MAX - 10
        } else if name.starts_with("issued at 2^64-10:") {
            u64::MAX - 9
        } else if name.starts_with("issued at 2^64-1 ") {
            u64::MAX
        } else if name.starts_with("issued at 100") {
            100
        } else if name.starts_with("issued at 0") {
            0
        } else {
            t0
        }
    };
    traces
        .into_iter()
        .map(|(name, ch, body, host, steps)| {
            let v = req_json(ch, body, host);
            let params = Req::from_json(&v).unwrap();
            let params = params.request();
            let params = params.validate().unwrap();
            let mut stream = vec![0u8; 16 + 60];
            rng.fill_bytes(&mut stream);
            let issued_at = issued_at_of(name);
            // The stream is cut to the bytes issuing consumes; the right
            // token is needed to write the steps that type it.
            let mut br = StreamRng::new(&stream);
            let (c, _) =
                Challenge::issue(&params, &mut br, UnixTime::from_secs(issued_at)).unwrap();
            let right = c.parts().token.expose_secret().to_string();
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.extend(v.as_object().unwrap().clone());
            m.insert("issued_at".into(), json!(issued_at));
            m.insert("rng".into(), json!(hex(&stream[..br.used()])));
            let inputs = steps.iter().map(|s| step_input(s, &right)).collect();
            m.insert("steps".into(), Value::Array(inputs));
            vector("traces", Value::Object(m))
        })
        .collect()
}

// --- wire -------------------------------------------------------------------------

fn wire_vectors() -> Vec<Value> {
    let mut outcomes = vec![
        json!({"kind": "verified"}),
        json!({"kind": "wrong_token", "attempts_left": 2}),
        json!({"kind": "wrong_token", "attempts_left": 0}),
    ];
    for reason in [
        "already_verified",
        "attempts_exhausted",
        "expired",
        "canceled",
    ] {
        outcomes.push(json!({"kind": "rejected", "reason": reason}));
    }
    outcomes.push(json!({"kind": "unknown_id"}));
    for ch in [Channel::Sms, Channel::Call] {
        let p = Request::new(ch, "+15557788999").validate().unwrap();
        let (c, _) =
            Challenge::issue(&p, &mut StreamRng::new(&[0xAB; 32]), UnixTime::from_secs(0)).unwrap();
        outcomes.push(json!({"kind": "issued", "id": c.parts().id.to_string(), "to": "+15557788999", "channel": ch.name()}));
    }
    for body in [
        json!({"to": "555"}),
        json!({"to": "+15557788999", "token_length": 3, "max_attempts": 21, "valid_for": -1}),
        json!({"to": "+15557788999", "message": "Code:"}),
        json!({}),
    ] {
        outcomes.push(json!({"kind": "invalid", "channel": "sms", "body": body}));
    }
    for body in [
        r#"{"to":"+15557788999","colour":"red"}"#,
        r#"{"to":15557788999}"#,
        r#"{"to":"+1","to":"+2"}"#,
    ] {
        outcomes.push(json!({"kind": "bad_body", "json": body}));
    }
    // Resend and cancel (SPEC §7.5).
    let p = Request::new(Channel::Sms, "+15557788999")
        .validate()
        .unwrap();
    let (c, _) =
        Challenge::issue(&p, &mut StreamRng::new(&[0xCD; 32]), UnixTime::from_secs(0)).unwrap();
    for ch in [Channel::Sms, Channel::Call] {
        outcomes.push(json!({"kind": "resent", "id": c.parts().id.to_string(), "to": "+15557788999", "channel": ch.name()}));
    }
    for reason in ["already_verified", "expired"] {
        outcomes.push(json!({"kind": "resend_rejected", "reason": reason}));
    }
    outcomes.push(json!({"kind": "deliveries_exhausted", "max": 5}));
    outcomes.push(json!({"kind": "resend_invalid", "channel": "sms", "message": "Code:"}));
    outcomes.push(json!({"kind": "resend_invalid", "channel": "call", "message": "a".repeat(494)}));
    outcomes.push(json!({"kind": "canceled"}));
    for reason in ["attempts_exhausted", "canceled"] {
        outcomes.push(json!({"kind": "cancel_rejected", "reason": reason}));
    }
    outcomes
        .into_iter()
        .map(|o| vector("wire", json!({ "outcome": o })))
        .collect()
}

// --- request and verify bodies ---------------------------------------------------

/// One body case: name, endpoint, raw JSON, the field a bad body's detail
/// must name (SPEC §7.8: wrong type or given twice), values it must not
/// contain.
type BodyCase = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

fn body_cases() -> Vec<BodyCase> {
    vec![
        // `null` is absent (SPEC §7.2).
        ("null to is absent", "request", r#"{"to":null}"#, None, &[]),
        (
            "every field null",
            "request",
            r#"{"to":null,"from":null,"message":null,"token_length":null,"max_attempts":null,"allow_alphas":null,"valid_for":null}"#,
            None,
            &[],
        ),
        ("empty object", "request", "{}", None, &[]),
        (
            "every field",
            "request",
            r#"{"to":"+15557788999","from":"+15554433222","message":"Here is your code: ","token_length":8,"max_attempts":4,"allow_alphas":true,"valid_for":7200}"#,
            None,
            &[],
        ),
        (
            "allow_alpha alone",
            "request",
            r#"{"to":"+15557788999","allow_alpha":true}"#,
            None,
            &[],
        ),
        (
            "allow_alpha false",
            "request",
            r#"{"allow_alpha":false}"#,
            None,
            &[],
        ),
        (
            "escaped plus",
            "request",
            r#"{"to":"\u002B15557788999"}"#,
            None,
            &[],
        ),
        (
            "surrogate pair escape",
            "request",
            r#"{"message":"\ud83d\ude00"}"#,
            None,
            &[],
        ),
        (
            "white space around the object",
            "request",
            " \n{\"to\":\"+15557788999\"}\n ",
            None,
            &[],
        ),
        (
            "i64 max",
            "request",
            r#"{"max_attempts":9223372036854775807}"#,
            None,
            &[],
        ),
        (
            "i64 min",
            "request",
            r#"{"valid_for":-9223372036854775808}"#,
            None,
            &[],
        ),
        (
            "negative integer",
            "request",
            r#"{"token_length":-6}"#,
            None,
            &[],
        ),
        (
            "keys in any order",
            "request",
            r#"{"valid_for":60,"to":"+15557788999"}"#,
            None,
            &[],
        ),
        // Wrong types (SPEC §7.2, §7.4).
        (
            "6.0 is not an integer",
            "request",
            r#"{"token_length":6.0}"#,
            Some("token_length"),
            &["6.0"],
        ),
        (
            "6e0 is not an integer",
            "request",
            r#"{"token_length":6e0}"#,
            Some("token_length"),
            &["6e0"],
        ),
        (
            "-0 is not an integer",
            "request",
            r#"{"max_attempts":-0}"#,
            Some("max_attempts"),
            &["-0"],
        ),
        (
            "string \"6\" is not an integer",
            "request",
            r#"{"token_length":"6"}"#,
            Some("token_length"),
            &["\"6\""],
        ),
        (
            "true is not an integer",
            "request",
            r#"{"valid_for":true}"#,
            Some("valid_for"),
            &[],
        ),
        (
            "2^64 is beyond 64 bits",
            "request",
            r#"{"valid_for":18446744073709551616}"#,
            Some("valid_for"),
            &["18446744073709551616"],
        ),
        (
            "2^63 fits u64 but not i64",
            "request",
            r#"{"max_attempts":9223372036854775808}"#,
            Some("max_attempts"),
            &["9223372036854775808"],
        ),
        (
            "-2^63-1 is beyond i64",
            "request",
            r#"{"token_length":-9223372036854775809}"#,
            Some("token_length"),
            &["9223372036854775809"],
        ),
        (
            "number to",
            "request",
            r#"{"to":15557788999}"#,
            Some("to"),
            &["15557788999"],
        ),
        (
            "array to",
            "request",
            r#"{"to":["+15557788999"]}"#,
            Some("to"),
            &["15557788999"],
        ),
        (
            "object message",
            "request",
            r#"{"message":{"text":"Hi there"}}"#,
            Some("message"),
            &["Hi there"],
        ),
        (
            "number from",
            "request",
            r#"{"from":15554433222}"#,
            Some("from"),
            &["15554433222"],
        ),
        (
            "string allow_alphas",
            "request",
            r#"{"allow_alphas":"true"}"#,
            Some("allow_alphas"),
            &["\"true\""],
        ),
        (
            "number allow_alpha",
            "request",
            r#"{"allow_alpha":1}"#,
            Some("allow_alphas"),
            &[],
        ),
        // Not an object.
        ("a number", "request", "6", None, &[]),
        (
            "a string",
            "request",
            r#""+15557788999""#,
            None,
            &["15557788999"],
        ),
        (
            "an array",
            "request",
            r#"[{"to":"+15557788999"}]"#,
            None,
            &["15557788999"],
        ),
        ("an empty array", "request", "[]", None, &[]),
        ("null", "request", "null", None, &[]),
        ("true", "request", "true", None, &[]),
        // Keys.
        (
            "allow_alpha and allow_alphas",
            "request",
            r#"{"allow_alpha":true,"allow_alphas":true}"#,
            Some("allow_alphas"),
            &[],
        ),
        (
            "allow_alphas and allow_alpha",
            "request",
            r#"{"allow_alphas":false,"allow_alpha":false}"#,
            Some("allow_alphas"),
            &[],
        ),
        (
            "duplicate to",
            "request",
            r#"{"to":"+15557788999","to":"+15554433222"}"#,
            Some("to"),
            &["15557788999", "15554433222"],
        ),
        (
            "duplicate key, the first null",
            "request",
            r#"{"to":null,"to":"+15557788999"}"#,
            Some("to"),
            &["15557788999"],
        ),
        (
            "unknown key",
            "request",
            r#"{"to":"+15557788999","colour":"red"}"#,
            None,
            &["15557788999", "red"],
        ),
        (
            "host-side max_deliveries is unknown",
            "request",
            r#"{"max_deliveries":5}"#,
            None,
            &[],
        ),
        (
            "host-side token is unknown",
            "request",
            r#"{"token":"271828"}"#,
            None,
            &["271828"],
        ),
        (
            "key case matters",
            "request",
            r#"{"To":"+15557788999"}"#,
            None,
            &["15557788999"],
        ),
        (
            "long unknown key",
            "request",
            r#"{"abcdefghijklmnopqrstuvwxyz0123456789":1}"#,
            None,
            &["abcdefghijklmnopqrstuvwxyz0123456"],
        ),
        // The first problem in document order wins (SPEC §7.4).
        (
            "unknown key before a wrong type",
            "request",
            r#"{"colour":"red","to":5}"#,
            None,
            &[],
        ),
        (
            "wrong type before an unknown key",
            "request",
            r#"{"to":5,"colour":"red"}"#,
            Some("to"),
            &[],
        ),
        (
            "duplicate before a wrong type",
            "request",
            r#"{"to":"+15557788999","to":"+15554433222","valid_for":"x"}"#,
            Some("to"),
            &[],
        ),
        (
            "wrong type before a duplicate",
            "request",
            r#"{"valid_for":"x","to":"+15557788999","to":"+15554433222"}"#,
            Some("valid_for"),
            &[],
        ),
        (
            "first of two wrong types",
            "request",
            r#"{"token_length":6.5,"max_attempts":"3"}"#,
            Some("token_length"),
            &["6.5"],
        ),
        // Malformed JSON.
        ("empty text", "request", "", None, &[]),
        (
            "truncated",
            "request",
            r#"{"to":"+15557788999""#,
            None,
            &["15557788999"],
        ),
        (
            "trailing comma",
            "request",
            r#"{"to":"+15557788999",}"#,
            None,
            &["15557788999"],
        ),
        (
            "trailing data",
            "request",
            r#"{"to":"+15557788999"} {}"#,
            None,
            &["15557788999"],
        ),
        (
            "unpaired surrogate escape: malformed inside message's value",
            "request",
            r#"{"message":"\ud800"}"#,
            Some("message"),
            &[],
        ),
        (
            "single quotes",
            "request",
            "{'to':'+15557788999'}",
            None,
            &["15557788999"],
        ),
        (
            "NaN: malformed inside valid_for's value",
            "request",
            r#"{"valid_for":NaN}"#,
            Some("valid_for"),
            &[],
        ),
        // A problem inside a known key's value names the field, whatever
        // its kind, in both bodies (SPEC §7.4).
        (
            "malformed literal inside to's value",
            "request",
            r#"{"to":tru}"#,
            Some("to"),
            &[],
        ),
        (
            "leading zero: malformed inside token_length's value",
            "request",
            r#"{"token_length":01}"#,
            Some("token_length"),
            &[],
        ),
        (
            "1e309 is beyond the double range",
            "request",
            r#"{"valid_for":1e309}"#,
            Some("valid_for"),
            &["1e309"],
        ),
        (
            "malformed inside a value after a wrong type: the wrong type first",
            "request",
            r#"{"to":5,"from":tru}"#,
            Some("to"),
            &[],
        ),
        (
            "malformed inside an unknown key's value: the key first",
            "request",
            r#"{"colour":tru}"#,
            None,
            &[],
        ),
        (
            "verify: malformed literal inside token's value",
            "verify",
            r#"{"token":tru}"#,
            Some("token"),
            &[],
        ),
        (
            "verify: 01 is malformed inside token's value",
            "verify",
            r#"{"token":01}"#,
            Some("token"),
            &[],
        ),
        (
            "verify: 1e400 is beyond the double range",
            "verify",
            r#"{"token":1e400}"#,
            Some("token"),
            &["1e400"],
        ),
        (
            "verify: unpaired surrogate inside token's value",
            "verify",
            r#"{"token":"4820\ud800"}"#,
            Some("token"),
            &["4820"],
        ),
        (
            "verify: malformed after the value names nothing",
            "verify",
            r#"{"token":"482057",}"#,
            None,
            &["482057"],
        ),
        // No byte order mark (SPEC §7.4).
        (
            "a byte order mark before the object",
            "request",
            "\u{feff}{\"to\":\"+15557788999\"}",
            None,
            &["15557788999"],
        ),
        (
            "verify: a byte order mark before the object",
            "verify",
            "\u{feff}{\"token\":\"482057\"}",
            None,
            &["482057"],
        ),
        // Keys are compared after unescaping, exactly (SPEC §7.2).
        (
            "an escaped key is its unescaped text",
            "request",
            r#"{"t\u006f":"+15557788999"}"#,
            None,
            &[],
        ),
        (
            "to and its escaped spelling are one key",
            "request",
            r#"{"to":"+15557788999","\u0074o":"+15554433222"}"#,
            Some("to"),
            &["15557788999", "15554433222"],
        ),
        (
            "verify: an escaped token key",
            "verify",
            r#"{"\u0074oken":"482057"}"#,
            None,
            &[],
        ),
        (
            "verify: token and its escaped spelling are one key",
            "verify",
            r#"{"token":"482057","tok\u0065n":"482058"}"#,
            Some("token"),
            &["482057", "482058"],
        ),
        // The verify body (SPEC §7.3).
        (
            "verify: a code",
            "verify",
            r#"{"token":"123456"}"#,
            None,
            &[],
        ),
        (
            "verify: the empty string",
            "verify",
            r#"{"token":""}"#,
            None,
            &[],
        ),
        (
            "verify: anything a user types",
            "verify",
            r#"{"token":" 12-34 5o "}"#,
            None,
            &[],
        ),
        ("verify: missing token", "verify", "{}", None, &[]),
        (
            "verify: null token",
            "verify",
            r#"{"token":null}"#,
            Some("token"),
            &[],
        ),
        (
            "verify: number token",
            "verify",
            r#"{"token":123456}"#,
            Some("token"),
            &["123456"],
        ),
        (
            "verify: array token",
            "verify",
            r#"{"token":["123456"]}"#,
            Some("token"),
            &["123456"],
        ),
        (
            "verify: token twice",
            "verify",
            r#"{"token":"123456","token":"654321"}"#,
            Some("token"),
            &["123456", "654321"],
        ),
        (
            "verify: unknown key",
            "verify",
            r#"{"token":"123456","to":"+15557788999"}"#,
            None,
            &["123456"],
        ),
        (
            "verify: an array",
            "verify",
            r#"["123456"]"#,
            None,
            &["123456"],
        ),
        (
            "verify: a string",
            "verify",
            r#""123456""#,
            None,
            &["123456"],
        ),
        ("verify: null", "verify", "null", None, &[]),
    ]
}

fn body_vectors() -> Vec<Value> {
    body_cases()
        .into_iter()
        .map(|(name, endpoint, text, names, must_not)| {
            let mut request = json!({"name": name, "endpoint": endpoint, "json": text});
            // What a refused body's detail must name and must not hold is
            // this file's claim, not the crate's decision: it goes in the
            // request, and the oracle checks its detail against it.
            if oracle::parse_body(endpoint, text).unwrap().is_err() {
                request["result"] = json!({"bad_body": {
                    "detail_names": names, "detail_must_not_contain": must_not}});
            } else {
                assert!(names.is_none() && must_not.is_empty(), "{name}: accepted");
            }
            vector("bodies", request)
        })
        .collect()
}

// --- ids ----------------------------------------------------------------------------

fn id_vectors() -> Vec<Value> {
    const ID: &str = "8630cc54-f6b2-45dd-b73b-cce28eb668d8";
    let with = |at: usize, s: &str| format!("{}{s}{}", &ID[..at], &ID[at + 1..]);
    let texts: Vec<(&str, String)> = vec![
        ("lower case", ID.into()),
        ("upper case", ID.to_uppercase()),
        ("mixed case", "8630Cc54-F6b2-45dD-B73b-cCe28Eb668D8".into()),
        (
            "all zero but version and variant",
            "00000000-0000-4000-8000-000000000000".into(),
        ),
        (
            "all f but version and variant",
            "ffffffff-ffff-4fff-bfff-ffffffffffff".into(),
        ),
        ("variant digit 8", with(19, "8")),
        ("variant digit 9", with(19, "9")),
        ("variant digit a", with(19, "a")),
        ("variant digit B", with(19, "B")),
        ("empty", String::new()),
        ("35 characters", ID[..35].into()),
        ("37 characters", format!("{ID}0")),
        ("braces", format!("{{{ID}}}")),
        ("urn:uuid: prefix", format!("urn:uuid:{ID}")),
        ("no hyphens", ID.replace('-', "")),
        ("leading space", format!(" {ID}")),
        ("trailing newline", format!("{ID}\n")),
        ("space instead of a hyphen", with(8, " ")),
        ("space instead of a digit", with(0, " ")),
        (
            "hyphen moved left",
            format!("{}-{}{}", &ID[..7], &ID[7..8], &ID[9..]),
        ),
        ("underscore for a hyphen", with(23, "_")),
        ("hex digit where a hyphen goes", with(13, "0")),
        ("g at offset 0", with(0, "g")),
        (
            "not hex at 3 before a bad hyphen at 8",
            format!("{}x{}0{}", &ID[..3], &ID[4..8], &ID[9..]),
        ),
        ("not hex at the last offset", with(35, "z")),
        (
            "non-ASCII: two bytes for two hex digits",
            format!("{}é", &ID[..34]),
        ),
        ("non-ASCII: adds a byte", format!("{}é", &ID[..35])),
        ("fullwidth digit: three bytes", format!("{}３", &ID[..33])),
        ("version 1", with(14, "1")),
        ("version 7", with(14, "7")),
        ("version 0", with(14, "0")),
        ("version f", with(14, "f")),
        ("nil UUID", "00000000-0000-0000-0000-000000000000".into()),
        ("max UUID", "ffffffff-ffff-ffff-ffff-ffffffffffff".into()),
        ("variant 0 (digit 0)", with(19, "0")),
        ("variant 0 (digit 7)", with(19, "7")),
        ("variant 110 (digit c)", with(19, "c")),
        ("variant 111 (digit F)", with(19, "F")),
        (
            "version checked before variant",
            format!("{}1{}c{}", &ID[..14], &ID[15..19], &ID[20..]),
        ),
    ];
    let mut out: Vec<Value> = texts
        .into_iter()
        .map(|(name, text)| vector("ids", json!({"name": name, "text": text})))
        .collect();
    // The 16-byte form (SPEC §6.4).
    let base = unhex("8630cc54f6b245ddb73bcce28eb668d8");
    let bytes = |i: usize, b: u8| {
        let mut v = base.clone();
        v[i] = b;
        v
    };
    for (name, b) in [
        ("bytes: canonical", base.clone()),
        ("bytes: version 1", bytes(6, 0x15)),
        ("bytes: variant 0", bytes(8, 0x37)),
        ("bytes: variant 110", bytes(8, 0xC7)),
        ("bytes: version before variant", {
            let mut v = bytes(6, 0xF5);
            v[8] = 0x00;
            v
        }),
    ] {
        out.push(vector("ids", json!({"name": name, "bytes": hex(&b)})));
    }
    out
}

// --- stored records -------------------------------------------------------------------

const RECORD_ID: &str = "8630cc54-f6b2-45dd-b73b-cce28eb668d8";

/// A record in the writer's key order, with `change` applied to the
/// challenge's keys (`Value::Null` in `remove` deletes a key).
fn record(revision: Value, change: &[(&str, Value)], remove: &[&str]) -> Value {
    let mut c = Map::new();
    for (k, v) in [
        ("id", json!(RECORD_ID)),
        ("channel", json!("sms")),
        ("to", json!("+15557788999")),
        ("from", Value::Null),
        ("token", json!("123456")),
        ("allow_alphas", json!(false)),
        ("issued_at", json!(1_700_000_000u64)),
        ("valid_for", json!(3600)),
        ("max_attempts", json!(3)),
        ("attempts_used", json!(0)),
        ("max_deliveries", json!(5)),
        ("deliveries", json!(1)),
        ("state", json!("pending")),
    ] {
        c.insert(k.into(), v);
    }
    for (k, v) in change {
        c.insert((*k).into(), v.clone());
    }
    for k in remove {
        c.shift_remove(*k);
    }
    json!({"v2": {"revision": revision, "challenge": c}})
}

/// The first release's flat `v1` record of the same challenge: its keys,
/// then `revision` (SPEC §8.6).
fn flat_v1(revision: Value, change: &[(&str, Value)], remove: &[&str]) -> Value {
    let mut c = record(revision.clone(), change, remove)["v2"]["challenge"]
        .as_object()
        .unwrap()
        .clone();
    c.insert("revision".into(), revision);
    json!({ "v1": c })
}

/// (name, JSON text, for a refused record the key at fault and the rule).
type StoredCase = (&'static str, String, Option<(&'static str, &'static str)>);

fn stored_vectors() -> Vec<Value> {
    let r = |rev: u64, change: &[(&str, Value)]| record(json!(rev), change, &[]).to_string();
    let mut cases: Vec<StoredCase> = vec![
        ("pending, fresh", r(0, &[]), None),
        ("pending, with from", r(0, &[("from", json!("+15554433222"))]), None),
        ("pending, from missing reads as null", record(json!(0), &[], &["from"]).to_string(), None),
        (
            "pending, after a wrong try and a resend on call",
            r(2, &[("attempts_used", json!(1)), ("deliveries", json!(2)), ("channel", json!("call"))]),
            None,
        ),
        ("verified on the first try", r(1, &[("attempts_used", json!(1)), ("state", json!("verified"))]), None),
        (
            "verified on the last try after resends",
            r(5, &[("attempts_used", json!(3)), ("deliveries", json!(3)), ("state", json!("verified"))]),
            None,
        ),
        ("exhausted", r(3, &[("attempts_used", json!(3)), ("state", json!("exhausted"))]), None),
        ("expired, recorded after one try", r(2, &[("attempts_used", json!(1)), ("state", json!("expired"))]), None),
        ("canceled after a resend", r(2, &[("deliveries", json!(2)), ("state", json!("canceled"))]), None),
        (
            "alphanumeric",
            r(0, &[("token", json!("K7P2QX9A")), ("allow_alphas", json!(true)), ("channel", json!("call"))]),
            None,
        ),
        ("digits with allow_alphas true", r(0, &[("token", json!("0123")), ("allow_alphas", json!(true))]), None),
        ("every alphanumeric symbol", r(0, &[("token", json!("ABCDEFGHJKMNPQRSTVWX")), ("allow_alphas", json!(true))]), None),
        (
            "issued at 2^64-1, longest window",
            r(0, &[("issued_at", json!(u64::MAX)), ("valid_for", json!(604_800))]),
            None,
        ),
        ("issued at 0, valid_for 0", r(0, &[("issued_at", json!(0)), ("valid_for", json!(0))]), None),
        (
            "counters at their maximum",
            r(
                38,
                &[
                    ("max_attempts", json!(20)),
                    ("attempts_used", json!(19)),
                    ("max_deliveries", json!(20)),
                    ("deliveries", json!(20)),
                    ("token", json!("12345678901234567890")),
                ],
            ),
            None,
        ),
        (
            "largest revision: 39 (canceled, counters at their maximum)",
            r(
                39,
                &[
                    ("max_attempts", json!(20)),
                    ("attempts_used", json!(19)),
                    ("max_deliveries", json!(20)),
                    ("deliveries", json!(20)),
                    ("state", json!("canceled")),
                ],
            ),
            None,
        ),
        ("upper-case id is read and written lower case", r(0, &[("id", json!(RECORD_ID.to_uppercase()))]), None),
        (
            "keys in another order",
            r#"{"v1":{"challenge":{"state":"pending","deliveries":1,"max_deliveries":5,"attempts_used":0,"max_attempts":3,"valid_for":3600,"issued_at":1700000000,"allow_alphas":false,"token":"123456","from":null,"to":"+15557788999","channel":"sms","id":"8630cc54-f6b2-45dd-b73b-cce28eb668d8"},"revision":0}}"#.into(),
            None,
        ),
        // Tampered: each breaks one rule of SPEC §8.3.
        ("attempts above max (verified)", r(4, &[("attempts_used", json!(4)), ("state", json!("verified"))]), Some(("attempts_used", "range"))),
        ("max_attempts 0", r(0, &[("max_attempts", json!(0)), ("state", json!("exhausted"))]), Some(("max_attempts", "range"))),
        ("max_attempts 21", r(0, &[("max_attempts", json!(21))]), Some(("max_attempts", "range"))),
        ("max_attempts 256", r(0, &[("max_attempts", json!(256))]), Some(("max_attempts", "range"))),
        ("deliveries 0", r(0, &[("deliveries", json!(0))]), Some(("deliveries", "range"))),
        ("deliveries above max", r(5, &[("deliveries", json!(6))]), Some(("deliveries", "range"))),
        ("max_deliveries 0", r(0, &[("max_deliveries", json!(0))]), Some(("max_deliveries", "range"))),
        ("max_deliveries 21", r(0, &[("max_deliveries", json!(21))]), Some(("max_deliveries", "range"))),
        ("valid_for 604801", r(0, &[("valid_for", json!(604_801))]), Some(("valid_for", "range"))),
        ("token of 3", r(0, &[("token", json!("123"))]), Some(("token", "token_length"))),
        ("token of 21", r(0, &[("token", json!("123456789012345678901"))]), Some(("token", "token_length"))),
        ("token empty", r(0, &[("token", json!(""))]), Some(("token", "token_length"))),
        ("token with a letter, allow_alphas false", r(0, &[("token", json!("12A456"))]), Some(("token", "token_alphabet"))),
        ("token in lower case", r(0, &[("token", json!("k7p2qx"))]), Some(("token", "token_alphabet"))),
        ("token with I", r(0, &[("token", json!("K7I2")), ("allow_alphas", json!(true))]), Some(("token", "token_alphabet"))),
        ("token with O", r(0, &[("token", json!("K7O2")), ("allow_alphas", json!(true))]), Some(("token", "token_alphabet"))),
        ("token with L", r(0, &[("token", json!("L7P2")), ("allow_alphas", json!(true))]), Some(("token", "token_alphabet"))),
        ("token with U", r(0, &[("token", json!("K7PU")), ("allow_alphas", json!(true))]), Some(("token", "token_alphabet"))),
        ("token of fullwidth digits", r(0, &[("token", json!("１２３４"))]), Some(("token", "token_alphabet"))),
        ("token with a space", r(0, &[("token", json!("123 456"))]), Some(("token", "token_alphabet"))),
        ("revision 1 for a fresh record", r(1, &[]), Some(("revision", "revision"))),
        ("revision 0 for a canceled record", r(0, &[("state", json!("canceled"))]), Some(("revision", "revision"))),
        ("revision 1 for an expired record after a try", r(1, &[("attempts_used", json!(1)), ("state", json!("expired"))]), Some(("revision", "revision"))),
        ("revision 2^64-1", r(u64::MAX, &[]), Some(("revision", "revision"))),
        ("pending with every attempt used", r(3, &[("attempts_used", json!(3))]), Some(("state", "state_counters"))),
        ("exhausted with an attempt left", r(2, &[("attempts_used", json!(2)), ("state", json!("exhausted"))]), Some(("state", "state_counters"))),
        ("verified with no attempt", r(0, &[("state", json!("verified"))]), Some(("state", "state_counters"))),
        ("expired with every attempt used", r(4, &[("attempts_used", json!(3)), ("state", json!("expired"))]), Some(("state", "state_counters"))),
        ("canceled with every attempt used", r(4, &[("attempts_used", json!(3)), ("state", json!("canceled"))]), Some(("state", "state_counters"))),
        ("id version 1", r(0, &[("id", json!("8630cc54-f6b2-15dd-b73b-cce28eb668d8"))]), Some(("id", "id"))),
        ("id variant 110", r(0, &[("id", json!("8630cc54-f6b2-45dd-c73b-cce28eb668d8"))]), Some(("id", "id"))),
        ("id without hyphens", r(0, &[("id", json!("8630cc54f6b245ddb73bcce28eb668d8"))]), Some(("id", "id"))),
        ("id in braces", r(0, &[("id", json!(format!("{{{RECORD_ID}}}")))]), Some(("id", "id"))),
        ("id as 16 numbers", r(0, &[("id", json!(unhex("8630cc54f6b245ddb73bcce28eb668d8")))]), Some(("id", "type"))),
        ("to without +", r(0, &[("to", json!("15557788999"))]), Some(("to", "e164"))),
        ("to with a leading zero", r(0, &[("to", json!("+05557788999"))]), Some(("to", "e164"))),
        ("to with 16 digits", r(0, &[("to", json!("+1234567890123456"))]), Some(("to", "e164"))),
        ("to with a space", r(0, &[("to", json!("+1 5557788999"))]), Some(("to", "e164"))),
        ("from +1", r(0, &[("from", json!("+1"))]), Some(("from", "e164"))),
        ("from empty", r(0, &[("from", json!(""))]), Some(("from", "e164"))),
        ("from as a number", r(0, &[("from", json!(15554433222u64))]), Some(("from", "type"))),
        ("unknown version v3", r(0, &[]).replacen("\"v2\"", "\"v3\"", 1), Some(("v3", "version"))),
        ("version V2 in upper case", r(0, &[]).replacen("\"v2\"", "\"V2\"", 1), Some(("V2", "version"))),
        (
            "two versions",
            format!("{{\"v1\":{},\"v2\":{}}}", flat_v1(json!(0), &[], &[])["v1"], record(json!(0), &[], &[])["v2"]),
            Some(("v2", "version")),
        ),
        ("no version", "{}".into(), Some(("v2", "missing_key"))),
        ("v2 is null", r#"{"v2":null}"#.into(), Some(("v2", "type"))),
        ("v1 is null", r#"{"v1":null}"#.into(), Some(("v1", "type"))),
        ("the challenge without the envelope", record(json!(0), &[], &[])["v2"]["challenge"].to_string(), Some(("id", "version"))),
        (
            "unknown key next to revision",
            format!("{{\"v2\":{{\"revision\":0,\"challenge\":{},\"stored_at\":0}}}}", record(json!(0), &[], &[])["v2"]["challenge"]),
            Some(("stored_at", "unknown_key")),
        ),
        (
            "missing revision",
            format!("{{\"v2\":{{\"challenge\":{}}}}}", record(json!(0), &[], &[])["v2"]["challenge"]),
            Some(("revision", "missing_key")),
        ),
        ("missing challenge", r#"{"v2":{"revision":0}}"#.into(), Some(("challenge", "missing_key"))),
        ("unknown key message in the challenge", r(0, &[("message", json!("Code:"))]), Some(("message", "unknown_key"))),
        ("missing token", record(json!(0), &[], &["token"]).to_string(), Some(("token", "missing_key"))),
        ("missing state", record(json!(0), &[], &["state"]).to_string(), Some(("state", "missing_key"))),
        ("missing issued_at", record(json!(0), &[], &["issued_at"]).to_string(), Some(("issued_at", "missing_key"))),
        ("missing allow_alphas", record(json!(0), &[], &["allow_alphas"]).to_string(), Some(("allow_alphas", "missing_key"))),
        ("issued_at -1", r(0, &[("issued_at", json!(-1))]), Some(("issued_at", "type"))),
        ("issued_at 1.5", r(0, &[("issued_at", json!(1.5))]), Some(("issued_at", "type"))),
        ("attempts_used -1", r(0, &[("attempts_used", json!(-1))]), Some(("attempts_used", "type"))),
        ("revision as a string", record(json!("0"), &[], &[]).to_string(), Some(("revision", "type"))),
        ("allow_alphas as a string", r(0, &[("allow_alphas", json!("false"))]), Some(("allow_alphas", "type"))),
        ("token as a number", r(0, &[("token", json!(123456))]), Some(("token", "type"))),
        ("channel voice", r(0, &[("channel", json!("voice"))]), Some(("channel", "type"))),
        ("state in capitals", r(0, &[("state", json!("Pending"))]), Some(("state", "type"))),
        ("state done", r(0, &[("state", json!("done"))]), Some(("state", "type"))),
    ];
    // The first release's flat `v1` layout, and the nested layout some
    // releases wrote under the name `v1` (SPEC §8.6): read, written as v2.
    let f = |rev: u64, change: &[(&str, Value)]| flat_v1(json!(rev), change, &[]).to_string();
    let interim =
        |rev: u64, change: &[(&str, Value)]| r(rev, change).replacen("\"v2\"", "\"v1\"", 1);
    let fresh = f(0, &[]);
    cases.extend([
        ("v1 flat: pending, fresh", fresh.clone(), None),
        ("v1 flat: from missing reads as null", flat_v1(json!(0), &[], &["from"]).to_string(), None),
        (
            "v1 flat: canceled after a resend, alphanumeric, on call",
            f(2, &[("deliveries", json!(2)), ("state", json!("canceled")), ("token", json!("K7P2")), ("allow_alphas", json!(true)), ("channel", json!("call"))]),
            None,
        ),
        (
            "v1 flat: revision first, keys in another order",
            r#"{"v1":{"revision":1,"state":"verified","deliveries":1,"max_deliveries":5,"attempts_used":1,"max_attempts":3,"valid_for":3600,"issued_at":1700000000,"allow_alphas":false,"token":"123456","from":"+15554433222","to":"+15557788999","channel":"sms","id":"8630CC54-F6B2-45DD-B73B-CCE28EB668D8"}}"#.into(),
            None,
        ),
        ("v1 nested (written under the name v1 before v2 existed): pending", interim(0, &[]), None),
        // Accepted though no sequence of calls produces them (SPEC §8.3):
        // valid_for 0 is expired before any try.
        ("accepted, never produced: valid_for 0 and verified", r(1, &[("valid_for", json!(0)), ("attempts_used", json!(1)), ("state", json!("verified"))]), None),
        ("accepted, never produced: valid_for 0 and exhausted", r(3, &[("valid_for", json!(0)), ("attempts_used", json!(3)), ("state", json!("exhausted"))]), None),
        ("v1 nested: exhausted", interim(3, &[("attempts_used", json!(3)), ("state", json!("exhausted"))]), None),
        ("v1 flat: missing revision", fresh.replacen(",\"revision\":0", "", 1), Some(("revision", "missing_key"))),
        ("v1 flat: missing state", flat_v1(json!(0), &[], &["state"]).to_string(), Some(("state", "missing_key"))),
        ("v1 flat: unknown key", fresh.replacen("\"revision\":0", "\"revision\":0,\"stored_at\":0", 1), Some(("stored_at", "unknown_key"))),
        ("v1 flat: revision does not match", f(1, &[]), Some(("revision", "revision"))),
        ("v1 flat: token with a letter", f(0, &[("token", json!("12A456"))]), Some(("token", "token_alphabet"))),
        ("v1 flat: max_attempts 256", f(0, &[("max_attempts", json!(256))]), Some(("max_attempts", "range"))),
        (
            "v1 with both layouts: a flat key beside challenge",
            interim(0, &[]).replacen("\"revision\":0", "\"revision\":0,\"state\":\"pending\"", 1),
            Some(("state", "unknown_key")),
        ),
        ("v1 nested: missing revision", interim(0, &[]).replacen("\"revision\":0,", "", 1), Some(("revision", "missing_key"))),
        // Repeated keys (SPEC §8.3): the repeated key is named.
        ("a key twice in the challenge", r(0, &[]).replacen("\"state\":\"pending\"", "\"state\":\"pending\",\"state\":\"pending\"", 1), Some(("state", "duplicate_key"))),
        ("revision twice", r(0, &[]).replacen("\"revision\":0", "\"revision\":0,\"revision\":0", 1), Some(("revision", "duplicate_key"))),
        ("v1 flat: a key twice", fresh.replacen("\"revision\":0", "\"revision\":0,\"revision\":0", 1), Some(("revision", "duplicate_key"))),
        ("the version twice", format!("{{\"v2\":{},\"v2\":{}}}", record(json!(0), &[], &[])["v2"], record(json!(0), &[], &[])["v2"]), Some(("v2", "duplicate_key"))),
        // Unsigned integers are JSON integers without sign, fraction or
        // exponent (SPEC §8.2): `-0`, `0.0` and `17e8` are not.
        ("attempts_used -0", r(0, &[]).replacen("\"attempts_used\":0", "\"attempts_used\":-0", 1), Some(("attempts_used", "type"))),
        ("attempts_used 0.0", r(0, &[]).replacen("\"attempts_used\":0", "\"attempts_used\":0.0", 1), Some(("attempts_used", "type"))),
        ("issued_at 17e8", r(0, &[]).replacen("1700000000", "17e8", 1), Some(("issued_at", "type"))),
        ("revision 0e0", r(0, &[]).replacen("\"revision\":0", "\"revision\":0e0", 1), Some(("revision", "type"))),
        ("valid_for 2^32 (beyond the field's range, within 64 bits)", r(0, &[("valid_for", json!(1u64 << 32))]), Some(("valid_for", "range"))),
        ("deliveries 2^64-1", r(0, &[("deliveries", json!(u64::MAX))]), Some(("deliveries", "range"))),
        // A byte order mark is not JSON text here (SPEC §8.1).
        ("a UTF-8 byte order mark before the record", format!("\u{feff}{}", r(0, &[])), Some(("(json)", "malformed"))),
        ("malformed JSON", r(0, &[]).replacen("false", "fals", 1), Some(("(json)", "malformed"))),
        ("not an object", "[]".into(), Some(("(record)", "type"))),
    ]);
    // Integers past 64 bits cannot be built as values: written as text.
    let big = r(0, &[]).replace("1700000000", "18446744073709551616");
    cases.push(("issued_at 2^64", big, Some(("issued_at", "type"))));
    let big = r(0, &[]).replacen("\"revision\":0", "\"revision\":18446744073709551616", 1);
    cases.push(("revision 2^64", big, Some(("revision", "type"))));
    cases
        .into_iter()
        .map(|(name, text, fault)| {
            // Which rule a refused record breaks is this file's claim: it
            // goes in the request; the oracle checks the record is refused.
            let mut request = json!({"name": name, "json": text});
            if let Some((field, rule)) = fault {
                request["result"] = json!({"refused": {"field": field, "rule": rule}});
            }
            let v = vector("stored", request);
            assert_eq!(v["result"].get("ok").is_some(), fault.is_none(), "{name}");
            v
        })
        .collect()
}

// --- send limits -------------------------------------------------------------------------

fn windows(ws: &[(u64, u64)]) -> Value {
    let ws: Vec<Value> = ws
        .iter()
        .map(|&(max, interval)| json!({"max": max, "interval_secs": interval}))
        .collect();
    json!({ "windows": ws })
}

fn send(at: u64) -> Value {
    json!({"op": "send", "at": at})
}

fn check(at: u64) -> Value {
    json!({"op": "check", "at": at})
}

/// Random clock steps: mostly small forward, some back, some huge jumps.
fn clock_steps(rng: &mut ChaCha20Rng, start: u64, n: usize) -> Vec<u64> {
    let mut t = start;
    (0..n)
        .map(|_| {
            let r = rng.next_u32();
            t = match r % 16 {
                0 => t.saturating_sub(u64::from(rng.next_u32() % 5000)),
                1 => t.saturating_add(u64::from(rng.next_u32())),
                2 => t,
                _ => t.saturating_add(u64::from(rng.next_u32() % 200)),
            };
            t
        })
        .collect()
}

fn limit_vectors() -> Vec<Value> {
    let t0 = 1_700_000_000u64;
    let max = u64::from(u32::MAX);
    let default = [(1, 30), (5, 3600), (10, 86_400)];
    let mut cases: Vec<(String, Value, Vec<Value>)> = vec![
        (
            "the default policy: 1 per 30 s, 5 per hour, 10 per day".into(),
            windows(&default),
            vec![
                send(t0),
                send(t0 + 1),
                check(t0 + 29),
                send(t0 + 30),
                send(t0 + 60),
                send(t0 + 90),
                send(t0 + 120),
                send(t0 + 150),
                check(t0 + 3599),
                send(t0 + 3600),
                send(t0 + 3630),
                send(t0 + 3660),
                send(t0 + 3690),
                send(t0 + 3720),
                send(t0 + 7200),
                check(t0 + 86_399),
                send(t0 + 86_400),
            ],
        ),
        (
            "3 per minute and 10 per hour: the wait counts to the oldest leaving".into(),
            windows(&[(3, 60), (10, 3600)]),
            vec![
                send(t0),
                send(t0 + 1),
                send(t0 + 2),
                send(t0 + 10),
                check(t0 + 59),
                send(t0 + 60),
                send(t0 + 61),
            ],
        ),
        (
            "half-open interval: allowed exactly interval seconds later".into(),
            windows(&[(1, 10)]),
            vec![
                send(t0),
                send(t0 + 9),
                send(t0 + 10),
                check(t0 + 19),
                check(t0 + 20),
            ],
        ),
        (
            "no burst of 2 max - 1 across a window edge (token bucket would allow it)".into(),
            windows(&[(5, 60)]),
            vec![
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 60),
                send(t0 + 118),
                send(t0 + 119),
                send(t0 + 119),
            ],
        ),
        (
            "refusals record nothing and raise no revision".into(),
            windows(&[(2, 60)]),
            vec![
                send(t0),
                send(t0),
                send(t0 + 1),
                send(t0 + 2),
                send(t0 + 30),
                send(t0 + 59),
                send(t0 + 60),
            ],
        ),
        (
            "clock steps back: evaluated at the newest time, wait counted from now".into(),
            windows(&[(2, 60)]),
            vec![
                send(t0 + 100),
                send(t0 + 110),
                send(t0),
                check(t0 + 50),
                check(t0 + 159),
                send(t0 + 160),
                send(t0 + 100),
            ],
        ),
        (
            "clock steps back: an allowed event is recorded at the newest time".into(),
            windows(&[(2, 60)]),
            vec![send(t0 + 100), send(t0), check(t0 + 159), send(t0 + 160)],
        ),
        (
            "the longest window: u32::MAX seconds, and jumps past it".into(),
            windows(&[(2, max)]),
            vec![
                send(5),
                send(6),
                check(4 + max),
                send(5 + max),
                check(5 + max),
                send(6 + max),
                send(10 * max),
                send(10 * max + 1),
            ],
        ),
        (
            "forgetting: a time exactly 2^32-1 s older than the newest is kept".into(),
            windows(&[(64, 1)]),
            vec![send(6), send(6 + max), send(6 + max)],
        ),
        (
            "forgetting: exactly 2^32-1 s older is kept while an older time is dropped".into(),
            windows(&[(64, 1)]),
            vec![
                send(5),
                send(6),
                send(5 + max),
                send(6 + max),
                send(7 + max),
            ],
        ),
        (
            "forgetting: 2^32 s older than the newest is forgotten".into(),
            windows(&[(64, 1)]),
            vec![send(6), send(7 + max), check(7 + max)],
        ),
        (
            "forgetting: only a recorded event forgets; a check or a refusal keeps the log".into(),
            windows(&[(1, 10)]),
            vec![send(6), check(7 + max), send(7 + max), send(8 + max)],
        ),
        (
            "the end of time: waits saturate at 2^64-1".into(),
            windows(&[(1, max)]),
            vec![
                send(u64::MAX),
                check(u64::MAX),
                check(0),
                send(0),
                send(u64::MAX - 1),
            ],
        ),
        (
            "time 0".into(),
            windows(&[(1, 1)]),
            vec![send(0), send(0), send(1), check(1), check(2)],
        ),
        (
            "64 in one second".into(),
            windows(&[(64, 1)]),
            (0..66).map(|_| send(t0)).chain([send(t0 + 1)]).collect(),
        ),
        (
            "the log keeps the 64 newest: 64 per 100 s".into(),
            windows(&[(64, 100)]),
            (0..64)
                .map(|i| send(t0 + i))
                .chain([
                    send(t0 + 64),
                    send(t0 + 99),
                    send(t0 + 100),
                    send(t0 + 101),
                    send(t0 + 102),
                ])
                .collect(),
        ),
        (
            "four windows: the wait is the largest over them".into(),
            windows(&[(1, 10), (2, 100), (3, 1000), (4, 10_000)]),
            vec![
                send(t0),
                send(t0 + 5),
                send(t0 + 10),
                send(t0 + 20),
                send(t0 + 100),
                send(t0 + 110),
                send(t0 + 1000),
                send(t0 + 1010),
                send(t0 + 1100),
                send(t0 + 2000),
                send(t0 + 10_000),
            ],
        ),
        (
            "a redundant window is harmless".into(),
            windows(&[(5, 60), (3, 60)]),
            vec![send(t0), send(t0), send(t0), send(t0), send(t0 + 60)],
        ),
        (
            "check changes nothing".into(),
            windows(&[(1, 30)]),
            vec![
                check(t0),
                check(t0),
                send(t0),
                check(t0),
                check(t0 + 30),
                send(t0 + 30),
            ],
        ),
    ];
    // Seeded random policies and clocks.
    let mut rng = ChaCha20Rng::seed_from_u64(0x11A1);
    for k in 0..12 {
        let n = 1 + (rng.next_u32() % 4) as usize;
        let ws: Vec<(u64, u64)> = (0..n)
            .map(|_| {
                let m = 1 + u64::from(rng.next_u32() % 8);
                let i = match rng.next_u32() % 4 {
                    0 => 1 + u64::from(rng.next_u32() % 10),
                    1 => 1 + u64::from(rng.next_u32() % 600),
                    2 => 1 + u64::from(rng.next_u32() % 100_000),
                    _ => u64::from(rng.next_u32().max(1)),
                };
                (m, i)
            })
            .collect();
        let start = if k % 4 == 3 { u64::MAX - 1000 } else { t0 };
        let steps = clock_steps(&mut rng, start, 40)
            .into_iter()
            .map(|t| {
                if rng.next_u32() % 5 == 0 {
                    check(t)
                } else {
                    send(t)
                }
            })
            .collect();
        cases.push((format!("random #{k}"), windows(&ws), steps));
    }
    // Policies that are refused (SPEC §9), each field and rule.
    for (name, policy) in [
        ("max 0", windows(&[(0, 60)])),
        ("max 65", windows(&[(65, 60)])),
        ("max 255", windows(&[(255, 60)])),
        (
            "max 256: wider than 8 bits, still out_of_range with the value given",
            windows(&[(256, 60)]),
        ),
        ("max 2^64-1", windows(&[(u64::MAX, 60)])),
        (
            "interval_secs 2^32: wider than 32 bits, out_of_range",
            windows(&[(3, 1 << 32)]),
        ),
        ("interval_secs 0", windows(&[(3, 0)])),
        ("max 0 and interval_secs 0: max first", windows(&[(0, 0)])),
        ("the second window is bad", windows(&[(3, 60), (1, 0)])),
        ("no window", windows(&[])),
        (
            "five windows",
            windows(&[(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]),
        ),
        (
            "five windows, one bad: the window first",
            windows(&[(1, 1), (2, 2), (3, 3), (4, 4), (0, 5)]),
        ),
    ] {
        cases.push((format!("refused policy: {name}"), policy, Vec::new()));
    }
    for (name, policy) in [
        ("max 64, interval_secs u32::MAX", windows(&[(64, max)])),
        ("max 1, interval_secs 1", windows(&[(1, 1)])),
        ("four windows", windows(&[(1, 1), (1, 1), (1, 1), (1, 1)])),
    ] {
        cases.push((
            format!("policy at the bounds: {name}"),
            policy,
            vec![send(t0), send(t0)],
        ));
    }
    cases
        .into_iter()
        .map(|(name, policy, steps)| {
            vector(
                "limits",
                json!({"name": name, "policy": policy, "steps": steps}),
            )
        })
        .collect()
}

// --- lockout -------------------------------------------------------------------------------

fn lockout_policy(free: u64, base: u64, max: u64, hard: u64) -> Value {
    json!({"free_failures": free, "base_delay_secs": base, "max_delay_secs": max, "hard_limit": hard})
}

fn try_at(at: u64) -> Value {
    json!({"op": "try", "at": at})
}

fn check_at(at: u64) -> Value {
    json!({"op": "check", "at": at})
}

fn success() -> Value {
    json!({"op": "success"})
}

fn lockout_vectors() -> Vec<Value> {
    use mfa_core::throttle::LockoutPolicy;
    let t0 = 1_700_000_000u64;
    let defaults = lockout_policy(5, 1, 900, 100);
    // Tries that each come exactly when allowed, with a refused one a
    // second early: the doubling sequence up to the cap.
    let doubling = |p: LockoutPolicy, n: u8| -> Vec<Value> {
        let mut t = t0;
        let mut out = Vec::new();
        for f in 0..n {
            let d = u64::from(p.delay_after(f).unwrap_or(0));
            if d > 0 {
                out.push(try_at(t + d - 1));
                t += d;
            }
            out.push(try_at(t));
        }
        out.push(check_at(t));
        out
    };
    let mut cases: Vec<(String, Value, Vec<Value>)> = vec![
        (
            "defaults: 5 free, then 1 s, 2 s ...".into(),
            defaults.clone(),
            vec![
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0 + 1),
                check_at(t0 + 1),
                check_at(t0 + 3),
                success(),
                check_at(t0 + 3),
                try_at(t0 + 3),
            ],
        ),
        (
            "defaults: doubling to the 15-minute cap".into(),
            defaults.clone(),
            doubling(LockoutPolicy::default(), 20),
        ),
        (
            "3 free, 30 s doubling to an hour, locked at 20".into(),
            lockout_policy(3, 30, 3600, 20),
            doubling(LockoutPolicy::new(3, 30, 3600, 20).unwrap(), 20)
                .into_iter()
                .chain([check_at(u64::MAX), success(), try_at(t0)])
                .collect(),
        ),
        (
            "locked at the hard limit until reset".into(),
            lockout_policy(0, 1, 1, 3),
            vec![
                try_at(t0),
                try_at(t0),
                try_at(t0 + 1),
                try_at(t0 + 2),
                try_at(t0 + 100),
                check_at(t0 + 1_000_000),
                json!({"op": "reset"}),
                try_at(t0 + 100),
            ],
        ),
        (
            "a reset keeps the last-try time: a clock behind it still evaluates at it".into(),
            lockout_policy(0, 10, 100, 5),
            vec![
                try_at(1000),
                json!({"op": "reset"}),
                try_at(500),
                check_at(505),
                check_at(1009),
                check_at(1010),
                success(),
                check_at(0),
                try_at(0),
                check_at(0),
            ],
        ),
        (
            "free_failures = hard_limit: no waits, then locked".into(),
            lockout_policy(3, 1, 1, 3),
            vec![
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                check_at(t0 + 10),
            ],
        ),
        (
            "hard_limit 1".into(),
            lockout_policy(0, 1, 1, 1),
            vec![
                check_at(t0),
                try_at(t0),
                try_at(t0 + 10),
                success(),
                try_at(t0),
            ],
        ),
        (
            "clock steps back: the wait grows by the step".into(),
            lockout_policy(1, 60, 60, 10),
            vec![
                try_at(t0 + 100),
                try_at(t0 + 100),
                try_at(t0),
                check_at(t0 + 159),
                try_at(t0 + 160),
                try_at(t0 + 200),
            ],
        ),
        (
            "clock steps back: a free try is recorded at the last try".into(),
            lockout_policy(1, 60, 60, 10),
            vec![
                try_at(t0 + 100),
                try_at(t0),
                check_at(t0 + 159),
                try_at(t0 + 160),
            ],
        ),
        (
            "success resets; a success with nothing to clear changes nothing".into(),
            lockout_policy(2, 5, 10, 10),
            vec![
                success(),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                success(),
                success(),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                check_at(t0),
            ],
        ),
        (
            "the end of time: waits saturate".into(),
            lockout_policy(0, 86_400, 86_400, 100),
            vec![
                try_at(u64::MAX),
                try_at(u64::MAX),
                check_at(u64::MAX - 1),
                check_at(0),
                try_at(0),
            ],
        ),
        (
            "base 3, cap 7: 3, 6, 7, 7".into(),
            lockout_policy(0, 3, 7, 100),
            doubling(LockoutPolicy::new(0, 3, 7, 100).unwrap(), 5),
        ),
        (
            "the longest delays: a day from the first failure, 100 failures".into(),
            lockout_policy(0, 86_400, 86_400, 100),
            doubling(LockoutPolicy::new(0, 86_400, 86_400, 100).unwrap(), 100)
                .into_iter()
                .chain([try_at(u64::MAX)])
                .collect(),
        ),
    ];
    let mut rng = ChaCha20Rng::seed_from_u64(0x10C0);
    for k in 0..8 {
        let hard = 1 + u64::from(rng.next_u32() % 12);
        let free = u64::from(rng.next_u32()) % (hard + 1);
        let base = 1 + u64::from(rng.next_u32() % 100);
        let cap = base + u64::from(rng.next_u32() % 1000);
        let start = if k % 4 == 3 { u64::MAX - 10_000 } else { t0 };
        let steps = clock_steps(&mut rng, start, 40)
            .into_iter()
            .map(|t| match rng.next_u32() % 10 {
                0 => success(),
                1 | 2 => check_at(t),
                _ => try_at(t),
            })
            .collect();
        cases.push((
            format!("random #{k}"),
            lockout_policy(free, base, cap, hard),
            steps,
        ));
    }
    // Policies that are refused (SPEC §9), each field and rule, in the
    // order they are checked.
    for (name, p) in [
        ("hard_limit 0", lockout_policy(0, 1, 1, 0)),
        ("hard_limit 101", lockout_policy(5, 1, 900, 101)),
        ("hard_limit 255", lockout_policy(5, 1, 900, 255)),
        (
            "free_failures above hard_limit",
            lockout_policy(6, 1, 900, 5),
        ),
        ("base_delay_secs 0", lockout_policy(5, 0, 900, 100)),
        (
            "base_delay_secs 86401",
            lockout_policy(5, 86_401, 86_401, 100),
        ),
        ("max_delay_secs 0", lockout_policy(5, 1, 0, 100)),
        ("max_delay_secs 86401", lockout_policy(5, 1, 86_401, 100)),
        (
            "max_delay_secs below base_delay_secs",
            lockout_policy(5, 60, 59, 100),
        ),
        (
            "hard_limit 256: wider than 8 bits, out_of_range with the value given",
            lockout_policy(5, 1, 900, 256),
        ),
        (
            "free_failures 256: above hard_limit with the value given",
            lockout_policy(256, 1, 900, 100),
        ),
        ("base_delay_secs 2^32", lockout_policy(5, 1 << 32, 900, 100)),
        ("max_delay_secs 2^64-1", lockout_policy(5, 1, u64::MAX, 100)),
        ("hard_limit checked first", lockout_policy(200, 0, 0, 0)),
        (
            "free_failures before the delays",
            lockout_policy(101, 0, 0, 100),
        ),
        (
            "base_delay_secs before max_delay_secs",
            lockout_policy(5, 0, 0, 100),
        ),
        (
            "max_delay_secs range before below base",
            lockout_policy(5, 10, 0, 100),
        ),
    ] {
        cases.push((format!("refused policy: {name}"), p, Vec::new()));
    }
    for (name, p) in [
        ("hard_limit 100, free 100", lockout_policy(100, 1, 1, 100)),
        ("delays of a day", lockout_policy(0, 86_400, 86_400, 1)),
        ("free 0, hard 1, delays 1", lockout_policy(0, 1, 1, 1)),
    ] {
        cases.push((
            format!("policy at the bounds: {name}"),
            p,
            vec![try_at(t0), check_at(t0)],
        ));
    }
    cases
        .into_iter()
        .map(|(name, policy, steps)| {
            vector(
                "lockout",
                json!({"name": name, "policy": policy, "steps": steps}),
            )
        })
        .collect()
}

// --- calling codes ---------------------------------------------------------------------------

fn calling_code_vectors() -> Vec<Value> {
    let mut out = Vec::new();
    // Every prefix of 1 to 3 digits, as a number of 11 digits: kept when it
    // is itself the assigned code (every assigned code once) or when no
    // code matches (every spare or reserved code). The prefixes a shorter
    // code already decides (1x, 7x, 44x, ...) are left out here.
    for c in 1..=999u32 {
        let digits = c.to_string();
        let number = format!("+{digits}{}", &"5551234567"[..10 - digits.len()]);
        let v = vector("calling_codes", json!({"name": "", "number": number}));
        let (kind, keep) = match v["country_code"].as_u64() {
            Some(x) if x == u64::from(c) => ("assigned", true),
            Some(_) => ("", false),
            None => ("spare or reserved", digits.len() == 3 || c < 10),
        };
        if keep {
            let name = format!("{kind} {}-digit code {c}", digits.len());
            out.push(vector(
                "calling_codes",
                json!({"name": name, "number": number}),
            ));
        }
    }
    for (name, number) in [
        ("NANP: the United States", "+15557788999"),
        ("NANP: the Dominican Republic is 1 too", "+18095551234"),
        ("NANP: Guam is 1, not spare 671", "+16715551234"),
        ("NANP: American Samoa is 1, not spare 684", "+16845551234"),
        ("NANP: the shortest number", "+12"),
        ("NANP: the longest number", "+199999999999999"),
        ("+7: Russia", "+74951234567"),
        ("+7: Kazakhstan", "+77011234567"),
        ("a 2-digit number that is a 2-digit code", "+20"),
        ("a 2-digit number shorter than its 3-digit code", "+21"),
        ("a 2-digit number under 3-digit codes only", "+23"),
        ("a 3-digit number that is a 3-digit code", "+234"),
        ("a 2-digit number under a spare 2-digit prefix", "+28"),
        ("a 2-digit number: 88", "+88"),
        ("a 2-digit number: 99", "+99"),
        ("a 15-digit number", "+998901234567890"),
        ("international freephone", "+80012345678"),
        ("GMSS satellite", "+8816212345678"),
        ("international networks 882", "+882123456"),
        ("international networks 883", "+883123456"),
        ("Palestine 970", "+970591234567"),
        ("Vatican 379", "+3791234567"),
        ("Kosovo 383", "+38344123456"),
        ("OCHA 888, returned to spare", "+8881234567"),
        ("shared cost 808, reserved", "+8081234567"),
        ("maritime 875, reserved", "+8751234567"),
        ("999, reserved", "+9991234567"),
    ] {
        out.push(vector(
            "calling_codes",
            json!({"name": name, "number": number}),
        ));
    }
    out
}

// --- files ----------------------------------------------------------------------

fn generate() -> Vec<(&'static str, Value)> {
    vec![
        (
            "tokens.json",
            file(
                "mfa-core/tokens/1",
                "RNG byte stream -> challenge id and token",
                token_vectors(),
            ),
        ),
        (
            "params.json",
            file(
                "mfa-core/params/1",
                "request -> resolved parameters or every violation",
                param_vectors(),
            ),
        ),
        (
            "render.json",
            file(
                "mfa-core/render/1",
                "parameters + token -> delivery text and its measures",
                render_vectors(),
            ),
        ),
        (
            "segments.json",
            file(
                "mfa-core/segments/1",
                "text -> SMS encoding, units, parts",
                segment_vectors(),
            ),
        ),
        (
            "normalize.json",
            file(
                "mfa-core/normalize/1",
                "submitted text -> normalised symbols, or null for a wrong token",
                normalize_vectors(),
            ),
        ),
        (
            "traces.json",
            file(
                "mfa-core/traces/1",
                "issue, then calls at given times -> outcome and state after each",
                trace_vectors(),
            ),
        ),
        (
            "wire.json",
            file(
                "mfa-core/wire/1",
                "outcome -> HTTP status and JSON body",
                wire_vectors(),
            ),
        ),
        (
            "bodies.json",
            file(
                "mfa-core/bodies/1",
                "raw request or verify body -> parsed fields, or the 422 bad-body answer",
                body_vectors(),
            ),
        ),
        (
            "ids.json",
            file(
                "mfa-core/ids/1",
                "id text or 16 bytes -> canonical id, or the parse error",
                id_vectors(),
            ),
        ),
        (
            "stored.json",
            file(
                "mfa-core/stored/1",
                "stored record (JSON text) -> accepted and written back, or refused",
                stored_vectors(),
            ),
        ),
        (
            "limits.json",
            file(
                "mfa-core/limits/1",
                "send policy + events at given times -> allowed or refused with the wait, and the revision",
                limit_vectors(),
            ),
        ),
        (
            "lockout.json",
            file(
                "mfa-core/lockout/1",
                "lockout policy + tries, successes and checks at given times -> allowed, wait or locked, and the failures",
                lockout_vectors(),
            ),
        ),
        (
            "calling_codes.json",
            file(
                "mfa-core/calling_codes/1",
                "E.164 number -> ITU-T country calling code, or null",
                calling_code_vectors(),
            ),
        ),
    ]
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap();
    s.push('\n');
    s
}

#[test]
fn vectors_are_current() {
    let write = std::env::var_os("MFA_WRITE_VECTORS").is_some();
    let mut total = 0;
    let mut stale = Vec::new();
    for (name, v) in generate() {
        total += v["vectors"].as_array().unwrap().len();
        let path = format!("{DIR}/{name}");
        let text = pretty(&v);
        if write {
            std::fs::create_dir_all(DIR).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the generator produces: rerun with MFA_WRITE_VECTORS=1 and review the diff"
    );
    assert!(total >= 700, "only {total} vectors");
}

fn load(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}/{name}")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

#[test]
fn replay_tokens() {
    for v in load("tokens.json") {
        let mut body = json!({"to": "+15557788999", "token_length": v["token_length"], "allow_alphas": v["alphabet"] == "alphanumeric"});
        let host = match v["host_token"].as_str() {
            Some(t) => {
                body.as_object_mut().unwrap().remove("token_length");
                json!({"token": t})
            }
            None => json!({}),
        };
        let r = Req::from_json(&req_json(Channel::Sms, body, host)).unwrap();
        let rng = unhex(v["rng"].as_str().unwrap());
        let params = r.request().validate().unwrap();
        let mut br = StreamRng::new(&rng);
        let (c, _) = Challenge::issue(&params, &mut br, UnixTime::from_secs(0)).unwrap();
        assert_eq!(
            br.used(),
            rng.len(),
            "{}: every byte is consumed",
            v["name"]
        );
        assert_eq!(json!(br.requests), v["requests"], "{}", v["name"]);
        assert_eq!(c.parts().id.to_string(), v["id"].as_str().unwrap());
        assert_eq!(
            c.parts().token.expose_secret(),
            v["token"].as_str().unwrap()
        );
    }
}

#[test]
fn replay_segments_and_normalisation() {
    for v in load("segments.json") {
        let s = segments(v["text"].as_str().unwrap());
        assert_eq!(json!(s.encoding.name()), v["encoding"]);
        assert_eq!(json!(s.units), v["units"]);
        assert_eq!(json!(s.parts), v["parts"]);
    }
    for v in load("normalize.json") {
        let n = Normalized::new(v["input"].as_str().unwrap());
        assert_eq!(json!(n.as_ref().map(|n| n.as_str())), v["normalized"]);
    }
}

#[test]
fn replay_traces() {
    for v in load("traces.json") {
        let r = Req::from_json(&v).unwrap();
        let params = r.request().validate().unwrap();
        let rng = unhex(v["rng"].as_str().unwrap());
        let at = UnixTime::from_secs(v["issued_at"].as_u64().unwrap());
        let (mut c, d) = Challenge::issue(&params, &mut StreamRng::new(&rng), at).unwrap();
        assert_eq!(
            c.parts().token.expose_secret(),
            v["token"].as_str().unwrap()
        );
        assert_eq!(d.text(), v["first_delivery"].as_str().unwrap());
        for step in v["steps"].as_array().unwrap() {
            let outcome = oracle::perform(&mut c, step).unwrap();
            assert_eq!(
                oracle::after(&c, step["at"].as_u64().unwrap(), outcome),
                step["after"],
                "{}: {step}",
                v["name"]
            );
        }
    }
}

#[test]
fn replay_params() {
    for v in load("params.json") {
        assert_eq!(
            oracle::params_result(&Req::from_json(&v).unwrap()).unwrap(),
            v["result"],
            "{}",
            v["name"]
        );
    }
}

#[test]
fn replay_bodies() {
    for v in load("bodies.json") {
        let name = &v["name"];
        let got = oracle::parse_body(v["endpoint"].as_str().unwrap(), v["json"].as_str().unwrap())
            .unwrap();
        let want = &v["result"];
        match got {
            Ok(parsed) => assert_eq!(json!({"ok": parsed}), *want, "{name}"),
            Err(r) => {
                let bad = &want["bad_body"];
                let e = oracle::entry(&r).unwrap();
                assert_eq!(json!(r.status), bad["status"], "{name}");
                assert_eq!(e["title"], bad["title"], "{name}");
                assert_eq!(e["code"], bad["code"], "{name}");
                let detail = e["detail"].as_str().unwrap();
                if let Some(field) = bad["detail_names"].as_str() {
                    assert!(detail.contains(field), "{name}: {detail}");
                }
                for s in bad["detail_must_not_contain"].as_array().unwrap() {
                    assert!(!detail.contains(s.as_str().unwrap()), "{name}: {detail}");
                }
            }
        }
    }
}

#[test]
fn replay_ids() {
    for v in load("ids.json") {
        let got = match (v["text"].as_str(), v["bytes"].as_str()) {
            (Some(t), None) => oracle::id_result(ChallengeId::parse(t)),
            (None, Some(b)) => {
                oracle::id_result(ChallengeId::from_bytes(unhex(b).try_into().unwrap()))
            }
            _ => panic!("{}: text or bytes", v["name"]),
        };
        assert_eq!(got.unwrap(), v["result"], "{}", v["name"]);
    }
}

#[test]
fn replay_stored() {
    const KEYS: [&str; 13] = [
        "id",
        "channel",
        "to",
        "from",
        "token",
        "allow_alphas",
        "issued_at",
        "valid_for",
        "max_attempts",
        "attempts_used",
        "max_deliveries",
        "deliveries",
        "state",
    ];
    for v in load("stored.json") {
        let name = &v["name"];
        let text = v["json"].as_str().unwrap();
        match (
            serde_json::from_str::<Challenge>(text),
            v["result"].get("ok"),
        ) {
            (Ok(c), Some(ok)) => {
                let written = serde_json::to_string(&c).unwrap();
                assert_eq!(json!(written), ok["written"], "{name}");
                // The writer's key order (SPEC §8.1).
                let w: Value = serde_json::from_str(&written).unwrap();
                let keys: Vec<&str> = w["v2"]["challenge"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .map(String::as_str)
                    .collect();
                assert_eq!(keys, KEYS, "{name}");
            }
            (Err(e), None) => {
                assert!(v["result"]["refused"]["field"].is_string(), "{name}");
                // A read error never holds the token (SPEC §8.4).
                let w: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                let token = w["v2"]["challenge"]["token"]
                    .as_str()
                    .or(w["v1"]["challenge"]["token"].as_str())
                    .or(w["v1"]["token"].as_str());
                if let Some(t) = token {
                    if t.len() >= 4 {
                        assert!(!e.to_string().contains(t), "{name}: {e}");
                    }
                }
            }
            (got, _) => panic!("{name}: {:?}", got.map(|_| "accepted")),
        }
    }
}

/// The answer keys come in the contract's order (SPEC §7.5, §7.6), in the
/// files as in the crate's output.
#[test]
fn wire_key_order() {
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let mut issued = 0;
    let mut entries = 0;
    for v in load("wire.json") {
        let body = &v["body"];
        if v["outcome"]["kind"] == "issued" {
            assert_eq!(keys(body), ["id", "success", "to", "channel"]);
            issued += 1;
        }
        if let Some(errors) = body.get("errors") {
            for e in errors.as_array().unwrap() {
                assert_eq!(keys(e), ["detail", "status", "title", "code"]);
                entries += 1;
            }
        }
    }
    assert!(issued == 2 && entries > 10);
}

/// The README's table lists every file with its current number of vectors.
#[test]
fn readme_counts_are_current() {
    let readme = std::fs::read_to_string(format!("{DIR}/README.md")).unwrap();
    let mut total = 0;
    for (name, v) in generate() {
        let n = v["vectors"].as_array().unwrap().len();
        total += n;
        let row = format!("| `{name}` | {n} |");
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
    // `templates.json` is generated by `tests/vector_templates.rs`, which
    // checks that it is current: counted from the file.
    let n = load("templates.json").len();
    total += n;
    let row = format!("| `templates.json` | {n} |");
    assert!(readme.contains(&row), "README.md lacks the row {row}");
    let row = format!("| total | {total} |");
    assert!(readme.contains(&row), "README.md lacks the row {row}");
}

/// A 422 detail never holds a submitted value (SPEC §7.8) nor the host
/// token (SPEC §2.6), for every request in params.json.
#[test]
fn params_details_never_echo() {
    for v in load("params.json") {
        let r = Req::from_json(&v).unwrap();
        let Err(violations) = r.request().validate() else {
            continue;
        };
        let body = serde_json::to_value(HttpResponse::invalid(&violations).body).unwrap();
        let mut values: Vec<&str> = ["to", "from", "message"]
            .iter()
            .filter_map(|k| v["body"][k].as_str())
            .collect();
        values.extend(v["host"]["token"].as_str());
        for e in body["errors"].as_array().unwrap() {
            let detail = e["detail"].as_str().unwrap();
            for s in values.iter().filter(|s| s.chars().count() >= 4) {
                assert!(!detail.contains(s), "{}: {detail}", v["name"]);
            }
        }
    }
}

/// Every file is a transcript of the oracle: the requests of its vectors
/// (`split`), answered by the oracle and merged back, give the file again,
/// byte for byte (so key order counts).
#[test]
fn files_are_oracle_transcripts() {
    let mut total = 0;
    for family in FAMILIES {
        let path = format!("{DIR}/{family}.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let vectors: Vec<Value> = doc["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let request = split(family, v);
                let line = oracle::answer_line(&request.to_string());
                let answer: Value = serde_json::from_str(&line).unwrap();
                assert!(
                    answer.get("error").is_none(),
                    "{family}: {request} -> {line}"
                );
                total += 1;
                merge(&request, &answer)
            })
            .collect();
        doc["vectors"] = Value::Array(vectors);
        assert!(
            pretty(&doc) == text,
            "{family}.json is not the oracle's transcript"
        );
    }
    assert!(total >= 700, "only {total} vectors");
}

#[test]
fn replay_limits() {
    use mfa_core::throttle::{SendLog, SendPolicy, Window};
    let mut refused = 0;
    for v in load("limits.json") {
        let name = &v["name"];
        // The stored form reads exactly the valid policies.
        let read = serde_json::from_value::<SendPolicy>(v["policy"].clone());
        let windows: Result<Vec<Window>, _> = v["policy"]["windows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                let (max, interval) = (
                    w["max"].as_u64().unwrap(),
                    w["interval_secs"].as_u64().unwrap(),
                );
                let wide = Window::try_new(max, interval);
                // Where the values fit the narrow API, it agrees.
                if let (Ok(m), Ok(i)) = (u8::try_from(max), u32::try_from(interval)) {
                    assert_eq!(Window::new(m, i), wide, "{name}");
                }
                wide
            })
            .collect();
        match (
            windows.and_then(|w| SendPolicy::new(&w)),
            &v["invalid_policy"],
        ) {
            (Err(e), want) if want.is_object() => {
                assert!(read.is_err(), "{name}");
                assert_eq!(oracle::limit_error_json(&e).unwrap(), *want, "{name}");
                assert!(v["steps"].as_array().unwrap().is_empty(), "{name}");
                refused += 1;
            }
            (Ok(policy), Value::Null) => {
                assert_eq!(read.unwrap(), policy, "{name}");
                let mut log = SendLog::new();
                for s in v["steps"].as_array().unwrap() {
                    let now = UnixTime::from_secs(s["at"].as_u64().unwrap());
                    let decision = match s["op"].as_str().unwrap() {
                        "send" => log.try_send(&policy, now),
                        "check" => log.check(&policy, now),
                        op => panic!("{name}: op {op}"),
                    };
                    let want = &s["after"];
                    assert_eq!(json!(log.revision()), want["revision"], "{name}: {s}");
                    let kept: Vec<u64> = log.events().map(UnixTime::as_secs).collect();
                    assert_eq!(json!(kept), want["events"], "{name}: {s}");
                    match decision {
                        Ok(()) => assert_eq!(want["decision"], "allowed", "{name}: {s}"),
                        Err(r) => {
                            assert_eq!(want["decision"], "refused", "{name}: {s}");
                            assert_eq!(json!(r.secs()), want["retry_after"], "{name}: {s}");
                        }
                    }
                }
            }
            (got, _) => panic!("{name}: {got:?}"),
        }
    }
    assert!(refused >= 8);
}

#[test]
fn replay_lockout() {
    use mfa_core::throttle::{Attempt, Lockout, LockoutPolicy};
    for v in load("lockout.json") {
        let name = &v["name"];
        let p = &v["policy"];
        let int = |k: &str| p[k].as_u64().unwrap();
        let read = serde_json::from_value::<LockoutPolicy>(p.clone());
        let made = LockoutPolicy::try_new(
            int("free_failures"),
            int("base_delay_secs"),
            int("max_delay_secs"),
            int("hard_limit"),
        );
        // Where the values fit the narrow API, it agrees.
        if let (Ok(f), Ok(b), Ok(m), Ok(h)) = (
            u8::try_from(int("free_failures")),
            u32::try_from(int("base_delay_secs")),
            u32::try_from(int("max_delay_secs")),
            u8::try_from(int("hard_limit")),
        ) {
            assert_eq!(LockoutPolicy::new(f, b, m, h), made, "{name}");
        }
        match (made, &v["invalid_policy"]) {
            (Err(e), want) if want.is_object() => {
                assert!(read.is_err(), "{name}");
                assert_eq!(oracle::limit_error_json(&e).unwrap(), *want, "{name}");
            }
            (Ok(policy), Value::Null) => {
                assert_eq!(read.unwrap(), policy, "{name}");
                let mut state = Lockout::new();
                for s in v["steps"].as_array().unwrap() {
                    let at = || UnixTime::from_secs(s["at"].as_u64().unwrap());
                    let attempt = match s["op"].as_str().unwrap() {
                        "try" => Some(state.try_verify(&policy, at())),
                        "check" => Some(state.check(&policy, at())),
                        "success" | "reset" => {
                            state.reset();
                            None
                        }
                        op => panic!("{name}: op {op}"),
                    };
                    let want = &s["after"];
                    let (answer, secs) = match attempt {
                        None => (Value::Null, Value::Null),
                        Some(Attempt::Allowed) => (json!("allowed"), Value::Null),
                        Some(Attempt::Wait { secs }) => (json!("wait"), json!(secs)),
                        Some(Attempt::Locked) => (json!("locked"), Value::Null),
                    };
                    assert_eq!(want["answer"], answer, "{name}: {s}");
                    assert_eq!(want["secs"], secs, "{name}: {s}");
                    assert_eq!(json!(state.failures()), want["failures"], "{name}: {s}");
                    assert_eq!(json!(state.revision()), want["revision"], "{name}: {s}");
                }
            }
            (got, _) => panic!("{name}: {got:?}"),
        }
    }
}

#[test]
fn replay_calling_codes() {
    let mut codes = std::collections::BTreeSet::new();
    for v in load("calling_codes.json") {
        let n: mfa_core::PhoneNumber = v["number"].as_str().unwrap().parse().unwrap();
        assert_eq!(json!(n.country_code()), v["country_code"], "{}", v["name"]);
        codes.extend(n.country_code());
    }
    // Every assigned code appears.
    assert_eq!(codes.len(), 216);
}

/// The built oracle binary (`target/<profile>/examples/oracle`), next to
/// this test's own executable (`target/<profile>/deps/vectors-…`).
/// `cargo test --all-features` builds it with the examples.
fn oracle_binary() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir
        .join("examples")
        .join(format!("oracle{}", std::env::consts::EXE_SUFFIX));
    bin.is_file().then_some(bin)
}

/// Runs the oracle binary on `input`; without a built binary, through
/// `cargo run` once.
fn run_oracle(input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = match oracle_binary() {
        Some(bin) => Command::new(bin),
        None => {
            let mut c = Command::new(env!("CARGO"));
            c.args(["run", "--quiet", "--all-features", "--example", "oracle"])
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the oracle starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "the oracle exits 0");
    out.stdout
}

/// End to end: the example binary answers one line per request line,
/// survives garbage (not JSON, not UTF-8, unknown family, missing and
/// ill-typed fields, an empty line, a CR LF line end) and answers every
/// line exactly as the shared oracle logic does.
#[test]
fn oracle_binary_end_to_end() {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for family in FAMILIES {
        let v = &load(&format!("{family}.json"))[0];
        lines.push(split(family, v).to_string().into_bytes());
    }
    let garbage: [&[u8]; 12] = [
        b"not json",
        b"",
        b"{\"family\":\"segments\"}",
        b"{\"family\":\"segments\",\"text\":5}",
        b"{\"family\":\"nope\",\"text\":\"x\"}",
        b"[1,2,3]",
        b"\xff\xfe\x00",
        b"{\"family\":\"limits\",\"policy\":{\"windows\":[{\"max\":-1,\"interval_secs\":1}]},\"steps\":[]}",
        b"{\"family\":\"traces\",\"channel\":\"sms\",\"body\":{\"to\":\"+15557788999\"},\"host\":{},\"issued_at\":0,\"rng\":\"00\",\"steps\":[]}",
        b"{\"family\":\"tokens\",\"alphabet\":\"numeric\",\"token_length\":6,\"rng\":\"zz\"}",
        b"{\"family\":\"calling_codes\",\"number\":\"+0\"}",
        b"{\"family\":\"segments\",\"text\":\"CR LF\"}\r",
    ];
    let real = lines.len();
    lines.extend(garbage.iter().map(|g| g.to_vec()));
    // Garbage between good lines too: the oracle keeps going.
    lines.push(lines[3].clone());
    let mut input = lines.join(&b'\n');
    input.push(b'\n');
    let out = String::from_utf8(run_oracle(&input)).expect("answers are UTF-8");
    let answers: Vec<&str> = out.lines().collect();
    assert_eq!(answers.len(), lines.len(), "one answer per line");
    for (i, (line, got)) in lines.iter().zip(&answers).enumerate() {
        let v: Value = serde_json::from_str(got).expect("an answer is JSON");
        assert!(v.is_object(), "{got}");
        assert_eq!(*got, oracle::answer_line_bytes(line), "line {i}");
        let is_error = v.get("error").is_some();
        let garbage = (real..real + garbage.len() - 1).contains(&i);
        assert_eq!(is_error, garbage, "line {i}: {got}");
    }
}
