//! Runs the whole flow in a `no_std`, allocator-free crate.
#![no_std]

use core::convert::Infallible;
use core::fmt::Write;

use mfa_core::{Challenge, Channel, IssueRequest, UnixTime};
use rand_core::{TryCryptoRng, TryRng};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

/// A stand-in for a hardware RNG (a real device supplies one).
struct Counter(u8);
impl TryRng for Counter {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from(self.next()))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.next()))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        dst.iter_mut().for_each(|b| *b = self.next());
        Ok(())
    }
}
impl Counter {
    fn next(&mut self) -> u8 {
        self.0 = self.0.wrapping_mul(5).wrapping_add(1);
        self.0
    }
}
impl TryCryptoRng for Counter {}

struct Buf([u8; 256], usize);
impl Write for Buf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.1 + s.len();
        self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

/// Issues, renders and verifies; returns 1 on success.
#[unsafe(no_mangle)]
pub extern "C" fn mfa_nostd_flow(now: u64) -> u32 {
    let Ok(params) = IssueRequest::new(Channel::Sms, "+15557788999").validate() else {
        return 0;
    };
    let Ok((mut c, d)) = Challenge::issue(&params, &mut Counter(7), UnixTime::from_secs(now))
    else {
        return 0;
    };
    let mut buf = Buf([0; 256], 0);
    if d.write_text(&mut buf).is_err() {
        return 0;
    }
    let text = core::str::from_utf8(&buf.0[..buf.1]).unwrap_or("");
    let code = &text[text.len() - 6..];
    u32::from(c.verify(code, UnixTime::from_secs(now)).into_answer().is_verified())
}
