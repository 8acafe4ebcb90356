//! The http transport against a local receiver that checks each request's
//! shape: Twilio-compatible `Messages.json` and `Calls.json`, form-encoded,
//! Basic auth.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{code_of, start_with};
use mfa_server::transport::Transport;
use mfa_server::transport::http::{Http, HttpConfig};
use serde_json::json;

/// (resource, form fields) of each request the provider accepted.
type Requests = Vec<(String, HashMap<String, String>)>;

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Requests>>);

async fn receive(
    State(received): State<Received>,
    Path((sid, resource)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    assert_eq!(sid, "AC123");
    // Basic AC123:secret
    assert_eq!(headers["authorization"], "Basic QUMxMjM6c2VjcmV0");
    assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
    let form: HashMap<String, String> = url_decode(&body);
    if form.get("To").map(String::as_str) == Some("+15550000500") {
        return StatusCode::INTERNAL_SERVER_ERROR; // the provider fails this one
    }
    received.0.lock().unwrap().push((resource, form));
    StatusCode::CREATED
}

fn url_decode(body: &str) -> HashMap<String, String> {
    // reqwest::Url parses a query string with the same encoding.
    let url = reqwest::Url::parse(&format!("http://x/?{body}")).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
async fn receiver() -> (String, Received) {
    let received = Received::default();
    let app = Router::new()
        .route(
            "/api/laml/2010-04-01/Accounts/{sid}/{resource}",
            post(receive),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/laml", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received)
}

fn http_transport(base: &str) -> Option<Arc<dyn Transport>> {
    Some(Arc::new(
        Http::new(HttpConfig {
            base_url: base.to_string(),
            account_sid: "AC123".into(),
            auth_token: "secret".into(),
        })
        .unwrap(),
    ))
}

#[tokio::test]
async fn sms_and_call_requests_have_the_twilio_shape() {
    let (base, received) = receiver().await;
    let s = start_with(&["--sender", "+15550001111"], http_transport(&base), None).await;

    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = s
        .call(r#"{"to": "+15557788999", "message": "Code <for> you & me:"}"#)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let call_id = a.body["id"].as_str().unwrap().to_string();
    let a = s
        .sms(r#"{"to": "+15557788999", "from": "+15550002222", "message": "Yours:"}"#)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);

    let got = received.0.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    let (resource, form) = &got[0];
    assert_eq!(resource, "Messages.json");
    assert_eq!(form["To"], "+15557788999");
    assert_eq!(form["From"], "+15550001111");
    assert!(form["Body"].starts_with("Your Personal Authorization Code is: "));
    assert_eq!(form.len(), 3);

    let (resource, form) = &got[1];
    assert_eq!(resource, "Calls.json");
    assert_eq!(
        (form["To"].as_str(), form["From"].as_str()),
        ("+15557788999", "+15550001111")
    );
    let twiml = &form["Twiml"];
    assert!(
        twiml.starts_with("<Response><Say>Code &lt;for&gt; you &amp; me: "),
        "{twiml}"
    );
    assert!(twiml.ends_with(".</Say></Response>"), "{twiml}");
    let code = code_of(twiml.trim_end_matches("</Say></Response>"), 6);
    assert_eq!(
        s.verify(&call_id, &code).await.body,
        json!({"success": true})
    );

    let (_, form) = &got[2];
    assert_eq!(form["From"], "+15550002222");
    assert!(form["Body"].starts_with("Yours: "));
}

#[tokio::test]
async fn provider_errors_and_unreachable_providers_are_502() {
    let (base, _received) = receiver().await;
    let s = start_with(&["--sender", "+15550001111"], http_transport(&base), None).await;
    let a = s.sms(r#"{"to": "+15550000500"}"#).await;
    assert_eq!((a.status, a.code()), (502, "transport_failed"));

    // Nothing listens on the port of a dropped listener.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_base = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let s = start_with(
        &["--sender", "+15550001111"],
        http_transport(&dead_base),
        None,
    )
    .await;
    let a = s.call(r#"{"to": "+15557788999"}"#).await;
    assert_eq!((a.status, a.code()), (502, "transport_failed"));
    let detail = a.body["errors"][0]["detail"].as_str().unwrap();
    let id = detail.split_whitespace().find(|w| w.len() == 36).unwrap();
    let a = s.verify(id, "123456").await;
    assert_eq!((a.status, a.code()), (404, "canceled"));
}

/// A provider that answers 307 to another host: the message, code
/// included, is not sent there; the send fails and the challenge is
/// canceled.
#[tokio::test]
async fn redirects_are_not_followed() {
    let (elsewhere, received_elsewhere) = receiver().await;
    let redirect_to = format!("{elsewhere}/2010-04-01/Accounts/AC123/Messages.json");
    let app = Router::new().fallback(move || {
        let to = redirect_to.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [("location", to)]) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/laml", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let s = start_with(&["--sender", "+15550001111"], http_transport(&base), None).await;
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    assert_eq!(
        (a.status, a.code()),
        (502, "transport_failed"),
        "{}",
        a.body
    );
    assert!(received_elsewhere.0.lock().unwrap().is_empty());
}
