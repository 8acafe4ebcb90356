//! The lockout cannot be turned against a number's owner for good: a hard
//! lock lasts a set time, an operator can lift it, and a calling service
//! can name the requester, whose failed tries and sends count against
//! them as well as against the number.

mod common;

use std::time::Duration;

use common::{P1, TestServer, code_of, start, wrong};
use serde_json::json;

async fn issue(s: &TestServer, to: &str, subject: Option<&str>) -> (String, String, u16) {
    let body = json!({ "to": to, "max_attempts": 20 }).to_string();
    let a = as_subject(s, "/api/relay/rest/mfa/sms", subject, &body).await;
    if a.0 != 200 {
        return (String::new(), String::new(), a.0);
    }
    let id = a.1["id"].as_str().unwrap().to_string();
    (id, code_of(&s.last().text, 6), 200)
}

async fn as_subject(
    s: &TestServer,
    path: &str,
    subject: Option<&str>,
    body: &str,
) -> (u16, serde_json::Value, Option<String>) {
    let mut request = s
        .client
        .post(format!("{}{path}", s.base))
        .basic_auth(P1.0, Some(P1.1))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(subject) = subject {
        request = request.header("mfa-subject", subject);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    (status, body, retry)
}

async fn verify(
    s: &TestServer,
    id: &str,
    code: &str,
    subject: Option<&str>,
) -> (u16, serde_json::Value, Option<String>) {
    let body = json!({ "token": code }).to_string();
    as_subject(
        s,
        &format!("/api/relay/rest/mfa/{id}/verify"),
        subject,
        &body,
    )
    .await
}

/// Two failures make a hard lock (hard limit 2); it says when it ends,
/// and ends then.
#[tokio::test]
async fn a_hard_lock_ends_after_its_time() {
    let s = start(&["--lockout", "1,1,1,2", "--hard-lock-secs", "2"]).await;
    let (id, code, _) = issue(&s, "+15557788999", None).await;
    assert_eq!(verify(&s, &id, &wrong(&code), None).await.0, 200);
    assert_eq!(verify(&s, &id, &wrong(&code), None).await.0, 200);
    let (status, body, retry) = verify(&s, &id, &code, None).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (429, Some("locked"))
    );
    let retry: u64 = retry.expect("a locked answer says when").parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let (status, body, _) = verify(&s, &id, &code, None).await;
    assert_eq!((status, &body), (200, &json!({"success": true})));
}

/// `mfa-server unlock` lifts a lockout at once, through the store.
#[tokio::test]
async fn an_operator_unlocks_a_number() {
    let s = start(&["--lockout", "0,3600,3600,100"]).await;
    let (id, code, _) = issue(&s, "+15557788999", None).await;
    assert_eq!(verify(&s, &id, &wrong(&code), None).await.0, 200);
    assert_eq!(verify(&s, &id, &code, None).await.0, 429);
    let db = format!("sqlite://{}", s.dir.path().join("mfa.db").display());
    let key = s.dir.path().join("mfa.key");
    let unlock = |number: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mfa-server"))
            .args(["--database", &db, "--seal-key-file", key.to_str().unwrap()])
            .args(["--project", "p1:token-one"])
            .args(["unlock", "p1", "--number", number])
            .output()
            .unwrap()
    };
    let out = unlock("+15557788999");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("unlocked"), "{said}");
    let (status, body, _) = verify(&s, &id, &code, None).await;
    assert_eq!((status, &body), (200, &json!({"success": true})));
    // A number with nothing counted: said so. A malformed one: refused.
    assert!(String::from_utf8_lossy(&unlock("+15550000000").stderr).contains("nothing"));
    assert!(!unlock("5550000000").status.success());
}

/// One requester guessing on three numbers' challenges: with one free
/// failure, each number has tries left, but the requester has used theirs.
#[tokio::test]
async fn failed_tries_count_against_the_named_requester() {
    let s = start(&["--lockout", "1,600,600,100"]).await;
    let mut challenges = Vec::new();
    for to in ["+15557788991", "+15557788992", "+15557788993"] {
        let (id, code, _) = issue(&s, to, None).await;
        challenges.push((id, code));
    }
    let guesser = Some("203.0.113.9");
    for (id, code) in &challenges[..2] {
        assert_eq!(verify(&s, id, &wrong(code), guesser).await.0, 200);
    }
    let (c, code_c) = &challenges[2];
    let (status, body, retry) = verify(&s, c, &wrong(code_c), guesser).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (429, Some("locked"))
    );
    assert!(retry.is_some());
    // Another requester, and each owner without a subject, still try: no
    // number has more than its free failure.
    assert_eq!(
        verify(&s, c, code_c, Some("198.51.100.7")).await.1,
        json!({"success": true})
    );
    for (id, code) in &challenges[..2] {
        assert_eq!(verify(&s, id, code, None).await.1, json!({"success": true}));
    }
}

/// Sends count against the named requester too.
#[tokio::test]
async fn sends_count_against_the_named_requester() {
    let s = start(&["--send-limit", "2/600"]).await;
    for to in ["+15557788991", "+15557788992"] {
        assert_eq!(issue(&s, to, Some("acct-42")).await.2, 200);
    }
    assert_eq!(issue(&s, "+15557788993", Some("acct-42")).await.2, 429);
    assert_eq!(issue(&s, "+15557788993", Some("acct-43")).await.2, 200);
    // A malformed subject is refused before anything is counted.
    let body = json!({ "to": "+15557788994" }).to_string();
    let (status, body, _) = as_subject(&s, "/api/relay/rest/mfa/sms", Some(""), &body).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (400, Some("invalid_subject"))
    );
}

/// A right code clears the number's count, not the requester's: a
/// guesser cannot wipe their failures by verifying a code of their own.
#[tokio::test]
async fn a_right_code_does_not_clear_the_requesters_count() {
    let s = start(&["--lockout", "1,600,600,100"]).await;
    let (a, code_a, _) = issue(&s, "+15557788991", None).await;
    let (own, code_own, _) = issue(&s, "+15557788992", None).await;
    let (c, code_c, _) = issue(&s, "+15557788993", None).await;
    let guesser = Some("203.0.113.9");
    assert_eq!(verify(&s, &a, &wrong(&code_a), guesser).await.0, 200);
    assert_eq!(
        verify(&s, &own, &code_own, guesser).await.1,
        json!({"success": true})
    );
    let (status, body, _) = verify(&s, &c, &wrong(&code_c), guesser).await;
    assert_eq!(
        (status, body["errors"][0]["code"].as_str()),
        (429, Some("locked"))
    );
}

/// A failed try keeps the number's lockout row for `LOCKOUT_KEEP_SECS`
/// and asks the store for its slack on top: a swap may keep a stored
/// expiry up to the slack earlier than asked (the store's contract), so
/// without it the sweep could take a lockout minutes before its time.
#[tokio::test]
async fn a_lockout_row_asks_for_its_keep_time_and_the_slack() {
    let s = start(&[]).await;
    let (id, code, status) = issue(&s, "+15557788999", None).await;
    assert_eq!(status, 200);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    let keep = mfa_server::record::LOCKOUT_KEEP_SECS as i64 + mfa_server::store::EXPIRY_SLACK_SECS;
    let before = now();
    assert_eq!(s.verify(&id, &wrong(&code)).await.status, 200);
    let after = now();
    let expires: i64 = rusqlite::Connection::open(s.dir.path().join("mfa.db"))
        .unwrap()
        .query_row(
            &format!("SELECT expires_at FROM limits WHERE {}", common::LOCK_ROW),
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        (before + keep..=after + keep).contains(&expires),
        "expires_at {expires}, asked for {keep} s after {before}..{after}"
    );
}
