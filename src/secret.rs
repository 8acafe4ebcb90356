//! Serde for secrets (feature `serde`): a string that may be a token is
//! (de)serialized as a plain string, but a value of another type is refused
//! without repeating it, so a token never reaches an error text.

use alloc::borrow::Cow;
use core::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub(crate) struct SecretText<'a>(pub(crate) Cow<'a, str>);

impl Serialize for SecretText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SecretText<'_> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        fn not_a_string<E: de::Error>() -> E {
            E::custom("field `token`: expected a string")
        }
        impl<'de> Visitor<'de> for V {
            type Value = SecretText<'static>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the token as a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(SecretText(Cow::Owned(v.into())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_char<E: de::Error>(self, _: char) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Err(not_a_string())
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(not_a_string())
            }
            fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
                Err(not_a_string())
            }
        }
        // Self-describing formats report a wrong type themselves, value
        // included; asking for "any" routes every type through `V` instead.
        if d.is_human_readable() {
            d.deserialize_any(V)
        } else {
            d.deserialize_str(V)
        }
    }
}

/// `#[serde(with)]` for a [`Token`](crate::Token) field: its text. The
/// alphabet is checked with the rest of the record (`ChallengeParts::check`);
/// here only what every token is: 4 to 20 symbols of the wider alphabet.
pub(crate) mod token {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use super::SecretText;
    use crate::token::{Alphabet, Token};

    pub(crate) fn serialize<S: Serializer>(t: &Token, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.expose_secret())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Token, D::Error> {
        let text = SecretText::deserialize(d)?;
        Token::new(&text.0, Alphabet::Alphanumeric)
            .map_err(|e| de::Error::custom(format_args!("field `token`: {e}")))
    }
}

/// `#[serde(with)]` for an [`Alphabet`](crate::Alphabet) field written as the
/// wire flag `allow_alphas`.
pub(crate) mod allow_alphas {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::token::Alphabet;

    pub(crate) fn serialize<S: Serializer>(a: &Alphabet, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(a.allows_alphas())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Alphabet, D::Error> {
        bool::deserialize(d).map(Alphabet::from_allow_alphas)
    }
}
