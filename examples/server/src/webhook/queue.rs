//! The delivery queue: every event is a task of its own that tries its
//! receiver, then again after 1 s, 5 s, 30 s, 2 min and 10 min (each
//! ±20 %), signing every try with its own `webhook-timestamp` and the same
//! `webhook-id`. A 2xx ends it; anything else, a timeout or no connection
//! is a failed try. Two bounds keep a dead or slow receiver from costing
//! more than memory for [`QueueLimits::capacity`] events:
//!
//! - at most `capacity` events wait or retry at once; one more is dropped
//!   and counted (`mfa_webhook_dropped_total`), never waited for;
//! - at most [`QueueLimits::in_flight`] tries are open at once, each
//!   within [`QueueLimits::timeout`].
//!
//! A request only serializes its event and takes a slot (a semaphore's
//! `try_acquire`): it never waits on the queue.
//!
//! A receiver that fails is left alone for a while ([`Down`]): 1 s after
//! its first failed try, doubling to a minute, until a try succeeds.
//! Meanwhile its events skip their tries (each counted as failed), so a
//! dead receiver costs one connection attempt per pause, not one per
//! event and retry.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU32, AtomicU64};
use std::time::{Duration, Instant};

use metrics::{counter, gauge, histogram};
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use super::Target;

/// The waits before each retry, before jitter.
pub const RETRIES: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
];

/// The queue's bounds.
#[derive(Clone, Copy, Debug)]
pub struct QueueLimits {
    /// Events waiting or retrying at most.
    pub capacity: usize,
    /// Tries open at once at most.
    pub in_flight: usize,
    /// Longest a try may take (connection and answer).
    pub timeout: Duration,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits {
            capacity: 10_000,
            in_flight: 32,
            timeout: Duration::from_secs(5),
        }
    }
}

/// The queue (see the module's docs).
#[derive(Debug)]
pub struct Queue {
    client: reqwest::Client,
    room: Arc<Semaphore>,
    trying: Arc<Semaphore>,
}

impl Queue {
    /// A queue with `limits`, and its HTTP client (rustls, no redirects).
    pub fn new(limits: QueueLimits) -> Result<Queue, crate::BoxError> {
        let client = reqwest::Client::builder()
            .timeout(limits.timeout)
            .connect_timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mfa-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Queue {
            client,
            room: Arc::new(Semaphore::new(limits.capacity.max(1))),
            trying: Arc::new(Semaphore::new(limits.in_flight.max(1))),
        })
    }

    /// Takes an event for `target`, or drops and counts it when the queue
    /// is full. Never waits.
    pub fn push(&self, target: Arc<Target>, body: Arc<[u8]>) {
        let Ok(slot) = self.room.clone().try_acquire_owned() else {
            counter!("mfa_webhook_dropped_total").increment(1);
            warn!("webhook queue full: an event was dropped");
            return;
        };
        gauge!("mfa_webhook_queued").increment(1.0);
        let (client, trying) = (self.client.clone(), self.trying.clone());
        tokio::spawn(async move {
            deliver(&client, &trying, &target, &body).await;
            gauge!("mfa_webhook_queued").decrement(1.0);
            drop(slot);
        });
    }
}

/// A receiver's failures in a row, and until when it is left alone
/// (milliseconds since the Unix epoch).
#[derive(Debug, Default)]
pub struct Down {
    failures: AtomicU32,
    until_ms: AtomicU64,
}

fn now_ms() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    u64::try_from(since.unwrap_or_default().as_millis()).unwrap_or(u64::MAX)
}

impl Down {
    fn is_down(&self) -> bool {
        now_ms() < self.until_ms.load(Relaxed)
    }

    fn failed(&self) {
        let n = self.failures.fetch_add(1, Relaxed).min(6);
        let pause = (1_000u64 << n).min(60_000);
        self.until_ms.store(now_ms() + pause, Relaxed);
    }

    fn succeeded(&self) {
        self.failures.store(0, Relaxed);
        self.until_ms.store(0, Relaxed);
    }
}

/// A fresh message id: `msg_` and 128 random bits, the same on every try.
fn message_id() -> String {
    let mut bytes = [0u8; 16];
    // Without the OS's RNG the id is still unique enough from the clock.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes = nanos.to_le_bytes();
    }
    format!("msg_{}", hex::encode(bytes))
}

/// `wait`, give or take 20 %.
fn jittered(wait: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    wait.mul_f64(0.8 + 0.4 * f64::from(byte[0]) / 255.0)
}

async fn deliver(client: &reqwest::Client, trying: &Semaphore, target: &Target, body: &[u8]) {
    let id = message_id();
    let waits = std::iter::once(Duration::ZERO).chain(RETRIES);
    for (n, wait) in waits.enumerate() {
        if !wait.is_zero() {
            tokio::time::sleep(jittered(wait)).await;
        }
        if target.down.is_down() {
            counter!("mfa_webhook_failed_tries_total").increment(1);
            continue;
        }
        let Ok(_try) = trying.acquire().await else {
            return;
        };
        let timestamp = mfa_core::UnixTime::now().as_secs();
        let start = Instant::now();
        let sent = client
            .post(target.url.clone())
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp)
            .header(
                "webhook-signature",
                target.secret.sign(&id, timestamp, body),
            )
            .body(body.to_vec())
            .send()
            .await;
        histogram!("mfa_webhook_try_duration_seconds").record(start.elapsed().as_secs_f64());
        let outcome = match &sent {
            Ok(answer) if answer.status().is_success() => {
                target.down.succeeded();
                counter!("mfa_webhook_delivered_total").increment(1);
                debug!(%id, tries = n + 1, "webhook delivered");
                return;
            }
            Ok(answer) => format!("answered {}", answer.status().as_u16()),
            Err(e) if e.is_timeout() => "timed out".to_owned(),
            Err(_) => "could not be reached".to_owned(),
        };
        target.down.failed();
        counter!("mfa_webhook_failed_tries_total").increment(1);
        debug!(%id, try_ = n + 1, outcome, "webhook try failed");
    }
    counter!("mfa_webhook_given_up_total").increment(1);
    warn!(%id, "webhook given up after every retry");
}
