//! The guide's JSON shapes and HTTP answers (feature `serde`).
#![cfg(feature = "serde")]

mod common;
use common::*;

use mfa_core::wire::{Body, ErrorBody, HttpResponse, RequestAnswer, RequestBody, VerifyBody};
use mfa_core::{Challenge, Channel, Closed, Verification};
use serde_json::{Value, json};

fn body(json: &str) -> Result<RequestBody, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

fn to_json(r: &HttpResponse) -> Value {
    serde_json::to_value(&r.body).unwrap()
}

#[test]
fn the_guides_minimal_body() {
    let b = body(r#"{"to": "+15557788999"}"#).unwrap();
    let p = b.to_request(Channel::Sms).validate().unwrap();
    assert_eq!(p.to().as_str(), "+15557788999");
    assert_eq!(
        (p.token_length(), p.max_attempts(), p.valid_for()),
        (6, 3, 3600)
    );
}

#[test]
fn the_guides_long_body_with_allow_alpha() {
    let b = body(
        r#"{
        "to": "+15557788999",
        "from": "+5554433222",
        "message": "Here is your code: ",
        "allow_alpha": true,
        "token_length": 8,
        "valid_for": 7200,
        "max_attempts": 4
    }"#,
    )
    .unwrap();
    assert_eq!(b.allow_alphas, Some(true));
    let p = b.to_request(Channel::Sms).validate().unwrap();
    assert_eq!(p.token_length(), 8);
    assert_eq!(p.max_attempts(), 4);
    assert_eq!(p.valid_for(), 7200);
    assert_eq!(p.alphabet(), mfa_core::Alphabet::Alphanumeric);
    assert_eq!(p.message(), "Here is your code: ");
    assert_eq!(p.to().as_str(), "+15557788999");
    assert_eq!(
        p.from().map(|n| n.to_string()).as_deref(),
        Some("+5554433222")
    );
    // Both spellings read the same field.
    let b2 = body(r#"{"to":"+15557788999","allow_alphas":true}"#).unwrap();
    assert_eq!(b2.allow_alphas, Some(true));
    // Serialized back, it uses the SPEC's spelling and leaves absent fields out.
    assert_eq!(
        serde_json::to_value(&b2).unwrap(),
        json!({"to": "+15557788999", "allow_alphas": true})
    );
}

#[test]
fn absent_and_null_fields_take_defaults() {
    let b = body(r#"{"to":"+15557788999","from":null,"token_length":null}"#).unwrap();
    assert_eq!(
        b,
        RequestBody {
            to: Some("+15557788999".into()),
            ..RequestBody::default()
        }
    );
    let b = body("{}").unwrap();
    let v = b.to_request(Channel::Call).validate().unwrap_err();
    assert_eq!(v.to_string(), "`to` is required");
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let e = body(r#"{"to":"+15557788999","tokenLength":8}"#).unwrap_err();
    assert!(e.contains("unknown field `tokenLength`"), "{e}");
    let e = body(r#"{"to":"+15557788999","max_deliveries":8}"#).unwrap_err();
    assert!(e.contains("unknown field `max_deliveries`"), "{e}");
    let e = body(r#"{"token":"123456"}"#).unwrap_err();
    assert!(e.contains("unknown field `token`"), "{e}");
}

#[test]
fn wrong_types_are_refused_by_name() {
    for (json, field) in [
        (r#"{"to":15557788999}"#, "to"),
        (r#"{"to":"+1555","from":5}"#, "from"),
        (r#"{"to":"+1555","message":["a"]}"#, "message"),
        (r#"{"to":"+1555","token_length":"8"}"#, "token_length"),
        (r#"{"to":"+1555","token_length":8.5}"#, "token_length"),
        (r#"{"to":"+1555","max_attempts":true}"#, "max_attempts"),
        (r#"{"to":"+1555","allow_alpha":"yes"}"#, "allow_alphas"),
        (r#"{"to":"+1555","allow_alphas":1}"#, "allow_alphas"),
        (r#"{"to":"+1555","valid_for":1e99}"#, "valid_for"),
        (
            r#"{"to":"+1555","valid_for":18446744073709551616}"#,
            "valid_for",
        ),
    ] {
        let e = body(json).unwrap_err();
        assert!(e.contains(&format!("field `{field}`")), "{json}: {e}");
    }
}

#[test]
fn duplicates_are_refused() {
    let e = body(r#"{"to":"+1555","to":"+1666"}"#).unwrap_err();
    assert!(e.contains("field `to` is given twice"), "{e}");
    let e = body(r#"{"to":"+1555","allow_alpha":true,"allow_alphas":false}"#).unwrap_err();
    assert!(e.contains("field `allow_alphas` is given twice"), "{e}");
    let e = body(r#"[1,2]"#).unwrap_err();
    assert!(e.contains("the body must be a JSON object"), "{e}");
}

#[test]
fn out_of_range_values_become_422_entries() {
    let b = body(r#"{"to":"555","token_length":3,"max_attempts":21,"valid_for":-1}"#).unwrap();
    let v = b.to_request(Channel::Sms).validate().unwrap_err();
    let r = HttpResponse::invalid(&v);
    assert_eq!(r.status, 422);
    assert_eq!(
        to_json(&r),
        json!({"errors": [
            {"detail": "`to` must be an E.164 number: E.164 numbers start with '+'",
             "status": "422", "title": "Invalid parameter: to", "code": "invalid_e164"},
            {"detail": "`token_length` must be from 4 to 20 (given 3)",
             "status": "422", "title": "Invalid parameter: token_length", "code": "out_of_range"},
            {"detail": "`max_attempts` must be from 1 to 20 (given 21)",
             "status": "422", "title": "Invalid parameter: max_attempts", "code": "out_of_range"},
            {"detail": "`valid_for` must be from 0 to 604800 (given -1)",
             "status": "422", "title": "Invalid parameter: valid_for", "code": "out_of_range"},
        ]})
    );
}

#[test]
fn a_body_that_does_not_parse_is_a_422_naming_the_field() {
    let e = serde_json::from_str::<RequestBody>(r#"{"to":"+1555","colour":1}"#).unwrap_err();
    let r = HttpResponse::bad_body(&e);
    assert_eq!(r.status, 422);
    let Body::Errors(ErrorBody { errors }) = &r.body else {
        panic!()
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "invalid_body");
    assert!(errors[0].detail.contains("colour"));
}

#[test]
fn issue_answer_has_the_guides_shape() {
    let b = body(r#"{"to":"+15557788999"}"#).unwrap();
    let p = b.to_request(Channel::Call).validate().unwrap();
    let (c, _) = Challenge::issue(&p, &mut rng(1), T0).unwrap();
    let r = HttpResponse::issued(&c);
    assert_eq!(r.status, 200);
    let v = to_json(&r);
    assert_eq!(
        v,
        json!({"id": c.parts().id.to_string(), "success": true, "to": "+15557788999", "channel": "call"})
    );
    // Key order is the guide's.
    let text = serde_json::to_string(&r.body).unwrap();
    assert!(text.starts_with(r#"{"id":"#) && text.contains(r#","success":true,"to":"#));
    let back: RequestAnswer = serde_json::from_str(&text).unwrap();
    assert_eq!(back.id.len(), 36);
}

#[test]
fn verify_body_and_answers() {
    let vb: VerifyBody = serde_json::from_str(r#"{"token":"123456"}"#).unwrap();
    assert_eq!(vb.token, "123456");
    assert_eq!(format!("{vb:?}"), "VerifyBody { token: <redacted> }");
    let e = serde_json::from_str::<VerifyBody>("[1]")
        .unwrap_err()
        .to_string();
    assert!(e.contains("the body must be a JSON object"), "{e}");
    for (bad, says) in [
        (r#"{}"#, "missing field `token`"),
        (r#"{"token":123456}"#, "field `token`: must be a string"),
        (r#"{"token":"1","code":"2"}"#, "unknown field `code`"),
        (
            r#"{"token":"1","token":"2"}"#,
            "field `token` is given twice",
        ),
    ] {
        let e = serde_json::from_str::<VerifyBody>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{bad}: {e}");
        // A code typed as a number is not repeated in the error.
        assert!(!e.contains("123456"), "{e}");
    }

    let (mut c, _) = issue(sms(TO), 2);
    let right = code(&c);
    let wrong_answer = HttpResponse::verification(&c.verify(&wrong(&right), T0).into_answer());
    assert_eq!(
        (wrong_answer.status, to_json(&wrong_answer)),
        (200, json!({"success": false}))
    );
    let ok = HttpResponse::verification(&c.verify(&right, T0).into_answer());
    assert_eq!((ok.status, to_json(&ok)), (200, json!({"success": true})));
    let again = HttpResponse::verification(&c.verify(&right, T0).into_answer());
    assert_eq!(again.status, 404);
    assert_eq!(to_json(&again)["errors"][0]["code"], "already_verified");
}

#[test]
fn every_terminal_reason_and_an_unknown_id_is_404() {
    for (reason, code) in [
        (Closed::AlreadyVerified, "already_verified"),
        (Closed::AttemptsExhausted, "attempts_exhausted"),
        (Closed::Expired, "expired"),
        (Closed::Canceled, "canceled"),
    ] {
        let r = HttpResponse::verification(&Verification::Rejected(reason));
        assert_eq!(r.status, 404);
        let v = to_json(&r);
        assert_eq!(v["errors"][0]["code"], code);
        assert_eq!(v["errors"][0]["status"], "404");
        assert_eq!(v["errors"][0]["title"], "Not Found");
        assert_eq!(HttpResponse::closed(reason), r);
    }
    let r = HttpResponse::not_found();
    assert_eq!(r.status, 404);
    assert_eq!(to_json(&r)["errors"][0]["code"], "not_found");
}

/// SPEC §7.8: a 422 detail names the field and the rule, never the value
/// sent: not a code typed as the whole body, not a wrong-typed field, not a
/// phone number; an unknown key is named, cut at 32 characters.
#[test]
fn bad_body_details_never_echo_what_was_sent() {
    let detail = |r: HttpResponse| match r.body {
        Body::Errors(ErrorBody { errors }) => errors[0].detail.clone(),
        other => panic!("{other:?}"),
    };
    for (json, says) in [
        ("48205716", "the body must be a JSON object"),
        (r#""48205716""#, "the body must be a JSON object"),
        ("4820.5716", "the body must be a JSON object"),
        (r#"{"token": 48205716}"#, "field `token`: must be a string"),
        (
            r#"{"token": [48205716]}"#,
            "field `token`: must be a string",
        ),
    ] {
        let e = serde_json::from_str::<VerifyBody>(json).unwrap_err();
        let d = detail(HttpResponse::bad_body(&e));
        assert!(d.contains(says), "{json}: {d}");
        assert!(
            !d.contains("48205716") && !d.contains("5716"),
            "{json}: {d}"
        );
    }
    for (json, says) in [
        ("48205716", "the body must be a JSON object"),
        (r#"{"to": 15557788999}"#, "field `to`: must be a string"),
        (
            r#"{"token_length": "48205716"}"#,
            "field `token_length`: must be an integer",
        ),
        (
            r#"{"valid_for": 48205716.0}"#,
            "field `valid_for`: must be an integer",
        ),
        (
            r#"{"max_attempts": 48205716000000000000}"#,
            "field `max_attempts`: must be an integer",
        ),
        (
            r#"{"max_attempts": 18446744073709551615}"#,
            "field `max_attempts`: must be an integer",
        ),
        (
            r#"{"allow_alpha": "48205716"}"#,
            "field `allow_alphas`: must be true or false",
        ),
    ] {
        let e = serde_json::from_str::<RequestBody>(json).unwrap_err();
        let d = detail(HttpResponse::bad_body(&e));
        assert!(d.contains(says), "{json}: {d}");
        assert!(
            !d.contains("48205716") && !d.contains("15557788999"),
            "{json}: {d}"
        );
    }
    let long_key = format!(r#"{{"{}": 1}}"#, "k".repeat(1 << 20));
    let e = serde_json::from_str::<RequestBody>(&long_key).unwrap_err();
    let d = detail(HttpResponse::bad_body(&e));
    assert!(
        d.contains(&format!("unknown field `{}…`", "k".repeat(32))),
        "{}",
        &d[..80]
    );
    assert!(d.len() < 200, "{} bytes", d.len());
    // An invalid number is named by its rule, not repeated: 1 MiB of digits
    // makes a short detail.
    let huge = format!(r#"{{"to": "+1{}x"}}"#, "5".repeat(1 << 20));
    let b: RequestBody = serde_json::from_str(&huge).unwrap();
    let r = HttpResponse::invalid(&b.to_request(Channel::Sms).validate().unwrap_err());
    let d = detail(r);
    assert!(!d.contains("5555"), "{d}");
    assert!(d.len() < 200, "{d}");
}

/// The answers only a host decides, in the guide's error shape (SPEC §7.7).
#[test]
fn host_answers_share_the_error_shape() {
    for (r, status, title, code, retry) in [
        (
            HttpResponse::error(401, "Unauthorized", "unauthorized", "bad credentials"),
            401,
            "Unauthorized",
            "unauthorized",
            None,
        ),
        (
            HttpResponse::rate_limited(42),
            429,
            "Too Many Requests",
            "rate_limited",
            Some(42),
        ),
        (
            HttpResponse::locked(Some(8)),
            429,
            "Too Many Requests",
            "locked",
            Some(8),
        ),
        (
            HttpResponse::locked(None),
            429,
            "Too Many Requests",
            "locked",
            None,
        ),
        (
            HttpResponse::error(
                502,
                "Bad Gateway",
                "transport_failed",
                "the SMS gateway failed",
            ),
            502,
            "Bad Gateway",
            "transport_failed",
            None,
        ),
    ] {
        assert_eq!((r.status, r.retry_after), (status, retry), "{code}");
        let v = to_json(&r);
        let keys: Vec<_> = v["errors"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys.len(), 4, "{v}");
        assert_eq!(v["errors"][0]["status"], status.to_string());
        assert_eq!(v["errors"][0]["title"], title);
        assert_eq!(v["errors"][0]["code"], code);
    }
    let waits = to_json(&HttpResponse::locked(Some(8)));
    assert!(
        waits["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("8 seconds")
    );
    // The library's own answers carry no Retry-After.
    assert_eq!(HttpResponse::not_found().retry_after, None);
}

/// SPEC §7.4: a problem found while reading a known key's value names the
/// field, whatever its kind, in the request body and the verify body
/// alike (the verify body named nothing for malformed text or `1e400`).
#[test]
fn a_problem_inside_a_known_value_names_the_field_in_both_bodies() {
    for json in [
        r#"{"token":tru}"#,
        r#"{"token":01}"#,
        r#"{"token":1e400}"#,
        r#"{"token":-1e309}"#,
        r#"{"token":"12\ud800"}"#,
        r#"{"token":NaN}"#,
    ] {
        let e = serde_json::from_str::<VerifyBody>(json)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field `token`"), "{json}: {e}");
        assert!(!e.contains("1234") && !e.contains("400"), "{json}: {e}");
    }
    for (json, field) in [
        (r#"{"to":tru}"#, "to"),
        (r#"{"token_length":01}"#, "token_length"),
        (r#"{"valid_for":1e309}"#, "valid_for"),
        (r#"{"message":"\ud800"}"#, "message"),
        (r#"{"allow_alpha":NaN}"#, "allow_alphas"),
    ] {
        let e = serde_json::from_str::<RequestBody>(json)
            .unwrap_err()
            .to_string();
        assert!(e.contains(&format!("field `{field}`")), "{json}: {e}");
    }
    // Malformed text outside any value names no field.
    let e = serde_json::from_str::<VerifyBody>(r#"{"token":"1234",}"#)
        .unwrap_err()
        .to_string();
    assert!(!e.contains("1234"), "{e}");
}

/// SPEC §7.4, §7.2: no byte order mark; keys compared after unescaping.
#[test]
fn a_byte_order_mark_is_refused_and_keys_are_unescaped() {
    assert!(serde_json::from_str::<VerifyBody>("\u{feff}{\"token\":\"1234\"}").is_err());
    assert!(serde_json::from_str::<RequestBody>("\u{feff}{}").is_err());
    let b: VerifyBody = serde_json::from_str(r#"{"t\u006fken":"1234"}"#).unwrap();
    assert_eq!(b.token, "1234");
    let e = serde_json::from_str::<VerifyBody>(r#"{"token":"1","\u0074oken":"2"}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("given twice"), "{e}");
    let r: RequestBody = serde_json::from_str(r#"{"\u0074o":"+15557788999"}"#).unwrap();
    assert_eq!(r.to.as_deref(), Some("+15557788999"));
    assert!(serde_json::from_str::<RequestBody>(r#"{"to":null,"t\u006f":null}"#).is_err());
}
