//! Health: does a write to the store land? At most one probe write a
//! second, however often `/healthz` is asked; requests meanwhile share its
//! result (an unauthenticated flood of `/healthz` costs the store one
//! write a second).

use std::time::{Duration, Instant};

use super::App;

/// How long a probe's result stands.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The last probe: when, and what it found.
#[derive(Debug, Default)]
pub struct HealthProbe {
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl App {
    /// `Ok` if a write to the store landed within [`PROBE_EVERY`]; probes
    /// again when the last result is older.
    pub async fn healthy(&self) -> Result<(), String> {
        let mut last = self.health.last.lock().await;
        if let Some((at, result)) = &*last
            && at.elapsed() < PROBE_EVERY
        {
            return result.clone();
        }
        let now = mfa_core::UnixTime::now().as_secs();
        let result = self.store.probe(now).await.map_err(|e| e.to_string());
        if let Err(e) = &result {
            tracing::error!(error = %e, "health check: a write to the store did not land");
            metrics::counter!("mfa_health_failures_total").increment(1);
        }
        *last = Some((Instant::now(), result.clone()));
        result
    }
}
