//! `kill -9` under load, restart on the same SQLite file: every challenge
//! answered 200 is there and verifies, and every stored row opens.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::Process;
use common::{P1, code_of, post};
use mfa_core::ChallengeId;
use mfa_server::record::ChallengeRecord;
use mfa_server::seal::{Keyring, Row};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_load_loses_no_answered_challenge() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("mfa.db");
    let db = format!("sqlite://{}", db_path.display());
    let key = dir.path().join("mfa.key").display().to_string();
    let project = format!("{}:{}", P1.0, P1.1);
    let args = [
        "--database",
        db.as_str(),
        "--seal-key-file",
        &key,
        "--project",
        &project,
        "--send-limit",
        "64/1",
        // Hundreds of numbers in one country: no budget in the way.
        "--project-budget",
        "off",
        "--country-budget",
        "off",
    ];

    let mut first = Process::spawn(&args);
    let answered: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for worker in 0..16u32 {
        let (client, base, answered) = (client.clone(), first.base.clone(), answered.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0.. {
                let to = format!("+1555{:03}{:04}", worker, i);
                let body = json!({ "to": to }).to_string();
                let request = client
                    .post(format!("{base}/api/relay/rest/mfa/sms"))
                    .basic_auth(P1.0, Some(P1.1))
                    .header("content-type", "application/json")
                    .body(body);
                let Ok(response) = request.send().await else {
                    break;
                };
                if response.status() != 200 {
                    break;
                }
                let Ok(bytes) = response.bytes().await else {
                    break;
                };
                let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                answered
                    .lock()
                    .unwrap()
                    .push((v["id"].as_str().unwrap().to_string(), to));
            }
        }));
    }
    // Let the load run, then kill the process in the middle of it.
    let start = Instant::now();
    while answered.lock().unwrap().len() < 300 && start.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill_9();
    for t in tasks {
        t.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= 300,
        "load ran ({} answered)",
        answered.len()
    );

    // Nothing half-written: the file is sound and every row opens.
    let keyring = Keyring::parse(&std::fs::read_to_string(&key).unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&db_path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // A new file stores each id as its 16 bytes.
    let rows: Vec<(String, String, i64, Vec<u8>)> = conn
        .prepare("SELECT id, project, revision, record FROM challenges")
        .unwrap()
        .query_map([], |r| {
            let id = ChallengeId::from_bytes(r.get(0)?).unwrap();
            Ok((id.to_string(), r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(rows.len() >= answered.len());
    for (id, project, revision, record) in &rows {
        let (format, plain) = keyring
            .open(Row::Challenge { id, project }, record)
            .unwrap();
        let c = ChallengeRecord::from_plain(format, id, &plain)
            .unwrap()
            .challenge;
        assert_eq!(c.revision() as i64, *revision);
        assert_eq!(&c.parts().id.to_string(), id);
    }
    drop(conn);

    // Restart on the same file: every answered challenge verifies.
    let second = Process::spawn(&args);
    for (id, to) in &answered {
        let code = code_of(
            &first
                .text_for(to)
                .expect("a 200 was sent after its delivery"),
            6,
        );
        let body = json!({ "token": code }).to_string();
        let path = format!("/api/relay/rest/mfa/{id}/verify");
        let a = post(&client, &second.base, &path, Some(P1), &body).await;
        assert_eq!(
            (a.status, &a.body),
            (200, &json!({"success": true})),
            "{id}"
        );
    }
}
