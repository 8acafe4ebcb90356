//! Transports: where a delivery goes once its challenge is stored.
//!
//! - `stdout`: one JSON line per delivery, `{"channel","to","from","text"}`.
//!   For development: the one place a code is printed, on purpose; the
//!   server refuses it on a non-loopback address unless told otherwise.
//!   A thread of its own writes, behind a bounded queue.
//! - `http`: the Twilio-compatible REST resources that SignalWire's
//!   compatibility API also speaks (`Messages.json`, `Calls.json`). A
//!   redirect is a failure, never followed.
//! - `Capture`: keeps deliveries in memory (tests), and can be told to fail.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mfa_core::Channel;
use serde::Serialize;

/// One delivery to make.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Message {
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
            .field("channel", &self.channel)
            .field("to", &self.to)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for HttpConfig {
    // The auth token stays out of Debug on purpose.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

impl Message {
    /// The channel, parsed back.
    pub fn is_call(&self) -> bool {
        self.channel == Channel::Call.name()
    }
}

/// The Twilio-compatible REST endpoint and its credentials.
#[derive(Clone)]
pub struct HttpConfig {
    /// e.g. `https://example.signalwire.com/api/laml` or `https://api.twilio.com`.
    pub base_url: String,
    /// Account SID (SignalWire: the project id).
    pub account_sid: String,
    /// Auth token.
    pub auth_token: String,
}

/// Where deliveries go.
#[derive(Debug)]
pub enum Transport {
    /// One JSON line a delivery on standard output, written by a thread
    /// of its own.
    Stdout(StdoutQueue),
    /// The Twilio-compatible REST API.
    Http {
        /// Pooled client (rustls), never following redirects.
        client: reqwest::Client,
        /// Endpoint and credentials.
        config: HttpConfig,
    },
    /// In memory, for tests.
    Capture {
        /// Every delivery made, in order.
        sent: Mutex<Vec<Message>>,
        /// When set, every send fails.
        fail: AtomicBool,
    },
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
    /// The capture transport was told to fail (tests).
    #[error("capture transport set to fail")]
    Failing,
}

/// Deliveries waiting for the stdout thread.
const STDOUT_QUEUE: usize = 256;

/// The stdout transport: a bounded queue to a thread that writes each
/// line and says when it has. A stdout nobody reads (a full pipe) blocks
/// that thread alone; requests meanwhile wait at most the transport
/// timeout, and once the queue is full they are refused at once.
#[derive(Debug)]
pub struct StdoutQueue {
    lines:
        std::sync::mpsc::SyncSender<(Vec<u8>, tokio::sync::oneshot::Sender<std::io::Result<()>>)>,
}

impl StdoutQueue {
    fn start() -> Result<StdoutQueue, TransportError> {
        let (lines, queue) = std::sync::mpsc::sync_channel::<(
            Vec<u8>,
            tokio::sync::oneshot::Sender<std::io::Result<()>>,
        )>(STDOUT_QUEUE);
        std::thread::Builder::new()
            .name("mfa-stdout".into())
            .spawn(move || {
                for (line, done) in queue {
                    let mut out = std::io::stdout().lock();
                    let _ = done.send(out.write_all(&line).and_then(|()| out.flush()));
                }
            })
            .map_err(|e| TransportError::Io(e.to_string()))?;
        Ok(StdoutQueue { lines })
    }

    async fn send(&self, message: &Message) -> Result<(), TransportError> {
        let mut line =
            serde_json::to_vec(message).map_err(|e| TransportError::Io(e.to_string()))?;
        line.push(b'\n');
        let (done, written) = tokio::sync::oneshot::channel();
        self.lines.try_send((line, done)).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(_) => TransportError::Busy,
            std::sync::mpsc::TrySendError::Disconnected(_) => {
                TransportError::Io("the stdout thread ended".into())
            }
        })?;
        match written.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(TransportError::Io(format!("stdout: {e}"))),
            Err(_) => Err(TransportError::Io("the stdout thread ended".into())),
        }
    }
}

impl Transport {
    /// The stdout transport (starts its writer thread).
    pub fn stdout() -> Result<Transport, TransportError> {
        StdoutQueue::start().map(Transport::Stdout)
    }

    /// The HTTP transport: a 10 s timeout, and no redirects followed.
    pub fn http(config: HttpConfig) -> Result<Transport, TransportError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Request(format!("client: {e}")))?;
        Ok(Transport::Http { client, config })
    }

    /// An empty capture.
    pub fn capture() -> Transport {
        Transport::Capture {
            sent: Mutex::new(Vec::new()),
            fail: AtomicBool::new(false),
        }
    }

    /// Captured deliveries (empty for other transports).
    pub fn captured(&self) -> Vec<Message> {
        match self {
            Transport::Capture { sent, .. } => {
                sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
            }
            _ => Vec::new(),
        }
    }

    /// Makes a capture fail every send from now on (or stop failing).
    pub fn set_failing(&self, failing: bool) {
        if let Transport::Capture { fail, .. } = self {
            fail.store(failing, Ordering::SeqCst);
        }
    }

    /// Sends one delivery.
    pub async fn send(&self, message: &Message) -> Result<(), TransportError> {
        match self {
            Transport::Stdout(queue) => queue.send(message).await,
            Transport::Http { client, config } => send_http(client, config, message).await,
            Transport::Capture { sent, fail } => {
                if fail.load(Ordering::SeqCst) {
                    return Err(TransportError::Failing);
                }
                sent.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(message.clone());
                Ok(())
            }
        }
    }
}

/// `<Response><Say>{text}</Say></Response>`, the text XML-escaped.
pub fn twiml_say(text: &str) -> String {
    format!(
        "<Response><Say>{}</Say></Response>",
        quick_xml::escape::escape(text)
    )
}

async fn send_http(
    client: &reqwest::Client,
    config: &HttpConfig,
    message: &Message,
) -> Result<(), TransportError> {
    let from = message
        .from
        .as_deref()
        .ok_or(TransportError::Config("no sender number (set --sender)"))?;
    let base = config.base_url.trim_end_matches('/');
    let sid = &config.account_sid;
    let request = if message.is_call() {
        let twiml = twiml_say(&message.text);
        client
            .post(format!("{base}/2010-04-01/Accounts/{sid}/Calls.json"))
            .form(&[
                ("To", message.to.as_str()),
                ("From", from),
                ("Twiml", &twiml),
            ])
    } else {
        client
            .post(format!("{base}/2010-04-01/Accounts/{sid}/Messages.json"))
            .form(&[
                ("To", message.to.as_str()),
                ("From", from),
                ("Body", &message.text),
            ])
    };
    let response = request
        .basic_auth(sid, Some(&config.auth_token))
        .send()
        .await
        // Without the URL: it is ours, but keep errors short.
        .map_err(|e| TransportError::Request(e.without_url().to_string()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else if status.is_redirection() {
        Err(TransportError::Redirect(status.as_u16()))
    } else {
        Err(TransportError::Status(status.as_u16()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn twiml_is_escaped() {
        assert_eq!(
            super::twiml_say("a <b> & \"c\""),
            "<Response><Say>a &lt;b&gt; &amp; &quot;c&quot;</Say></Response>"
        );
    }
}
