//! Clients that do not play by the rules: no credentials and a huge body,
//! headers that never end, idle sockets, duplicate credentials, bodies
//! that are not JSON, requests the routes do not take, a shutdown with a
//! half-sent request open, and clients that hang up mid-request. Each is
//! answered (in the guide's JSON error shape) or closed, on time, and a
//! request whose client hung up still runs to its end, within the
//! connection cap, and before a shutdown closes the store.

mod common;

use std::time::{Duration, Instant};

use common::process::Process;
use common::{P1, start};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SMS: &str = "/api/relay/rest/mfa/sms";

/// `Basic base64("p1:token-one")`.
const P1_BASIC: &str = "Basic cDE6dG9rZW4tb25l";

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Reads one HTTP/1.1 answer (headers and a Content-Length body), or
/// what came before the socket closed; `None` if nothing came within
/// `within`.
async fn read_answer(stream: &mut TcpStream, within: Duration) -> Option<(u16, String, Value)> {
    let mut buf = Vec::new();
    let deadline = Instant::now() + within;
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                let status = head[9..12].parse().unwrap();
                let body =
                    serde_json::from_slice(&buf[end + 4..end + 4 + length]).unwrap_or(Value::Null);
                return Some((status, head, body));
            }
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return None,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Whether the server closes `stream` within `within` (reads return 0 or
/// an error), ignoring any answer it sends first.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut chunk = [0u8; 1024];
    loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return false;
        };
        match tokio::time::timeout(left, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

async fn json(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

fn assert_error_shape(status: u16, body: &Value, code: &str) {
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    assert_eq!(errors.len(), 1, "{body}");
    let e = &errors[0];
    assert_eq!(e["status"], status.to_string(), "{body}");
    assert_eq!(e["code"], code, "{body}");
    assert!(e["title"].is_string() && e["detail"].is_string(), "{body}");
}

#[tokio::test]
async fn no_credentials_and_a_large_body_is_refused_from_the_headers() {
    let s = start(&[]).await;
    let mut stream = TcpStream::connect(addr(&s.base)).await.unwrap();
    let head = format!(
        "POST {SMS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1900000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b' '; 1024]).await.unwrap();
    // The 401 comes while the body is still owed: it was never waited for.
    let (status, head, body) = read_answer(&mut stream, Duration::from_secs(3))
        .await
        .expect("an answer before the body");
    assert_eq!(status, 401, "{head}");
    assert_error_shape(401, &body, "unauthorized");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_from_its_content_length() {
    let s = start(&[]).await;
    let mut stream = TcpStream::connect(addr(&s.base)).await.unwrap();
    let head = format!(
        "POST {SMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {P1_BASIC}\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, _, body) = read_answer(&mut stream, Duration::from_secs(3))
        .await
        .expect("an answer from the headers");
    assert_eq!(status, 413);
    assert_error_shape(413, &body, "body_too_large");

    // Chunked, without a length: refused once it grows past the limit.
    let mut stream = TcpStream::connect(addr(&s.base)).await.unwrap();
    let head = format!(
        "POST {SMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {P1_BASIC}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..20 {
        let chunk = format!("{:x}\r\n{}\r\n", 4096, " ".repeat(4096));
        if stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let (status, _, body) = read_answer(&mut stream, Duration::from_secs(3))
        .await
        .expect("an answer");
    assert_eq!(status, 413);
    assert_error_shape(413, &body, "body_too_large");
}

#[tokio::test]
async fn slow_headers_slow_bodies_and_idle_sockets_are_closed() {
    let s = start(&["--header-timeout-secs", "1", "--body-timeout-secs", "1"]).await;
    // Headers that never end.
    let mut slow_headers = TcpStream::connect(addr(&s.base)).await.unwrap();
    slow_headers
        .write_all(format!("POST {SMS} HTTP/1.1\r\nHost: x\r\n").as_bytes())
        .await
        .unwrap();
    // A socket that never says anything.
    let mut idle = TcpStream::connect(addr(&s.base)).await.unwrap();
    // A body that never ends: 408, in the error shape.
    let mut slow_body = TcpStream::connect(addr(&s.base)).await.unwrap();
    let head = format!(
        "POST {SMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {P1_BASIC}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"to\""
    );
    slow_body.write_all(head.as_bytes()).await.unwrap();
    // A kept-alive connection that goes quiet after one request.
    let mut kept = TcpStream::connect(addr(&s.base)).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, _, _) = read_answer(&mut kept, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(status, 200);

    let (status, _, body) = read_answer(&mut slow_body, Duration::from_secs(4))
        .await
        .expect("a 408");
    assert_eq!(status, 408);
    assert_error_shape(408, &body, "request_timeout");
    for (what, stream) in [
        ("slow headers", &mut slow_headers),
        ("idle", &mut idle),
        ("kept alive, quiet", &mut kept),
    ] {
        assert!(
            closed_within(stream, Duration::from_secs(4)).await,
            "{what}: still open"
        );
    }
}

/// With the descriptors for only a few hundred sockets, 300 idle ones
/// neither crash the server nor keep a real client out for longer than
/// the header timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_beyond_the_descriptor_limit_do_not_starve_clients() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let project = format!("{}:{}", P1.0, P1.1);
    let server = Process::spawn_with_nofile(
        256,
        &[
            "--database",
            &db,
            "--project",
            &project,
            "--header-timeout-secs",
            "2",
        ],
    );
    let mut idle = Vec::new();
    for _ in 0..300 {
        if let Ok(s) = TcpStream::connect(addr(&server.base)).await {
            idle.push(s);
        }
    }
    let client = reqwest::Client::new();
    let start = Instant::now();
    let a = common::post(
        &client,
        &server.base,
        SMS,
        Some(P1),
        r#"{"to": "+15557788999"}"#,
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "served after {:?}",
        start.elapsed()
    );
    drop(idle);
}

#[tokio::test]
async fn two_authorization_headers_are_400() {
    let s = start(&[]).await;
    let mut stream = TcpStream::connect(addr(&s.base)).await.unwrap();
    let body = r#"{"to": "+15557788999"}"#;
    let head = format!(
        "POST {SMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {P1_BASIC}\r\nAuthorization: Basic cDI6dG9rZW4tdHdv\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, _, body) = read_answer(&mut stream, Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert_error_shape(400, &body, "duplicate_header");
    assert!(s.transport.captured().is_empty());
}

#[tokio::test]
async fn bodies_not_sent_as_json_are_415() {
    let s = start(&[]).await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = s
            .client
            .post(format!("{}{SMS}", s.base))
            .basic_auth(P1.0, Some(P1.1))
            .body(r#"{"to": "+15557788999"}"#);
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        let body: Value = json(response).await;
        assert_error_shape(415, &body, "unsupported_media_type");
    }
    // A charset parameter is fine.
    let response = s
        .client
        .post(format!("{}{SMS}", s.base))
        .basic_auth(P1.0, Some(P1.1))
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"to": "+15557788999"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(s.transport.captured().len(), 1);
}

#[tokio::test]
async fn the_frameworks_own_answers_have_the_error_shape() {
    let s = start(&[]).await;
    let get = |path: &str| s.client.get(format!("{}{path}", s.base)).send();
    // No such route.
    let r = get("/nowhere").await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_error_shape(404, &json(r).await, "not_found");
    // A route that does not take GET: 405, with Allow.
    let r = get(SMS).await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    assert_error_shape(405, &json(r).await, "method_not_allowed");
    // A request line hyper cannot read is closed by hyper itself; one
    // it reads with a bad path segment reaches the routes.
    let r = s
        .client
        .post(format!("{}/api/relay/rest/mfa/%FF/verify", s.base))
        .basic_auth(P1.0, Some(P1.1))
        .header("content-type", "application/json")
        .body(r#"{"token":"123456"}"#)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = json(r).await;
    assert!(status == 400 || status == 404, "{status}");
    assert!(body["errors"].is_array(), "{body}");
}

/// SIGTERM while a request is half sent: the process ends within its
/// shutdown grace period instead of waiting for the rest of the body.
#[tokio::test]
async fn sigterm_with_a_half_sent_request_ends_within_the_grace_period() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let project = format!("{}:{}", P1.0, P1.1);
    let mut server = Process::spawn(&[
        "--database",
        &db,
        "--project",
        &project,
        "--shutdown-grace-secs",
        "1",
        "--body-timeout-secs",
        "60",
        "--header-timeout-secs",
        "60",
    ]);
    let mut half = TcpStream::connect(addr(&server.base)).await.unwrap();
    let head = format!(
        "POST {SMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {P1_BASIC}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"to\""
    );
    half.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    server.terminate();
    let status = server.wait_exit(Duration::from_secs(10));
    assert!(status.is_some(), "still running 10 s after SIGTERM");
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    drop(half);
}

/// Guessing API tokens: after 20 failed logins from one address in a
/// minute, it gets 429 without its credentials being looked at, the
/// right ones included.
#[tokio::test]
async fn failed_logins_from_one_address_are_throttled() {
    let s = start(&[]).await;
    let body = r#"{"to": "+15557788999"}"#;
    for i in 0..20 {
        let a = s
            .post_as(SMS, Some((P1.0, &format!("guess-{i}"))), body)
            .await;
        assert_eq!(a.status, 401);
    }
    let a = s.post_as(SMS, Some(P1), body).await;
    assert_eq!((a.status, a.code()), (429, "too_many_failed_logins"));
    assert!(a.headers.contains_key("retry-after"));
    assert!(s.transport.captured().is_empty());
}

/// `--help` shows no secret from the environment.
#[test]
fn help_shows_no_secret_from_the_environment() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mfa-server"))
        .arg("--help")
        .env("MFA_DATABASE", "postgres://mfa:s3cret-pw@db/mfa")
        .env("MFA_PROJECTS", "p1:s3cret-token")
        .env("MFA_HTTP_AUTH_TOKEN", "s3cret-auth")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--database"), "{help}");
    assert!(!help.contains("s3cret"), "{help}");
}

/// A client that pipelines requests and never reads the answers: once
/// the socket buffers are full the server's write stalls, and the
/// connection is closed within the timeout instead of holding its slot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_closed() {
    let s = start(&["--header-timeout-secs", "1"]).await;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket
        .connect(addr(&s.base).parse().unwrap())
        .await
        .unwrap();
    let request = b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1_000);
    let mut sent = 0;
    let start = Instant::now();
    // Keep sending until the server stops reading (its write stalled)
    // and then drops the connection.
    while start.elapsed() < Duration::from_secs(20) {
        match tokio::time::timeout(Duration::from_secs(3), stream.write_all(&request)).await {
            Ok(Ok(())) => sent += 1,
            Ok(Err(_)) => break, // reset: the server closed it
            Err(_) => break,     // the server stopped reading
        }
    }
    assert!(sent > 0);
    // Still not reading (reading would let the stalled write go on):
    // give the server its timeout, then look.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        closed_within(&mut stream, Duration::from_secs(6)).await,
        "still open after {sent} batches of 1,000 requests"
    );
}

/// `/metrics` on the API port counts failed logins like the API does.
#[tokio::test]
async fn failed_logins_at_metrics_are_throttled_too() {
    let s = start(&[]).await;
    for i in 0..20 {
        let guess = format!("guess-{i}");
        let r = s.get_as("/metrics", Some((P1.0, &guess))).await;
        assert_eq!(r.status(), 401);
    }
    assert_eq!(s.get_as("/metrics", Some(P1)).await.status(), 429);
    // Another project's id from the same address is not blocked.
    let a = s
        .post_as(SMS, Some(common::P2), r#"{"to": "+15557788999"}"#)
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
}

/// A transport whose deliveries wait until the test opens the gate.
#[derive(Debug)]
struct Gated {
    gate: tokio::sync::Semaphore,
    waiting: std::sync::atomic::AtomicUsize,
    sent: std::sync::atomic::AtomicUsize,
}

impl Gated {
    /// A transport whose gate is closed.
    fn closed() -> std::sync::Arc<Gated> {
        std::sync::Arc::new(Gated {
            gate: tokio::sync::Semaphore::new(0),
            waiting: Default::default(),
            sent: Default::default(),
        })
    }
}

impl mfa_server::transport::Transport for Gated {
    fn send<'a>(
        &'a self,
        _message: &'a mfa_server::transport::Message,
    ) -> mfa_server::transport::Sending<'a> {
        use std::sync::atomic::Ordering::SeqCst;
        Box::pin(async move {
            self.waiting.fetch_add(1, SeqCst);
            self.gate.acquire().await.unwrap().forget();
            self.sent.fetch_add(1, SeqCst);
            Ok(())
        })
    }
}

/// Clients that send a request and hang up at once, again and again,
/// hoping to leave the server with work no cap counts: a request runs to
/// its end without its client, and keeps its connection's slot until it
/// ends, so the connection cap bounds these requests too.
#[tokio::test]
async fn requests_whose_clients_hung_up_run_to_the_end_within_the_cap() {
    use std::sync::atomic::Ordering::SeqCst;
    let gated = Gated::closed();
    let s = common::start_with(&["--max-connections", "2"], Some(gated.clone()), None).await;
    let addr = addr(&s.base);
    for i in 0..2 {
        let body = format!(r#"{{"to":"+1555020000{i}"}}"#);
        let request = format!(
            "POST {SMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {P1_BASIC}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        while gated.waiting.load(SeqCst) <= i {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        drop(stream);
    }
    // Both clients are gone; their requests hold the two slots.
    let mut third = TcpStream::connect(&addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(
        read_answer(&mut third, Duration::from_millis(300))
            .await
            .is_none()
    );
    gated.gate.add_permits(2);
    let (status, _, _) = read_answer(&mut third, Duration::from_secs(5))
        .await
        .expect("answered once a slot is free");
    assert_eq!(status, 200);
    assert_eq!(gated.sent.load(SeqCst), 2, "both deliveries were made");
}

/// A shutdown waits, within its grace period, for requests whose clients
/// hung up too, not only for open connections: the store is closed after
/// they end, not under them.
#[tokio::test]
async fn a_shutdown_waits_for_requests_whose_clients_hung_up() {
    use std::sync::atomic::Ordering::SeqCst;
    let gated = Gated::closed();
    let common::TestServer {
        base, server, dir, ..
    } = common::start_with(&[], Some(gated.clone()), None).await;
    let body = r#"{"to":"+15550300000"}"#;
    let request = format!(
        "POST {SMS} HTTP/1.1\r\nHost: x\r\nAuthorization: {P1_BASIC}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(addr(&base)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    while gated.waiting.load(SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(stream);
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "the shutdown waits for the request"
    );
    gated.gate.add_permits(1);
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("stops once the request ended")
        .unwrap()
        .unwrap();
    assert_eq!(gated.sent.load(SeqCst), 1);
    drop(dir);
}
