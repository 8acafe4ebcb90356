//! Two `mfa-server` processes on one PostgreSQL database, racing on one
//! challenge. Needs `MFA_TEST_POSTGRES` (a postgres URL); skipped without.

mod common;

use common::process::{Process, fresh_number};
use common::{P1, code_of, post, wrong};
use serde_json::{Value, json};

fn two_servers(url: &str, dir: &tempfile::TempDir) -> (Process, Process) {
    let key_path = dir.path().join("shared.key");
    common::write_shared_key(&key_path);
    let key = key_path.display().to_string();
    let project = format!("{}:{}", P1.0, P1.1);
    let args = [
        "--database",
        url,
        "--seal-key-file",
        &key,
        "--project",
        &project,
        "--send-limit",
        "64/1",
        "--lockout",
        "50,1,900,100",
    ];
    let a = Process::spawn(&args);
    let b = Process::spawn(&args);
    (a, b)
}

async fn storm(servers: &[&Process], id: &str, token: &str, n: usize) -> Vec<(u16, Value)> {
    let client = reqwest::Client::new();
    let body = json!({ "token": token }).to_string();
    let mut tasks = Vec::new();
    for i in 0..n {
        let (client, base, body) = (
            client.clone(),
            servers[i % servers.len()].base.clone(),
            body.clone(),
        );
        let path = format!("/api/relay/rest/mfa/{id}/verify");
        tasks.push(tokio::spawn(async move {
            let a = post(&client, &base, &path, Some(P1), &body).await;
            (a.status, a.body)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

async fn issue(p: &Process, to: &str, max_attempts: u8) -> (String, String) {
    let client = reqwest::Client::new();
    let body = json!({ "to": to, "max_attempts": max_attempts }).to_string();
    let a = post(&client, &p.base, "/api/relay/rest/mfa/sms", Some(P1), &body).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let code = code_of(&p.wait_text_for(to).await, 6);
    (a.body["id"].as_str().unwrap().to_string(), code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_wrong_code_storm_grants_exactly_max_attempts() {
    let Some(url) = common::postgres_url("two_hosts_wrong_code_storm_grants_exactly_max_attempts")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_servers(&url, &dir);
    for (round, max_attempts) in [(0u32, 5u8), (1, 3), (2, 20)] {
        let (id, code) = issue(&a, &fresh_number(round), max_attempts).await;
        let answers = storm(&[&a, &b], &id, &wrong(&code), 64).await;
        let failed = answers
            .iter()
            .filter(|(s, v)| *s == 200 && *v == json!({"success": false}))
            .count();
        let closed = answers
            .iter()
            .filter(|(s, v)| *s == 404 && v["errors"][0]["code"] == "attempts_exhausted")
            .count();
        assert_eq!(failed, usize::from(max_attempts), "{answers:?}");
        assert_eq!(closed, 64 - usize::from(max_attempts), "{answers:?}");
        // The right code is refused now too.
        let after = storm(&[&b], &id, &code, 1).await;
        assert_eq!(after[0].0, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hosts_right_code_storm_verifies_once() {
    let Some(url) = common::postgres_url("two_hosts_right_code_storm_verifies_once") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_servers(&url, &dir);
    for round in 0..3 {
        let (id, code) = issue(&b, &fresh_number(100 + round), 3).await;
        let answers = storm(&[&a, &b], &id, &code, 64).await;
        let ok = answers
            .iter()
            .filter(|(s, v)| *s == 200 && *v == json!({"success": true}))
            .count();
        let replays = answers
            .iter()
            .filter(|(s, v)| *s == 404 && v["errors"][0]["code"] == "already_verified")
            .count();
        assert_eq!((ok, replays), (1, 63), "{answers:?}");
    }
}

/// A second server whose key file is not the one the database's rows are
/// sealed with does not start (it would neither open their rows nor see
/// their limits).
#[tokio::test]
async fn a_server_with_another_key_file_is_refused() {
    let Some(url) = common::postgres_url("a_server_with_another_key_file_is_refused") else {
        return;
    };
    let s = common::start_with(&[], None, Some(&url)).await;
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.key");
    mfa_server::seal::Keyring::create(&other).unwrap();
    let e = common::start_error(&common::config(
        &url,
        &["--seal-key-file", other.to_str().unwrap()],
    ))
    .await;
    assert!(e.contains("key check"), "{e}");
    // PostgreSQL without a key file named: refused, none is made up.
    let e = common::start_error(&common::config(&url, &[])).await;
    assert!(e.contains("--seal-key-file"), "{e}");
    s.server.stop().await.unwrap();
}

/// A server whose clock runs ahead of PostgreSQL's deletes nothing: its
/// sweep is skipped (on SQLite, the only clock is the server's).
#[tokio::test]
async fn a_sweep_at_a_clock_far_from_the_databases_deletes_nothing() {
    let Some(url) =
        common::postgres_url("a_sweep_at_a_clock_far_from_the_databases_deletes_nothing")
    else {
        return;
    };
    let s = common::start_with(&[], None, Some(&url)).await;
    let to = fresh_number(700);
    let a = s.sms(&json!({ "to": to }).to_string()).await;
    let id = a.body["id"].as_str().unwrap().to_string();
    let code = code_of(&s.last().text, 6);
    let now = i64::try_from(mfa_core::UnixTime::now().as_secs()).unwrap();
    let ahead = now + 10 * 86_400;
    let e = mfa_server::sweep_once(&s.server.app, ahead, 0, 30)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("clock"), "{e}");
    assert_eq!(s.verify(&id, &code).await.body, json!({"success": true}));
    // At the database's own time the sweep runs.
    assert!(
        mfa_server::sweep_once(&s.server.app, now, 86_400, 30)
            .await
            .is_ok()
    );
    s.server.stop().await.unwrap();
}

/// Right and wrong codes for several challenges of one number, from two
/// servers at once: every write list takes the lockout row before the
/// challenge, so no two transactions wait on each other (a deadlock
/// would be a 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_verifies_on_one_number_never_deadlock() {
    let Some(url) = common::postgres_url("racing_verifies_on_one_number_never_deadlock") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_servers(&url, &dir);
    let to = fresh_number(900);
    let mut challenges = Vec::new();
    for _ in 0..4 {
        challenges.push(issue(&a, &to, 20).await);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..80 {
        let (id, code) = challenges[i % 4].clone();
        let token = if i % 5 == 0 { code } else { wrong(&code) };
        let base = [&a, &b][i % 2].base.clone();
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let body = json!({ "token": token }).to_string();
            let path = format!("/api/relay/rest/mfa/{id}/verify");
            post(&client, &base, &path, Some(P1), &body).await.status
        }));
    }
    for t in tasks {
        let status = t.await.unwrap();
        assert!(status < 500, "a verify answered {status}");
    }
}
