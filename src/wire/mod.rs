//! The guide's JSON shapes and HTTP answers (feature `serde`, SPEC §7).
//!
//! | endpoint | body in | answer |
//! |---|---|---|
//! | `POST /mfa/sms`, `POST /mfa/call` | [`RequestBody`] | 200 [`RequestAnswer`]; 422 [`ErrorBody`] for a bad body or invalid parameters |
//! | `POST /mfa/{id}/verify` | [`VerifyBody`] | 200 [`VerifyAnswer`]; 404 [`ErrorBody`] for an unknown id or a closed challenge; 422 for a bad body |
//!
//! [`HttpResponse`] maps every outcome to its status and body, so a host
//! serializes `response.body` with its JSON library and sends
//! `response.status`: no glue code. Answers that only the host can decide
//! (401 bad credentials, 429 rate limited, 500 RNG or store failure, 502
//! transport failure) use [`HttpResponse::error`], in the same shape.
//!
//! # Parse the body yourself
//!
//! Deserialize [`RequestBody`] and [`VerifyBody`] from the raw bytes and
//! answer a failure with [`HttpResponse::bad_body`]: that is the 422 the
//! guide's clients expect, naming the field. A framework's own JSON
//! extractor (axum's `Json<T>`, actix's `web::Json<T>`) refuses a bad body
//! before your handler runs, with its own status and text (axum: 400 or
//! 422 with a plain-text message), which bypasses this shape. Take the body
//! as bytes or a string instead:
//!
//! ```ignore
//! async fn sms(body: axum::body::Bytes) -> impl IntoResponse {
//!     let body: RequestBody = match serde_json::from_slice(&body) {
//!         Ok(b) => b,
//!         Err(e) => return reply(HttpResponse::bad_body(&e)),
//!     };
//!     // validate, issue, store, send…
//! }
//! ```
//!
//! ```
//! use mfa_core::wire::{HttpResponse, RequestBody, VerifyBody};
//! use mfa_core::{Challenge, Channel, UnixTime};
//!
//! // POST /mfa/sms
//! let body: RequestBody = serde_json::from_str(r#"{"to":"+15557788999","allow_alpha":true}"#)?;
//! let params = match body.to_request(Channel::Sms).validate() {
//!     Ok(p) => p,
//!     Err(v) => unreachable!("would answer {}", serde_json::to_string(&HttpResponse::invalid(&v).body)?),
//! };
//! let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(1);
//! let now = UnixTime::from_secs(1_700_000_000);
//! let (mut challenge, _delivery) = Challenge::issue(&params, &mut rng, now)?;
//! let answer = HttpResponse::issued(&challenge);
//! assert_eq!(answer.status, 200);
//! let json = serde_json::to_string(&answer.body)?;
//! assert!(json.starts_with(r#"{"id":""#) && json.ends_with(r#""success":true,"to":"+15557788999","channel":"sms"}"#));
//!
//! // POST /mfa/{id}/verify
//! let verify: VerifyBody = serde_json::from_str(r#"{"token":"000000"}"#)?;
//! let step = challenge.verify(&verify.token, now);
//! // Write the challenge back as `step.write()` says (guide), then answer:
//! let answer = HttpResponse::verification(step.answer());
//! assert_eq!((answer.status, serde_json::to_string(&answer.body)?.as_str()), (200, r#"{"success":false}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

use crate::challenge::Challenge;
use crate::state::{Closed, ResendError, Verification};
use crate::violation::Violations;

mod body;

pub use body::{RequestBody, VerifyBody};

/// The answer to a token request: `{"id","success","to","channel"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestAnswer {
    /// The challenge id, lower-case UUID.
    pub id: String,
    /// Always `true` (a refused request is a 422 instead).
    pub success: bool,
    /// The destination number.
    pub to: String,
    /// `"sms"` or `"call"`.
    pub channel: String,
}

/// The answer to a verification that reached a live challenge:
/// `{"success": true|false}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyAnswer {
    /// Whether the token was right.
    pub success: bool,
}

/// One error entry: `{"detail","status","title","code"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorEntry {
    /// A sentence naming the field, the rule and what was given.
    pub detail: String,
    /// The HTTP status, as a string (`"422"`, `"404"`).
    pub status: String,
    /// A short title; for a parameter, `Invalid parameter: <field>`.
    pub title: String,
    /// A stable machine-readable code (a [`Rule::code`](crate::Rule::code),
    /// a [`Closed::code`], `not_found` or `invalid_body`).
    pub code: String,
}

/// `{"errors": [...]}`: one entry per broken rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// The entries, in field order.
    pub errors: Vec<ErrorEntry>,
}

/// Any answer body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Body {
    /// 200 to a token request.
    Requested(RequestAnswer),
    /// 200 to a verification.
    Verified(VerifyAnswer),
    /// 404 or 422.
    Errors(ErrorBody),
}

/// An HTTP status and the body to send with it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct HttpResponse {
    /// The HTTP status: 200, 404 or 422 for the library's own answers.
    pub status: u16,
    /// Serialize this as the response body.
    pub body: Body,
    /// Seconds for a `Retry-After` header, when the answer has one (a 429
    /// whose wait is known).
    pub retry_after: Option<u64>,
}

impl HttpResponse {
    /// 200 with `{"id","success":true,"to","channel"}` for a new challenge.
    pub fn issued(challenge: &Challenge) -> Self {
        Self::new(
            200,
            Body::Requested(RequestAnswer {
                id: challenge.parts().id.to_string(),
                success: true,
                to: challenge.parts().to.to_string(),
                channel: challenge.parts().channel.name().to_string(),
            }),
        )
    }

    /// 200 `{"success":true}` for a right token, 200 `{"success":false}`
    /// for a wrong one, 404 for every terminal reason (the entry's `code`
    /// says which: `already_verified`, `attempts_exhausted`, `expired`,
    /// `canceled`).
    pub fn verification(outcome: &Verification) -> Self {
        match outcome {
            Verification::Verified => Self::success(true),
            Verification::WrongToken { .. } => Self::success(false),
            Verification::Rejected(reason) => Self::closed(*reason),
        }
    }

    fn new(status: u16, body: Body) -> Self {
        HttpResponse {
            status,
            body,
            retry_after: None,
        }
    }

    fn success(success: bool) -> Self {
        Self::new(200, Body::Verified(VerifyAnswer { success }))
    }

    /// 200 with the issue answer `{"id","success":true,"to","channel"}`
    /// for a resend that delivered (SPEC §7.5): pass the challenge after
    /// the call, whose channel is now the resend's. A refused resend is
    /// answered by [`resend_refused`](Self::resend_refused): 404 with the
    /// reason for a terminal or expired challenge, 429
    /// `deliveries_exhausted` without `Retry-After`, 422 with one entry per
    /// violation (field `message`) for a text that does not suit the
    /// channel.
    ///
    /// ```
    /// use mfa_core::wire::HttpResponse;
    /// use mfa_core::ResendError;
    /// let r = HttpResponse::resend_refused(&ResendError::DeliveriesExhausted { max: 5 });
    /// assert_eq!((r.status, r.retry_after), (429, None));
    /// ```
    pub fn resent(challenge: &Challenge) -> Self {
        Self::issued(challenge)
    }

    /// The refusal of a resend (see [`resent`](Self::resent)).
    pub fn resend_refused(error: &ResendError) -> Self {
        match error {
            ResendError::Closed(reason) => Self::closed(*reason),
            ResendError::DeliveriesExhausted { max } => Self::deliveries_exhausted(*max),
            ResendError::Invalid(violations) => Self::invalid(violations),
        }
    }

    /// 429 `deliveries_exhausted`: every delivery `max_deliveries` allows
    /// has been made (SPEC §7.5). No `Retry-After`: waiting does not help.
    pub fn deliveries_exhausted(max: u8) -> Self {
        Self::error(
            429,
            "Too Many Requests",
            "deliveries_exhausted",
            format!("all {max} allowed deliveries have been made"),
        )
    }

    /// The answer to a cancel (SPEC §7.5): 200 `{"success":true}`, or 404
    /// with the reason the challenge was already closed.
    pub fn cancel(outcome: &Result<(), Closed>) -> Self {
        match outcome {
            Ok(()) => Self::success(true),
            Err(reason) => Self::closed(*reason),
        }
    }

    /// 404 for a terminal challenge (see [`verification`](Self::verification)).
    pub fn closed(reason: Closed) -> Self {
        Self::error(404, "Not Found", reason.code(), reason.to_string())
    }

    /// 404 for an id that names no challenge (unknown, or not even a UUID).
    pub fn not_found() -> Self {
        Self::error(
            404,
            "Not Found",
            "not_found",
            "no challenge has this id".to_string(),
        )
    }

    /// 422 with one entry per violated rule, each naming its field.
    pub fn invalid(violations: &Violations) -> Self {
        Self::new(
            422,
            Body::Errors(ErrorBody {
                errors: violations
                    .iter()
                    .map(|v| ErrorEntry {
                        detail: v.to_string(),
                        status: "422".to_string(),
                        title: format!("Invalid parameter: {}", v.field.name()),
                        code: v.rule.code().to_string(),
                    })
                    .collect(),
            }),
        )
    }

    /// 422 for a body that did not deserialize (unknown field, wrong type,
    /// malformed JSON): `detail` is the deserializer's message. For
    /// [`RequestBody`] and [`VerifyBody`] it names the field and the rule
    /// and never repeats the value (SPEC §7.8); its wording is not part of
    /// the contract, the `code` `invalid_body` is.
    pub fn bad_body(error: &dyn fmt::Display) -> Self {
        Self::error(
            422,
            "Invalid request body",
            "invalid_body",
            error.to_string(),
        )
    }

    /// Any other answer in the guide's error shape: one entry with `status`,
    /// `title`, `code` and `detail`. For the answers only a host decides:
    ///
    /// | status | title | code |
    /// |---|---|---|
    /// | 401 | `Unauthorized` | `unauthorized` |
    /// | 429 | `Too Many Requests` | `rate_limited`, `locked`: use [`rate_limited`](Self::rate_limited) and [`locked`](Self::locked) |
    /// | 500 | `Internal Server Error` | `internal` |
    /// | 502 | `Bad Gateway` | `transport_failed` |
    ///
    /// `detail` is for people; never put a token or a submitted value in it.
    ///
    /// ```
    /// use mfa_core::wire::HttpResponse;
    /// let r = HttpResponse::error(401, "Unauthorized", "unauthorized", "wrong project id or token");
    /// assert_eq!(r.status, 401);
    /// ```
    pub fn error(status: u16, title: &str, code: &str, detail: impl Into<String>) -> Self {
        Self::new(
            status,
            Body::Errors(ErrorBody {
                errors: alloc::vec![ErrorEntry {
                    detail: detail.into(),
                    status: status.to_string(),
                    title: title.to_string(),
                    code: code.to_string(),
                }],
            }),
        )
    }

    /// 429 `rate_limited`: a send limit is reached (SPEC §9.1). Send
    /// `retry_after` (the seconds until a send would be allowed, as the
    /// limiter answered) as the `Retry-After` header.
    ///
    /// ```
    /// use mfa_core::wire::HttpResponse;
    /// let r = HttpResponse::rate_limited(42);
    /// assert_eq!((r.status, r.retry_after), (429, Some(42)));
    /// ```
    pub fn rate_limited(retry_after: u64) -> Self {
        HttpResponse {
            retry_after: Some(retry_after),
            ..Self::error(
                429,
                "Too Many Requests",
                "rate_limited",
                format!("too many requests: try again in {retry_after} seconds"),
            )
        }
    }

    /// 429 `locked`: too many failed tries for this subject (SPEC §9.2).
    /// `Some(seconds)` while the lockout waits (send it as `Retry-After`);
    /// `None` once the subject is locked until the host resets it (no
    /// `Retry-After`: waiting does not help).
    pub fn locked(retry_after: Option<u64>) -> Self {
        let detail = match retry_after {
            Some(secs) => format!("too many failed tries: try again in {secs} seconds"),
            None => "too many failed tries: locked until reset".to_string(),
        };
        HttpResponse {
            retry_after,
            ..Self::error(429, "Too Many Requests", "locked", detail)
        }
    }
}
