//! The events a challenge's changes send to its project's webhook
//! ([`crate::webhook`]), each once its write has landed. The routes call
//! [`App::notify`]; verify calls [`App::note_verify`] with what it read
//! and what the core answered.

use mfa_core::{Challenge, Closed, UnixTime, Verification};
use serde::Serialize;

use super::App;
use super::rows::{Loaded, rev};
use super::status::StatusAnswer;

/// What happened to a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Stored (before its first delivery).
    Issued,
    /// A delivery was taken by the transport (the first, or a resend).
    Sent,
    /// A delivery failed (the challenge is canceled after a first one).
    DeliveryFailed,
    /// The right code was given.
    Verified,
    /// The last attempt was used on a wrong code.
    Exhausted,
    /// Found past its window, and recorded so.
    Expired,
    /// Canceled by the host (or after its first delivery failed).
    Canceled,
}

impl Event {
    /// The event's `type`.
    pub fn name(self) -> &'static str {
        match self {
            Event::Issued => "mfa.issued",
            Event::Sent => "mfa.sent",
            Event::DeliveryFailed => "mfa.delivery_failed",
            Event::Verified => "mfa.verified",
            Event::Exhausted => "mfa.exhausted",
            Event::Expired => "mfa.expired",
            Event::Canceled => "mfa.canceled",
        }
    }

    /// Every event, in the order of a challenge's life.
    pub const ALL: [Event; 7] = [
        Event::Issued,
        Event::Sent,
        Event::DeliveryFailed,
        Event::Verified,
        Event::Exhausted,
        Event::Expired,
        Event::Canceled,
    ];
}

/// An event's `data`: the status answer, and the project.
#[derive(Serialize)]
struct Data<'a> {
    #[serde(flatten)]
    status: StatusAnswer,
    project: &'a str,
}

impl App {
    /// Sends `event` about `challenge` (as it stands after the write) to
    /// `project`'s webhook, if it has one.
    pub fn notify(&self, project: &str, event: Event, challenge: &Challenge) {
        if !self.webhooks.wants(project) {
            return;
        }
        let status = StatusAnswer::of(challenge, UnixTime::now());
        self.webhooks
            .emit(project, event.name(), Data { status, project });
    }

    /// After a verify round landed: `verified`, `exhausted`, or `expired`
    /// when this round recorded the expiry.
    pub fn note_verify(&self, project: &str, loaded: &Loaded, outcome: &Verification) {
        let challenge = &loaded.record.challenge;
        let event = match outcome {
            Verification::Verified => Event::Verified,
            Verification::WrongToken { attempts_left: 0 } => Event::Exhausted,
            Verification::Rejected(Closed::Expired) if rev(challenge.revision()) != loaded.read => {
                Event::Expired
            }
            _ => return,
        };
        self.notify(project, event, challenge);
    }
}
