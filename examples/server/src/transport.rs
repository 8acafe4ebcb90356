//! Transports: where a delivery goes once its challenge is stored.
//!
//! - `stdout`: one JSON line per delivery, `{"channel","to","from","text"}`.
//!   For development: the one place a code is printed, on purpose.
//! - `http`: the Twilio-compatible REST resources that SignalWire's
//!   compatibility API also speaks (`Messages.json`, `Calls.json`).
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

impl Message {
    /// The channel, parsed back.
    pub fn is_call(&self) -> bool {
        self.channel == Channel::Call.name()
    }
}

/// The Twilio-compatible REST endpoint and its credentials.
#[derive(Clone, Debug)]
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
    /// One JSON line a delivery on standard output.
    Stdout,
    /// The Twilio-compatible REST API.
    Http {
        /// Pooled client (rustls).
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
#[derive(Debug)]
pub struct TransportError(pub String);

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Transport {
    /// The HTTP transport, with a 10 s timeout.
    pub fn http(config: HttpConfig) -> Result<Transport, TransportError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| TransportError(format!("http client: {e}")))?;
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
            Transport::Stdout => {
                let mut line =
                    serde_json::to_vec(message).map_err(|e| TransportError(e.to_string()))?;
                line.push(b'\n');
                let mut out = std::io::stdout().lock();
                out.write_all(&line)
                    .and_then(|()| out.flush())
                    .map_err(|e| TransportError(format!("stdout: {e}")))
            }
            Transport::Http { client, config } => send_http(client, config, message).await,
            Transport::Capture { sent, fail } => {
                if fail.load(Ordering::SeqCst) {
                    return Err(TransportError("capture transport set to fail".into()));
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
        .ok_or_else(|| TransportError("no sender number (set --sender)".into()))?;
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
        .map_err(|e| TransportError(format!("http transport: {}", e.without_url())))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(TransportError(format!(
            "http transport: provider answered {status}"
        )))
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
