//! Transports: where a delivery goes once its challenge is stored.
//!
//! - [`stdout`]: one JSON line per delivery, `{"id","channel","to","from","text"}`
//!   (the id pairs the line with the answer).
//!   For development: the one place a code is printed, on purpose; the
//!   server refuses it on a non-loopback address unless told otherwise.
//!   A thread of its own writes, behind a bounded queue.
//! - [`http`]: the Twilio-compatible REST resources that SignalWire's
//!   compatibility API also speaks (`Messages.json`, `Calls.json`). A
//!   redirect is a failure, never followed.
//!
//! Both implement [`Transport`]; tests bring their own.

pub mod http;
pub mod stdout;

use std::future::Future;
use std::pin::Pin;

use mfa_core::Channel;
use serde::Serialize;

/// Where deliveries go.
pub trait Transport: std::fmt::Debug + Send + Sync + 'static {
    /// Hands one delivery over; `Ok` once the transport has taken it.
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a>;
}

/// The future [`Transport::send`] returns.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), TransportError>> + Send + 'a>>;

/// One delivery to make.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// The challenge's id, as the issue answer gives it.
    pub id: String,
    /// `"sms"` or `"call"`.
    pub channel: &'static str,
    /// E.164 destination.
    pub to: String,
    /// E.164 sender, if any.
    pub from: Option<String>,
    /// The text, code included.
    pub text: String,
}

impl std::fmt::Debug for Message {
    // The text holds the code: left out of Debug on purpose.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("to", &self.to)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Message {
    /// The delivery of challenge `id`, ready for a transport.
    pub fn new(id: &str, delivery: &mfa_core::Delivery<'_>) -> Message {
        Message {
            id: id.to_owned(),
            channel: delivery.channel().name(),
            to: delivery.to().to_string(),
            from: delivery.from().map(|f| f.to_string()),
            text: delivery.text(),
        }
    }

    /// The channel, parsed back.
    pub fn is_call(&self) -> bool {
        self.channel == Channel::Call.name()
    }
}

/// A delivery that did not go out. Says why, never the text.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The transport did not take the delivery in time.
    #[error("the transport did not take the delivery in time")]
    Timeout,
    /// The transport's queue is full (its reader is not keeping up).
    #[error("the transport's queue is full")]
    Busy,
    /// Writing the delivery failed.
    #[error("transport I/O: {0}")]
    Io(String),
    /// The provider answered with a redirect, which is never followed:
    /// the message (and its code) goes to the configured host alone.
    #[error("http transport: provider answered a redirect ({0}); redirects are not followed")]
    Redirect(u16),
    /// The provider answered with an error status.
    #[error("http transport: provider answered {0}")]
    Status(u16),
    /// The request could not be made (connection, TLS, timeout).
    #[error("http transport: {0}")]
    Request(String),
    /// The configuration is incomplete (no sender number).
    #[error("{0}")]
    Config(&'static str),
    /// A test's transport was told to fail.
    #[error("the transport was told to fail")]
    Failing,
}
