//! A database writer without the seal key: one row restored from an
//! older copy, deleted or edited on its own is refused (500, logged,
//! counted), never accepted. And the key file: never replaced by a new
//! key beside rows sealed under the old one, never shared by servers
//! with different keys, never readable by others.

mod common;

use std::path::Path;

use common::{LOCK_ROW, P1, SEND_ROW, TestServer, code_of, start, stored_id, wrong};
use mfa_server::Config;
use serde_json::json;

fn db(s: &TestServer) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(s.dir.path().join("mfa.db")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn
}

/// (revision, sweep_at, record) of a challenge row.
type Snapshot = (i64, i64, Vec<u8>);

fn snapshot(s: &TestServer, id: &str) -> Snapshot {
    db(s)
        .query_row(
            "SELECT revision, sweep_at, record FROM challenges WHERE id = ?1",
            [stored_id(id)],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

fn restore(s: &TestServer, id: &str, (revision, sweep_at, record): &Snapshot) {
    let n = db(s)
        .execute(
            "UPDATE challenges SET revision = ?2, sweep_at = ?3, record = ?4 WHERE id = ?1",
            rusqlite::params![stored_id(id), revision, sweep_at, record],
        )
        .unwrap();
    assert_eq!(n, 1);
}

async fn tamper_count(s: &TestServer) -> u64 {
    let text = s.get_as("/metrics", Some(P1)).await.text().await.unwrap();
    text.lines()
        .filter(|l| l.starts_with("mfa_tamper_detected_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

async fn issue(s: &TestServer, body: &str) -> (String, String) {
    let a = s.sms(body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let len = serde_json::from_str::<serde_json::Value>(body).unwrap()["token_length"]
        .as_u64()
        .unwrap_or(6) as usize;
    (
        a.body["id"].as_str().unwrap().to_string(),
        code_of(&s.last().text, len),
    )
}

#[tokio::test]
async fn a_verified_challenge_restored_to_pending_does_not_verify_again() {
    let s = start(&[]).await;
    let (id, code) = issue(&s, r#"{"to": "+15557788999"}"#).await;
    let pending = snapshot(&s, &id);
    assert_eq!(s.verify(&id, &code).await.body, json!({"success": true}));
    let before = tamper_count(&s).await;
    restore(&s, &id, &pending);
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (500, "internal"), "{}", a.body);
    assert!(tamper_count(&s).await > before);
}

#[tokio::test]
async fn an_exhausted_challenge_restored_fresh_gets_no_new_attempts() {
    let s = start(&[]).await;
    let (id, code) = issue(&s, r#"{"to": "+15557788999", "max_attempts": 2}"#).await;
    let fresh = snapshot(&s, &id);
    for _ in 0..2 {
        assert_eq!(s.verify(&id, &wrong(&code)).await.status, 200);
    }
    assert_eq!(s.verify(&id, &code).await.code(), "attempts_exhausted");
    restore(&s, &id, &fresh);
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (500, "internal"), "{}", a.body);
}

#[tokio::test]
async fn deleting_the_lockout_row_does_not_end_a_lockout() {
    let s = start(&["--lockout", "0,60,60,100"]).await;
    let (id, code) = issue(&s, r#"{"to": "+15557788999", "max_attempts": 5}"#).await;
    assert_eq!(s.verify(&id, &wrong(&code)).await.status, 200);
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (429, "locked"), "{}", a.body);
    let deleted = db(&s)
        .execute(&format!("DELETE FROM limits WHERE {LOCK_ROW}"), [])
        .unwrap();
    assert_eq!(deleted, 1);
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (500, "internal"), "{}", a.body);
}

#[tokio::test]
async fn edited_limiter_rows_and_revision_columns_are_refused() {
    let s = start(&[]).await;
    let (id, code) = issue(&s, r#"{"to": "+15557788999", "max_attempts": 5}"#).await;
    assert_eq!(s.verify(&id, &wrong(&code)).await.status, 200);
    // Limiter rows are sealed: no number, no readable state.
    let states: Vec<Vec<u8>> = db(&s)
        .prepare("SELECT state FROM limits")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(states.len(), 2);
    for state in &states {
        assert_eq!(state[0], mfa_server::seal::FORMAT);
        assert!(!String::from_utf8_lossy(state).contains("failures"));
    }
    // One changed byte in the lockout row (always changed: 0 becomes 1,
    // anything else 0): refused.
    let flipped = db(&s)
        .execute(
            &format!(
                "UPDATE limits \
                 SET state = CAST(substr(state, 1, 40) \
                   || CASE WHEN substr(state, 41, 1) = x'00' THEN x'01' ELSE x'00' END \
                   || substr(state, 42) AS BLOB) \
                 WHERE {LOCK_ROW}"
            ),
            [],
        )
        .unwrap();
    assert_eq!(flipped, 1);
    let before = tamper_count(&s).await;
    assert_eq!(s.verify(&id, &code).await.status, 500);
    // The recorder is shared by the tests running beside this one: more, not exactly one more.
    assert!(
        tamper_count(&s).await > before,
        "a failed seal is tampering"
    );
    // The send row's revision column moved back: refused at the next send.
    let moved = db(&s)
        .execute(
            &format!("UPDATE limits SET revision = 0 WHERE {SEND_ROW}"),
            [],
        )
        .unwrap();
    assert_eq!(moved, 1);
    let a = s.sms(r#"{"to": "+15557788999"}"#).await;
    assert_eq!((a.status, a.code()), (500, "internal"), "{}", a.body);
}

/// A record naming a key id the key file lacks is counted as tampering
/// too (apart from a failed tag).
#[tokio::test]
async fn a_record_naming_an_unknown_key_is_counted() {
    let s = start(&[]).await;
    let (id, code) = issue(&s, r#"{"to": "+15557788999"}"#).await;
    let before = tamper_count(&s).await;
    let edited = db(&s)
        .execute(
            "UPDATE challenges \
             SET record = CAST(substr(record, 1, 1) || x'09' || substr(record, 3) AS BLOB) \
             WHERE id = ?1",
            [stored_id(&id)],
        )
        .unwrap();
    assert_eq!(edited, 1);
    let a = s.verify(&id, &code).await;
    assert_eq!((a.status, a.code()), (500, "internal"), "{}", a.body);
    assert!(tamper_count(&s).await > before);
}

fn config(dir: &Path, key: &Path) -> Config {
    let db = format!("sqlite://{}", dir.join("mfa.db").display());
    common::config(&db, &["--seal-key-file", key.to_str().unwrap()])
}

#[tokio::test]
async fn a_missing_or_other_key_file_beside_sealed_rows_stops_the_start() {
    let s = start(&[]).await;
    issue(&s, r#"{"to": "+15557788999"}"#).await;
    let dir = s.dir;
    s.server.stop().await.unwrap();
    let key = dir.path().join("mfa.key");
    let kept = std::fs::read_to_string(&key).unwrap();

    // Missing: no new key is made up.
    std::fs::remove_file(&key).unwrap();
    let e = common::start_error(&config(dir.path(), &key)).await;
    assert!(e.contains("missing"), "{e}");
    assert!(!key.exists(), "a key was created");

    // Another key file: its key check is not the database's.
    let other = dir.path().join("other.key");
    mfa_server::seal::Keyring::create(&other).unwrap();
    let e = common::start_error(&config(dir.path(), &other)).await;
    assert!(e.contains("key check"), "{e}");

    // The right key, readable by others: refused until chmod 600.
    common::write_key_text(&key, &kept, 0o644);
    let e = common::start_error(&config(dir.path(), &key)).await;
    assert!(e.contains("chmod 600"), "{e}");
    common::write_key_text(&key, &kept, 0o600);
    let server = mfa_server::start(&config(dir.path(), &key), common::capture())
        .await
        .unwrap();
    server.stop().await.unwrap();
}

/// A store that can be read but not written is not healthy.
#[tokio::test]
async fn healthz_is_503_when_writes_do_not_land() {
    let s = start(&[]).await;
    issue(&s, r#"{"to": "+15557788999"}"#).await;
    let dir = s.dir;
    s.server.stop().await.unwrap();
    let key = dir.path().join("mfa.key");
    let mut c = config(dir.path(), &key);
    c.database = format!("{}?mode=ro", c.database);
    let server = mfa_server::start(&c, common::capture()).await.unwrap();
    let r = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(body["errors"][0]["code"], "unavailable");
    server.stop().await.unwrap();
}
