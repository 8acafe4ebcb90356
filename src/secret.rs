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
        const MUST_BE: &str = "field `token`: must be a string";
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SecretText<'static>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(MUST_BE)
            }
            refuse_all_but!(MUST_BE, str);
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(SecretText(Cow::Owned(v.into())))
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

/// Visitor methods that refuse every kind of value but one (`str` or
/// `map`) with a fixed message: serde's own "invalid type" errors quote
/// the value, which may be a code.
macro_rules! refuse_all_but {
    ($msg:expr, str) => {
        $crate::secret::refuse_all_but!(@scalars $msg);
        fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(serde::de::Error::custom($msg))
        }
    };
    ($msg:expr, map) => {
        $crate::secret::refuse_all_but!(@scalars $msg);
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(E::custom($msg))
        }
    };
    (@scalars $msg:expr) => {
        $crate::secret::refuse_all_but!(@each $msg,
            visit_bool: bool, visit_i64: i64, visit_u64: u64, visit_i128: i128,
            visit_u128: u128, visit_f64: f64, visit_bytes: &[u8]);
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom($msg))
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Err(E::custom($msg))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            Err(serde::de::Error::custom($msg))
        }
    };
    (@each $msg:expr, $($name:ident: $ty:ty),*) => {
        $(fn $name<E: serde::de::Error>(self, _: $ty) -> Result<Self::Value, E> {
            Err(E::custom($msg))
        })*
    };
}
pub(crate) use refuse_all_but;

/// "unknown field" naming the key, cut to its first 32 characters: a key
/// is the client's text too.
pub(crate) fn unknown_field<E: de::Error>(key: &str) -> E {
    const SHOWN: usize = 32;
    match key.char_indices().nth(SHOWN) {
        None => E::custom(format_args!("unknown field `{key}`")),
        Some((cut, _)) => E::custom(format_args!("unknown field `{}…`", &key[..cut])),
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
