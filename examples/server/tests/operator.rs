//! What an operator runs into: a stdout nobody reads, a script sending to
//! hundreds of numbers, metrics on a port of their own, the default data
//! directory, and logs redirected to a file.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{P1, post, start};

const SMS: &str = "/api/relay/rest/mfa/sms";

/// The server with its stdout piped and never read: once the pipe is
/// full, deliveries time out or are refused (502, canceled) while the
/// server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stdout_nobody_reads_does_not_stall_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let project = format!("{}:{}", P1.0, P1.1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-server"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
            "--project",
            &project,
        ])
        .args(["--transport-timeout-secs", "1"])
        .args(["--project-budget", "off", "--country-budget", "off"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped()) // never read
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("mfa-server listening on ")
                .map(str::to_string)
        })
        .unwrap();
    std::thread::spawn(move || lines.for_each(drop));
    let client = reqwest::Client::new();
    // A pipe holds 64 KiB: about 500 delivery lines.
    let mut tasks = Vec::new();
    for i in 0..1200u32 {
        let (client, base) = (client.clone(), base.clone());
        tasks.push(tokio::spawn(async move {
            let body = format!(r#"{{"to": "+1555{i:07}"}}"#);
            let a = post(&client, &base, SMS, Some(P1), &body).await;
            a.status
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut statuses = Vec::new();
    for t in tasks {
        let left = deadline.saturating_duration_since(Instant::now());
        let status = tokio::time::timeout(left, t)
            .await
            .expect("every request answered")
            .unwrap();
        statuses.push(status);
    }
    let refused = statuses.iter().filter(|&&s| s == 502).count();
    assert!(refused > 0, "no 502 once the pipe was full");
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 502),
        "{statuses:?}"
    );
    let start = Instant::now();
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(start.elapsed() < Duration::from_secs(1));
    let _ = child.kill();
    let _ = child.wait();
}

/// 300 numbers in one country at once: the country's budget (100 by
/// default) stops the script, with a wait.
#[tokio::test]
async fn sends_to_many_numbers_meet_the_country_budget() {
    let s = start(&["--send-limit", "5/600"]).await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for i in 0..300u32 {
        let a = s.sms(&format!(r#"{{"to": "+1555{i:07}"}}"#)).await;
        if a.status == 429 {
            assert_eq!(a.code(), "budget_exhausted");
            retry_after = a.headers.get("retry-after").cloned();
        }
        statuses.push(a.status);
    }
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 100);
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 200);
    let wait: u64 = retry_after.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=36).contains(&wait), "{wait}");
    // Another country still has its budget; the project's is 1,000.
    assert_eq!(s.sms(r#"{"to": "+447700900123"}"#).await.status, 200);
    assert_eq!(s.transport.captured().len(), 101);
}

#[tokio::test]
async fn metrics_on_a_listener_of_their_own() {
    let s = start(&["--metrics-listen", "127.0.0.1:0"]).await;
    let metrics = s.server.metrics_addr.unwrap();
    let r = s
        .client
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Not on the API's port, even with credentials.
    assert_eq!(s.get_as("/metrics", Some(P1)).await.status(), 404);
}

/// Started with no flags in an empty directory: the database and its key
/// go into `mfa-data/` (owner-only), which git ignores; the log has no
/// colour codes when it is not a terminal.
#[tokio::test]
async fn defaults_keep_data_in_an_ignored_private_directory_and_logs_plain() {
    let cwd = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-server"))
        .current_dir(cwd.path())
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.push_str(&line);
        log.push('\n');
        if line.contains("serving") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a redirected log:\n{log}"
    );
    let data = cwd.path().join("mfa-data");
    assert!(data.join("mfa.db").exists() && data.join("mfa.key").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("mfa.db")), 0o600);
        assert_eq!(mode(&data.join("mfa.key")), 0o600);
    }
    // git ignores the directory where README's commands create it.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for path in ["mfa-data/mfa.key", "examples/server/mfa-data/mfa.key"] {
        let ignored = Command::new("git")
            .current_dir(&repo)
            .args(["check-ignore", "-q", path])
            .status()
            .unwrap();
        assert!(ignored.success(), "{path} is not ignored by git");
    }
}

/// The stdout transport prints codes into the log: not served beyond
/// loopback unless asked for.
#[tokio::test]
async fn stdout_codes_are_not_served_beyond_loopback_by_default() {
    use clap::Parser;
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let args = |extra: &[&str]| {
        let mut a = vec![
            "mfa-server",
            "--listen",
            "0.0.0.0:0",
            "--database",
            &db,
            "--project",
            "p1:token-one",
        ];
        a.extend_from_slice(extra);
        mfa_server::Config::try_parse_from(a).unwrap()
    };
    let transport = common::capture;
    let e = mfa_server::start(&args(&[]), transport())
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("loopback"), "{e}");
    let server = mfa_server::start(&args(&["--allow-stdout-beyond-loopback"]), transport())
        .await
        .unwrap();
    server.stop().await.unwrap();
}

/// The process allows itself no core dump (it would hold keys and codes).
#[test]
fn the_server_dumps_no_core() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfa-server"))
        .current_dir(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().starts_with("mfa-server listening on")));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    let fields: Vec<&str> = core.split_whitespace().collect();
    assert_eq!(&fields[4..6], ["0", "0"], "{core}");
}

/// Sends the per-number limit refuses cost no budget: one number asked
/// again and again does not spend its country's.
#[tokio::test]
async fn refused_sends_spend_no_budget() {
    let s = start(&["--send-limit", "2/600", "--country-budget", "3/3600"]).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(s.sms(r#"{"to": "+15557788991"}"#).await.status);
    }
    assert_eq!(statuses, [200, 200, 429, 429, 429, 429, 429, 429]);
    let a = s.sms(r#"{"to": "+15557788992"}"#).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let a = s.sms(r#"{"to": "+15557788993"}"#).await;
    assert_eq!((a.status, a.code()), (429, "budget_exhausted"));
}
