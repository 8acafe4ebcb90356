//! The operating system's RNG, for hosts that want it (feature `getrandom`).

use core::fmt;

use rand_core::{TryCryptoRng, TryRng};

/// The operating system's random number generator (`getrandom`): the RNG a
/// host passes to [`Challenge::issue`](crate::Challenge::issue) when it has
/// no other CSPRNG.
///
/// It holds no state. Each call asks the OS; a failure (rare: an OS
/// without a ready entropy source) comes back as an error, and `issue`
/// then answers [`RngError`](crate::RngError) with nothing issued. A host
/// answers that as a 500 and retries later; it never falls back to a
/// weaker generator.
///
/// ```
/// use mfa_core::{Challenge, Channel, OsRng, IssueRequest, UnixTime};
/// let params = IssueRequest::new(Channel::Sms, "+15557788999").validate()?;
/// let (challenge, delivery) = Challenge::issue(&params, &mut OsRng, UnixTime::now())?;
/// assert_eq!(challenge.parts().token.len(), 6);
/// # drop(delivery);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRng;

/// The OS random source failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsRngError(getrandom::Error);

impl fmt::Display for OsRngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the operating system's random source failed: {}", self.0)
    }
}

impl core::error::Error for OsRngError {}

impl TryRng for OsRng {
    type Error = OsRngError;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        getrandom::SysRng.try_next_u32().map_err(OsRngError)
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        getrandom::SysRng.try_next_u64().map_err(OsRngError)
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::SysRng.try_fill_bytes(dst).map_err(OsRngError)
    }
}

impl TryCryptoRng for OsRng {}
