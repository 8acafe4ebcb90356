//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod capture;
pub mod process;
pub mod receiver;

pub use capture::{Capture, capture};

use std::sync::Arc;

use clap::Parser;
use mfa_server::transport::Message;
use mfa_server::transport::Transport;
use mfa_server::{Config, Server};
use serde_json::Value;

/// A server on a free loopback port, with a capturing transport and a
/// fresh SQLite file in a temporary directory.
pub struct TestServer {
    pub base: String,
    pub server: Server,
    /// The deliveries (empty when the test gave its own transport).
    pub transport: Arc<Capture>,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
}

pub const P1: (&str, &str) = ("p1", "token-one");
pub const P2: (&str, &str) = ("p2", "token-two");

pub async fn start(extra: &[&str]) -> TestServer {
    start_with(extra, None, None).await
}

/// A server with `transport` (`None`: a capture) and `database` (`None`:
/// a fresh SQLite file).
pub async fn start_with(
    extra: &[&str],
    transport: Option<Arc<dyn Transport>>,
    database: Option<&str>,
) -> TestServer {
    let capture = capture();
    let transport = transport.unwrap_or_else(|| capture.clone());
    let dir = tempfile::tempdir().unwrap();
    let db = match database {
        Some(url) => url.to_string(),
        None => format!("sqlite://{}", dir.path().join("mfa.db").display()),
    };
    let key = dir.path().join("mfa.key").display().to_string();
    if database.is_some() {
        write_shared_key(std::path::Path::new(&key));
    }
    let p2 = format!("{}:{}", P2.0, P2.1);
    let mut args = vec!["--seal-key-file", &key, "--project", &p2];
    args.extend_from_slice(extra);
    let config = config(&db, &args);
    let server = mfa_server::start(&config, transport).await.unwrap();
    TestServer {
        base: format!("http://{}", server.addr),
        server,
        transport: capture,
        dir,
        client: reqwest::Client::new(),
    }
}

/// A configuration on a free loopback port for `database`, serving
/// project p1, with `extra` flags.
pub fn config(database: &str, extra: &[&str]) -> Config {
    let p1 = format!("{}:{}", P1.0, P1.1);
    let mut args = vec![
        "mfa-server",
        "--listen",
        "127.0.0.1:0",
        "--database",
        database,
        "--project",
        &p1,
    ];
    args.extend_from_slice(extra);
    Config::try_parse_from(args).unwrap()
}

/// Starts a server with `config` that must refuse to start: its message.
pub async fn start_error(config: &Config) -> String {
    match mfa_server::start(config, capture()).await {
        Ok(server) => {
            server.stop().await.unwrap();
            panic!("started")
        }
        Err(e) => e.to_string(),
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The `code` of the single error entry.
    pub fn code(&self) -> &str {
        let errors = self.body["errors"].as_array().expect("an error body");
        assert_eq!(errors.len(), 1, "{}", self.body);
        errors[0]["code"].as_str().unwrap()
    }
}

impl TestServer {
    /// `GET path`, with Basic credentials if given.
    pub async fn get_as(&self, path: &str, auth: Option<(&str, &str)>) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some((user, token)) = auth {
            request = request.basic_auth(user, Some(token));
        }
        request.send().await.unwrap()
    }

    pub async fn post_as(&self, path: &str, auth: Option<(&str, &str)>, body: &str) -> Answer {
        post(&self.client, &self.base, path, auth, body).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Answer {
        self.post_as(path, Some(P1), body).await
    }

    pub async fn sms(&self, body: &str) -> Answer {
        self.post("/api/relay/rest/mfa/sms", body).await
    }

    pub async fn call(&self, body: &str) -> Answer {
        self.post("/api/relay/rest/mfa/call", body).await
    }

    pub async fn verify(&self, id: &str, token: &str) -> Answer {
        self.verify_as(P1, id, token).await
    }

    pub async fn verify_as(&self, who: (&str, &str), id: &str, token: &str) -> Answer {
        let body = serde_json::json!({ "token": token }).to_string();
        self.post_as(
            &format!("/api/relay/rest/mfa/{id}/verify"),
            Some(who),
            &body,
        )
        .await
    }

    /// The last delivery made.
    pub fn last(&self) -> Message {
        self.transport.captured().pop().expect("a delivery")
    }
}

pub async fn post(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    auth: Option<(&str, &str)>,
    body: &str,
) -> Answer {
    let mut request = client
        .post(format!("{base}{path}"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some((user, token)) = auth {
        request = request.basic_auth(user, Some(token));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    Answer {
        status,
        headers,
        body,
    }
}

/// A challenge's id as a new SQLite file stores it: its 16 bytes.
pub fn stored_id(id: &str) -> Vec<u8> {
    mfa_core::ChallengeId::parse(id)
        .unwrap()
        .as_bytes()
        .to_vec()
}

/// SQL true for a number's lockout row of a new SQLite file (its key's
/// first byte names the kind).
pub const LOCK_ROW: &str = "substr(key, 1, 1) = x'02'";
/// SQL true for a number's send row of a new SQLite file.
pub const SEND_ROW: &str = "substr(key, 1, 1) = x'01'";

/// The code in a delivery text: its last `len` letters and digits (an SMS
/// ends with the token, a call spells it out `1, 2, 3.`).
pub fn code_of(text: &str, len: usize) -> String {
    let mut code: Vec<char> = text
        .chars()
        .rev()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(len)
        .collect();
    code.reverse();
    code.into_iter().collect()
}

/// A wrong code of the same length (differs in every symbol).
pub fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect()
}

/// The key file every server on the test PostgreSQL database uses: the
/// database holds one key check, and servers with another key file are
/// refused (as they should be).
pub fn write_shared_key(path: &std::path::Path) {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).unwrap();
    writeln!(file, "1 {}", "5e".repeat(32)).unwrap();
}

/// Writes a key file's text with `mode`.
pub fn write_key_text(path: &std::path::Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// `MFA_TEST_POSTGRES`, if set and not empty; else prints that `test` is
/// skipped.
pub fn postgres_url(test: &str) -> Option<String> {
    let url = std::env::var("MFA_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("{test}: skipped, MFA_TEST_POSTGRES is not set (examples/server/ci.sh sets it)");
    }
    url
}
