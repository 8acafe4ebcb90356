//! The request bodies: the guide's fields, read strictly.
//!
//! Every error names the field and the rule and never repeats a value the
//! client sent (it may be a code, or a phone number; error texts end up in
//! logs). SPEC §7.

use alloc::format;
use alloc::string::String;
use core::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::channel::Channel;
use crate::params::IssueRequest;
use crate::secret::{SecretText, refuse_all_but, unknown_field};

/// The body of `POST /mfa/sms` and `POST /mfa/call`: every field of the
/// guide, each optional here (validation reports a missing `to`).
///
/// Deserializing refuses a body that is not an object, an unknown field, a
/// field given twice (counting `allow_alphas` and the guide's spelling
/// `allow_alpha` as one), and a value of the wrong type (`6.0`, `"6"`, an
/// integer beyond 64 bits), each with an error that names the field and
/// never repeats the value; the first problem in the body is the one
/// reported. A JSON `null` counts as absent.
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

impl RequestBody {
    /// The request for `channel` (the endpoint: `/mfa/sms` or `/mfa/call`),
    /// borrowing this body's strings. Host-side settings stay unset.
    pub fn to_request(&self, channel: Channel) -> IssueRequest<'_> {
        IssueRequest {
            to: self.to.as_deref(),
            from: self.from.as_deref(),
            message: self.message.as_deref(),
            token_length: self.token_length,
            max_attempts: self.max_attempts,
            allow_alphas: self.allow_alphas,
            valid_for: self.valid_for,
            ..IssueRequest::empty(channel)
        }
    }
}

/// Reads one field's value (`null` is absent), naming the field and what
/// it must be in any error, never the value.
fn field<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    slot: &mut Option<T>,
    seen: &mut bool,
    name: &str,
    must_be: &str,
) -> Result<(), A::Error> {
    if *seen {
        return Err(de::Error::custom(format!("field `{name}` is given twice")));
    }
    *seen = true;
    *slot = map
        .next_value::<Option<T>>()
        .map_err(|_| de::Error::custom(format!("field `{name}`: must be {must_be}")))?;
    Ok(())
}

const TEXT: &str = "a string";
const INTEGER: &str = "an integer from -2^63 to 2^63-1";
const BOOL: &str = "true or false";
const OBJECT: &str = "the body must be a JSON object";

impl<'de> Deserialize<'de> for RequestBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RequestBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(OBJECT)
            }
            refuse_all_but!(OBJECT, map);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RequestBody, A::Error> {
                let mut b = RequestBody::default();
                let mut seen = [false; 7];
                let m = &mut map;
                while let Some(key) = m.next_key::<String>()? {
                    match key.as_str() {
                        "to" => field(m, &mut b.to, &mut seen[0], "to", TEXT)?,
                        "from" => field(m, &mut b.from, &mut seen[1], "from", TEXT)?,
                        "message" => field(m, &mut b.message, &mut seen[2], "message", TEXT)?,
                        "token_length" => field(
                            m,
                            &mut b.token_length,
                            &mut seen[3],
                            "token_length",
                            INTEGER,
                        )?,
                        "max_attempts" => field(
                            m,
                            &mut b.max_attempts,
                            &mut seen[4],
                            "max_attempts",
                            INTEGER,
                        )?,
                        "allow_alphas" | "allow_alpha" => {
                            field(m, &mut b.allow_alphas, &mut seen[5], "allow_alphas", BOOL)?
                        }
                        "valid_for" => {
                            field(m, &mut b.valid_for, &mut seen[6], "valid_for", INTEGER)?
                        }
                        other => return Err(unknown_field(other)),
                    }
                }
                Ok(b)
            }
        }
        // Asking for "any" lets `V` refuse a non-object itself, without the
        // format's own message, which quotes the value.
        if d.is_human_readable() {
            d.deserialize_any(V)
        } else {
            d.deserialize_map(V)
        }
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
                f.write_str(OBJECT)
            }
            refuse_all_but!(OBJECT, map);
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VerifyBody, A::Error> {
                let mut token: Option<SecretText<'static>> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "token" if token.is_some() => {
                            return Err(de::Error::custom("field `token` is given twice"));
                        }
                        // Its own visitor: a wrong type is refused without
                        // repeating the value, which may be the code. Any
                        // other problem in the value (malformed JSON there,
                        // a number the reader cannot hold) names the field
                        // too, as in the request body (SPEC §7.4).
                        "token" => {
                            token = Some(map.next_value().map_err(|_| {
                                de::Error::custom("field `token`: must be a string")
                            })?)
                        }
                        other => return Err(unknown_field(other)),
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
        // Asking for "any" lets `V` refuse a non-object itself, without the
        // format's own message, which quotes the value.
        if d.is_human_readable() {
            d.deserialize_any(V)
        } else {
            d.deserialize_map(V)
        }
    }
}
