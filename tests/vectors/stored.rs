//! `stored.json`: stored-record validation (SPEC §8).

use super::*;

pub(super) const RECORD_ID: &str = "8630cc54-f6b2-45dd-b73b-cce28eb668d8";

/// A record in the writer's key order, with `change` applied to the
/// challenge's keys (`Value::Null` in `remove` deletes a key).
pub(super) fn record(revision: Value, change: &[(&str, Value)], remove: &[&str]) -> Value {
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
pub(super) fn flat_v1(revision: Value, change: &[(&str, Value)], remove: &[&str]) -> Value {
    let mut c = record(revision.clone(), change, remove)["v2"]["challenge"]
        .as_object()
        .unwrap()
        .clone();
    c.insert("revision".into(), revision);
    json!({ "v1": c })
}

/// (name, JSON text, for a refused record the key at fault and the rule).
pub(super) type StoredCase = (&'static str, String, Option<(&'static str, &'static str)>);

pub(super) fn stored_vectors() -> Vec<Value> {
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
