//! The http transport: Twilio-compatible `Messages.json` and `Calls.json`,
//! form-encoded, Basic auth, a 10 s timeout, no redirect followed.

use std::time::Duration;

use super::{Message, Sending, Transport, TransportError};

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

impl std::fmt::Debug for HttpConfig {
    // The auth token stays out of Debug on purpose.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

/// The Twilio-compatible REST API.
#[derive(Debug)]
pub struct Http {
    /// Pooled client (rustls), never following redirects.
    client: reqwest::Client,
    /// Endpoint and credentials.
    config: HttpConfig,
}

impl Http {
    /// The HTTP transport: a 10 s timeout, and no redirects followed.
    pub fn new(config: HttpConfig) -> Result<Http, TransportError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError::Request(format!("client: {e}")))?;
        Ok(Http { client, config })
    }
}

impl Transport for Http {
    fn send<'a>(&'a self, message: &'a Message) -> Sending<'a> {
        Box::pin(send_http(&self.client, &self.config, message))
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
