//! Today's server on a store the previous version wrote
//! (`tests/fixtures/v0.1.0`): its format-1 challenge records open and
//! answer as before, its unsealed limiter rows are cleared once, and new
//! rows are sealed in format 2.

mod common;

use serde_json::json;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v0.1.0");
const VERIFIED: (&str, &str) = ("c6609408-9352-47b8-bbc4-6d0c130e748c", "354138");
const EXPIRED: (&str, &str) = ("97de62e9-07dd-4e04-b1d6-96d53312d3b1", "669074");

#[tokio::test]
async fn a_store_of_the_previous_version_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(format!("{FIXTURE}/mfa.db"), dir.path().join("mfa.db")).unwrap();
    let key = std::fs::read_to_string(format!("{FIXTURE}/mfa.key")).unwrap();
    common::write_key_text(&dir.path().join("mfa.key"), &key, 0o600);
    let db = rusqlite::Connection::open(dir.path().join("mfa.db")).unwrap();
    let formats: Vec<u8> = db
        .prepare("SELECT substr(record, 1, 1) FROM challenges")
        .unwrap()
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|r| r.unwrap()[0])
        .collect();
    assert_eq!(formats, [1, 1], "the fixture holds format-1 records");
    let unsealed: i64 = db
        .query_row("SELECT count(*) FROM limits", [], |r| r.get(0))
        .unwrap();
    assert_eq!(unsealed, 3);

    let url = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let key_path = dir.path().join("mfa.key").display().to_string();
    // The fixture's challenges finished on 2026-12-03: a day's grace
    // would let the start's sweep delete them from the next day on. A
    // century keeps them, whatever the date the test runs.
    let config = common::config(
        &url,
        &["--seal-key-file", &key_path, "--grace-secs", "3153600000"],
    );
    let transport = common::capture();
    let server = mfa_server::start(&config, transport.clone()).await.unwrap();
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let verify = |(id, code): (&str, &str)| {
        let (client, base) = (client.clone(), base.clone());
        let body = json!({ "token": code }).to_string();
        let path = format!("/api/relay/rest/mfa/{id}/verify");
        async move { common::post(&client, &base, &path, Some(common::P1), &body).await }
    };
    // The old records open: each answers its own state.
    let a = verify(VERIFIED).await;
    assert_eq!(
        (a.status, a.code()),
        (404, "already_verified"),
        "{}",
        a.body
    );
    let a = verify(EXPIRED).await;
    assert_eq!((a.status, a.code()), (404, "expired"), "{}", a.body);
    // The unsealed limiter rows were cleared once; the format is noted.
    let left: i64 = db
        .query_row("SELECT count(*) FROM limits", [], |r| r.get(0))
        .unwrap();
    let format: String = db
        .query_row(
            "SELECT value FROM meta WHERE name = 'row_format'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!((left, format.as_str()), (0, "2"));
    // New challenges are sealed in the format written now and verify.
    let a = common::post(
        &client,
        &base,
        "/api/relay/rest/mfa/sms",
        Some(common::P1),
        r#"{"to": "+15557788991"}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let id = a.body["id"].as_str().unwrap().to_string();
    let code = common::code_of(&transport.captured().pop().unwrap().text, 6);
    let record: Vec<u8> = db
        .query_row("SELECT record FROM challenges WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(record[0], mfa_server::seal::FORMAT);
    assert_eq!(verify((&id, &code)).await.body, json!({"success": true}));
    server.stop().await.unwrap();
}
