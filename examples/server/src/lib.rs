//! `mfa-server`: the reference HTTP server around `mfa-core`.
//!
//! The guide's three endpoints with HTTP Basic auth behind guards on
//! size, time and content type ([`http`]), every row sealed with
//! AES-256-SIV in SQLite or PostgreSQL ([`seal`], [`record`]), every change a
//! compare-and-swap on the challenge's revision, send limits and failed-try
//! lockout from `mfa_core::throttle`, and stdout or Twilio-compatible HTTP
//! delivery. `main.rs` is the command line; tests start the same server
//! in-process with [`start`].
//!
//! # Abuse control (defaults, all flags)
//!
//! | what | key | default | answer |
//! |---|---|---|---|
//! | sends (`--send-limit`) | project + number | 5 per 10 minutes and 10 per day | 429 `rate_limited`, `Retry-After` |
//! | failed tries (`--lockout`, `--hard-lock-secs`) | project + number, and project + `MFA-Subject` if given | 5 free, then 1 s doubling to 15 min, locked at 100 for 24 h after the last try | 429 `locked`, `Retry-After` |
//! | sends by requester (`--send-limit`) | project + `MFA-Subject`, if given | as for a number | 429 `rate_limited`, `Retry-After` |
//! | failed logins | client address | 20 a minute | 429 `too_many_failed_logins`, `Retry-After` |
//! | countries (`--allow-country`) | country calling code | all allowed | 403 `country_not_allowed` |
//! | sends across numbers (`--project-budget`) | project | 1,000 a burst, refilled at 1,000 an hour | 429 `budget_exhausted`, `Retry-After` |
//! | sends to one country (`--country-budget`) | project + country calling code | 100 a burst, refilled at 100 an hour | 429 `budget_exhausted`, `Retry-After` |
//!
//! 5 sends in 10 minutes is what hosted verify services allow a number: a
//! user who asks again a few times never meets it, a script does at once;
//! 10 a day bounds what SMS pumping can cost per number. The lockout is
//! `mfa_core::throttle`'s default (its docs give the reasons; 100 is NIST SP
//! 800-63B's ceiling); it gates tries on live challenges only and counts
//! the outcomes (a wrong code a failure, a right one a reset). A country
//! outside the list is 403, not 422: the request is valid by the API's
//! rules; this deployment refuses it by policy, and a client should not
//! retry it with other parameters.
//!
//! `MFA-Subject` lets the calling service name who is asking (an
//! account, a session, a client address): a guesser's failures then count
//! against them across numbers, not only against each number, and
//! `mfa-server unlock PROJECT --number N` lifts a number's lock at once
//! (`docs/THREAT_MODEL.md` weighs this against NIST SP 800-63B).
//!
//! The budgets ([`budget`]) stop SMS pumping: a script that asks codes for
//! many numbers, each under its own limit, usually in a country whose
//! termination fees it shares in. 100 an hour to one country lets a small
//! service's real users through and stops a script within its first
//! minute; a service that sends more raises both (`off` turns one off).

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

pub mod app;
pub mod budget;
pub mod config;
pub mod http;
pub mod record;
pub mod seal;
pub mod server;
pub mod startup;
pub mod store;
pub mod transport;
pub mod webhook;

pub use app::{App, Caller, Refusal, Settings};
pub use config::Config;
pub use server::{Server, Sweeping, serve, start, sweep_once};
pub use startup::{open, transport_from};
pub use transport::Transport;

/// Any startup error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Seconds: 0.5 ms … 2.5 s.
            let buckets = [
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .expect("non-empty buckets")
                .build_recorder();
            let handle = recorder.handle();
            // A recorder installed by someone else (a test harness) is kept.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
