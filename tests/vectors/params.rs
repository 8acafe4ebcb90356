//! `params.json`: validation, resolved parameters and every violation (SPEC §2).

use super::*;

pub(super) fn param_vectors() -> Vec<Value> {
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
