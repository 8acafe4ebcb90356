//! Test helpers: deterministic RNGs and small builders.
#![allow(dead_code)]

use mfa_core::{Challenge, Channel, Delivery, IssueRequest, Params, UnixTime};
use rand_chacha::ChaCha20Rng;
use rand_core::{SeedableRng, TryCryptoRng, TryRng};

/// A seeded ChaCha20: the deterministic stand-in for a host's CSPRNG.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

// Not every test file uses it.
#[allow(unused_imports)]
pub use mfa_support::{Exhausted, StreamRng};

/// An RNG whose every call fails.
pub struct FailingRng;
impl TryRng for FailingRng {
    type Error = Exhausted;
    fn try_next_u32(&mut self) -> Result<u32, Exhausted> {
        Err(Exhausted)
    }
    fn try_next_u64(&mut self) -> Result<u64, Exhausted> {
        Err(Exhausted)
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Exhausted> {
        Err(Exhausted)
    }
}
impl TryCryptoRng for FailingRng {}

pub const TO: &str = "+15557788999";
pub const T0: UnixTime = UnixTime::from_secs(1_700_000_000);

/// Validates `req` or fails the test with the violations.
pub fn params(req: IssueRequest<'_>) -> Params<'_> {
    match req.validate() {
        Ok(p) => p,
        Err(v) => panic!("request should be valid: {v}"),
    }
}

/// Issues `req` at `T0` with the seeded RNG `seed`.
pub fn issue<'a>(req: IssueRequest<'a>, seed: u64) -> (Challenge, Delivery<'a>) {
    let p = params(req);
    Challenge::issue(&p, &mut rng(seed), T0).expect("rng never fails")
}

/// The token of a challenge, as a user would copy it from the text.
pub fn code(c: &Challenge) -> String {
    c.parts().token.expose_secret().to_string()
}

/// A token that differs from `right` in its last symbol.
pub fn wrong(right: &str) -> String {
    let mut s = right.to_string();
    let last = s.pop().unwrap();
    s.push(if last == '2' { '3' } else { '2' });
    s
}

pub fn sms(to: &str) -> IssueRequest<'_> {
    IssueRequest::new(Channel::Sms, to)
}

pub fn call(to: &str) -> IssueRequest<'_> {
    IssueRequest::new(Channel::Call, to)
}

/// `Delivery::text` without the `alloc` feature: the same text, written
/// through the allocation-free `write_text` into the test's own `String`.
/// With `alloc` on, the inherent `Delivery::text` is the one called.
#[cfg(not(feature = "alloc"))]
pub trait DeliveryText {
    fn text(&self) -> String;
}

#[cfg(not(feature = "alloc"))]
impl DeliveryText for Delivery<'_> {
    fn text(&self) -> String {
        let mut s = String::new();
        self.write_text(&mut s).expect("a String takes any text");
        s
    }
}
