//! `bodies.json`: request and verify body parsing (SPEC §7.2-§7.4, §7.8).

use super::*;

/// One body case: name, endpoint, raw JSON, the field a bad body's detail
/// must name (SPEC §7.8: wrong type or given twice), values it must not
/// contain.
pub(super) type BodyCase = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

pub(super) fn body_cases() -> Vec<BodyCase> {
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

pub(super) fn body_vectors() -> Vec<Value> {
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
