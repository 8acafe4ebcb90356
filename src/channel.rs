//! The two delivery channels, named for the guide's endpoints.

use core::fmt;

use crate::limits::{DEFAULT_CALL_MESSAGE, DEFAULT_SMS_MESSAGE};

/// How a challenge's token is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum Channel {
    /// A text message (the guide's `/mfa/sms`).
    Sms,
    /// A phone call that reads the text out (the guide's `/mfa/call`).
    Call,
}

impl Channel {
    /// The wire name: `"sms"` or `"call"`.
    pub const fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Call => "call",
        }
    }

    /// The message used when a request gives none.
    pub const fn default_message(self) -> &'static str {
        match self {
            Channel::Sms => DEFAULT_SMS_MESSAGE,
            Channel::Call => DEFAULT_CALL_MESSAGE,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
