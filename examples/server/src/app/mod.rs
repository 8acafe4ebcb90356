//! The application: decide with `mfa-core`, store with compare-and-swap
//! and sealed rows, then send or answer. The HTTP layer ([`crate::http`])
//! has authenticated the caller and read the body by the time these run.
//!
//! One file a job: [`issue`] (`/mfa/sms`, `/mfa/call`), [`verify`]
//! (`/mfa/{id}/verify`), [`status`] (`GET /mfa/{id}`), [`cancel`]
//! (`/mfa/{id}/cancel`), [`resend`] (`/mfa/{id}/resend`), [`bodies`]
//! (their bodies), [`events`] (what they tell the project's webhook),
//! [`manage`] (the operator's unlock), [`rows`]
//! (reading and writing sealed rows), [`cas`] (the one compare-and-swap
//! retry loop and typed write lists), [`refusal`] (what goes wrong),
//! [`health`] (whether the store takes writes).

pub mod bodies;
pub mod cancel;
pub mod cas;
pub mod events;
pub mod health;
pub mod issue;
pub mod manage;
pub mod refusal;
pub mod resend;
pub mod rows;
pub mod status;
pub mod verify;

use std::sync::Arc;
use std::time::Duration;

use mfa_core::throttle::{LockoutPolicy, SendPolicy};

use crate::budget::Budgets;
use crate::seal::Keyring;
use crate::store::Store;
use crate::transport::Transport;

pub use refusal::Refusal;

/// The host's settings (from the command line).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Default `from` for requests without one.
    pub sender: Option<String>,
    /// Allowed country calling codes; empty: all.
    pub allow_countries: Vec<u16>,
    /// Sends per (project, number) and per (project, subject).
    pub send_policy: SendPolicy,
    /// Failed tries per (project, number) and per (project, subject).
    pub lockout_policy: LockoutPolicy,
    /// Longest wait for a delivery to be taken by the transport.
    pub transport_timeout: Duration,
    /// How long a hard lock (the lockout's `HARD_LIMIT`) lasts after the
    /// last counted try.
    pub hard_lock: Duration,
}

/// Who is asking: the authenticated project, and the requester the
/// calling service named (`MFA-Subject`: an account, a session, a client
/// address), whose sends and failed tries are limited as the number's
/// are.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    /// The project.
    pub project: &'a str,
    /// The requester, if named.
    pub subject: Option<&'a str>,
}

/// Everything a handler needs.
#[derive(Debug)]
pub struct App {
    /// The database.
    pub store: Store,
    /// Seal keys.
    pub keyring: Keyring,
    /// Delivery.
    pub transport: Arc<dyn Transport>,
    /// Sends per project and per country, across numbers.
    pub budgets: Budgets,
    /// Settings.
    pub settings: Settings,
    /// The last health probe.
    pub health: health::HealthProbe,
    /// Where each project's events go.
    pub webhooks: crate::webhook::Webhooks,
}
