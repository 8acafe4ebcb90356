//! The bodies of the routes beyond the guide, read as strictly as the
//! guide's (SPEC §7.5): a JSON object, no unknown key, no key twice, the
//! right types, `null` as absent; an error names the field and never
//! repeats a value. Cancel's body is `{}` (an empty body counts as `{}`).

use std::fmt;

use mfa_core::Channel;
use mfa_core::wire::HttpResponse;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::Refusal;

/// `POST …/mfa/{id}/resend`: `{"channel"?: "sms"|"call", "message"?: string}`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResendBody {
    /// The channel; absent: the challenge's latest.
    pub channel: Option<Channel>,
    /// The message; absent: the channel's default.
    pub message: Option<String>,
}

/// `POST …/mfa/{id}/cancel`: `{}`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CancelBody;

const OBJECT: &str = "the body must be a JSON object";

fn unknown<E: de::Error>(key: &str) -> E {
    let shown: String = key.chars().take(32).collect();
    let more = if shown.len() < key.len() { "…" } else { "" };
    E::custom(format!("unknown field `{shown}{more}`"))
}

/// A channel name, refused without repeating what was sent.
struct ChannelName(Channel);

impl<'de> Deserialize<'de> for ChannelName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match <&str>::deserialize(d).ok() {
            Some("sms") => Ok(ChannelName(Channel::Sms)),
            Some("call") => Ok(ChannelName(Channel::Call)),
            _ => Err(de::Error::custom("")),
        }
    }
}

impl<'de> Deserialize<'de> for ResendBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ResendBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(OBJECT)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ResendBody, A::Error> {
                let mut body = ResendBody::default();
                let (mut channel, mut message) = (false, false);
                while let Some(key) = map.next_key::<String>()? {
                    let (seen, must_be) = match key.as_str() {
                        "channel" => (&mut channel, "\"sms\" or \"call\""),
                        "message" => (&mut message, "a string"),
                        other => return Err(unknown(other)),
                    };
                    if std::mem::replace(seen, true) {
                        return Err(de::Error::custom(format!("field `{key}` is given twice")));
                    }
                    let wrong = |_| de::Error::custom(format!("field `{key}`: must be {must_be}"));
                    if key == "channel" {
                        let value: Option<ChannelName> = map.next_value().map_err(wrong)?;
                        body.channel = value.map(|c| c.0);
                    } else {
                        body.message = map.next_value().map_err(wrong)?;
                    }
                }
                Ok(body)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for CancelBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CancelBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(OBJECT)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CancelBody, A::Error> {
                match map.next_key::<String>()? {
                    Some(key) => Err(unknown(&key)),
                    None => Ok(CancelBody),
                }
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads `bytes` as `T`, or answers 422 `invalid_body`. A body that is
/// not an object gets "the body must be a JSON object" rather than the parser's words, which
/// may quote it.
pub fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Refusal> {
    serde_json::from_slice(bytes).map_err(|e| {
        let detail = if e.is_data() && e.to_string().starts_with("invalid type") {
            OBJECT.to_string()
        } else {
            e.to_string()
        };
        HttpResponse::bad_body(&detail).into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resend(s: &str) -> Result<ResendBody, String> {
        serde_json::from_str(s).map_err(|e| e.to_string())
    }

    #[test]
    fn resend_bodies() {
        assert_eq!(resend("{}"), Ok(ResendBody::default()));
        let call = resend(r#"{"channel":"call","message":null}"#).unwrap();
        assert_eq!((call.channel, call.message), (Some(Channel::Call), None));
        for bad in [
            r#"{"channel":"fax"}"#,
            r#"{"channel":1}"#,
            r#"{"message":2}"#,
            r#"{"channel":"sms","channel":"sms"}"#,
            r#"{"secret":"x"}"#,
            "[]",
        ] {
            let e = resend(bad).unwrap_err();
            assert!(!e.contains("fax"), "{bad}: {e}");
        }
    }

    #[test]
    fn cancel_bodies() {
        assert!(serde_json::from_str::<CancelBody>("{}").is_ok());
        assert!(serde_json::from_str::<CancelBody>(r#"{"a":1}"#).is_err());
        assert!(serde_json::from_str::<CancelBody>("1").is_err());
    }
}
