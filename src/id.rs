//! Challenge ids: random UUID v4 (SPEC §6).

use core::fmt;
use core::str::FromStr;

/// The id of a challenge: a random (version 4) UUID, written in lower case
/// with hyphens (`8630cc54-f6b2-45dd-b73b-cce28eb668d8`).
///
/// It is drawn from the host's RNG: 16 bytes in order, then the version
/// nibble (byte 6, high half) is set to `4` and the variant bits (byte 8,
/// two high bits) to `10`, leaving 122 random bits.
///
/// ```
/// use mfa_core::ChallengeId;
/// let id: ChallengeId = "8630CC54-F6B2-45DD-B73B-CCE28EB668D8".parse()?;
/// assert_eq!(id.to_string(), "8630cc54-f6b2-45dd-b73b-cce28eb668d8");
/// # Ok::<(), mfa_core::IdError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChallengeId([u8; 16]);

/// Why a text is not a challenge id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdError {
    /// Not 36 bytes long.
    Length {
        /// The length given, in bytes.
        given: usize,
    },
    /// A hyphen is missing at byte 8, 13, 18 or 23.
    Hyphen {
        /// Byte offset where the hyphen should be.
        at: usize,
    },
    /// A byte that should be a hex digit is not one.
    NotHex {
        /// Byte offset of the first offending byte.
        at: usize,
    },
    /// A well-formed UUID, but not version 4 (the 13th hex digit is not `4`).
    Version,
    /// A well-formed UUID, but not of the RFC 9562 variant (the 17th hex
    /// digit is not `8`, `9`, `a` or `b`).
    Variant,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            IdError::Length { given } => write!(
                f,
                "id must be 36 characters (8-4-4-4-12 hex digits with hyphens), given {given}"
            ),
            IdError::Hyphen { at } => write!(f, "id must have a '-' at byte {at}"),
            IdError::NotHex { at } => write!(f, "id byte {at} is not a hex digit"),
            IdError::Version => f.write_str("id is not a version-4 UUID"),
            IdError::Variant => f.write_str("id is not an RFC 9562 variant UUID"),
        }
    }
}

impl core::error::Error for IdError {}

const HYPHENS: [usize; 4] = [8, 13, 18, 23];

/// Random bytes an id is made from.
pub(crate) const ID_BYTES: usize = 16;

impl ChallengeId {
    /// Turns 16 random bytes into an id by setting the version and variant
    /// bits (SPEC §6).
    pub(crate) const fn from_random_bytes(b: [u8; ID_BYTES]) -> Self {
        // Version 4 in the high nibble of byte 6, variant 0b10 in the two
        // high bits of byte 8; the low bits stay random. Done on the whole
        // 128-bit value (byte 6 is bits 72 to 79 of the big-endian number,
        // byte 8 bits 56 to 63) so the id is written back in one piece.
        const KEEP: u128 = !((0xF0 << 72) | (0xC0 << 56));
        const SET: u128 = (0x40 << 72) | (0x80 << 56);
        ChallengeId(((u128::from_be_bytes(b) & KEEP) | SET).to_be_bytes())
    }

    /// The 16 bytes of the UUID, in the order they are written.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The id from its 16 bytes; the version and variant must be right.
    ///
    /// # Errors
    ///
    /// [`IdError::Version`] unless the version nibble is 4,
    /// [`IdError::Variant`] unless the variant bits are `10`.
    pub const fn from_bytes(b: [u8; 16]) -> Result<Self, IdError> {
        if b[6] >> 4 != 4 {
            return Err(IdError::Version);
        }
        if b[8] >> 6 != 0b10 {
            return Err(IdError::Variant);
        }
        Ok(ChallengeId(b))
    }

    /// Parses the hyphenated form, hex digits in either case. Anything else
    /// (braces, `urn:uuid:`, no hyphens, white space, another UUID version)
    /// is refused.
    ///
    /// # Errors
    ///
    /// An [`IdError`] saying what is wrong with the text: its length,
    /// where the hyphens are, a character that is not a hex digit, or the
    /// version or variant.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let s = text.as_bytes();
        if s.len() != 36 {
            return Err(IdError::Length { given: s.len() });
        }
        let mut out = [0u8; 16];
        let mut nibble = 0;
        for (i, &c) in s.iter().enumerate() {
            if HYPHENS.contains(&i) {
                if c != b'-' {
                    return Err(IdError::Hyphen { at: i });
                }
                continue;
            }
            let v = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => return Err(IdError::NotHex { at: i }),
            };
            out[nibble / 2] |= v << (4 * (1 - nibble % 2));
            nibble += 1;
        }
        Self::from_bytes(out)
    }

    /// The canonical text (lower case, hyphenated), without allocating.
    pub fn encode(&self) -> IdText {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut t = [0u8; 36];
        let mut pos = 0;
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                t[pos] = b'-';
                pos += 1;
            }
            t[pos] = HEX[usize::from(byte >> 4)];
            t[pos + 1] = HEX[usize::from(byte & 0xF)];
            pos += 2;
        }
        IdText(t)
    }
}

/// The 36-byte canonical text of a [`ChallengeId`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdText([u8; 36]);

impl IdText {
    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits and hyphens are written.
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for IdText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl FromStr for ChallengeId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChallengeId::parse(s)
    }
}

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encode().as_str())
    }
}

impl fmt::Debug for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChallengeId({})", self.encode().as_str())
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use alloc::borrow::Cow;

    use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

    use super::ChallengeId;

    impl Serialize for ChallengeId {
        /// Text in human-readable formats, 16 bytes in binary ones.
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            if s.is_human_readable() {
                s.serialize_str(self.encode().as_str())
            } else {
                self.as_bytes().serialize(s)
            }
        }
    }

    impl<'de> Deserialize<'de> for ChallengeId {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            if d.is_human_readable() {
                let text = <Cow<'de, str>>::deserialize(d)?;
                ChallengeId::parse(&text).map_err(de::Error::custom)
            } else {
                let bytes = <[u8; 16]>::deserialize(d)?;
                ChallengeId::from_bytes(bytes).map_err(de::Error::custom)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_variant_bits_are_forced() {
        let id = ChallengeId::from_random_bytes([0xFF; 16]);
        assert_eq!(id.encode().as_str(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let id = ChallengeId::from_random_bytes([0; 16]);
        assert_eq!(id.encode().as_str(), "00000000-0000-4000-8000-000000000000");
    }
}
