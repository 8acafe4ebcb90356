//! Signed event webhooks: every event of a challenge's life, signed per
//! Standard Webhooks and checked here by two implementations that are not
//! the server's (the `standardwebhooks` crate, and HMAC-SHA256 computed
//! in the test); retries; a receiver that never answers slows no request;
//! a client that hangs up midway loses no event.

mod common;

use std::time::Duration;

use base64::Engine;
use common::receiver::{Mode, Received, Receiver, SECRET};
use common::{TestServer, code_of, start, wrong};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

const TO: &str = "+15557788999";
const BASE: &str = "/api/relay/rest/mfa";

async fn with_receiver(mode: Mode, extra: &[&str]) -> (TestServer, Receiver) {
    let receiver = Receiver::start(mode).await;
    let dir = tempfile::tempdir().unwrap();
    let file = receiver.file_for(dir.path(), "p1");
    let mut args = vec!["--webhook-file", file.as_str()];
    args.extend_from_slice(extra);
    let s = start(&args).await;
    drop(dir); // read at start
    (s, receiver)
}

/// Checks the signature twice, independently of the server's code.
fn check_signature(r: &Received) {
    let wh = standardwebhooks::Webhook::new(SECRET).unwrap();
    wh.verify(&r.body, &r.headers)
        .unwrap_or_else(|e| panic!("standardwebhooks refused it: {e:?}"));
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let signed = format!(
        "{}.{}.{}",
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        std::str::from_utf8(&r.body).unwrap()
    );
    mac.update(signed.as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(r.header("webhook-signature"), expected);
    assert!(r.header("webhook-id").starts_with("msg_"));
    // A body with one byte changed does not verify.
    let mut forged = r.body.to_vec();
    forged[0] ^= 1;
    assert!(wh.verify(&forged, &r.headers).is_err());
}

fn types(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until events of `id` of these types arrived; they may come in
/// any order.
async fn events_of(receiver: &Receiver, id: &str, want: &[&str]) -> Vec<Received> {
    for _ in 0..500 {
        let got: Vec<Received> = receiver
            .received()
            .into_iter()
            .filter(|r| r.json()["data"]["id"] == id)
            .collect();
        let mut have = types(&got);
        have.sort();
        let mut wanted: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        wanted.sort();
        if have == wanted {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "events of {id}: {:?}, wanted {want:?}",
        types(&receiver.received())
    );
}

#[tokio::test]
async fn every_event_is_signed_and_holds_neither_code_nor_number() {
    let (s, receiver) = with_receiver(Mode::Ok, &["--send-limit", "20/600"]).await;
    let a = s.sms(&json!({"to": TO}).to_string()).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let code = code_of(&s.last().text, 6);
    assert_eq!(s.verify(&id, &code).await.body, json!({"success": true}));
    let got = events_of(&receiver, &id, &["mfa.issued", "mfa.sent", "mfa.verified"]).await;
    for r in &got {
        check_signature(r);
        let body = std::str::from_utf8(&r.body).unwrap();
        assert!(
            !body.contains(&code) && !body.contains("5557788999"),
            "{body}"
        );
        let v = r.json();
        assert_eq!(v["data"]["to"], "+1********99");
        assert_eq!(v["data"]["project"], "p1");
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let verified = got
        .iter()
        .find(|r| r.json()["type"] == "mfa.verified")
        .unwrap();
    assert_eq!(verified.json()["data"]["state"], "verified");

    // Exhausted.
    let a = s
        .sms(&json!({"to": TO, "max_attempts": 1}).to_string())
        .await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let code = code_of(&s.last().text, 6);
    s.verify(&id, &wrong(&code)).await;
    events_of(&receiver, &id, &["mfa.issued", "mfa.sent", "mfa.exhausted"]).await;

    // Canceled, and a resend on the other channel.
    let a = s.sms(&json!({"to": TO}).to_string()).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    let r = s
        .post(&format!("{BASE}/{id}/resend"), r#"{"channel":"call"}"#)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        s.post(&format!("{BASE}/{id}/cancel"), "{}").await.status,
        200
    );
    let got = events_of(
        &receiver,
        &id,
        &["mfa.issued", "mfa.sent", "mfa.sent", "mfa.canceled"],
    )
    .await;
    got.iter().for_each(check_signature);
    // A refused cancel sends nothing more.
    assert_eq!(
        s.post(&format!("{BASE}/{id}/cancel"), "{}").await.status,
        404
    );

    // Expired, recorded by the request that found it.
    let a = s.sms(&json!({"to": TO, "valid_for": 1}).to_string()).await;
    let id = a.body["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        s.post(&format!("{BASE}/{id}/cancel"), "{}").await.status,
        404
    );
    events_of(&receiver, &id, &["mfa.issued", "mfa.sent", "mfa.expired"]).await;

    // A failed first delivery: the challenge is canceled.
    s.transport.set_failing(true);
    let a = s.sms(&json!({"to": TO}).to_string()).await;
    assert_eq!(a.status, 502);
    let id = a.body["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .split(' ')
        .nth(7)
        .unwrap()
        .to_owned();
    events_of(
        &receiver,
        &id,
        &["mfa.issued", "mfa.delivery_failed", "mfa.canceled"],
    )
    .await;
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_the_same_id() {
    let (s, receiver) = with_receiver(Mode::FailFirst(1), &[]).await;
    let a = s.sms(&json!({"to": TO}).to_string()).await;
    assert_eq!(a.status, 200);
    // The issued and sent events; one of them failed once.
    let got = receiver.wait_for(3).await;
    let failed = &got[0];
    let again = got[1..]
        .iter()
        .find(|r| r.header("webhook-id") == failed.header("webhook-id"))
        .expect("the failed event again");
    assert!(again.at - failed.at >= Duration::from_millis(700));
    check_signature(again);
    assert_eq!(again.body, failed.body);
}

#[tokio::test]
async fn a_receiver_that_never_answers_slows_no_request() {
    let (s, receiver) = with_receiver(Mode::Hang, &["--webhook-queue", "4"]).await;
    // Every request answers while the receiver holds every event; beyond
    // four events waiting, the rest are dropped and counted.
    for i in 0..10 {
        let to = format!("+1555778{i:04}");
        let a = s.sms(&json!({"to": to}).to_string()).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let id = a.body["id"].as_str().unwrap();
        let code = code_of(&s.last().text, 6);
        assert_eq!(s.verify(id, &code).await.body, json!({"success": true}));
    }
    receiver.wait_for(4).await;
    let metrics = s
        .get_as("/metrics", Some(common::P1))
        .await
        .text()
        .await
        .unwrap();
    let dropped: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("mfa_webhook_dropped_total "))
        .expect("the dropped counter")
        .parse()
        .unwrap();
    assert!(dropped >= 26.0, "{dropped}");
    let ids: std::collections::BTreeSet<String> = receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id"))
        .collect();
    assert_eq!(ids.len(), 4);
}

#[tokio::test]
async fn a_webhook_file_others_may_read_or_with_a_bad_secret_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("webhooks");
    let file = path.display().to_string();
    let db = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let key = dir.path().join("mfa.key").display().to_string();
    let cases = [
        (
            format!("p1 http://127.0.0.1:9/hook {SECRET}\n"),
            0o644,
            "chmod 600",
        ),
        (
            "p1 http://127.0.0.1:9/hook whsec_c2hvcnQ=\n".to_string(),
            0o600,
            "24 to 64 bytes",
        ),
        (
            format!("p1 ftp://127.0.0.1/hook {SECRET}\n"),
            0o600,
            "http:// or https://",
        ),
        ("p1 http://127.0.0.1:9/hook\n".to_string(), 0o600, "line 1"),
    ];
    for (text, mode, says) in cases {
        common::write_key_text(&path, &text, mode);
        let config = common::config(&db, &["--seal-key-file", &key, "--webhook-file", &file]);
        let e = common::start_error(&config).await;
        assert!(e.contains(says), "{e}");
        assert!(!e.contains("c2hvcnQ") && !e.contains(&SECRET[6..]), "{e}");
    }
}

/// A client that hangs up while its verify runs: the verify lands or
/// not, and whenever it landed its event goes out. The request is
/// carried to its end without its client: before, it was dropped where
/// it stood, so a code verified in the store could go without its
/// `mfa.verified` event and without its count in the metrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_midway_loses_no_event() {
    use tokio::io::AsyncWriteExt;
    let (s, receiver) = with_receiver(Mode::Ok, &[]).await;
    let mut codes = Vec::new();
    for i in 0..48 {
        let to = format!("+1555010{i:04}");
        let a = s.sms(&json!({ "to": to }).to_string()).await;
        let id = a.body["id"].as_str().unwrap().to_owned();
        codes.push((id, code_of(&s.last().text, 6)));
    }
    let addr = s.base.trim_start_matches("http://").to_owned();
    for (i, (id, code)) in codes.iter().enumerate() {
        let body = json!({ "token": code }).to_string();
        let request = format!(
            "POST {BASE}/{id}/verify HTTP/1.1\r\nHost: {addr}\r\n\
             Authorization: Basic cDE6dG9rZW4tb25l\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        // Gone before the answer, at a different point of each request.
        tokio::time::sleep(Duration::from_micros(250 * (i as u64 % 8))).await;
        drop(stream);
    }
    // Until what the store holds and what was announced agree (requests
    // whose clients hung up may still be running), 5 s at most.
    let (mut verified, mut announced) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        verified.clear();
        for (id, _) in &codes {
            let status = s.get_as(&format!("{BASE}/{id}"), Some(common::P1)).await;
            let status: serde_json::Value =
                serde_json::from_str(&status.text().await.unwrap()).unwrap();
            if status["state"] == "verified" {
                verified.push(id.clone());
            }
        }
        announced = receiver
            .received()
            .iter()
            .map(Received::json)
            .filter(|event| event["type"] == "mfa.verified")
            .map(|event| event["data"]["id"].as_str().unwrap().to_owned())
            .collect();
        verified.sort();
        announced.sort();
        if announced == verified {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!verified.is_empty(), "no verify got through");
    assert_eq!(
        announced,
        verified,
        "{} verified, {} announced",
        verified.len(),
        announced.len()
    );
}
