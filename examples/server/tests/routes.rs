//! The routes beyond the guide: status, cancel, resend, `/openapi.json`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{Answer, P1, P2, TestServer, code_of, start, wrong};
use serde_json::{Value, json};

const TO: &str = "+15557788999";
const BASE: &str = "/api/relay/rest/mfa";

async fn issue(s: &TestServer, body: Value) -> String {
    let a = s.sms(&body.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["id"].as_str().unwrap().to_owned()
}

async fn status_as(s: &TestServer, who: (&str, &str), id: &str) -> (u16, Value) {
    let r = s.get_as(&format!("{BASE}/{id}"), Some(who)).await;
    let status = r.status().as_u16();
    assert_eq!(r.headers()["content-type"], "application/json");
    (
        status,
        serde_json::from_slice(&r.bytes().await.unwrap()).unwrap(),
    )
}

async fn status(s: &TestServer, id: &str) -> Value {
    let (code, body) = status_as(s, P1, id).await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn cancel(s: &TestServer, id: &str) -> Answer {
    s.post(&format!("{BASE}/{id}/cancel"), "{}").await
}

async fn resend(s: &TestServer, id: &str, body: Value) -> Answer {
    s.post(&format!("{BASE}/{id}/resend"), &body.to_string())
        .await
}

#[tokio::test]
async fn status_follows_a_challenge_and_never_shows_the_code() {
    let s = start(&[]).await;
    let id = issue(&s, json!({"to": TO})).await;
    let code = code_of(&s.last().text, 6);
    let now = mfa_core::UnixTime::now().as_secs();
    let b = status(&s, &id).await;
    let keys: BTreeSet<&str> = b.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    let expected = [
        "id",
        "state",
        "channel",
        "to",
        "attempts_left",
        "deliveries",
        "expires_at",
    ];
    assert_eq!(keys, expected.into_iter().collect());
    assert_eq!(
        (&b["id"], &b["state"], &b["channel"], &b["to"]),
        (
            &json!(id),
            &json!("pending"),
            &json!("sms"),
            &json!("+1********99")
        )
    );
    assert_eq!(
        (&b["attempts_left"], &b["deliveries"]),
        (&json!(3), &json!(1))
    );
    let expires = b["expires_at"].as_u64().unwrap();
    assert!((now + 3599..=now + 3601).contains(&expires), "{b}");

    s.verify(&id, &wrong(&code)).await;
    assert_eq!(status(&s, &id).await["attempts_left"], 2);
    s.verify(&id, &code).await;
    let b = status(&s, &id).await;
    assert_eq!(
        (&b["state"], &b["attempts_left"]),
        (&json!("verified"), &json!(0))
    );

    let id = issue(&s, json!({"to": "+15557788000", "max_attempts": 1})).await;
    let code = code_of(&s.last().text, 6);
    s.verify(&id, &wrong(&code)).await;
    assert_eq!(status(&s, &id).await["state"], "exhausted");
}

#[tokio::test]
async fn cancel_closes_a_pending_challenge_once() {
    let s = start(&[]).await;
    let id = issue(&s, json!({"to": TO})).await;
    let code = code_of(&s.last().text, 6);
    let a = cancel(&s, &id).await;
    assert_eq!((a.status, &a.body), (200, &json!({"success": true})));
    assert_eq!(status(&s, &id).await["state"], "canceled");
    let a = cancel(&s, &id).await;
    assert_eq!((a.status, a.code()), (404, "canceled"));
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (404, "canceled"));
    // An empty body is `{}`; anything else is refused.
    let id = issue(&s, json!({"to": TO})).await;
    let a = s.post(&format!("{BASE}/{id}/cancel"), "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = s
        .post(&format!("{BASE}/{id}/cancel"), r#"{"why":"x"}"#)
        .await;
    assert_eq!((a.status, a.code()), (422, "invalid_body"));
    let a = s.post(&format!("{BASE}/{id}/cancel"), "[1]").await;
    assert_eq!((a.status, a.code()), (422, "invalid_body"));
}

#[tokio::test]
async fn an_expired_challenge_reads_expired_and_cancel_records_it() {
    let s = start(&[]).await;
    let id = issue(&s, json!({"to": TO, "valid_for": 1})).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let b = status(&s, &id).await;
    assert_eq!(
        (&b["state"], &b["attempts_left"]),
        (&json!("expired"), &json!(0))
    );
    let a = cancel(&s, &id).await;
    assert_eq!((a.status, a.code()), (404, "expired"));
    let a = resend(&s, &id, json!({})).await;
    assert_eq!((a.status, a.code()), (404, "expired"));
}

#[tokio::test]
async fn other_projects_unknown_and_malformed_ids_are_404() {
    let s = start(&[]).await;
    let id = issue(&s, json!({"to": TO})).await;
    for bad in [
        id.as_str(),
        "8630cc54-f6b2-45dd-b73b-cce28eb668d8",
        "not-a-uuid",
    ] {
        let who = if bad == id { P2 } else { P1 };
        let (code, body) = status_as(&s, who, bad).await;
        assert_eq!(
            (code, &body["errors"][0]["code"]),
            (404, &json!("not_found"))
        );
        let a = s
            .post_as(&format!("{BASE}/{bad}/cancel"), Some(who), "{}")
            .await;
        assert_eq!((a.status, a.code()), (404, "not_found"), "{bad}");
        let a = s
            .post_as(&format!("{BASE}/{bad}/resend"), Some(who), "{}")
            .await;
        assert_eq!((a.status, a.code()), (404, "not_found"), "{bad}");
    }
    // p2 changed nothing.
    assert_eq!(status(&s, &id).await["state"], "pending");
    // Credentials first, as on every route.
    let r = s.get_as(&format!("{BASE}/{id}"), None).await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn resend_sends_the_same_code_on_the_same_or_the_other_channel() {
    let s = start(&[]).await;
    let id = issue(&s, json!({"to": TO})).await;
    let code = code_of(&s.last().text, 6);
    let a = resend(&s, &id, json!({})).await;
    assert_eq!(
        (a.status, &a.body),
        (
            200,
            &json!({"id": id, "success": true, "to": TO, "channel": "sms"})
        )
    );
    assert_eq!(
        s.last().text,
        format!("Your Personal Authorization Code is: {code}")
    );
    let a = resend(&s, &id, json!({"channel": "call"})).await;
    assert_eq!((a.status, &a.body["channel"]), (200, &json!("call")));
    let m = s.last();
    assert_eq!((m.channel, code_of(&m.text, 6)), ("call", code.clone()));
    let b = status(&s, &id).await;
    assert_eq!(
        (&b["channel"], &b["deliveries"]),
        (&json!("call"), &json!(3))
    );
    // A resend leaves the attempts alone; the code still works once.
    let a = s.verify(&id, &code).await;
    assert_eq!(a.body, json!({"success": true}));
    let a = resend(&s, &id, json!({"channel": "sms"})).await;
    assert_eq!((a.status, a.code()), (404, "already_verified"));
    assert_eq!(s.transport.captured().len(), 3);
}

#[tokio::test]
async fn resend_refusals() {
    let s = start(&["--send-limit", "20/600"]).await;
    let id = issue(&s, json!({"to": TO})).await;
    for (body, code) in [
        (json!({"channel": "fax"}), "invalid_body"),
        (json!({"channel": "sms", "extra": 1}), "invalid_body"),
        (json!({"message": "Code:"}), "from_required"),
        (
            json!({"channel": "call", "message": "x".repeat(600)}),
            "voice_too_long",
        ),
    ] {
        let a = resend(&s, &id, body.clone()).await;
        assert_eq!((a.status, a.code()), (422, code), "{body}");
    }
    // Five deliveries in all by default: the first and four resends.
    for _ in 0..4 {
        assert_eq!(resend(&s, &id, json!({})).await.status, 200);
    }
    let a = resend(&s, &id, json!({})).await;
    assert_eq!((a.status, a.code()), (429, "deliveries_exhausted"));
    assert!(a.headers.get("retry-after").is_none());
    assert_eq!(s.transport.captured().len(), 5);
    // Canceled: refused.
    let id = issue(&s, json!({"to": TO})).await;
    cancel(&s, &id).await;
    let a = resend(&s, &id, json!({})).await;
    assert_eq!((a.status, a.code()), (404, "canceled"));
}

#[tokio::test]
async fn resends_count_against_the_send_limit_and_the_budgets() {
    let s = start(&["--send-limit", "2/600"]).await;
    let id = issue(&s, json!({"to": TO})).await;
    assert_eq!(resend(&s, &id, json!({})).await.status, 200);
    let a = resend(&s, &id, json!({})).await;
    assert_eq!((a.status, a.code()), (429, "rate_limited"));
    assert!(a.headers.get("retry-after").is_some());
    // The refused resend changed nothing.
    assert_eq!(status(&s, &id).await["deliveries"], 2);

    let s = start(&["--project-budget", "2/3600"]).await;
    let id = issue(&s, json!({"to": TO})).await;
    assert_eq!(resend(&s, &id, json!({})).await.status, 200);
    let a = resend(&s, &id, json!({})).await;
    assert_eq!((a.status, a.code()), (429, "budget_exhausted"));
    assert_eq!(status(&s, &id).await["deliveries"], 2);
}

#[tokio::test]
async fn a_failed_resend_is_502_and_leaves_the_challenge_open() {
    let s = start(&[]).await;
    let id = issue(&s, json!({"to": TO})).await;
    let code = code_of(&s.last().text, 6);
    s.transport.set_failing(true);
    let a = resend(&s, &id, json!({})).await;
    assert_eq!((a.status, a.code()), (502, "transport_failed"));
    let b = status(&s, &id).await;
    assert_eq!(
        (&b["state"], &b["deliveries"]),
        (&json!("pending"), &json!(2))
    );
    s.transport.set_failing(false);
    assert_eq!(s.verify(&id, &code).await.body, json!({"success": true}));
}

#[tokio::test]
async fn bodyless_and_body_routes_keep_their_content_rules() {
    let s = start(&[]).await;
    let id = issue(&s, json!({"to": TO})).await;
    // GET asks no content type; POST does.
    let r = s
        .client
        .get(format!("{}{BASE}/{id}", s.base))
        .basic_auth(P1.0, Some(P1.1))
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .client
        .post(format!("{}{BASE}/{id}/cancel", s.base))
        .basic_auth(P1.0, Some(P1.1))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    // DELETE is not a route: 405, with what the path takes.
    let r = s
        .client
        .delete(format!("{}{BASE}/{id}", s.base))
        .basic_auth(P1.0, Some(P1.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET,HEAD");
}

/// Every route the server answers is in `/openapi.json`, and every
/// operation there is served (not the fallback's 404, not a 405).
#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let s = start(&[]).await;
    let r = s.get_as("/openapi.json", None).await;
    assert_eq!(r.status(), 200);
    let doc: Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert((method.clone(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("post", "/api/relay/rest/mfa/sms"),
        ("post", "/api/relay/rest/mfa/call"),
        ("post", "/api/relay/rest/mfa/{id}/verify"),
        ("get", "/api/relay/rest/mfa/{id}"),
        ("post", "/api/relay/rest/mfa/{id}/cancel"),
        ("post", "/api/relay/rest/mfa/{id}/resend"),
        ("get", "/healthz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(ops, expected);
    let id = issue(&s, json!({"to": TO})).await;
    for (method, path) in &ops {
        let url = format!("{}{}", s.base, path.replace("{id}", &id));
        let request = match method.as_str() {
            "get" => s.client.get(&url),
            _ => s
                .client
                .post(&url)
                .header("content-type", "application/json")
                .body("{}"),
        };
        let r = request.basic_auth(P1.0, Some(P1.1)).send().await.unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert!(
            status != 405 && !body.contains("no such resource"),
            "{method} {path}: {status} {body}"
        );
        assert!(status < 500, "{method} {path}: {status} {body}");
    }
    // Every guarded operation documents the shared answers.
    let verify = &doc["paths"]["/api/relay/rest/mfa/{id}/verify"]["post"]["responses"];
    for status in [
        "200", "400", "401", "404", "405", "408", "413", "415", "422", "429", "500",
    ] {
        assert!(verify.get(status).is_some(), "verify: {status}");
    }
}
