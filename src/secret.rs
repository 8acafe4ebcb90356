//! A string that may be a token: (de)serialized as a plain string, but a
//! value of another type is refused without repeating it, so a token never
//! reaches an error text.

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
