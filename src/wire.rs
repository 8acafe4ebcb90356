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
//! let answer = HttpResponse::verification(&challenge.verify(&verify.token, now));
//! assert_eq!((answer.status, serde_json::to_string(&answer.body)?.as_str()), (200, r#"{"success":false}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::challenge::Challenge;
use crate::channel::Channel;
use crate::params::Request;
use crate::secret::SecretText;
use crate::state::{Closed, Verification};
use crate::violation::Violations;

/// The body of `POST /mfa/sms` and `POST /mfa/call`: every field of the
/// guide, each optional here (validation reports a missing `to`).
///
/// Deserializing refuses an unknown field, a field given twice (counting
/// `allow_alphas` and the guide's spelling `allow_alpha` as one), and a
/// value of the wrong type, each with an error that names the field. A JSON
/// `null` counts as absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RequestBody {
    /// `to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `from`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// `message`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `token_length`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_length: Option<i64>,
    /// `max_attempts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<i64>,
    /// `allow_alphas` (also read as `allow_alpha`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_alphas: Option<bool>,
    /// `valid_for`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<i64>,
}

/// The body fields, by wire name, in the order errors list them.
const REQUEST_FIELDS: &[&str] = &[
    "to",
    "from",
    "message",
    "token_length",
    "max_attempts",
    "allow_alphas",
    "allow_alpha",
    "valid_for",
];

impl RequestBody {
    /// The request for `channel` (the endpoint: `/mfa/sms` or `/mfa/call`),
    /// borrowing this body's strings. Host-side settings stay unset.
    pub fn to_request(&self, channel: Channel) -> Request<'_> {
        Request {
            to: self.to.as_deref(),
            from: self.from.as_deref(),
            message: self.message.as_deref(),
            token_length: self.token_length,
            max_attempts: self.max_attempts,
            allow_alphas: self.allow_alphas,
            valid_for: self.valid_for,
            ..Request::empty(channel)
        }
    }
}

/// Reads one field's value, naming the field in any error.
fn field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    seen: &mut bool,
    name: &str,
) -> Result<(), A::Error> {
    if *seen {
        return Err(de::Error::custom(format!("field `{name}` is given twice")));
    }
    *seen = true;
    *slot = map
        .next_value::<Option<T>>()
        .map_err(|e| de::Error::custom(format!("field `{name}`: {e}")))?;
    Ok(())
}

impl<'de> Deserialize<'de> for RequestBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RequestBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an MFA request body (a JSON object)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RequestBody, A::Error> {
                let mut b = RequestBody::default();
                let mut seen = [false; 7];
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "to" => field(&mut map, &mut b.to, &mut seen[0], "to")?,
                        "from" => field(&mut map, &mut b.from, &mut seen[1], "from")?,
                        "message" => field(&mut map, &mut b.message, &mut seen[2], "message")?,
                        "token_length" => {
                            field(&mut map, &mut b.token_length, &mut seen[3], "token_length")?
                        }
                        "max_attempts" => {
                            field(&mut map, &mut b.max_attempts, &mut seen[4], "max_attempts")?
                        }
                        "allow_alphas" | "allow_alpha" => {
                            field(&mut map, &mut b.allow_alphas, &mut seen[5], "allow_alphas")?
                        }
                        "valid_for" => {
                            field(&mut map, &mut b.valid_for, &mut seen[6], "valid_for")?
                        }
                        other => return Err(de::Error::unknown_field(other, REQUEST_FIELDS)),
                    }
                }
                Ok(b)
            }
        }
        d.deserialize_map(V)
    }
}

/// The body of `POST /mfa/{id}/verify`: `{"token": "..."}`. Unknown fields
/// and a missing or non-string `token` are refused, naming the field.
///
/// Its `Debug` leaves the token out: what a user typed may be the code.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct VerifyBody {
    /// What the user typed.
    pub token: String,
}

impl fmt::Debug for VerifyBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifyBody { token: <redacted> }")
    }
}

impl<'de> Deserialize<'de> for VerifyBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = VerifyBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a verify body (a JSON object with `token`)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VerifyBody, A::Error> {
                let mut token: Option<SecretText<'static>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "token" if token.is_some() => {
                            return Err(de::Error::custom("field `token` is given twice"));
                        }
                        // Its own visitor: a wrong type is refused without
                        // repeating the value, which may be the code.
                        "token" => token = Some(map.next_value()?),
                        other => return Err(de::Error::unknown_field(other, &["token"])),
                    }
                }
                match token {
                    Some(t) => Ok(VerifyBody {
                        token: t.0.into_owned(),
                    }),
                    None => Err(de::Error::missing_field("token")),
                }
            }
        }
        d.deserialize_map(V)
    }
}

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
    /// 200, 404 or 422.
    pub status: u16,
    /// Serialize this as the response body.
    pub body: Body,
}

impl HttpResponse {
    /// 200 with `{"id","success":true,"to","channel"}` for a new challenge.
    pub fn issued(challenge: &Challenge) -> Self {
        HttpResponse {
            status: 200,
            body: Body::Requested(RequestAnswer {
                id: challenge.parts().id.to_string(),
                success: true,
                to: challenge.parts().to.to_string(),
                channel: challenge.parts().channel.name().to_string(),
            }),
        }
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

    fn success(success: bool) -> Self {
        HttpResponse {
            status: 200,
            body: Body::Verified(VerifyAnswer { success }),
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
        HttpResponse {
            status: 422,
            body: Body::Errors(ErrorBody {
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
        }
    }

    /// 422 for a body that did not deserialize (unknown field, wrong type,
    /// malformed JSON): `detail` is the deserializer's message, which names
    /// the field.
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
    /// | 429 | `Too Many Requests` | `rate_limited`, `locked` (send `Retry-After` too) |
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
        let detail = detail.into();
        HttpResponse {
            status,
            body: Body::Errors(ErrorBody {
                errors: alloc::vec![ErrorEntry {
                    detail,
                    status: status.to_string(),
                    title: title.to_string(),
                    code: code.to_string(),
                }],
            }),
        }
    }
}
