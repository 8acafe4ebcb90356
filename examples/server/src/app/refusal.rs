//! What can keep a request from its success answer: an answer for the
//! client that a rule decided, a failure inside the server, or a stored
//! row this server did not write. `crate::http::reply` turns each into
//! its HTTP answer (and logs and counts the last two there).

use mfa_core::wire::HttpResponse;

use crate::record::Tamper;

/// Why a request does not get its success answer.
#[derive(Debug)]
pub enum Refusal {
    /// An answer a rule decided: 4xx, or 502 for a failed delivery.
    Answer(HttpResponse),
    /// The store, the seal, the RNG or a compare-and-swap storm failed:
    /// 500, logged with `cause`.
    Internal {
        /// What was being done.
        what: &'static str,
        /// Why it failed (never a secret).
        cause: String,
    },
    /// A stored row this server did not write: 500, logged and counted in
    /// `mfa_tamper_detected_total`.
    Tampered {
        /// What gave it away.
        what: Tamper,
        /// The row's id or limiter key.
        row: String,
    },
}

impl Refusal {
    /// A failure inside the server while doing `what`.
    pub fn internal(what: &'static str, cause: impl std::fmt::Display) -> Refusal {
        Refusal::Internal {
            what,
            cause: cause.to_string(),
        }
    }

    /// A row that gave itself away as tampered with.
    pub fn tampered(what: Tamper, row: &str) -> Refusal {
        Refusal::Tampered {
            what,
            row: row.to_owned(),
        }
    }
}

impl From<HttpResponse> for Refusal {
    fn from(answer: HttpResponse) -> Refusal {
        Refusal::Answer(answer)
    }
}

impl From<crate::store::Error> for Refusal {
    fn from(e: crate::store::Error) -> Refusal {
        Refusal::internal("store", e)
    }
}
