//! Shared pieces of the fuzz targets.

use core::convert::Infallible;

use rand_core::{TryCryptoRng, TryRng};

/// An RNG that serves the fuzzer's bytes, then fails: the rejection loop
/// must end and an RNG failure must surface as an error, never a hang.
pub struct FuzzRng<'a>(pub &'a [u8]);

#[derive(Debug)]
pub struct Empty;
impl core::fmt::Display for Empty {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("out of fuzz bytes")
    }
}
impl core::error::Error for Empty {}

impl TryRng for FuzzRng<'_> {
    type Error = Empty;
    fn try_next_u32(&mut self) -> Result<u32, Empty> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Empty> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Empty> {
        if dst.len() > self.0.len() {
            return Err(Empty);
        }
        let (head, rest) = self.0.split_at(dst.len());
        dst.copy_from_slice(head);
        self.0 = rest;
        Ok(())
    }
}
impl TryCryptoRng for FuzzRng<'_> {}

/// A generator that never fails (a counter), for targets that need a
/// challenge whatever the input.
pub struct Counter(pub u64);
impl TryRng for Counter {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Ok(self.0 >> 11)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for b in dst {
            *b = self.try_next_u64()? as u8;
        }
        Ok(())
    }
}
impl TryCryptoRng for Counter {}

pub use mfa_support::assert_sound;
