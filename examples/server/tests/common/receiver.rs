//! A webhook receiver on a free loopback port: keeps every request's
//! headers and body, and answers as told (200, an error for the first N
//! tries, or never).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// How the receiver answers.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// 200 to every request.
    Ok,
    /// 500 to the first `n` requests, then 200.
    FailFirst(usize),
    /// Never answers (a receiver that hangs).
    Hang,
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_owned()
    }
}

#[derive(Debug)]
struct Inner {
    mode: Mode,
    seen: AtomicUsize,
    got: Mutex<Vec<Received>>,
}

#[derive(Clone, Debug)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

/// `whsec_` and 32 bytes, base64: the secret the tests sign with.
pub const SECRET: &str = "whsec_c2VjcmV0LWZvci10aGUtbWZhLXNlcnZlci10ZXN0cyE=";

impl Receiver {
    pub async fn start(mode: Mode) -> Receiver {
        let inner = Arc::new(Inner {
            mode,
            seen: AtomicUsize::new(0),
            got: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, inner }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inner.got.lock().unwrap().clone()
    }

    /// Waits (10 s at most) until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..1000 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("{} webhook requests, not {n}", self.received().len());
    }

    /// A webhook file naming this receiver for `project`, owner-only.
    pub fn file_for(&self, dir: &std::path::Path, project: &str) -> String {
        let path = dir.join("webhooks");
        super::write_key_text(
            &path,
            &format!("# tests\n{project} {} {SECRET}\n", self.url),
            0o600,
        );
        path.display().to_string()
    }
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = inner.seen.fetch_add(1, Ordering::SeqCst);
    inner.got.lock().unwrap().push(Received {
        at: Instant::now(),
        headers,
        body,
    });
    match inner.mode {
        Mode::Ok => StatusCode::OK,
        Mode::FailFirst(k) if n < k => StatusCode::INTERNAL_SERVER_ERROR,
        Mode::FailFirst(_) => StatusCode::NO_CONTENT,
        Mode::Hang => std::future::pending().await,
    }
}
