//! A transport that keeps deliveries in memory, and can be told to fail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mfa_server::transport::{Message, Sending, Transport, TransportError};

#[derive(Debug, Default)]
pub struct Capture {
    sent: Mutex<Vec<Message>>,
    fail: AtomicBool,
}

impl Capture {
    /// Every delivery made, in order.
    pub fn captured(&self) -> Vec<Message> {
        self.sent.lock().unwrap().clone()
    }

    /// Fail every send from now on (or stop failing).
    pub fn set_failing(&self, failing: bool) {
        self.fail.store(failing, Ordering::SeqCst);
    }
}

impl Transport for Capture {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a> {
        Box::pin(async move {
            if self.fail.load(Ordering::SeqCst) {
                return Err(TransportError::Failing);
            }
            self.sent.lock().unwrap().push(message.clone());
            Ok(())
        })
    }
}

/// An empty capture.
pub fn capture() -> Arc<Capture> {
    Arc::default()
}
