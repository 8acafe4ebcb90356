//! Normalisation of what a user types back (SPEC §3): the symbols a
//! submission stands for, before the constant-time compare.

use core::fmt;

use super::words::{Symbols, Words};
use crate::limits::TOKEN_LENGTH;

/// The longest token, as a pattern bound.
const TOKEN_MAX: u8 = TOKEN_LENGTH.max;

/// A submission after normalisation: 4 to 20 symbols from `0-9` and the
/// alphanumeric alphabet's letters.
///
/// Normalisation (applied to what a user types back, before the compare):
/// - ASCII space, tab and `-` are dropped;
/// - ASCII letters are upper-cased; then `O` becomes `0`, `I` and `L`
///   become `1`;
/// - a decimal digit of any script (Unicode general category `Nd`, Unicode
///   18.0: `٣`, `３`, `𝟑`, …) becomes the ASCII digit of the same value;
/// - anything else (another character, `U`, or a result shorter than 4 or
///   longer than 20 symbols) makes the submission a wrong token.
///
/// What a user typed is the code whenever the try is right, so `Debug`
/// shows only its length; read it with [`as_str`](Self::as_str).
///
/// ```
/// use mfa_core::Normalized;
/// assert_eq!(Normalized::new(" 12-34 5o ").unwrap().as_str(), "123450");
/// assert_eq!(Normalized::new("١٢٣٤").unwrap().as_str(), "1234");
/// assert_eq!(Normalized::new("ab-cd").unwrap().as_str(), "ABCD");
/// assert!(Normalized::new("12.34").is_none());
/// ```
#[derive(Clone)]
pub struct Normalized(Symbols);

impl Normalized {
    /// Normalises `submitted`, or `None` if it can never match a token.
    pub fn new(submitted: &str) -> Option<Normalized> {
        let typed = normalize(submitted)?;
        Some(Normalized(Symbols {
            bytes: typed.symbols.store(),
            len: typed.len,
        }))
    }

    /// The normalised symbols.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0.bytes[..usize::from(self.0.len)]).unwrap_or("")
    }
}

/// The symbols of a submission, zero past `len` (4 to 20).
pub(super) struct Typed {
    pub(super) symbols: Words,
    pub(super) len: u8,
}

/// The symbols `submitted` normalises to, or `None` if it can never match
/// a token (see [`Normalized`]).
///
/// The symbols are gathered in registers (a `u128` for the first 16, a
/// `u64` for the rest) rather than in a byte array: a verification then
/// compares them with the token's words directly, without writing bytes
/// one at a time and reading them back as words.
pub(super) fn normalize(submitted: &str) -> Option<Typed> {
    // The common submission, 4 to 20 ASCII digits, is its own normal form.
    if let Some(digits) = Words::load_short(submitted.as_bytes()) {
        let len = submitted.len();
        if digits.all_ascii_digits(len) {
            return Some(Typed {
                symbols: digits,
                len: len as u8,
            });
        }
    }
    let mut out = Gathered {
        low: 0,
        high: 0,
        len: 0,
    };
    let bytes = submitted.as_bytes();
    let mut i = 0;
    // Fast path: one table lookup per ASCII byte, the same path for every
    // ASCII symbol whatever its value.
    while let Some(&b) = bytes.get(i) {
        if b >= 0x80 {
            break;
        }
        out.push(ASCII_NORMAL[usize::from(b)])?;
        i += 1;
    }
    // The rest (from the first non-ASCII character) by characters.
    for c in submitted[i..].chars() {
        let symbol = match ASCII_NORMAL.get(c as usize) {
            Some(&symbol) => symbol,
            None => b'0' + decimal_digit_value(c)?,
        };
        out.push(symbol)?;
    }
    (out.len >= TOKEN_LENGTH.min).then_some(Typed {
        symbols: Words([out.low as u64, (out.low >> 64) as u64, out.high]),
        len: out.len,
    })
}

/// Symbols gathered so far, little-endian: symbol `k` is byte `k` of `low`
/// (`k < 16`) or byte `k - 16` of `high`.
struct Gathered {
    low: u128,
    high: u64,
    len: u8,
}

impl Gathered {
    /// Adds one `ASCII_NORMAL` entry: `None` once the submission cannot
    /// match (a `WRONG` character, or more than 20 symbols).
    #[inline(always)]
    fn push(&mut self, symbol: u8) -> Option<()> {
        match symbol {
            SKIP => return Some(()),
            WRONG => return None,
            _ => {}
        }
        match self.len {
            0..16 => self.low |= u128::from(symbol) << (8 * self.len),
            16..TOKEN_MAX => self.high |= u64::from(symbol) << (8 * (self.len - 16)),
            _ => return None,
        }
        self.len += 1;
        Some(())
    }
}

impl PartialEq for Normalized {
    fn eq(&self, other: &Normalized) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Normalized {}

impl fmt::Debug for Normalized {
    // What a user typed is the code whenever the try is right: only its
    // length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Normalized(<redacted>, len {})", self.0.len)
    }
}

const WRONG: u8 = 0;
const SKIP: u8 = 1;

/// What each ASCII character normalises to: a symbol, `SKIP` (dropped) or
/// `WRONG` (the submission cannot match).
static ASCII_NORMAL: [u8; 128] = ascii_normal();

const fn ascii_normal() -> [u8; 128] {
    let mut t = [WRONG; 128];
    t[b' ' as usize] = SKIP;
    t[b'\t' as usize] = SKIP;
    t[b'-' as usize] = SKIP;
    let mut c = b'0';
    while c <= b'9' {
        t[c as usize] = c;
        c += 1;
    }
    let mut c = b'A';
    while c <= b'Z' {
        let symbol = match c {
            b'O' => b'0',
            b'I' | b'L' => b'1',
            b'U' => WRONG,
            _ => c,
        };
        t[c as usize] = symbol;
        t[c.to_ascii_lowercase() as usize] = symbol;
        c += 1;
    }
    t
}

/// The value (0–9) of a decimal digit of any script: Unicode general
/// category `Nd`, which Unicode guarantees to come in runs of ten
/// consecutive code points, 0 first.
fn decimal_digit_value(c: char) -> Option<u8> {
    let cp = c as u32;
    let idx = match ND_ZEROS.binary_search(&cp) {
        Ok(i) => i,
        Err(0) => return None,
        Err(i) => i - 1,
    };
    let offset = cp - ND_ZEROS[idx];
    if offset < 10 {
        Some(offset as u8)
    } else {
        None
    }
}

/// The code point of the digit zero of every run of `Nd` characters in
/// Unicode 18.0.0, ascending. Each run is zero to nine.
static ND_ZEROS: [u32; 77] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x10D40, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
    0x11650, 0x116C0, 0x116D0, 0x116DA, 0x11730, 0x118E0, 0x11950, 0x11BF0, 0x11C50, 0x11D50,
    0x11DA0, 0x11DE0, 0x11F50, 0x16130, 0x16A60, 0x16AC0, 0x16B50, 0x16D70, 0x1CCF0, 0x1D7CE,
    0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E5F1, 0x1E950, 0x1FBF0,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nd_table_is_sorted_and_runs_do_not_overlap() {
        for w in ND_ZEROS.windows(2) {
            assert!(w[1] >= w[0] + 10, "{:x} {:x}", w[0], w[1]);
        }
    }

    #[test]
    fn every_run_maps_zero_to_nine() {
        for &z in ND_ZEROS.iter() {
            for d in 0..10 {
                let c = char::from_u32(z + d).unwrap();
                assert_eq!(decimal_digit_value(c), Some(d as u8));
            }
        }
        assert_eq!(decimal_digit_value('/'), None);
        assert_eq!(decimal_digit_value(':'), None);
        assert_eq!(decimal_digit_value('\u{65F}'), None);
        assert_eq!(decimal_digit_value('\u{66A}'), None);
    }
}
