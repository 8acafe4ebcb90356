//! Tokens: the alphabets, uniform generation, host-supplied codes, the
//! normalisation of what a user types back, and the constant-time compare.

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;

use crate::error::RngError;
use crate::limits::{TOKEN_LENGTH_MAX, TOKEN_LENGTH_MIN};

const MAX: usize = TOKEN_LENGTH_MAX as usize;

/// The symbols of the alphanumeric alphabet, in index order: the ten digits,
/// then the upper-case letters without `I`, `L`, `O` and `U` (which read like
/// `1`, `1`, `0` and `V`). 32 symbols.
pub const ALPHANUMERIC_SYMBOLS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The symbols of the numeric alphabet, in index order.
pub const NUMERIC_SYMBOLS: &[u8; 10] = b"0123456789";

/// Random bytes at or above this value are rejected when drawing a digit:
/// 250 is the largest multiple of 10 that fits a byte, so `byte % 10` is
/// uniform on the accepted bytes.
pub const NUMERIC_REJECT_FROM: u8 = 250;

/// The digit each random byte stands for (`b'0' + byte % 10`), or 0 for
/// the rejected bytes `>= 250`: one load instead of a division per symbol.
static DIGIT_OF_BYTE: [u8; 256] = digit_of_byte();

const fn digit_of_byte() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < NUMERIC_REJECT_FROM as usize {
        t[b] = b'0' + (b % 10) as u8;
        b += 1;
    }
    t
}

/// Which symbols a token is made of (`allow_alphas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// `0`–`9` (`allow_alphas: false`, the default).
    Numeric,
    /// `0`–`9` and `A`–`Z` without `I L O U`: 32 symbols (`allow_alphas: true`).
    Alphanumeric,
}

impl Alphabet {
    /// The alphabet for the wire flag `allow_alphas`.
    pub const fn from_allow_alphas(allow_alphas: bool) -> Self {
        if allow_alphas {
            Alphabet::Alphanumeric
        } else {
            Alphabet::Numeric
        }
    }

    /// The wire flag `allow_alphas` for this alphabet.
    pub const fn allows_alphas(self) -> bool {
        matches!(self, Alphabet::Alphanumeric)
    }

    /// The symbols, in index order.
    pub const fn symbols(self) -> &'static [u8] {
        match self {
            Alphabet::Numeric => NUMERIC_SYMBOLS,
            Alphabet::Alphanumeric => ALPHANUMERIC_SYMBOLS,
        }
    }

    /// Whether `b` is one of this alphabet's symbols.
    pub const fn contains(self, b: u8) -> bool {
        match self {
            Alphabet::Numeric => b.is_ascii_digit(),
            Alphabet::Alphanumeric => {
                b.is_ascii_digit()
                    || (b.is_ascii_uppercase() && !matches!(b, b'I' | b'L' | b'O' | b'U'))
            }
        }
    }
}

/// A one-time code: 4 to 20 symbols of one [`Alphabet`].
///
/// # Security
///
/// The token is the secret of a challenge. It is not `Copy` (every copy is
/// an explicit `clone`), its `Debug` output shows only its length, it has no
/// `Display`, and it compares in constant time. Read it with
/// [`Token::expose_secret`] only to deliver or store it.
#[derive(Clone)]
pub struct Token {
    bytes: [u8; MAX],
    len: u8,
}

/// Why a host-supplied token was refused. It never repeats the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// The token has fewer than 4 or more than 20 characters.
    Length {
        /// The number of characters given.
        given: usize,
    },
    /// The character at this (character) position is not in the alphabet.
    Alphabet {
        /// Zero-based position of the first offending character.
        position: usize,
        /// The alphabet the token had to use.
        alphabet: Alphabet,
    },
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TokenError::Length { given } => write!(
                f,
                "must have {TOKEN_LENGTH_MIN} to {TOKEN_LENGTH_MAX} characters (given {given})"
            ),
            TokenError::Alphabet { position, alphabet } => write!(
                f,
                "character {position} is not in the {} alphabet",
                match alphabet {
                    Alphabet::Numeric => "numeric (0-9)",
                    Alphabet::Alphanumeric => "alphanumeric (0-9, A-Z without I L O U)",
                }
            ),
        }
    }
}

impl core::error::Error for TokenError {}

impl Token {
    /// Makes a token of `first.len()` symbols of `alphabet` from the
    /// random bytes `first`, drawing more from `rng` only to replace
    /// rejected bytes.
    ///
    /// The exact algorithm (so that a port fed the same bytes gets the same
    /// token): each symbol consumes one byte. Alphanumeric: symbol =
    /// `ALPHANUMERIC_SYMBOLS[byte % 32]`. Numeric: a byte `>= 250` is
    /// rejected, otherwise symbol = `byte % 10`. While symbols are missing,
    /// exactly as many bytes as are missing are requested with
    /// `try_fill_bytes`. `first.len()` is 4 to 20 (checked by the caller).
    pub(crate) fn from_random<R: TryCryptoRng + ?Sized>(
        first: &[u8],
        rng: &mut R,
        alphabet: Alphabet,
    ) -> Result<Token, RngError> {
        let len = first.len().min(MAX);
        let mut bytes = [0u8; MAX];
        let mut filled = 0;
        let mut refill = [0u8; MAX];
        let mut batch = &first[..len];
        loop {
            match alphabet {
                Alphabet::Alphanumeric => {
                    for (slot, &b) in bytes[filled..].iter_mut().zip(batch) {
                        *slot = ALPHANUMERIC_SYMBOLS[usize::from(b % 32)];
                    }
                    filled += batch.len();
                }
                Alphabet::Numeric => {
                    for &b in batch {
                        // `DIGIT_OF_BYTE` is `b'0' + b % 10`, or 0 for a
                        // rejected byte.
                        let digit = DIGIT_OF_BYTE[usize::from(b)];
                        if digit != 0 {
                            bytes[filled] = digit;
                            filled += 1;
                        }
                    }
                }
            }
            if filled == len {
                break;
            }
            let want = &mut refill[..len - filled];
            rng.try_fill_bytes(want).map_err(|_| RngError)?;
            batch = want;
        }
        Ok(Token {
            bytes,
            len: len as u8,
        })
    }

    /// Accepts a host-supplied token (a custom code, or a fixed code for a
    /// test number): 4 to 20 characters, every one a symbol of `alphabet`,
    /// exactly as it will be sent (no normalisation is applied here).
    ///
    /// ```
    /// use mfa_core::{Alphabet, Token, TokenError};
    /// assert_eq!(Token::new("4321", Alphabet::Numeric)?.len(), 4);
    /// assert!(matches!(Token::new("12A4", Alphabet::Numeric),
    ///                  Err(TokenError::Alphabet { position: 2, .. })));
    /// # Ok::<(), TokenError>(())
    /// ```
    pub fn new(text: &str, alphabet: Alphabet) -> Result<Token, TokenError> {
        let n = text.chars().count();
        if !(usize::from(TOKEN_LENGTH_MIN)..=MAX).contains(&n) {
            return Err(TokenError::Length { given: n });
        }
        // All characters are ASCII once past this check, so byte positions
        // are character positions.
        if let Some(position) = text
            .chars()
            .position(|c| !c.is_ascii() || !alphabet.contains(c as u8))
        {
            return Err(TokenError::Alphabet { position, alphabet });
        }
        let mut bytes = [0u8; MAX];
        bytes[..n].copy_from_slice(text.as_bytes());
        Ok(Token {
            bytes,
            len: n as u8,
        })
    }

    /// Number of symbols (4 to 20).
    #[allow(clippy::len_without_is_empty)] // a token is never empty
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// The token's text, to hand to the delivery or the store. This is the
    /// secret: do not log it.
    pub fn expose_secret(&self) -> &str {
        // Only ASCII alphabet symbols are ever stored.
        core::str::from_utf8(&self.bytes[..self.len()]).unwrap_or("")
    }

    /// Constant-time check of a normalised submission against this token.
    /// Only the two lengths may influence the time taken.
    pub(crate) fn matches(&self, submitted: &Normalized) -> bool {
        if submitted.len != self.len {
            return false;
        }
        // Both buffers are zero past `len`, so comparing all 20 bytes is
        // exact, and it takes the same time for every length and content.
        bool::from(ct_eq20(&self.bytes, &submitted.bytes))
    }
}

/// Constant-time equality of two 20-byte buffers: the words' differences
/// are OR-ed together without branching, then `subtle` turns "all zero"
/// into a `Choice`. A few instructions, whatever the content.
fn ct_eq20(a: &[u8; MAX], b: &[u8; MAX]) -> subtle::Choice {
    let word = |x: &[u8; MAX], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&x[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let tail = |x: &[u8; MAX]| {
        let mut w = [0u8; 4];
        w.copy_from_slice(&x[16..]);
        u64::from(u32::from_le_bytes(w))
    };
    let diff = (word(a, 0) ^ word(b, 0)) | (word(a, 8) ^ word(b, 8)) | (tail(a) ^ tail(b));
    diff.ct_eq(&0)
}

impl PartialEq for Token {
    /// Constant-time in the tokens' content.
    fn eq(&self, other: &Token) -> bool {
        self.len == other.len && bool::from(ct_eq20(&self.bytes, &other.bytes))
    }
}
impl Eq for Token {}

impl fmt::Debug for Token {
    // Deliberately leaves the symbols out: the token is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(<redacted>, len {})", self.len)
    }
}

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
/// It is not a secret (it is what the user typed), so `Debug` shows it.
///
/// ```
/// use mfa_core::Normalized;
/// assert_eq!(Normalized::new(" 12-34 5o ").unwrap().as_str(), "123450");
/// assert_eq!(Normalized::new("١٢٣٤").unwrap().as_str(), "1234");
/// assert_eq!(Normalized::new("ab-cd").unwrap().as_str(), "ABCD");
/// assert!(Normalized::new("12.34").is_none());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Normalized {
    bytes: [u8; MAX],
    len: u8,
}

impl Normalized {
    /// Normalises `submitted`, or `None` if it can never match a token.
    pub fn new(submitted: &str) -> Option<Normalized> {
        let mut out = Normalized {
            bytes: [0u8; MAX],
            len: 0,
        };
        let bytes = submitted.as_bytes();
        let mut i = 0;
        // Fast path: one table lookup per ASCII byte, the same path for
        // every ASCII symbol whatever its value.
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
        (out.len >= TOKEN_LENGTH_MIN).then_some(out)
    }

    /// Adds one `ASCII_NORMAL` entry: `None` once the submission cannot
    /// match (a `WRONG` character, or more than 20 symbols).
    #[inline(always)]
    fn push(&mut self, symbol: u8) -> Option<()> {
        match symbol {
            SKIP => Some(()),
            WRONG => None,
            _ => {
                *self.bytes.get_mut(usize::from(self.len))? = symbol;
                self.len += 1;
                Some(())
            }
        }
    }

    /// The normalised symbols.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for Normalized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Normalized({:?})", self.as_str())
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
pub(crate) fn decimal_digit_value(c: char) -> Option<u8> {
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
