//! `wire.json`: statuses, bodies and answer key order (SPEC §7.5, §7.6).

use super::*;

pub(super) fn wire_vectors() -> Vec<Value> {
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
        let p = IssueRequest::new(ch, "+15557788999").validate().unwrap();
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
    let p = IssueRequest::new(Channel::Sms, "+15557788999")
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
