//! Uniform token generation from the host's RNG (SPEC §3).

use rand_core::TryCryptoRng;

use super::words::{self, Symbols, Words};
use super::{Alphabet, MAX, Token};
use crate::challenge::RngError;
use crate::id::{ChallengeId, ID_BYTES};

/// Random bytes at or above this value are rejected when drawing a digit:
/// 250 is the largest multiple of 10 that fits a byte, so `byte % 10` is
/// uniform on the accepted bytes.
pub(super) const NUMERIC_REJECT_FROM: u8 = 250;

/// Draws a new challenge's id and token (SPEC §3): one request for
/// `16 + token_length` bytes (16 with a host token, which is used as
/// given), the id from the first 16, the token from the rest.
pub(crate) fn draw_challenge<R: TryCryptoRng + ?Sized>(
    rng: &mut R,
    host_token: Option<&Token>,
    token_length: u8,
    alphabet: Alphabet,
) -> Result<(ChallengeId, Token), RngError> {
    let mut drawn = [0u8; ID_BYTES + MAX];
    let len = match host_token {
        Some(_) => 0,
        None => usize::from(token_length),
    };
    rng.try_fill_bytes(&mut drawn[..ID_BYTES + len])
        .map_err(|_| RngError)?;
    let token = match host_token {
        Some(t) => t.clone(),
        None => Token::from_random(&drawn, len, rng, alphabet)?,
    };
    // The id is read after the token is made, once the RNG's writes have
    // left the store buffer (see `words::Words::after_id`).
    let mut id = [0u8; ID_BYTES];
    id.copy_from_slice(&drawn[..ID_BYTES]);
    Ok((ChallengeId::from_random_bytes(id), token))
}

impl Token {
    /// Makes a token of `len` symbols of `alphabet` from the random bytes
    /// `drawn[16..16 + len]` (the 16 before are the id's), drawing more
    /// from `rng` only to replace rejected bytes.
    ///
    /// The exact algorithm (so that a port fed the same bytes gets the same
    /// token): each symbol consumes one byte. Alphanumeric: symbol =
    /// `symbols[byte % 32]`. Numeric: a byte `>= 250` is rejected,
    /// otherwise symbol = `byte % 10`. While symbols are missing, exactly
    /// as many bytes as are missing are requested with `try_fill_bytes`.
    /// `len` is 4 to 20 (the caller validated it).
    ///
    /// When no byte is rejected (always for alphanumeric tokens, and for
    /// most numeric ones) the symbols are computed eight at a time by
    /// arithmetic (see `words`). Whether a byte was rejected does show in
    /// the time taken, but rejected bytes are discarded: the token is
    /// uniform whatever path made it.
    fn from_random<R: TryCryptoRng + ?Sized>(
        drawn: &[u8; ID_BYTES + MAX],
        len: usize,
        rng: &mut R,
        alphabet: Alphabet,
    ) -> Result<Token, RngError> {
        let mut random = Words::after_id(drawn, len);
        if alphabet == Alphabet::Numeric && random.any_at_least_250() {
            random = replace_rejected(random, len, rng)?;
        }
        let symbols = match alphabet {
            Alphabet::Alphanumeric => random.map(len, words::alphanumeric_symbols),
            Alphabet::Numeric => random.map(len, words::decimal_symbols),
        };
        Ok(Token(Symbols {
            bytes: symbols.store(),
            len: len as u8,
        }))
    }
}

/// For a numeric batch that holds a rejected byte: the accepted bytes in
/// order, each refill asking for exactly the number still missing.
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
