//! Tokens: the alphabets, uniform generation, host-supplied codes, the
//! normalisation of what a user types back, and the constant-time compare.

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;

use crate::error::RngError;
use crate::limits::{TOKEN_LENGTH_MAX, TOKEN_LENGTH_MIN};

const MAX: usize = TOKEN_LENGTH_MAX as usize;
/// Random bytes of a challenge's id, drawn before the token's.
pub(crate) const ID: usize = 16;

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
// Aligned to 8: the symbols are read and written as whole aligned words.
#[repr(C, align(8))]
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
    /// Makes a token of `len` symbols of `alphabet` from the random bytes
    /// `drawn[16..16 + len]` (the 16 before are the id's), drawing more
    /// from `rng` only to replace rejected bytes.
    ///
    /// The exact algorithm (so that a port fed the same bytes gets the same
    /// token): each symbol consumes one byte. Alphanumeric: symbol =
    /// `ALPHANUMERIC_SYMBOLS[byte % 32]`. Numeric: a byte `>= 250` is
    /// rejected, otherwise symbol = `byte % 10`. While symbols are missing,
    /// exactly as many bytes as are missing are requested with
    /// `try_fill_bytes`. `len` is 4 to 20 (checked by the caller).
    ///
    /// When no byte is rejected (always for alphanumeric tokens, and for
    /// most numeric ones) the symbols are computed eight at a time in a
    /// `u64`, by arithmetic alone: no table is indexed by a secret byte,
    /// no branch depends on one, and the symbols are written as whole
    /// words. Whether a byte was rejected does show in the time taken, but
    /// rejected bytes are discarded: the token is uniform whatever path
    /// made it.
    pub(crate) fn from_random<R: TryCryptoRng + ?Sized>(
        drawn: &[u8; ID + MAX],
        len: usize,
        rng: &mut R,
        alphabet: Alphabet,
    ) -> Result<Token, RngError> {
        let len = len.clamp(usize::from(TOKEN_LENGTH_MIN), MAX);
        let mut random = Words::after_id(drawn, len);
        if alphabet == Alphabet::Numeric && random.any_at_least_250() {
            random = Self::replace_rejected(random, len, rng)?;
        }
        let symbols = match alphabet {
            Alphabet::Alphanumeric => random.map(len, alphanumeric_symbols),
            Alphabet::Numeric => random.map(len, decimal_symbols),
        };
        Ok(Token {
            bytes: symbols.store(),
            len: len as u8,
        })
    }

    /// For a numeric batch that holds a rejected byte: the accepted bytes
    /// in order, each refill asking for exactly the number still missing.
    fn replace_rejected<R: TryCryptoRng + ?Sized>(
        first: Words,
        len: usize,
        rng: &mut R,
    ) -> Result<Words, RngError> {
        let first = first.store();
        let mut accepted = [0u8; MAX];
        let mut filled = 0;
        let mut refill = [0u8; MAX];
        let mut batch = &first[..len];
        loop {
            for &b in batch {
                if b < NUMERIC_REJECT_FROM {
                    accepted[filled] = b;
                    filled += 1;
                }
            }
            if filled == len {
                return Ok(Words::load(&accepted));
            }
            let want = &mut refill[..len - filled];
            rng.try_fill_bytes(want).map_err(|_| RngError)?;
            batch = want;
        }
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

    /// Whether `submitted`, once normalised (see [`Normalized`]), is this
    /// token. The compare is constant-time: only the two lengths may
    /// influence the time it takes.
    pub(crate) fn matches(&self, submitted: &str) -> bool {
        let Some((symbols, len)) = normalize(submitted) else {
            return false;
        };
        if len != self.len {
            return false;
        }
        // Both are zero past `len`, so comparing all 20 bytes is exact,
        // and it takes the same time for every length and content.
        bool::from(ct_eq_words(Words::load(&self.bytes), symbols))
    }
}

/// Constant-time equality of two 20-byte token buffers as words: the words' differences
/// are OR-ed together without branching, then `subtle` turns "all zero"
/// into a `Choice`. A few instructions, whatever the content.
fn ct_eq_words(Words(a): Words, Words(b): Words) -> subtle::Choice {
    let diff = (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]);
    diff.ct_eq(&0)
}

/// A 20-byte token buffer as three little-endian words (the last one
/// holds bytes 16 to 19 in its low half), so that symbols are computed,
/// compared and stored eight at a time.
#[derive(Clone, Copy)]
struct Words([u64; 3]);

/// One in every byte lane.
const LANES: u64 = 0x0101_0101_0101_0101;

impl Words {
    /// The token's random bytes `drawn[16..16 + len]`, zero past `len`.
    ///
    /// They are read in the shapes a block RNG writes them: four bytes at a
    /// time at multiples of four, and an odd-sized end byte by byte. Each
    /// read then lies inside one of the RNG's recent writes, which the
    /// processor forwards from its store buffer; a read that straddles two
    /// writes (or a write and older memory) stalls instead, and issuing
    /// measured about a third slower that way (`benches/mfa.rs`, `issue`).
    /// `len` is 4 to 20.
    fn after_id(drawn: &[u8; ID + MAX], len: usize) -> Words {
        let end = ID + len;
        let u32_at = |at: usize| {
            let mut w = [0u8; 4];
            w.copy_from_slice(&drawn[at..at + 4]);
            u64::from(u32::from_le_bytes(w))
        };
        // Lane `k` holds bytes `4k..4k + 4` of the token. The lanes never
        // overlap, so `+` below is `|`.
        let lane = |k: usize| {
            if 4 * k + 4 <= len {
                u32_at(ID + 4 * k)
            } else {
                // The last, partial group (up to 3 bytes; none past the
                // end) byte by byte: an RNG writes an odd-sized end in
                // pieces smaller than four bytes.
                drawn.get(ID + 4 * k..end).map_or(0, |group| {
                    group
                        .iter()
                        .take(3)
                        .rev()
                        .fold(0, |w, &b| (w << 8) + u64::from(b))
                })
            }
        };
        Words([
            lane(0) + (lane(1) << 32),
            lane(2) + (lane(3) << 32),
            lane(4),
        ])
    }

    fn load(b: &[u8; MAX]) -> Words {
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let mut tail = [0u8; 4];
        tail.copy_from_slice(&b[16..]);
        Words([word(0), word(8), u64::from(u32::from_le_bytes(tail))])
    }

    fn store(self) -> [u8; MAX] {
        let mut b = [0u8; MAX];
        b[..8].copy_from_slice(&self.0[0].to_le_bytes());
        b[8..16].copy_from_slice(&self.0[1].to_le_bytes());
        b[16..].copy_from_slice(&(self.0[2] as u32).to_le_bytes());
        b
    }

    /// `0xFF` in the lanes of bytes `0..len`, zero in the others (lengths
    /// are public).
    fn lanes_below(len: usize) -> Words {
        let mask = |k: usize| match len.saturating_sub(8 * k) {
            0 => 0,
            n @ 1..8 => (1u64 << (8 * n)) - 1,
            _ => u64::MAX,
        };
        Words([mask(0), mask(1), mask(2)])
    }

    /// Whether bytes `0..len` are all ASCII digits. For a byte `b`, with
    /// `x = b & 0x7F`: `x + 0x50` reaches `0x80` when `x >= 0x30`, `x +
    /// 0x46` when `x >= 0x3A`, and neither sum carries out of its lane.
    fn all_ascii_digits(self, len: usize) -> bool {
        const HIGH: u64 = 0x80 * LANES;
        let wanted = Words::lanes_below(len);
        self.0.iter().zip(wanted.0).all(|(&w, wanted)| {
            let x = w & !HIGH;
            let from_0 = x + 0x50 * LANES;
            let past_9 = x + 0x46 * LANES;
            let digit = from_0 & !past_9 & !w & HIGH;
            digit & wanted == wanted & HIGH
        })
    }

    /// `b` (4 to 20 bytes) zero-padded, read with a few loads that may
    /// overlap (two 4-byte loads cover 4 to 8 bytes, and so on) instead of
    /// a loop over the bytes.
    fn load_short(b: &[u8]) -> Option<Words> {
        let u32_at = |at: usize| -> Option<u64> {
            Some(u64::from(u32::from_le_bytes(*b.get(at..)?.first_chunk()?)))
        };
        let u64_at =
            |at: usize| -> Option<u64> { Some(u64::from_le_bytes(*b.get(at..)?.first_chunk()?)) };
        let len = b.len();
        Some(Words(match len {
            4..=8 => [u32_at(0)? | (u32_at(len - 4)? << (8 * (len - 4))), 0, 0],
            9..=16 => [u64_at(0)?, u64_at(len - 8)? >> (8 * (16 - len)), 0],
            17..=MAX => [
                u64_at(0)?,
                u64_at(8)?,
                u32_at(len - 4)? >> (8 * (MAX - len)),
            ],
            _ => return None,
        }))
    }

    /// `f` applied to bytes `0..len`, eight at a time; every byte from
    /// `len` on is zero (`f` maps zero bytes to symbols, so the last word
    /// used is masked, and the words past it are not computed at all).
    fn map(self, len: usize, f: impl Fn(u64) -> u64) -> Words {
        let [a, b, c] = self.0;
        let [m0, m1, m2] = Words::lanes_below(len).0;
        Words(match len {
            0..=8 => [f(a) & m0, 0, 0],
            9..=16 => [f(a), f(b) & m1, 0],
            _ => [f(a), f(b), f(c) & m2],
        })
    }

    /// Whether any byte is `>= 250` (`NUMERIC_REJECT_FROM`): a byte `b`
    /// is when its top bit is set and `(b & 0x7F) + 6` reaches 128 (the
    /// sum never carries into the next lane).
    fn any_at_least_250(self) -> bool {
        const _: () = assert!(NUMERIC_REJECT_FROM == 0x80 + (0x80 - 6));
        self.0
            .iter()
            .any(|&w| ((w & (0x7F * LANES)) + 6 * LANES) & w & (0x80 * LANES) != 0)
    }
}

/// Eight random bytes to eight alphanumeric symbols, `ALPHANUMERIC_SYMBOLS[b
/// % 32]` in every lane, by arithmetic: with `i = b % 32` the symbol is
/// `'0' + i`, plus 7 from `i >= 10` (the gap between `9` and `A`), plus one
/// for each skipped letter before it (`I` from 18, `L` from 20, `O` from
/// 22, `U` from 27). Each `i >= k` is the top bit of `i + 128 - k`, which
/// stays within its lane.
fn alphanumeric_symbols(x: u64) -> u64 {
    let i = x & (0x1F * LANES);
    let at_least = |k: u64| ((i + (0x80 - k) * LANES) >> 7) & LANES;
    i + u64::from(b'0') * LANES
        + 7 * at_least(10)
        + at_least(18)
        + at_least(20)
        + at_least(22)
        + at_least(27)
}

/// Eight random bytes, each below 250, to eight ASCII digits `'0' + b %
/// 10`, by arithmetic: the even and the odd bytes are spread into 16-bit
/// lanes, where `q = (b * 205) >> 11` is `b / 10` for every byte value
/// (205/2048 is just above 1/10) and `b * 205` never leaves its lane.
fn decimal_symbols(x: u64) -> u64 {
    const LOW_BYTES: u64 = 0x00FF_00FF_00FF_00FF;
    let remainder = |s: u64| {
        let q = ((s * 205) >> 11) & 0x001F_001F_001F_001F;
        s - q * 10
    };
    let even = remainder(x & LOW_BYTES);
    let odd = remainder((x >> 8) & LOW_BYTES);
    even + (odd << 8) + u64::from(b'0') * LANES
}

impl PartialEq for Token {
    /// Constant-time in the tokens' content.
    fn eq(&self, other: &Token) -> bool {
        self.len == other.len
            && bool::from(ct_eq_words(
                Words::load(&self.bytes),
                Words::load(&other.bytes),
            ))
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
        let (symbols, len) = normalize(submitted)?;
        Some(Normalized {
            bytes: symbols.store(),
            len,
        })
    }

    /// The normalised symbols.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

/// The symbols `submitted` normalises to, and their number (4 to 20), or
/// `None` if it can never match a token (see [`Normalized`]).
///
/// The symbols are gathered in registers (a `u128` for the first 16, a
/// `u64` for the rest) rather than in a byte array: a verification then
/// compares them with the token's words directly, without writing bytes
/// one at a time and reading them back as words.
fn normalize(submitted: &str) -> Option<(Words, u8)> {
    // The common submission, 4 to 20 ASCII digits, is its own normal form.
    if let Some(digits) = Words::load_short(submitted.as_bytes()) {
        let len = submitted.len();
        if digits.all_ascii_digits(len) {
            return Some((digits, len as u8));
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
    (out.len >= TOKEN_LENGTH_MIN).then_some((
        Words([out.low as u64, (out.low >> 64) as u64, out.high]),
        out.len,
    ))
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
            16..TOKEN_LENGTH_MAX => self.high |= u64::from(symbol) << (8 * (self.len - 16)),
            _ => return None,
        }
        self.len += 1;
        Some(())
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

    /// Every byte value, in every lane: the arithmetic maps agree with the
    /// definitions (`ALPHANUMERIC_SYMBOLS[b % 32]`, `'0' + b % 10`).
    #[test]
    fn word_maps_agree_with_the_definitions_for_every_byte_in_every_lane() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                // Other lanes hold bytes that would expose a carry.
                let filler = if b < 128 { 0xF9 } else { 0x00 };
                let mut bytes = [filler; 8];
                bytes[lane] = b;
                let x = u64::from_le_bytes(bytes);
                let alnum = alphanumeric_symbols(x).to_le_bytes();
                assert_eq!(
                    alnum[lane],
                    ALPHANUMERIC_SYMBOLS[usize::from(b % 32)],
                    "{b}"
                );
                let rejected = Words([x, 0, 0]).any_at_least_250();
                assert_eq!(rejected, bytes.iter().any(|&v| v >= NUMERIC_REJECT_FROM));
                if b < NUMERIC_REJECT_FROM {
                    let mut ok = bytes;
                    ok.iter_mut()
                        .filter(|v| **v >= NUMERIC_REJECT_FROM)
                        .for_each(|v| *v = 0);
                    let digits = decimal_symbols(u64::from_le_bytes(ok)).to_le_bytes();
                    assert_eq!(digits[lane], b'0' + b % 10, "{b}");
                }
            }
        }
    }

    #[test]
    fn token_bytes_are_read_exactly_for_every_length() {
        let drawn: [u8; ID + MAX] = core::array::from_fn(|i| 100 + i as u8);
        for len in 4..=MAX {
            let mut want = [0u8; MAX];
            want[..len].copy_from_slice(&drawn[ID..ID + len]);
            assert_eq!(Words::after_id(&drawn, len).store(), want, "len {len}");
        }
    }

    #[test]
    fn short_texts_load_zero_padded_for_every_length() {
        let text: [u8; 24] = core::array::from_fn(|i| b'a' + i as u8);
        for len in 0..=24 {
            let loaded = Words::load_short(&text[..len]);
            if (4..=MAX).contains(&len) {
                let mut want = [0u8; MAX];
                want[..len].copy_from_slice(&text[..len]);
                assert_eq!(loaded.map(Words::store), Some(want), "len {len}");
            } else {
                assert!(loaded.is_none(), "len {len}");
            }
        }
    }

    #[test]
    fn digit_check_looks_at_every_byte_and_only_those() {
        for len in 4..=MAX {
            let mut digits = [0u8; MAX];
            digits[..len].fill(b'7');
            assert!(Words::load(&digits).all_ascii_digits(len));
            for at in 0..len {
                for b in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                    let mut bytes = digits;
                    bytes[at] = b;
                    assert!(!Words::load(&bytes).all_ascii_digits(len), "{len} {at} {b}");
                }
            }
        }
    }
}
