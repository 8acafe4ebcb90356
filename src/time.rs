//! Time as the host gives it: whole seconds since the Unix epoch.

use core::fmt;

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
///
/// The library never reads a clock: every call that depends on time takes
/// `now: UnixTime` from the host. All arithmetic on it saturates. With the
/// `serde` feature it is the plain number of seconds.
///
/// ```
/// use mfa_core::UnixTime;
/// let t = UnixTime::from_secs(1_700_000_000);
/// assert_eq!(t.add_secs(60).as_secs(), 1_700_000_060);
/// assert_eq!(UnixTime::from_secs(u64::MAX).add_secs(1), UnixTime::from_secs(u64::MAX));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct UnixTime(u64);

impl UnixTime {
    /// The time `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        UnixTime(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// `self + secs`, saturating at `u64::MAX`.
    pub const fn add_secs(self, secs: u64) -> Self {
        UnixTime(self.0.saturating_add(secs))
    }

    /// The system clock, rounded down to the second (feature `std`). A clock
    /// set before 1970 reads as the epoch.
    #[cfg(feature = "std")]
    pub fn now() -> Self {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        UnixTime(d.as_secs())
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
