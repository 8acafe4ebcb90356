//! E.164 phone numbers (`to`, `from`).

use core::fmt;
use core::str::FromStr;

use crate::limits::{E164_DIGITS_MAX, E164_DIGITS_MIN};

/// A phone number in E.164 form: `+`, then 2 to 15 ASCII digits, the first
/// not `0`. Nothing else is accepted: no spaces, no punctuation, no leading
/// or trailing white space.
///
/// Stored inline (no allocation); `Copy`. Phone numbers are not secrets, so
/// `Debug` and `Display` show them.
///
/// # Examples
///
/// ```
/// use mfa_core::{PhoneError, PhoneNumber};
///
/// let n: PhoneNumber = "+15557788999".parse()?;
/// assert_eq!(n.as_str(), "+15557788999");
/// assert_eq!("15557788999".parse::<PhoneNumber>(), Err(PhoneError::MissingPlus));
/// # Ok::<(), PhoneError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
// Aligned to 4: an `Option<PhoneNumber>` is then 20 bytes and the fields
// after it in a record stay aligned, so they are copied in whole, aligned
// pieces (an odd-sized `Option` made issuing measurably slower).
#[repr(align(4))]
pub struct PhoneNumber {
    /// The text, zero-padded: 16 bytes hold the longest number, and the
    /// length is where the zeros start. One 16-byte unit to copy.
    bytes: [u8; 1 + E164_DIGITS_MAX],
}

/// Why a text is not an E.164 number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PhoneError {
    /// The text does not start with `+`.
    MissingPlus,
    /// The character at this byte offset is not an ASCII digit.
    NotADigit {
        /// Byte offset of the first offending character.
        at: usize,
    },
    /// The first digit is `0`; country codes never start with 0.
    LeadingZero,
    /// Fewer than 2 digits after the `+`.
    TooShort {
        /// How many digits there were.
        digits: usize,
    },
    /// More than 15 digits after the `+`.
    TooLong {
        /// How many digits there were.
        digits: usize,
    },
}

impl PhoneError {
    /// A short, stable, machine-readable name of the rule broken.
    pub fn code(&self) -> &'static str {
        match self {
            PhoneError::MissingPlus => "missing_plus",
            PhoneError::NotADigit { .. } => "not_a_digit",
            PhoneError::LeadingZero => "leading_zero",
            PhoneError::TooShort { .. } => "too_short",
            PhoneError::TooLong { .. } => "too_long",
        }
    }
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PhoneError::MissingPlus => f.write_str("E.164 numbers start with '+'"),
            PhoneError::NotADigit { at } => {
                write!(f, "only digits may follow the '+' (byte {at} is not one)")
            }
            PhoneError::LeadingZero => f.write_str("the first digit after '+' may not be 0"),
            PhoneError::TooShort { digits } => write!(
                f,
                "at least {E164_DIGITS_MIN} digits must follow the '+' (found {digits})"
            ),
            PhoneError::TooLong { digits } => write!(
                f,
                "at most {E164_DIGITS_MAX} digits may follow the '+' (found {digits})"
            ),
        }
    }
}

impl core::error::Error for PhoneError {}

impl PhoneNumber {
    /// Parses an E.164 number. See the type's docs for the exact rule.
    ///
    /// The checks run in this order and the first failure is reported:
    /// the `+`, every character a digit, the digit count, the leading zero.
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let bytes = text.as_bytes();
        let Some((&b'+', digits)) = bytes.split_first() else {
            return Err(PhoneError::MissingPlus);
        };
        if let Some(pos) = digits.iter().position(|b| !b.is_ascii_digit()) {
            return Err(PhoneError::NotADigit { at: pos + 1 });
        }
        let n = digits.len();
        if n < E164_DIGITS_MIN {
            return Err(PhoneError::TooShort { digits: n });
        }
        if n > E164_DIGITS_MAX {
            return Err(PhoneError::TooLong { digits: n });
        }
        if digits[0] == b'0' {
            return Err(PhoneError::LeadingZero);
        }
        let mut out = [0u8; 1 + E164_DIGITS_MAX];
        out[..bytes.len()].copy_from_slice(bytes);
        Ok(PhoneNumber { bytes: out })
    }

    /// The number as written, `+` included.
    pub fn as_str(&self) -> &str {
        // Only ASCII '+' and digits are ever stored.
        let len = self
            .bytes
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.bytes.len());
        core::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }
}

/// An optional phone number in the 16 bytes of one: all zeros (which no
/// number is, since every number starts with `+`) stands for none. Kept
/// inside challenges and deliveries, so that `from` is copied as one
/// 16-byte unit like `to`; the public accessors give `Option<PhoneNumber>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct MaybePhone([u8; 1 + E164_DIGITS_MAX]);

impl MaybePhone {
    pub(crate) fn get(self) -> Option<PhoneNumber> {
        (self.0[0] == b'+').then_some(PhoneNumber { bytes: self.0 })
    }
}

impl From<Option<PhoneNumber>> for MaybePhone {
    fn from(number: Option<PhoneNumber>) -> Self {
        MaybePhone(number.map_or([0; 1 + E164_DIGITS_MAX], |n| n.bytes))
    }
}

impl fmt::Debug for MaybePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.get().fmt(f)
    }
}

impl FromStr for PhoneNumber {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneNumber::parse(s)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.as_str())
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use alloc::borrow::Cow;

    use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

    use super::PhoneNumber;

    impl Serialize for PhoneNumber {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(self.as_str())
        }
    }

    impl<'de> Deserialize<'de> for PhoneNumber {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = <Cow<'de, str>>::deserialize(d)?;
            PhoneNumber::parse(&text).map_err(de::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_bounds() {
        assert_eq!(PhoneNumber::parse("+12").unwrap().as_str(), "+12");
        let max = "+123456789012345";
        assert_eq!(PhoneNumber::parse(max).unwrap().as_str(), max);
    }

    #[test]
    fn rejects_with_reason() {
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::MissingPlus));
        assert_eq!(
            PhoneNumber::parse("+"),
            Err(PhoneError::TooShort { digits: 0 })
        );
        assert_eq!(
            PhoneNumber::parse("+1"),
            Err(PhoneError::TooShort { digits: 1 })
        );
        assert_eq!(
            PhoneNumber::parse("+1234567890123456"),
            Err(PhoneError::TooLong { digits: 16 })
        );
        assert_eq!(PhoneNumber::parse("+05"), Err(PhoneError::LeadingZero));
        assert_eq!(
            PhoneNumber::parse("+1 555"),
            Err(PhoneError::NotADigit { at: 2 })
        );
    }
}
