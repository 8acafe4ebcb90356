//! Word-at-a-time arithmetic on token buffers, and the constant-time
//! compare.
//!
//! A token of up to 20 symbols is handled as three little-endian `u64`
//! words (the last one holds bytes 16 to 19 in its low half), so symbols
//! are computed, checked and compared eight at a time, with no table
//! indexed by a secret byte and no branch on one. Everything that depends
//! on how the processor loads and stores (alignment, store forwarding)
//! is decided here; the rest of the crate sees [`Symbols`] and [`Words`].

use subtle::ConstantTimeEq;

use super::MAX;
use crate::id::ID_BYTES;

/// Up to 20 symbols, zero past `len`, and their count: a token, or what a
/// user typed once normalised.
///
/// Aligned to 8 so that [`Words::load`] and [`Words::store`] move whole
/// aligned words; the count sits in the padding after the bytes, so the
/// whole is 24 bytes (a token inside a challenge or a delivery is copied
/// with them).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(super) struct Symbols {
    pub(super) bytes: [u8; MAX],
    pub(super) len: u8,
}

/// A 20-byte buffer as three little-endian words.
#[derive(Clone, Copy)]
pub(super) struct Words(pub(super) [u64; 3]);

/// One in every byte lane.
const LANES: u64 = 0x0101_0101_0101_0101;
/// The top bit of every byte lane.
const HIGH: u64 = 0x80 * LANES;

/// Constant-time equality of two token buffers: the words' differences are
/// OR-ed together without branching, then `subtle` turns "all zero" into a
/// `Choice`. A few instructions, whatever the content.
pub(super) fn ct_eq(a: Words, b: Words) -> bool {
    let diff = (a.0[0] ^ b.0[0]) | (a.0[1] ^ b.0[1]) | (a.0[2] ^ b.0[2]);
    bool::from(diff.ct_eq(&0))
}

impl Words {
    /// A new challenge's token bytes `drawn[16..16 + len]`, zero past
    /// `len` (the 16 bytes before are the id's).
    ///
    /// They are read in the shapes a block RNG writes them: four bytes at a
    /// time at multiples of four, and an odd-sized end byte by byte. Each
    /// read then lies inside one of the RNG's recent writes, which the
    /// processor forwards from its store buffer; a read that straddles two
    /// writes (or a write and older memory) stalls instead, and issuing
    /// measured about a third slower that way (`benches/mfa.rs`, `issue`).
    /// The buffer has a fixed size so that every offset is a constant.
    /// `len` is at most 20.
    pub(super) fn after_id(drawn: &[u8; ID_BYTES + MAX], len: usize) -> Words {
        let token = &drawn[ID_BYTES..];
        // Group `k` holds bytes `4k..4k + 4` of the token, in bits
        // `32k..32k + 32` of the whole.
        let group = |k: usize| -> u64 {
            if 4 * k + 4 <= len {
                let mut four = [0u8; 4];
                four.copy_from_slice(&token[4 * k..4 * k + 4]);
                u64::from(u32::from_le_bytes(four))
            } else {
                // The last, partial group byte by byte: an RNG writes an
                // odd-sized end in pieces smaller than four bytes.
                token[(4 * k).min(len)..len]
                    .iter()
                    .rev()
                    .fold(0, |w, &b| (w << 8) | u64::from(b))
            }
        };
        Words([
            group(0) | (group(1) << 32),
            group(2) | (group(3) << 32),
            group(4),
        ])
    }

    pub(super) fn load(b: &[u8; MAX]) -> Words {
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let mut tail = [0u8; 4];
        tail.copy_from_slice(&b[16..]);
        Words([word(0), word(8), u64::from(u32::from_le_bytes(tail))])
    }

    pub(super) fn store(self) -> [u8; MAX] {
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
    pub(super) fn all_ascii_digits(self, len: usize) -> bool {
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
    /// a loop over the bytes. `None` for any other length.
    pub(super) fn load_short(b: &[u8]) -> Option<Words> {
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
    pub(super) fn map(self, len: usize, f: impl Fn(u64) -> u64) -> Words {
        let [a, b, c] = self.0;
        let [m0, m1, m2] = Words::lanes_below(len).0;
        Words(match len {
            0..=8 => [f(a) & m0, 0, 0],
            9..=16 => [f(a), f(b) & m1, 0],
            _ => [f(a), f(b), f(c) & m2],
        })
    }

    /// Whether any byte is `>= 250` (`generate::NUMERIC_REJECT_FROM`): a
    /// byte `b` is when its top bit is set and `(b & 0x7F) + 6` reaches 128
    /// (the sum never carries into the next lane).
    pub(super) fn any_at_least_250(self) -> bool {
        self.0
            .iter()
            .any(|&w| ((w & !HIGH) + 6 * LANES) & w & HIGH != 0)
    }
}

/// Eight random bytes to eight alphanumeric symbols, `symbols[b % 32]` in
/// every lane, by arithmetic: with `i = b % 32` the symbol is `'0' + i`,
/// plus 7 from `i >= 10` (the gap between `9` and `A`), plus one for each
/// skipped letter before it (`I` from 18, `L` from 20, `O` from 22, `U`
/// from 27). Each `i >= k` is the top bit of `i + 128 - k`, which stays
/// within its lane.
pub(super) fn alphanumeric_symbols(x: u64) -> u64 {
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
pub(super) fn decimal_symbols(x: u64) -> u64 {
    const LOW_BYTES: u64 = 0x00FF_00FF_00FF_00FF;
    let remainder = |s: u64| {
        let q = ((s * 205) >> 11) & 0x001F_001F_001F_001F;
        s - q * 10
    };
    let even = remainder(x & LOW_BYTES);
    let odd = remainder((x >> 8) & LOW_BYTES);
    even | (odd << 8) | (u64::from(b'0') * LANES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::Alphabet;
    use crate::token::generate::NUMERIC_REJECT_FROM;

    /// Every byte value, in every lane: the arithmetic maps agree with the
    /// definitions (`symbols[b % 32]`, `'0' + b % 10`, `b >= 250`).
    #[test]
    fn word_maps_agree_with_the_definitions_for_every_byte_in_every_lane() {
        let alphanumeric = Alphabet::Alphanumeric.symbols();
        for b in 0..=255u8 {
            for lane in 0..8 {
                // Other lanes hold bytes that would expose a carry.
                let filler = if b < 128 { 0xF9 } else { 0x00 };
                let mut bytes = [filler; 8];
                bytes[lane] = b;
                let x = u64::from_le_bytes(bytes);
                let alnum = alphanumeric_symbols(x).to_le_bytes();
                assert_eq!(alnum[lane], alphanumeric[usize::from(b % 32)], "{b}");
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
        let drawn: [u8; ID_BYTES + MAX] = core::array::from_fn(|i| 100 + i as u8);
        for len in 0..=MAX {
            let mut want = [0u8; MAX];
            want[..len].copy_from_slice(&drawn[ID_BYTES..ID_BYTES + len]);
            assert_eq!(Words::after_id(&drawn, len).store(), want, "{len}");
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
                assert_eq!(loaded.map(|w| w.store()), Some(want), "len {len}");
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

    #[test]
    fn compare_sees_every_byte_of_every_word() {
        let base = Words::load(&[b'5'; MAX]);
        assert!(ct_eq(base, base));
        for at in 0..MAX {
            let mut other = [b'5'; MAX];
            other[at] = b'6';
            assert!(!ct_eq(base, Words::load(&other)), "{at}");
        }
    }

    #[test]
    fn map_masks_bytes_past_the_length() {
        let all = Words([u64::MAX; 3]);
        for len in 1..=MAX {
            let mapped = all.map(len, |w| w).store();
            assert!(mapped[..len].iter().all(|&b| b == 0xFF), "{len}");
            assert!(mapped[len..].iter().all(|&b| b == 0), "{len}");
        }
    }
}
