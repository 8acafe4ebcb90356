//! The one answer of both limiters.

use core::fmt;

#[cfg(doc)]
use super::{Lockout, SendLog};

/// May the event (a send, a try at a code) happen now? The answer of
/// both limiters: [`SendLog::check`], [`SendLog::try_send`],
/// [`Lockout::check`] and [`Lockout::admit`].
///
/// A refusal ([`Wait`](Self::Wait) or [`Locked`](Self::Locked)) changes
/// nothing. On the wire a send refusal is 429 `rate_limited` and a try's
/// is 429 `locked`, with `Retry-After` for a wait (SPEC §7.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[must_use = "an event that is not allowed must not happen"]
pub enum Admission {
    /// Yes. From [`SendLog::try_send`] and [`Lockout::admit`] the event is
    /// already counted in the copy: write it as the step says, then send,
    /// or compare the code (and reset the lockout if it is right).
    Allowed,
    /// Not yet: refuse (send nothing, compare no code) and tell the caller
    /// to wait `secs` seconds.
    ///
    /// The wait is exact and counted from the `now` given: with nothing
    /// else counted in between, the same event is allowed at `now + secs`
    /// and refused at `now + secs − 1`. It is at least 1 and saturates at
    /// `u64::MAX`.
    Wait {
        /// Seconds to wait, e.g. for an HTTP `Retry-After` header.
        secs: u64,
    },
    /// Not until the host lifts the lock with [`Lockout::reset`] (support,
    /// a recovery flow): refuse without looking at the code. Only a
    /// lockout answers this; a send log never does.
    Locked,
}

impl Admission {
    /// Whether the event may happen.
    pub const fn is_allowed(self) -> bool {
        matches!(self, Admission::Allowed)
    }

    /// The seconds of a [`Wait`](Self::Wait); `None` when allowed or
    /// locked.
    pub const fn retry_after(self) -> Option<u64> {
        match self {
            Admission::Wait { secs } => Some(secs),
            Admission::Allowed | Admission::Locked => None,
        }
    }
}

impl fmt::Display for Admission {
    /// `allowed`, `limit reached; retry after N seconds` or `locked until
    /// reset`: for logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Admission::Allowed => f.write_str("allowed"),
            Admission::Wait { secs } => write!(f, "limit reached; retry after {secs} seconds"),
            Admission::Locked => f.write_str("locked until reset"),
        }
    }
}
