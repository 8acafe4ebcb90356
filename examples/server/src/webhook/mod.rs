//! Signed event webhooks: a project given a callback URL (and its
//! secret) in `--webhook-file` receives a JSON event, signed per the
//! Standard Webhooks convention ([`sign`]), for each change of a
//! challenge once its write has landed: `mfa.issued`, `mfa.sent`,
//! `mfa.delivery_failed`, `mfa.verified`, `mfa.exhausted`, `mfa.expired`,
//! `mfa.canceled`.
//!
//! ```json
//! {"type":"mfa.verified","timestamp":"2026-01-01T00:00:00Z",
//!  "data":{"id":"…","state":"verified","channel":"sms","to":"+1********99",
//!          "attempts_left":0,"deliveries":1,"expires_at":1767229200,"project":"p1"}}
//! ```
//!
//! An event never holds the code or the whole number. Delivery is off
//! the request's path ([`queue`]): a request hands the event over and
//! goes on; a bounded number of events wait or retry at once, and one
//! more is dropped and counted, so a dead or slow receiver never slows a
//! request. Events are kept in memory only: a restart loses those not
//! yet delivered, and they may arrive out of order (each carries its
//! time and the challenge's state).

pub mod queue;
pub mod sign;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use tracing::warn;

pub use queue::{Queue, QueueLimits};
pub use sign::Secret;

/// Where a project's events go.
#[derive(Debug)]
pub struct Target {
    /// The callback URL (`http` or `https`; redirects are not followed).
    pub url: reqwest::Url,
    /// The signing secret.
    pub secret: Secret,
    /// While the receiver fails: see [`queue`].
    pub down: queue::Down,
}

/// Every project's target, and the queue in front of them.
#[derive(Debug, Default)]
pub struct Webhooks {
    targets: HashMap<String, Arc<Target>>,
    queue: Option<Queue>,
}

/// An event's body.
#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: String,
    data: T,
}

impl Webhooks {
    /// Webhooks to `targets`, behind a queue with `limits`.
    pub fn new(
        targets: HashMap<String, Target>,
        limits: QueueLimits,
    ) -> Result<Webhooks, crate::BoxError> {
        if targets.is_empty() {
            return Ok(Webhooks::default());
        }
        Ok(Webhooks {
            targets: targets.into_iter().map(|(p, t)| (p, Arc::new(t))).collect(),
            queue: Some(Queue::new(limits)?),
        })
    }

    /// Whether `project` has a callback URL.
    pub fn wants(&self, project: &str) -> bool {
        self.targets.contains_key(project)
    }

    /// Hands event `kind` with `data` for `project` to the queue (nothing
    /// if the project has no callback URL). Never waits.
    pub fn emit(&self, project: &str, kind: &str, data: impl Serialize) {
        let (Some(target), Some(queue)) = (self.targets.get(project), &self.queue) else {
            return;
        };
        let now = mfa_core::UnixTime::now().as_secs();
        let envelope = Envelope {
            kind,
            timestamp: rfc3339(now),
            data,
        };
        match serde_json::to_vec(&envelope) {
            Ok(body) => queue.push(target.clone(), body.into()),
            Err(e) => warn!(error = %e, "a webhook event could not be serialized"),
        }
    }
}

/// Reads a webhook file: one `PROJECT_ID URL whsec_SECRET` a line, blank
/// lines and `#` comments skipped. Like the seal key file, it must be
/// readable by its owner only. Errors name the line, never its text.
pub fn read_file(path: &Path) -> Result<HashMap<String, Target>, String> {
    let name = path.display();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("webhook file {name}: {e}"))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "webhook file {name}: others may read it (mode {:o}): chmod 600",
                mode & 0o777
            ));
        }
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("webhook file {name}: {e}"))?,
    );
    let mut targets = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |e: &str| format!("webhook file {name}, line {}: {e}", n + 1);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [project, url, secret] = fields[..] else {
            return Err(at("expected PROJECT_ID URL whsec_SECRET"));
        };
        let url: reqwest::Url = url.parse().map_err(|_| at("the URL does not parse"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(at("the URL must be http:// or https:// with a host"));
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            warn!(
                project,
                "webhook URL without TLS beyond loopback: events (masked numbers, states) \
                 travel in the clear; their signature still shows tampering"
            );
        }
        let secret = Secret::parse(secret).map_err(at)?;
        if targets
            .insert(
                project.to_owned(),
                Target {
                    url,
                    secret,
                    down: Default::default(),
                },
            )
            .is_some()
        {
            return Err(at("a second line for this project"));
        }
    }
    Ok(targets)
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// Unix seconds as RFC 3339 UTC (`2026-01-01T00:00:00Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_614_265_330), "2021-02-25T15:02:10Z");
        assert_eq!(super::rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
