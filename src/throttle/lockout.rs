//! Failed-try lockout per subject: free tries, then doubling waits, then
//! a lock the host must lift.

use super::admission::Admission;
use super::error::{LimitError, LimitField, LimitRule};
use crate::limits::{BASE_DELAY_SECS, FREE_FAILURES, HARD_LIMIT, MAX_DELAY_SECS};
use crate::step::Step;
use crate::time::UnixTime;

/// How failed verifications of one subject are throttled.
///
/// After `f` consecutive failures the next try waits
///
/// - nothing, while `f <= free_failures`;
/// - `min(base_delay_secs · 2^(f − free_failures − 1), max_delay_secs)`
///   seconds after the last try, from then on;
/// - for ever (locked, until the host resets) once `f >= hard_limit`.
///
/// ```
/// use mfa_core::throttle::LockoutPolicy;
/// let p = LockoutPolicy::new(3, 30, 3600, 20)?;
/// assert_eq!(p.delay_after(3), Some(0));
/// assert_eq!(p.delay_after(4), Some(30));
/// assert_eq!(p.delay_after(5), Some(60));
/// assert_eq!(p.delay_after(12), Some(3600));
/// assert_eq!(p.delay_after(20), None); // locked
/// # Ok::<(), mfa_core::throttle::LimitError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "stored::Policy"))]
pub struct LockoutPolicy {
    free_failures: u8,
    base_delay_secs: u32,
    max_delay_secs: u32,
    hard_limit: u8,
}

impl LockoutPolicy {
    /// A policy, checked in this order (the first broken rule is
    /// reported): `hard_limit` 1 to 100; `free_failures` at most
    /// `hard_limit`; `base_delay_secs` 1 to 86 400; `max_delay_secs` 1 to
    /// 86 400 and at least `base_delay_secs`. Values are never clamped.
    ///
    /// # Errors
    ///
    /// A [`LimitError`] naming the first field that breaks its rule, with
    /// the rule and the value given.
    pub const fn new(
        free_failures: u8,
        base_delay_secs: u32,
        max_delay_secs: u32,
        hard_limit: u8,
    ) -> Result<Self, LimitError> {
        Self::try_new(
            free_failures as u64,
            base_delay_secs as u64,
            max_delay_secs as u64,
            hard_limit as u64,
        )
    }

    /// [`new`](Self::new) for values held in wider integers (a host's
    /// configuration, a stored policy): the same rules in the same order,
    /// and a value too wide for the policy's fields is out of range with
    /// the value given (SPEC §9.2), never cut to fit.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// ```
    /// use mfa_core::throttle::{LimitField, LimitRule, LockoutPolicy};
    /// let e = LockoutPolicy::try_new(5, 1, 900, 256).unwrap_err();
    /// assert_eq!(e.field, LimitField::HardLimit);
    /// assert_eq!(e.rule, LimitRule::Range { min: 1, max: 100, given: 256 });
    /// ```
    pub const fn try_new(
        free_failures: u64,
        base_delay_secs: u64,
        max_delay_secs: u64,
        hard_limit: u64,
    ) -> Result<Self, LimitError> {
        if let Err(e) = LimitError::check_range(
            LimitField::HardLimit,
            HARD_LIMIT.min as u64,
            HARD_LIMIT.max as u64,
            hard_limit,
        ) {
            return Err(e);
        }
        if free_failures > hard_limit {
            return Err(LimitError {
                field: LimitField::FreeFailures,
                rule: LimitRule::AtMost {
                    other: LimitField::HardLimit,
                    bound: hard_limit,
                    given: free_failures,
                },
            });
        }
        if let Err(e) = LimitError::check_range(
            LimitField::BaseDelaySecs,
            BASE_DELAY_SECS.min as u64,
            BASE_DELAY_SECS.max as u64,
            base_delay_secs,
        ) {
            return Err(e);
        }
        if let Err(e) = LimitError::check_range(
            LimitField::MaxDelaySecs,
            MAX_DELAY_SECS.min as u64,
            MAX_DELAY_SECS.max as u64,
            max_delay_secs,
        ) {
            return Err(e);
        }
        if max_delay_secs < base_delay_secs {
            return Err(LimitError {
                field: LimitField::MaxDelaySecs,
                rule: LimitRule::AtLeast {
                    other: LimitField::BaseDelaySecs,
                    bound: base_delay_secs,
                    given: max_delay_secs,
                },
            });
        }
        // Every value is now within its field's range: hard_limit <= 100,
        // free_failures <= hard_limit, the delays <= 86 400.
        Ok(LockoutPolicy {
            free_failures: free_failures as u8,
            base_delay_secs: base_delay_secs as u32,
            max_delay_secs: max_delay_secs as u32,
            hard_limit: hard_limit as u8,
        })
    }

    /// Failures that cost no wait.
    pub const fn free_failures(&self) -> u8 {
        self.free_failures
    }

    /// The first wait, in seconds.
    pub const fn base_delay_secs(&self) -> u32 {
        self.base_delay_secs
    }

    /// The longest wait, in seconds.
    pub const fn max_delay_secs(&self) -> u32 {
        self.max_delay_secs
    }

    /// Failures at which the subject is locked.
    pub const fn hard_limit(&self) -> u8 {
        self.hard_limit
    }

    /// The wait, in seconds after the last try, once `failures`
    /// consecutive failures are counted; `None` when that many lock.
    pub fn delay_after(&self, failures: u8) -> Option<u32> {
        if failures >= self.hard_limit {
            return None;
        }
        if failures <= self.free_failures {
            return Some(0);
        }
        // base · 2^(failures − free − 1), saturating, then capped (the cap
        // is at most 86 400, so the result fits a u32).
        let doublings = u32::from(failures - self.free_failures - 1);
        let factor = 1u64.checked_shl(doublings).unwrap_or(u64::MAX);
        let delay = u64::from(self.base_delay_secs).saturating_mul(factor);
        Some(delay.min(u64::from(self.max_delay_secs)) as u32)
    }
}

impl Default for LockoutPolicy {
    /// 5 free failures, then 1 s doubling to at most 15 minutes, locked
    /// after 100 (reasons in the
    /// [module docs](super#failed-try-lockout-lockoutpolicy-and-lockout)).
    fn default() -> Self {
        LockoutPolicy {
            free_failures: FREE_FAILURES.default,
            base_delay_secs: BASE_DELAY_SECS.default,
            max_delay_secs: MAX_DELAY_SECS.default,
            hard_limit: HARD_LIMIT.default,
        }
    }
}

/// The failed-try state of one subject (an account or a number): the
/// consecutive failures, the time of the last try, and a revision.
///
/// `Copy` and 24 bytes. See the [module docs](super) for the time rule and
/// how to share it between hosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "stored::Lockout"))]
pub struct Lockout {
    failures: u8,
    last_try: u64,
    revision: u64,
}

impl Lockout {
    /// No failures yet.
    pub const fn new() -> Self {
        Lockout {
            failures: 0,
            last_try: 0,
            revision: 0,
        }
    }

    /// Would a try at `now` be allowed? Changes nothing.
    pub fn check(&self, policy: &LockoutPolicy, now: UnixTime) -> Admission {
        let Some(delay) = policy.delay_after(self.failures) else {
            return Admission::Locked;
        };
        let now = now.as_secs();
        // Never run backwards: a clock behind the last try reads as it.
        let t = now.max(self.last_try);
        let since = t - self.last_try;
        let delay = u64::from(delay);
        if since >= delay {
            Admission::Allowed
        } else {
            Admission::Wait {
                secs: (delay - since).saturating_add(t - now),
            }
        }
    }

    /// Admits a try at `now`, or refuses it. When it is allowed, counts it
    /// as a failure at `max(now, last try)` and raises the revision,
    /// *before* the code is compared; [`reset`](Self::reset) once the code
    /// turns out right. A refusal changes nothing. It compares no code:
    /// that is [`Challenge::verify`](crate::Challenge::verify)'s job, once
    /// the step's write has landed.
    ///
    /// Counting first means a try is never lost (a host that crashes
    /// mid-verify has spent it) and two hosts cannot both pass on one
    /// state: the second write fails its compare-and-swap (the
    /// [guide](crate::guide) has the protocol).
    pub fn admit(&mut self, policy: &LockoutPolicy, now: UnixTime) -> Step<Admission> {
        let before = self.revision;
        let admission = self.check(policy, now);
        let allowed = admission.is_allowed();
        if allowed {
            // Allowed means failures < hard_limit <= 100: no overflow.
            self.failures += 1;
            self.last_try = self.last_try.max(now.as_secs());
            self.revision = self.revision.saturating_add(1);
        }
        Step::new(admission, allowed, before, self.revision)
    }

    /// Clears the failures: after a verification that succeeded, or when
    /// the host lifts a lock. Raises the revision when there was anything
    /// to clear; then the step asks for a write (else it asks for none).
    pub fn reset(&mut self) -> Step<()> {
        let before = self.revision;
        let cleared = self.failures > 0;
        if cleared {
            self.failures = 0;
            self.revision = self.revision.saturating_add(1);
        }
        Step::new((), cleared, before, self.revision)
    }

    /// Consecutive failures counted (tries since the last reset).
    pub const fn failures(&self) -> u8 {
        self.failures
    }

    /// Changes so far: the compare-and-swap token of a shared state.
    pub const fn revision(&self) -> u64 {
        self.revision
    }
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout::new()
    }
}

#[cfg(feature = "serde")]
mod stored {
    //! The stored forms, checked on the way in:
    //!
    //! ```json
    //! {"free_failures":5,"base_delay_secs":1,"max_delay_secs":900,"hard_limit":100}
    //! {"failures":2,"last_try":1700000000,"revision":7}
    //! ```

    use serde::Deserialize;

    use super::{HARD_LIMIT, LimitError, LimitField, LimitRule};

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Policy {
        // Read wide: a value too large for the field is out of range
        // with the value given (SPEC §9.2), like any other.
        free_failures: u64,
        base_delay_secs: u64,
        max_delay_secs: u64,
        hard_limit: u64,
    }

    impl TryFrom<Policy> for super::LockoutPolicy {
        type Error = LimitError;
        fn try_from(p: Policy) -> Result<Self, LimitError> {
            super::LockoutPolicy::try_new(
                p.free_failures,
                p.base_delay_secs,
                p.max_delay_secs,
                p.hard_limit,
            )
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Lockout {
        failures: u8,
        last_try: u64,
        revision: u64,
    }

    impl TryFrom<Lockout> for super::Lockout {
        type Error = LimitError;
        fn try_from(l: Lockout) -> Result<Self, LimitError> {
            LimitError::check_range(
                LimitField::Failures,
                0,
                u64::from(HARD_LIMIT.max),
                u64::from(l.failures),
            )?;
            // Every counted failure raised the revision.
            if l.revision < u64::from(l.failures) {
                return Err(LimitError {
                    field: LimitField::Revision,
                    rule: LimitRule::AtLeast {
                        other: LimitField::Failures,
                        bound: u64::from(l.failures),
                        given: l.revision,
                    },
                });
            }
            Ok(super::Lockout {
                failures: l.failures,
                last_try: l.last_try,
                revision: l.revision,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_base_to_the_cap() {
        let p = LockoutPolicy::default();
        let delays: [Option<u32>; 18] = core::array::from_fn(|f| p.delay_after(f as u8));
        assert_eq!(
            delays,
            [
                0, 0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900
            ]
            .map(Some)
        );
        assert_eq!(p.delay_after(99), Some(900));
        assert_eq!(p.delay_after(100), None);
        assert_eq!(p.delay_after(255), None);
    }

    #[test]
    fn huge_doublings_saturate_to_the_cap() {
        let p = LockoutPolicy::new(0, BASE_DELAY_SECS.max, BASE_DELAY_SECS.max, 100).unwrap();
        assert_eq!(p.delay_after(1), Some(BASE_DELAY_SECS.max));
        assert_eq!(p.delay_after(66), Some(BASE_DELAY_SECS.max));
        assert_eq!(p.delay_after(99), Some(BASE_DELAY_SECS.max));
        let p = LockoutPolicy::new(0, 3, 7, 100).unwrap();
        assert_eq!(
            [1, 2, 3].map(|f| p.delay_after(f)),
            [Some(3), Some(6), Some(7)]
        );
    }
}
