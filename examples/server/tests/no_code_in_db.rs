//! A copy of the database reveals no code and no number: issue
//! challenges, capture the codes, grep the raw store (SQLite files; a
//! `pg_dump` when PostgreSQL is available) for every code and every
//! number.

mod common;

use common::{code_of, start_with};

/// What a run left to look for.
struct Issued {
    codes: Vec<String>,
    numbers: Vec<String>,
    /// Stored unsealed: proof that the grep sees the rows.
    an_id: String,
}

/// Issues `n` challenges with 12-digit codes (so no code turns up by
/// chance in a timestamp) to `n` numbers, verifies some (so there are
/// lockout rows too).
async fn issue_codes(s: &common::TestServer, n: usize) -> Issued {
    let mut an_id = String::new();
    for i in 0..n {
        let body = format!(r#"{{"to": "+1555{i:07}", "token_length": 12}}"#);
        let path = if i % 2 == 0 { "sms" } else { "call" };
        let a = s.post(&format!("/api/relay/rest/mfa/{path}"), &body).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let id = a.body["id"].as_str().unwrap().to_string();
        let code = code_of(&s.last().text, 12);
        an_id.clone_from(&id);
        // Some verified, some failed, some left pending.
        match i % 3 {
            0 => assert_eq!(s.verify(&id, &code).await.status, 200),
            1 => assert_eq!(s.verify(&id, "000000000000").await.status, 200),
            _ => {}
        }
    }
    let codes: Vec<String> = s
        .transport
        .captured()
        .iter()
        .map(|m| code_of(&m.text, 12))
        .collect();
    assert_eq!(codes.len(), n);
    let numbers = (0..n).map(|i| format!("+1555{i:07}")).collect();
    Issued {
        codes,
        numbers,
        an_id,
    }
}

fn find_any(haystack: &[u8], codes: &[String]) -> Vec<String> {
    codes
        .iter()
        .filter(|c| haystack.windows(c.len()).any(|w| w == c.as_bytes()))
        .cloned()
        .collect()
}

fn store_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("mfa.db") {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

#[tokio::test]
async fn sqlite_file_holds_no_code() {
    let s = start_with(&[], None, None).await;
    let issued = issue_codes(&s, 60).await;
    let common::TestServer { server, dir, .. } = s;
    // While running (records in the WAL), then stopped (checkpointed).
    let running = store_bytes(dir.path());
    server.stop().await.unwrap();
    let stopped = store_bytes(dir.path());
    for bytes in [running, stopped] {
        assert!(
            bytes.len() > 10_000,
            "the store is there ({} bytes)",
            bytes.len()
        );
        assert_eq!(find_any(&bytes, &issued.codes), Vec::<String>::new());
        assert_eq!(find_any(&bytes, &issued.numbers), Vec::<String>::new());
        // The grep works: a new file holds each id as its 16 bytes.
        let id = mfa_core::ChallengeId::parse(&issued.an_id).unwrap();
        assert!(bytes.windows(16).any(|w| w == id.as_bytes()));
    }
}

#[tokio::test]
async fn pg_dump_holds_no_code() {
    let Some(url) = common::postgres_url("pg_dump_holds_no_code") else {
        return;
    };
    let s = start_with(&[], None, Some(&url)).await;
    let issued = issue_codes(&s, 60).await;
    let dump = std::process::Command::new("pg_dump")
        .args(["--data-only", "--table=challenges", "--table=limits", &url])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert!(dump.stdout.len() > 10_000);
    assert_eq!(find_any(&dump.stdout, &issued.codes), Vec::<String>::new());
    assert_eq!(
        find_any(&dump.stdout, &issued.numbers),
        Vec::<String>::new()
    );
    assert_eq!(
        find_any(&dump.stdout, std::slice::from_ref(&issued.an_id)).len(),
        1
    );
    s.server.stop().await.unwrap();
}
