//! The guide's flow against a running server, with a real HTTP client.

mod common;

use common::{P1, P2, code_of, start, wrong};
use serde_json::json;

const TO: &str = "+15557788999";

#[tokio::test]
async fn sms_wrong_code_right_code_replay() {
    let s = start(&[]).await;
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        a.body,
        json!({"id": id, "success": true, "to": TO, "channel": "sms"})
    );
    assert_eq!(a.headers["content-type"], "application/json");

    let m = s.last();
    assert_eq!(
        (m.id.as_str(), m.channel, m.to.as_str(), m.from.as_deref()),
        (id.as_str(), "sms", TO, None)
    );
    assert!(
        m.text.starts_with("Your Personal Authorization Code is: "),
        "{m:?}"
    );
    let code = code_of(&m.text, 6);

    let a = s.verify(&id, &wrong(&code)).await;
    assert_eq!((a.status, &a.body), (200, &json!({"success": false})));
    // Spaces and dashes are fine.
    let typed = format!("{}-{} ", &code[..3], &code[3..]);
    let a = s.verify(&id, &typed).await;
    assert_eq!((a.status, &a.body), (200, &json!({"success": true})));
    // Replay: 404, with the reason.
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (404, "already_verified"));
    // The id in upper case names the same challenge.
    let a = s.verify(&id.to_uppercase(), &code).await;
    assert_eq!((a.status, a.code()), (404, "already_verified"));
}

#[tokio::test]
async fn call_spells_the_code() {
    let s = start(&[]).await;
    let a = s.call(r#"{"to": "+15557788999"}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["channel"], "call");
    let m = s.last();
    assert_eq!(m.channel, "call");
    assert!(
        m.text.starts_with("Your Personal Authorization Code is "),
        "{m:?}"
    );
    assert_eq!(m.text.matches(", ").count(), 5);
    let code = code_of(&m.text, 6);
    let a = s.verify(a.body["id"].as_str().unwrap(), &code).await;
    assert_eq!((a.status, &a.body), (200, &json!({"success": true})));
}

/// A `{code}` template (SPEC §4.10) reaches the transport rendered: the
/// code where the placeholder stands, `{{`/`}}` as one brace, a call's
/// spelled code ending in '.' only at the end; a broken template or one too
/// long once rendered is 422 on `message`, and nothing is sent.
#[tokio::test]
async fn code_templates_arrive_rendered() {
    let s = start(&[]).await;
    let a = s
        .sms(r#"{"to": "+15557788999", "from": "+15554433222", "message": "{{Acme}} {code} is your code"}"#)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let m = s.last();
    let code = m.text["{Acme} ".len()..]
        .strip_suffix(" is your code")
        .unwrap_or_else(|| panic!("{m:?}"))
        .to_string();
    assert!(m.text.starts_with("{Acme} ") && code.len() == 6, "{m:?}");
    let a = s.verify(a.body["id"].as_str().unwrap(), &code).await;
    assert_eq!((a.status, &a.body), (200, &json!({"success": true})));

    let a = s
        .call(r#"{"to": "+15557788999", "message": "Your code is {code}. Again: {code}"}"#)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let m = s.last();
    let (first, second) = m.text["Your code is ".len()..]
        .split_once(". Again: ")
        .unwrap_or_else(|| panic!("{m:?}"));
    assert_eq!(format!("{first}."), second, "{m:?}");
    assert_eq!(first.matches(", ").count(), 5, "{m:?}");

    let sent = s.transport.captured().len();
    let cases = [
        (
            "sms",
            "Your code is {Code}".to_string(),
            6,
            "template_invalid",
        ),
        (
            "call",
            "Your code is {code".to_string(),
            6,
            "template_invalid",
        ),
        // Too long only once rendered: 121 + 2 × 20 = 161 septets, where
        // the message with one code appended would be 137 + 1 + 20 = 158.
        (
            "sms",
            format!("{}{{code}}{{code}}", "x".repeat(121)),
            20,
            "sms_too_long",
        ),
        // 461 + 2 × 20 = 501 characters (against 473 + 1 + 20 = 494).
        (
            "call",
            format!("{}{{code}}{{code}}", "y".repeat(461)),
            20,
            "voice_too_long",
        ),
    ];
    for (channel, message, len, code) in cases {
        let body =
            json!({"to": TO, "from": "+15554433222", "message": message, "token_length": len});
        let a = s
            .post(&format!("/api/relay/rest/mfa/{channel}"), &body.to_string())
            .await;
        assert_eq!((a.status, a.code()), (422, code), "{body}: {}", a.body);
        assert_eq!(a.body["errors"][0]["title"], "Invalid parameter: message");
    }
    assert_eq!(s.transport.captured().len(), sent);
}

#[tokio::test]
async fn guide_long_example_with_allow_alpha() {
    let s = start(&[]).await;
    let a = s
        .sms(
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
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    let m = s.last();
    assert_eq!(m.from.as_deref(), Some("+5554433222"));
    assert!(m.text.starts_with("Here is your code: "), "{m:?}");
    let code = code_of(&m.text, 8);
    assert_eq!(m.text, format!("Here is your code: {code}"));
    assert!(
        code.chars()
            .all(|c| "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)),
        "{code}"
    );
    // Four tries: three wrong ones leave the fourth.
    for _ in 0..3 {
        let a = s.verify(&id, &wrong(&code)).await;
        assert_eq!(a.body, json!({"success": false}));
    }
    // Case does not matter.
    let a = s.verify(&id, &code.to_lowercase()).await;
    assert_eq!((a.status, &a.body), (200, &json!({"success": true})));
}

#[tokio::test]
async fn attempts_run_out() {
    let s = start(&[]).await;
    let a = s.sms(r#"{"to": "+15557788999", "max_attempts": 2}"#).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let code = code_of(&s.last().text, 6);
    assert_eq!(
        s.verify(&id, &wrong(&code)).await.body,
        json!({"success": false})
    );
    assert_eq!(
        s.verify(&id, &wrong(&code)).await.body,
        json!({"success": false})
    );
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (404, "attempts_exhausted"));
}

#[tokio::test]
async fn unknown_ids_are_404() {
    let s = start(&[]).await;
    for id in ["8630cc54-f6b2-45dd-b73b-cce28eb668d8", "not-a-uuid", "0"] {
        let a = s.verify(id, "123456").await;
        assert_eq!((a.status, a.code()), (404, "not_found"), "{id}");
    }
}

#[tokio::test]
async fn bad_parameters_are_422_one_entry_per_rule() {
    let s = start(&[]).await;
    let long = "x".repeat(200);
    let very_long = "x".repeat(600);
    let cases: Vec<(&str, serde_json::Value, &str, &str)> = vec![
        ("sms", json!({}), "to", "required"),
        ("sms", json!({"to": "555"}), "to", "invalid_e164"),
        (
            "sms",
            json!({"to": TO, "from": "12"}),
            "from",
            "invalid_e164",
        ),
        (
            "sms",
            json!({"to": TO, "token_length": 3}),
            "token_length",
            "out_of_range",
        ),
        (
            "sms",
            json!({"to": TO, "token_length": 21}),
            "token_length",
            "out_of_range",
        ),
        (
            "sms",
            json!({"to": TO, "max_attempts": 0}),
            "max_attempts",
            "out_of_range",
        ),
        (
            "sms",
            json!({"to": TO, "valid_for": -1}),
            "valid_for",
            "out_of_range",
        ),
        (
            "sms",
            json!({"to": TO, "valid_for": 604801}),
            "valid_for",
            "out_of_range",
        ),
        (
            "sms",
            json!({"to": TO, "message": "Code:"}),
            "message",
            "from_required",
        ),
        (
            "sms",
            json!({"to": TO, "from": "+15550001111", "message": long}),
            "message",
            "sms_too_long",
        ),
        (
            "call",
            json!({"to": TO, "message": very_long}),
            "message",
            "voice_too_long",
        ),
    ];
    for (channel, body, field, code) in cases {
        let a = s
            .post(&format!("/api/relay/rest/mfa/{channel}"), &body.to_string())
            .await;
        assert_eq!((a.status, a.code()), (422, code), "{body}: {}", a.body);
        let e = &a.body["errors"][0];
        assert_eq!(e["status"], "422");
        assert_eq!(e["title"], format!("Invalid parameter: {field}"));
    }
    // Every broken rule at once.
    let a = s
        .sms(r#"{"to": "5", "token_length": 99, "max_attempts": 99}"#)
        .await;
    assert_eq!(a.status, 422);
    assert_eq!(a.body["errors"].as_array().unwrap().len(), 3, "{}", a.body);
    assert!(s.transport.captured().is_empty());
}

#[tokio::test]
async fn bad_bodies_are_422_invalid_body() {
    let s = start(&[]).await;
    for body in [
        "",
        "{",
        "[]",
        r#"{"to": 5}"#,
        r#"{"to": "+15557788999", "colour": "red"}"#,
        r#"{"token_length": "6"}"#,
    ] {
        let a = s.sms(body).await;
        assert_eq!(
            (a.status, a.code()),
            (422, "invalid_body"),
            "{body:?}: {}",
            a.body
        );
    }
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    for body in [
        "{}",
        r#"{"token": 123456}"#,
        r#"{"token": "1", "x": 1}"#,
        "nope",
    ] {
        let a = s
            .post(&format!("/api/relay/rest/mfa/{id}/verify"), body)
            .await;
        assert_eq!((a.status, a.code()), (422, "invalid_body"), "{body:?}");
        // The value is never repeated.
        assert!(!a.body.to_string().contains("123456"));
    }
}

#[tokio::test]
async fn bad_credentials_are_401() {
    let s = start(&[]).await;
    let path = "/api/relay/rest/mfa/sms";
    let body = r#"{"to": "+15557788999"}"#;
    for auth in [
        None,
        Some((P1.0, "wrong")),
        Some(("nobody", P1.1)),
        Some((P1.0, P2.1)),
        Some((P1.0, "")),
    ] {
        let a = s.post_as(path, auth, body).await;
        assert_eq!((a.status, a.code()), (401, "unauthorized"), "{auth:?}");
        assert_eq!(a.body["errors"][0]["title"], "Unauthorized");
        assert_eq!(a.headers["www-authenticate"], "Basic realm=\"mfa\"");
    }
    let a = s
        .verify_as((P1.0, "wrong"), "8630cc54-f6b2-45dd-b73b-cce28eb668d8", "1")
        .await;
    assert_eq!(a.status, 401);
    assert!(s.transport.captured().is_empty());
}

#[tokio::test]
async fn another_projects_challenge_is_404() {
    let s = start(&[]).await;
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let code = code_of(&s.last().text, 6);
    for _ in 0..5 {
        let a = s.verify_as(P2, &id, &code).await;
        assert_eq!((a.status, a.code()), (404, "not_found"));
    }
    // Nothing was spent: the owner still verifies.
    let a = s.verify_as(P1, &id, &code).await;
    assert_eq!(a.body, json!({"success": true}));
}

#[tokio::test]
async fn send_limit_is_429_with_retry_after() {
    let s = start(&["--send-limit", "2/600,3/86400"]).await;
    for _ in 0..2 {
        assert_eq!(s.sms(r#"{"to": "+15557788999"}"#).await.status, 200);
    }
    let a = s.call(r#"{"to": "+15557788999"}"#).await;
    assert_eq!((a.status, a.code()), (429, "rate_limited"));
    let wait: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((590..=600).contains(&wait), "{wait}");
    assert_eq!(s.transport.captured().len(), 2);
    // Another number, or the same number for another project: its own key.
    assert_eq!(s.sms(r#"{"to": "+15557788998"}"#).await.status, 200);
    let a = s
        .post_as(
            "/api/relay/rest/mfa/sms",
            Some(P2),
            r#"{"to": "+15557788999"}"#,
        )
        .await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn failed_tries_lock_the_number() {
    // No free failure: after one, wait a minute.
    let s = start(&["--lockout", "0,60,60,100"]).await;
    let a = s.sms(r#"{"to": "+15557788999", "max_attempts": 5}"#).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let code = code_of(&s.last().text, 6);
    assert_eq!(
        s.verify(&id, &wrong(&code)).await.body,
        json!({"success": false})
    );
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (429, "locked"));
    let wait: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // A new challenge to the same number is locked too; another number is not.
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    let again = a.body["id"].as_str().unwrap().to_string();
    let a = s.verify(&again, &code_of(&s.last().text, 6)).await;
    assert_eq!((a.status, a.code()), (429, "locked"));
    let a = s.sms(r#"{"to": "+15557788990"}"#).await;
    let other = a.body["id"].as_str().unwrap().to_string();
    let a = s.verify(&other, &code_of(&s.last().text, 6)).await;
    assert_eq!(a.body, json!({"success": true}));
}

/// Sends to one number, all at once: their send-limit updates race on one
/// row (the first ones on a row that is not there yet), and exactly the
/// limit goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_sends_to_one_number_allow_exactly_the_limit() {
    let s = std::sync::Arc::new(start(&["--send-limit", "5/600"]).await);
    let mut sends = Vec::new();
    for _ in 0..20 {
        let s = s.clone();
        sends.push(tokio::spawn(async move {
            s.sms(r#"{"to": "+15557788999"}"#).await.status
        }));
    }
    let mut statuses = Vec::new();
    for send in sends {
        statuses.push(send.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [[200; 5].as_slice(), &[429; 15]].concat());
    assert_eq!(s.transport.captured().len(), 5);
}

/// Wrong codes for several challenges to one number, all at once: their
/// lockout counts race on one row. With 5 free failures, exactly 6 tries
/// are compared (the 6th failure makes the number wait); every other one
/// is refused unseen, the right code included.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_failures_on_one_number_compare_no_more_than_the_lockout_allows() {
    let s = start(&["--lockout", "5,900,900,100", "--send-limit", "64/1"]).await;
    let mut challenges = Vec::new();
    for _ in 0..8 {
        let a = s.sms(r#"{"to": "+15557788999", "max_attempts": 5}"#).await;
        let id = a.body["id"].as_str().unwrap().to_string();
        challenges.push((id, code_of(&s.last().text, 6)));
    }
    let s = std::sync::Arc::new(s);
    let mut tries = Vec::new();
    for i in 0..24 {
        let (s, (id, code)) = (s.clone(), challenges[i % challenges.len()].clone());
        tries.push(tokio::spawn(async move {
            let a = s.verify(&id, &wrong(&code)).await;
            if a.status == 200 {
                assert_eq!(a.body, json!({"success": false}));
                "compared"
            } else {
                assert_eq!((a.status, a.code()), (429, "locked"), "{}", a.body);
                "locked"
            }
        }));
    }
    let mut answers = Vec::new();
    for t in tries {
        answers.push(t.await.unwrap());
    }
    answers.sort_unstable();
    assert_eq!(
        answers,
        [["compared"; 6].as_slice(), &["locked"; 18]].concat()
    );
    let (id, code) = &challenges[0];
    let a = s.verify(id, code).await;
    assert_eq!((a.status, a.code()), (429, "locked"), "{}", a.body);
}

#[tokio::test]
async fn countries_outside_the_allow_list_are_403() {
    let s = start(&["--allow-country", "1,44"]).await;
    assert_eq!(s.sms(r#"{"to": "+15557788999"}"#).await.status, 200);
    assert_eq!(s.sms(r#"{"to": "+447700900123"}"#).await.status, 200);
    let a = s.sms(r#"{"to": "+4915112345678"}"#).await;
    assert_eq!((a.status, a.code()), (403, "country_not_allowed"));
    assert_eq!(a.body["errors"][0]["title"], "Forbidden");
    assert_eq!(s.transport.captured().len(), 2);
}

#[tokio::test]
async fn transport_failure_is_502_and_cancels() {
    let s = start(&[]).await;
    s.transport.set_failing(true);
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    assert_eq!((a.status, a.code()), (502, "transport_failed"));
    let detail = a.body["errors"][0]["detail"].as_str().unwrap().to_string();
    let id = detail
        .split_whitespace()
        .find(|w| w.len() == 36)
        .expect("the id in the detail");
    let a = s.verify(id, "123456").await;
    assert_eq!((a.status, a.code()), (404, "canceled"));
    s.transport.set_failing(false);
    assert_eq!(s.sms(r#"{"to": "+15557788998"}"#).await.status, 200);
}

#[tokio::test]
async fn health_and_metrics() {
    let s = start(&[]).await;
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    s.verify(&id, "000000x").await;
    let health = s
        .client
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), r#"{"status":"ok"}"#);
    // /metrics on the API's port needs a project's credentials.
    assert_eq!(s.get_as("/metrics", None).await.status(), 401);
    let text = s.get_as("/metrics", Some(P1)).await.text().await.unwrap();
    for name in [
        "mfa_issued_total",
        "mfa_verify_failed_total",
        "mfa_request_duration_seconds_bucket",
        "route=\"/api/relay/rest/mfa/{id}/verify\"",
    ] {
        assert!(text.contains(name), "{name} missing from\n{text}");
    }
}

#[tokio::test]
async fn finished_challenges_are_swept_after_the_grace_period() {
    let s = start(&["--grace-secs", "0", "--sweep-every-secs", "1"]).await;
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    let done = a.body["id"].as_str().unwrap().to_string();
    let code = code_of(&s.last().text, 6);
    assert_eq!(s.verify(&done, &code).await.body, json!({"success": true}));
    let a = s.sms(r#"{"to": "+15557788998"}"#).await;
    let pending = a.body["id"].as_str().unwrap().to_string();
    let pending_code = code_of(&s.last().text, 6);
    // The verified one gives its reason until the sweep deletes it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let a = s.verify(&done, &code).await;
        if a.code() == "not_found" {
            break;
        }
        assert_eq!((a.status, a.code()), (404, "already_verified"));
        assert!(std::time::Instant::now() < deadline, "never swept");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // A pending one inside its window is kept.
    assert_eq!(
        s.verify(&pending, &pending_code).await.body,
        json!({"success": true})
    );
}
