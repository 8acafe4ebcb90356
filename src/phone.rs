//! E.164 phone numbers (`to`, `from`).

use core::fmt;
use core::str::FromStr;

use crate::limits::E164_DIGITS;

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
    bytes: [u8; 1 + E164_DIGITS.max],
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
                "at least {} digits must follow the '+' (found {digits})",
                E164_DIGITS.min
            ),
            PhoneError::TooLong { digits } => write!(
                f,
                "at most {} digits may follow the '+' (found {digits})",
                E164_DIGITS.max
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
    ///
    /// # Errors
    ///
    /// The first [`PhoneError`] in that order.
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let bytes = text.as_bytes();
        let Some((&b'+', digits)) = bytes.split_first() else {
            return Err(PhoneError::MissingPlus);
        };
        if let Some(pos) = digits.iter().position(|b| !b.is_ascii_digit()) {
            return Err(PhoneError::NotADigit { at: pos + 1 });
        }
        let n = digits.len();
        if n < E164_DIGITS.min {
            return Err(PhoneError::TooShort { digits: n });
        }
        if n > E164_DIGITS.max {
            return Err(PhoneError::TooLong { digits: n });
        }
        if digits[0] == b'0' {
            return Err(PhoneError::LeadingZero);
        }
        let mut out = [0u8; 1 + E164_DIGITS.max];
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

    /// The ITU-T E.164 country calling code the number starts with: the
    /// longest of its first 1 to 3 digits that is an assigned code, or
    /// `None` when none is (a spare or reserved code, such as `+28…`). The
    /// table, its source and date are in `src/phone.rs`.
    ///
    /// Assigned codes form a prefix code, so at most one prefix of a
    /// number is ever assigned. Shared codes (`+881` satellite, `+882` and
    /// `+883` international networks, `+800` freephone) are codes too; the
    /// whole North American Numbering Plan is `1`.
    ///
    /// ```
    /// use mfa_core::PhoneNumber;
    /// let cc = |s: &str| s.parse::<PhoneNumber>().unwrap().country_code();
    /// assert_eq!(cc("+15557788999"), Some(1));
    /// assert_eq!(cc("+447700900123"), Some(44));
    /// assert_eq!(cc("+2348031234567"), Some(234));
    /// assert_eq!(cc("+2812345678"), None);
    /// ```
    pub fn country_code(&self) -> Option<u16> {
        let digits = &self.as_str().as_bytes()[1..];
        let mut prefixes = [0u16; 3];
        let mut value = 0u16;
        for (p, &d) in prefixes.iter_mut().zip(digits) {
            value = value * 10 + u16::from(d - b'0');
            *p = value;
        }
        // Longest first; a number has at least 2 digits, and `0` (an
        // unused prefix slot of a 2-digit number) is never a code.
        prefixes
            .into_iter()
            .rev()
            .find(|p| COUNTRY_CODES.binary_search(p).is_ok())
    }
}

/// The assigned ITU-T E.164 country calling codes, ascending.
///
/// Source: "List of ITU-T Recommendation E.164 assigned country codes",
/// the Annex to the ITU Operational Bulletin (the complement whose
/// position is 15 December 2016, plus later changes known to us: 888
/// returned to spare). The table was written by hand and checked code by
/// code against secondary sources, not against the Annex itself; the
/// entries marked "check" below are the ones to confirm when the Annex is
/// next read.
///
/// Included: codes assigned to a country or geographic area; shared codes
/// of groups of countries and global services (388, 800, 870, 878, 881,
/// 882, 883, 979, 991); and 970 (Palestine, ITU Resolution 99: listed as
/// reserved, but numbers in service use it). Left out: spare codes, codes
/// only reserved for a future use (808 shared cost, 875–877 maritime, 879
/// national non-commercial, 999) and 888 (OCHA disaster relief), returned
/// to spare. Check: 878 (UPT) still listed; 379 (Vatican City State)
/// assigned though unused (the Vatican uses +39 06 698); 383 (Kosovo)
/// assigned in 2016; 388 still listed as a shared code after ETNS ended.
const COUNTRY_CODES: &[u16] = &[
    1, 7, // zones 1 (NANP) and 7
    20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, // 2x–4x
    51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, // 5x–6x
    81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, // 8x–9x
    211, 212, 213, 216, 218, // North Africa (210, 214, 215, 217, 219 spare)
    220, 221, 222, 223, 224, 225, 226, 227, 228, 229, //
    230, 231, 232, 233, 234, 235, 236, 237, 238, 239, //
    240, 241, 242, 243, 244, 245, 246, 247, 248, 249, //
    250, 251, 252, 253, 254, 255, 256, 257, 258, // 259 spare
    260, 261, 262, 263, 264, 265, 266, 267, 268, 269, //
    290, 291, 297, 298, 299, // 28x and 292–296 spare
    350, 351, 352, 353, 354, 355, 356, 357, 358, 359, //
    370, 371, 372, 373, 374, 375, 376, 377, 378, 379, //
    380, 381, 382, 383, 385, 386, 387, 388, 389, // 384 spare
    420, 421, 423, // 422, 424–429 spare
    500, 501, 502, 503, 504, 505, 506, 507, 508, 509, //
    590, 591, 592, 593, 594, 595, 596, 597, 598, 599, //
    670, 672, 673, 674, 675, 676, 677, 678, 679, // 671 spare (Guam is NANP)
    680, 681, 682, 683, 685, 686, 687, 688, 689, // 684 spare (NANP)
    690, 691, 692, // 693–699 spare
    800, 850, 852, 853, 855, 856, // 83x, 851, 854, 857–859 spare
    870, 878, 880, 881, 882, 883, 886, // 871–874 withdrawn, 884/885/887/889 spare
    960, 961, 962, 963, 964, 965, 966, 967, 968, // 969 spare
    970, 971, 972, 973, 974, 975, 976, 977, 979, // 978 spare
    991, 992, 993, 994, 995, 996, 998, // 990, 997 spare
];

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

    fn cc(s: &str) -> Option<u16> {
        PhoneNumber::parse(s).unwrap().country_code()
    }

    #[test]
    fn the_code_table_is_sorted_and_prefix_free() {
        assert!(COUNTRY_CODES.windows(2).all(|p| p[0] < p[1]));
        for &c in COUNTRY_CODES {
            assert!((1..=999).contains(&c), "{c}");
            // No code is a prefix of another one.
            assert!(!COUNTRY_CODES.contains(&(c / 10)), "{c}");
            assert!(!COUNTRY_CODES.contains(&(c / 100)), "{c}");
        }
        assert_eq!(COUNTRY_CODES.len(), 216);
    }

    #[test]
    fn well_known_country_codes() {
        for (number, code) in [
            ("+15557788999", 1),
            ("+18095551234", 1), // NANP: the Dominican Republic is 1 too
            ("+74951234567", 7), // Russia
            ("+77011234567", 7), // Kazakhstan
            ("+447700900123", 44),
            ("+4915112345678", 49),
            ("+33612345678", 33),
            ("+8613812345678", 86),
            ("+919812345678", 91),
            ("+2348031234567", 234),
            ("+380501234567", 380),
            ("+8816212345678", 881), // GMSS (Iridium)
            ("+882123456", 882),     // international networks
            ("+883123456", 883),
            ("+80012345678", 800), // international freephone
            ("+27821234567", 27),
            ("+2693123456", 269),
            ("+5999123456", 599),
            ("+6721234", 672),
            ("+970591234567", 970),
            ("+998901234567", 998),
            ("+20", 20),
            ("+12", 1),
        ] {
            assert_eq!(cc(number), Some(code), "{number}");
        }
    }

    #[test]
    fn spare_and_reserved_codes_have_none() {
        for number in [
            "+2812345678",
            "+28",
            "+2101234567",
            "+2591234567",
            "+2921234567",
            "+3841234567",
            "+4221234567",
            "+6711234567",
            "+6841234567",
            "+8081234567",
            "+831234567",
            "+8511234567",
            "+8751234567",
            "+8791234567",
            "+8881234567",
            "+891234567",
            "+9691234567",
            "+9781234567",
            "+9901234567",
            "+9971234567",
            "+9991234567",
        ] {
            assert_eq!(cc(number), None, "{number}");
        }
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
