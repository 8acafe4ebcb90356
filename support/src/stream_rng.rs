//! An RNG that serves a given byte stream: shared by the tests, the
//! oracle (and through it the vector generator and a fuzz target).

use rand_core::{TryCryptoRng, TryRng};

/// Serves a byte stream in order across calls and records the size of each
/// request; fails (never panics) when the stream runs out. Marked
/// cryptographic only so that tests can drive the exact sampling algorithm.
pub struct StreamRng<'a> {
    bytes: &'a [u8],
    pos: usize,
    pub requests: Vec<usize>,
}

#[derive(Debug)]
pub struct Exhausted;
impl core::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("byte stream exhausted")
    }
}
impl core::error::Error for Exhausted {}

impl<'a> StreamRng<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        StreamRng {
            bytes,
            pos: 0,
            requests: Vec::new(),
        }
    }
    /// Bytes served so far.
    pub fn used(&self) -> usize {
        self.pos
    }
}

impl TryRng for StreamRng<'_> {
    type Error = Exhausted;
    fn try_next_u32(&mut self) -> Result<u32, Exhausted> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Exhausted> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Exhausted> {
        self.requests.push(dst.len());
        let end = self
            .pos
            .checked_add(dst.len())
            .filter(|&e| e <= self.bytes.len())
            .ok_or(Exhausted)?;
        dst.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
        Ok(())
    }
}
impl TryCryptoRng for StreamRng<'_> {}
