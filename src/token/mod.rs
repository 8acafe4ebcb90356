//! Tokens: the alphabets and the [`Token`] type.
//!
//! One job per file: `generate` draws tokens uniformly from the host's RNG,
//! `normalize` turns what a user typed into symbols, and `words` holds the
//! word-at-a-time arithmetic and the constant-time compare both rely on.

use core::fmt;

use crate::limits::TOKEN_LENGTH;

mod generate;
mod normalize;
mod words;

pub(crate) use generate::draw_challenge;
pub use normalize::Normalized;
use words::{Symbols, Words, ct_eq};

/// Bytes of a token buffer: room for the longest token.
const MAX: usize = TOKEN_LENGTH.max as usize;

/// Which symbols a token is made of (`allow_alphas`).
///
/// `Display` names the alphabet and lists its symbols, as error texts do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// `0`–`9` (`allow_alphas: false`, the default).
    Numeric,
    /// `0`–`9` and `A`–`Z` without `I L O U` (which read like `1`, `1`,
    /// `0` and `V`): 32 symbols (`allow_alphas: true`).
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

    /// The symbols, in index order: a drawn byte picks
    /// `symbols()[byte % symbols().len()]` (SPEC §3).
    ///
    /// ```
    /// use mfa_core::Alphabet;
    /// assert_eq!(Alphabet::Alphanumeric.symbols(), b"0123456789ABCDEFGHJKMNPQRSTVWXYZ");
    /// ```
    pub const fn symbols(self) -> &'static [u8] {
        match self {
            Alphabet::Numeric => b"0123456789",
            Alphabet::Alphanumeric => b"0123456789ABCDEFGHJKMNPQRSTVWXYZ",
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

impl fmt::Display for Alphabet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Alphabet::Numeric => "numeric (0-9)",
            Alphabet::Alphanumeric => "alphanumeric (0-9, A-Z without I L O U)",
        })
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
pub struct Token(Symbols);

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
                "must have {} to {} characters (given {given})",
                TOKEN_LENGTH.min, TOKEN_LENGTH.max
            ),
            TokenError::Alphabet { position, alphabet } => {
                write!(f, "character {position} is not in the {alphabet} alphabet")
            }
        }
    }
}

impl core::error::Error for TokenError {}

impl Token {
    /// Accepts a host-supplied token (a custom code, or a fixed code for a
    /// test number): 4 to 20 characters, every one a symbol of `alphabet`,
    /// exactly as it will be sent (no normalisation is applied here).
    ///
    /// # Errors
    ///
    /// [`TokenError::Length`] outside 4 to 20 characters, else
    /// [`TokenError::Alphabet`] naming the first character outside
    /// `alphabet`.
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
        if !(usize::from(TOKEN_LENGTH.min)..=MAX).contains(&n) {
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
        let mut bytes = [0; MAX];
        bytes[..n].copy_from_slice(text.as_bytes());
        Ok(Token(Symbols {
            bytes,
            len: n as u8,
        }))
    }

    /// Number of symbols (4 to 20).
    #[allow(clippy::len_without_is_empty)] // a token is never empty
    pub fn len(&self) -> usize {
        usize::from(self.0.len)
    }

    /// The token's text, to hand to the delivery or the store. This is the
    /// secret: do not log it.
    pub fn expose_secret(&self) -> &str {
        // Only ASCII alphabet symbols are ever stored.
        core::str::from_utf8(&self.0.bytes[..self.len()]).unwrap_or("")
    }

    /// Whether `submitted`, once normalised (see [`Normalized`]), is this
    /// token. Constant-time in the token's content: only the two lengths
    /// may influence the time it takes.
    pub(crate) fn matches(&self, submitted: &str) -> bool {
        match normalize::normalize(submitted) {
            Some(typed) => {
                typed.len == self.0.len && ct_eq(typed.symbols, Words::load(&self.0.bytes))
            }
            None => false,
        }
    }
}

impl PartialEq for Token {
    /// Constant-time in the tokens' content.
    fn eq(&self, other: &Token) -> bool {
        self.0.len == other.0.len && ct_eq(Words::load(&self.0.bytes), Words::load(&other.0.bytes))
    }
}
impl Eq for Token {}

impl fmt::Debug for Token {
    // Deliberately leaves the symbols out: the token is a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token(<redacted>, len {})", self.0.len)
    }
}
