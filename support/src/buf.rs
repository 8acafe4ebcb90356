//! A fixed stack buffer that `Delivery::write_text` can fill without a
//! heap. Shared by `tests/no_alloc.rs` and `benches/mfa.rs`.

/// 2 KiB of text (a voice text is at most 500 characters, 2000 bytes).
pub struct Buf {
    pub bytes: [u8; 2048],
    pub len: usize,
}

impl Buf {
    /// An empty buffer.
    pub const fn new() -> Self {
        Buf {
            bytes: [0; 2048],
            len: 0,
        }
    }
}

impl Default for Buf {
    fn default() -> Self {
        Buf::new()
    }
}

impl core::fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
