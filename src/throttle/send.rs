//! Send limits: at most `max` events in any `interval` seconds, for up to
//! four windows at once, decided on a fixed-size log of recent events.

use core::fmt;

use super::admission::Admission;
use super::error::{LimitError, LimitField};
use crate::limits::{WINDOW_INTERVAL_SECS, WINDOW_MAX, WINDOWS};
use crate::step::Step;
use crate::time::UnixTime;

/// Event times a [`SendLog`] keeps: enough for the largest `max`.
const CAPACITY: usize = WINDOW_MAX.max as usize;

/// At most `max` events in any `interval_secs` seconds: no half-open
/// interval `(a, a + interval_secs]` holds more than `max` allowed events.
///
/// ```
/// use mfa_core::throttle::Window;
/// let w = Window::new(3, 60)?;
/// assert_eq!((w.max(), w.interval_secs()), (3, 60));
/// # Ok::<(), mfa_core::throttle::LimitError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "stored::Window"))]
pub struct Window {
    max: u8,
    interval_secs: u32,
}

impl Window {
    /// A window of `max` events (1 to 64) per `interval_secs` seconds (1 to
    /// `u32::MAX`). An out-of-range value is an error naming the field,
    /// never clamped.
    ///
    /// # Errors
    ///
    /// A [`LimitError`] for `max` ([`LimitField::Max`]), else for
    /// `interval_secs` ([`LimitField::IntervalSecs`]), with the range and
    /// the value given.
    pub const fn new(max: u8, interval_secs: u32) -> Result<Window, LimitError> {
        Self::try_new(max as u64, interval_secs as u64)
    }

    /// [`new`](Self::new) for values held in wider integers (a host's
    /// configuration, a stored policy): `max` is checked, then
    /// `interval_secs`, and a value too wide for the window's fields is
    /// out of range with the value given (SPEC §9.1), never cut to fit.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// ```
    /// use mfa_core::throttle::{LimitField, LimitRule, Window};
    /// let e = Window::try_new(256, 60).unwrap_err();
    /// assert_eq!(e.field, LimitField::Max);
    /// assert_eq!(e.rule, LimitRule::Range { min: 1, max: 64, given: 256 });
    /// assert_eq!(Window::try_new(3, 1 << 32).unwrap_err().field, LimitField::IntervalSecs);
    /// ```
    pub const fn try_new(max: u64, interval_secs: u64) -> Result<Window, LimitError> {
        if let Err(e) = LimitError::check_range(
            LimitField::Max,
            WINDOW_MAX.min as u64,
            WINDOW_MAX.max as u64,
            max,
        ) {
            return Err(e);
        }
        if let Err(e) = LimitError::check_range(
            LimitField::IntervalSecs,
            WINDOW_INTERVAL_SECS.min as u64,
            WINDOW_INTERVAL_SECS.max as u64,
            interval_secs,
        ) {
            return Err(e);
        }
        // Both are now within their fields' ranges (64 and u32::MAX).
        Ok(Window {
            max: max as u8,
            interval_secs: interval_secs as u32,
        })
    }

    /// Events allowed per interval.
    pub const fn max(self) -> u8 {
        self.max
    }

    /// The interval, in seconds.
    pub const fn interval_secs(self) -> u32 {
        self.interval_secs
    }
}

/// One to four [`Window`]s; an event is allowed only if every window
/// allows it.
///
/// Windows are kept in the order given. A window that another makes
/// redundant (3 per minute beside 5 per minute) is allowed and harmless.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SendPolicy {
    /// The windows; slots from `len` on hold a fixed filler, so derived
    /// equality compares the windows only.
    windows: [Window; WINDOWS.max],
    len: u8,
}

const FILLER: Window = Window {
    max: WINDOW_MAX.min,
    interval_secs: WINDOW_INTERVAL_SECS.min,
};

impl SendPolicy {
    /// A policy of the given windows (1 to 4 of them).
    ///
    /// # Errors
    ///
    /// A [`LimitError`] for [`LimitField::Windows`] with none or more than
    /// four.
    ///
    /// ```
    /// use mfa_core::throttle::{LimitField, SendPolicy, Window};
    /// let p = SendPolicy::new(&[Window::new(3, 60)?, Window::new(10, 3600)?])?;
    /// assert_eq!(p.windows().len(), 2);
    /// assert_eq!(SendPolicy::new(&[]).unwrap_err().field, LimitField::Windows);
    /// # Ok::<(), mfa_core::throttle::LimitError>(())
    /// ```
    pub fn new(windows: &[Window]) -> Result<SendPolicy, LimitError> {
        LimitError::check_range(
            LimitField::Windows,
            WINDOWS.min as u64,
            WINDOWS.max as u64,
            windows.len() as u64,
        )?;
        let mut all = [FILLER; WINDOWS.max];
        all[..windows.len()].copy_from_slice(windows);
        Ok(SendPolicy {
            windows: all,
            len: windows.len() as u8,
        })
    }

    /// The windows, in the order given.
    pub fn windows(&self) -> &[Window] {
        &self.windows[..usize::from(self.len)]
    }
}

impl Default for SendPolicy {
    /// 1 per 30 seconds, 5 per hour, 10 per day (reasons in the
    /// [module docs](super#send-limits-sendpolicy-and-sendlog)).
    fn default() -> Self {
        SendPolicy {
            windows: [
                Window {
                    max: 1,
                    interval_secs: 30,
                },
                Window {
                    max: 5,
                    interval_secs: 3600,
                },
                Window {
                    max: 10,
                    interval_secs: 86_400,
                },
                FILLER,
            ],
            len: 3,
        }
    }
}

/// The send-limit state of one key (a number, an account, an IP): the
/// times of the most recent allowed events, and a revision.
///
/// Fixed size and `Copy`; the same log serves any valid [`SendPolicy`],
/// since it keeps the 64 most recent events a window can still count.
/// Two logs are equal when they hold the same times and revision.
///
/// See the [module docs](super) for the guarantee, the time rule and how
/// to share a log between hosts.
#[derive(Clone, Copy)]
pub struct SendLog {
    /// Time that offsets count from; at or before every kept event.
    base: u64,
    /// Ring of event times as offsets from `base`, oldest at `start`,
    /// never decreasing in ring order. Slots outside the ring are unused.
    offsets: [u32; CAPACITY],
    /// Ring index of the oldest kept event.
    start: u8,
    /// Kept events, at most `CAPACITY`.
    len: u8,
    /// Allowed events, ever.
    revision: u64,
}

impl SendLog {
    /// An empty log: nothing sent yet.
    pub const fn new() -> Self {
        SendLog {
            base: 0,
            offsets: [0; CAPACITY],
            start: 0,
            len: 0,
            revision: 0,
        }
    }

    /// Would an event at `now` be allowed? Changes nothing. The answer is
    /// never [`Admission::Locked`].
    pub fn check(&self, policy: &SendPolicy, now: UnixTime) -> Admission {
        match self.decide(policy, now.as_secs()) {
            Ok(_) => Admission::Allowed,
            Err(secs) => Admission::Wait { secs },
        }
    }

    /// Decides on an event at `now` and, when it is allowed, records it at
    /// `max(now, newest recorded time)` and raises the revision by one.
    /// A refusal ([`Admission::Wait`]; never `Locked`) records nothing.
    ///
    /// Only send when the answer is [`Admission::Allowed`] and the step's
    /// write has landed (the [guide](crate::guide) has the protocol).
    pub fn try_send(&mut self, policy: &SendPolicy, now: UnixTime) -> Step<Admission> {
        let before = self.revision;
        match self.decide(policy, now.as_secs()) {
            Ok(at) => {
                self.push(at);
                Step::new(Admission::Allowed, true, before, self.revision)
            }
            Err(secs) => Step::new(Admission::Wait { secs }, false, before, before),
        }
    }

    /// Allowed events so far: the compare-and-swap token of a shared log.
    pub const fn revision(&self) -> u64 {
        self.revision
    }

    /// The time of the newest recorded event, if any.
    pub fn newest(&self) -> Option<UnixTime> {
        self.nth_newest(1).map(UnixTime::from_secs)
    }

    /// The kept event times, oldest first: at most 64, and only those
    /// within `u32::MAX` seconds of the newest.
    pub fn events(&self) -> impl Iterator<Item = UnixTime> + '_ {
        (0..usize::from(self.len)).map(|i| UnixTime::from_secs(self.at(i)))
    }

    /// The `i`-th kept time, oldest first (`i < len`).
    fn at(&self, i: usize) -> u64 {
        let slot = (usize::from(self.start) + i) % CAPACITY;
        self.base + u64::from(self.offsets[slot])
    }

    /// The `k`-th most recent kept time (`k >= 1`), if there are `k`.
    fn nth_newest(&self, k: usize) -> Option<u64> {
        let len = usize::from(self.len);
        (k <= len).then(|| self.at(len - k))
    }

    /// The decision at `now`: the time to record the event at, or the
    /// seconds to wait (at least 1).
    fn decide(&self, policy: &SendPolicy, now: u64) -> Result<u64, u64> {
        // Never run backwards: evaluate at the newest recorded time if the
        // clock reads earlier.
        let t = match self.newest() {
            Some(newest) => newest.as_secs().max(now),
            None => now,
        };
        let mut wait = 0u64;
        for w in policy.windows() {
            // The `max`-th most recent event must be at or before
            // `t - interval`. With fewer kept, the window is not full:
            // whatever was forgotten was too old to count.
            if let Some(e) = self.nth_newest(usize::from(w.max)) {
                let age = t - e;
                let interval = u64::from(w.interval_secs);
                if age < interval {
                    // Allowed at e + interval; counted from `now`.
                    wait = wait.max((interval - age).saturating_add(t - now));
                }
            }
        }
        if wait == 0 { Ok(t) } else { Err(wait) }
    }

    /// Records an event at `t`, at or after every kept time.
    fn push(&mut self, t: u64) {
        if self.len == 0 {
            self.base = t;
        } else if t - self.base > u64::from(u32::MAX) {
            self.forget_before(t);
        }
        // `forget_before` left every kept time, and so `base`, within
        // `u32::MAX` seconds of `t`.
        let offset = (t - self.base) as u32;
        let len = usize::from(self.len);
        if len == CAPACITY {
            self.offsets[usize::from(self.start)] = offset;
            self.start = ((usize::from(self.start) + 1) % CAPACITY) as u8;
        } else {
            self.offsets[(usize::from(self.start) + len) % CAPACITY] = offset;
            self.len += 1;
        }
        self.revision = self.revision.saturating_add(1);
    }

    /// Forgets the events more than `u32::MAX` seconds before `t` (no valid
    /// window counts them at `t` or later) and rebases on the oldest kept.
    /// An event exactly `u32::MAX` seconds before `t` is kept (SPEC §9.1),
    /// whether or not older ones are dropped in the same step.
    fn forget_before(&mut self, t: u64) {
        while self.len > 0 && t - self.at(0) > u64::from(u32::MAX) {
            self.start = ((usize::from(self.start) + 1) % CAPACITY) as u8;
            self.len -= 1;
        }
        let new_base = if self.len > 0 { self.at(0) } else { t };
        let shift = (new_base - self.base) as u32;
        for i in 0..usize::from(self.len) {
            let slot = (usize::from(self.start) + i) % CAPACITY;
            self.offsets[slot] -= shift;
        }
        self.base = new_base;
    }
}

impl Default for SendLog {
    fn default() -> Self {
        SendLog::new()
    }
}

impl PartialEq for SendLog {
    fn eq(&self, other: &Self) -> bool {
        self.revision == other.revision && self.events().eq(other.events())
    }
}

impl Eq for SendLog {}

impl fmt::Debug for SendLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Events<'a>(&'a SendLog);
        impl fmt::Debug for Events<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.events().map(UnixTime::as_secs))
                    .finish()
            }
        }
        f.debug_struct("SendLog")
            .field("events", &Events(self))
            .field("revision", &self.revision)
            .finish()
    }
}

#[cfg(feature = "serde")]
mod stored {
    //! The stored forms. A log is stored as its times (absolute seconds,
    //! oldest first) and revision, so the record says what it means:
    //!
    //! ```json
    //! {"events":[1700000000,1700000001],"revision":2}
    //! ```
    //!
    //! Deserializing checks every invariant the decisions rely on.

    use alloc::vec::Vec;

    use serde::{Deserialize, Serialize, Serializer};

    use super::{CAPACITY, LimitError, LimitField};
    use crate::throttle::LimitRule;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct Window {
        // Read wide: 256 is out of range with the value given (SPEC §9.1).
        max: u64,
        interval_secs: u64,
    }

    impl TryFrom<Window> for super::Window {
        type Error = LimitError;
        fn try_from(w: Window) -> Result<Self, LimitError> {
            super::Window::try_new(w.max, w.interval_secs)
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Policy {
        windows: Vec<super::Window>,
    }

    impl Serialize for super::SendPolicy {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            let mut st = s.serialize_struct("SendPolicy", 1)?;
            st.serialize_field("windows", self.windows())?;
            st.end()
        }
    }

    impl<'de> Deserialize<'de> for super::SendPolicy {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let p = Policy::deserialize(d)?;
            super::SendPolicy::new(&p.windows).map_err(serde::de::Error::custom)
        }
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Log {
        events: Vec<u64>,
        revision: u64,
    }

    impl Serialize for super::SendLog {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeStruct;
            struct Events<'a>(&'a super::SendLog);
            impl Serialize for Events<'_> {
                fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    s.collect_seq(self.0.events().map(crate::UnixTime::as_secs))
                }
            }
            let mut st = s.serialize_struct("SendLog", 2)?;
            st.serialize_field("events", &Events(self))?;
            st.serialize_field("revision", &self.revision)?;
            st.end()
        }
    }

    impl<'de> Deserialize<'de> for super::SendLog {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let log = Log::deserialize(d)?;
            super::SendLog::from_times(&log.events, log.revision).map_err(serde::de::Error::custom)
        }
    }

    impl super::SendLog {
        /// A log of these times (oldest first) and revision, if they are
        /// one a log could hold: at most 64, never decreasing, spanning at
        /// most `u32::MAX` seconds, and no more than the revision.
        fn from_times(times: &[u64], revision: u64) -> Result<Self, LimitError> {
            LimitError::check_range(LimitField::Events, 0, CAPACITY as u64, times.len() as u64)?;
            if let Some(i) = times.windows(2).position(|p| p[1] < p[0]) {
                return Err(LimitError {
                    field: LimitField::Events,
                    rule: LimitRule::Unordered { index: i + 1 },
                });
            }
            let mut log = super::SendLog::new();
            if let (Some(&oldest), Some(&newest)) = (times.first(), times.last()) {
                let span = newest - oldest;
                if span > u64::from(u32::MAX) {
                    return Err(LimitError {
                        field: LimitField::Events,
                        rule: LimitRule::Span {
                            max: u64::from(u32::MAX),
                            given: span,
                        },
                    });
                }
                log.base = oldest;
            }
            if revision < times.len() as u64 {
                return Err(LimitError {
                    field: LimitField::Revision,
                    rule: LimitRule::AtLeast {
                        other: LimitField::Events,
                        bound: times.len() as u64,
                        given: revision,
                    },
                });
            }
            for (slot, &t) in log.offsets.iter_mut().zip(times) {
                *slot = (t - log.base) as u32;
            }
            log.len = times.len() as u8;
            log.revision = revision;
            Ok(log)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> UnixTime {
        UnixTime::from_secs(s)
    }

    /// Asserts a send was allowed (and so asks for a write).
    fn admitted(step: Step<Admission>) {
        assert!(step.write().is_some());
        assert_eq!(step.into_answer(), Admission::Allowed);
    }

    fn policy(windows: &[(u8, u32)]) -> SendPolicy {
        let ws: [Window; 4] = core::array::from_fn(|i| {
            windows
                .get(i)
                .map_or(FILLER, |&(m, s)| Window::new(m, s).unwrap())
        });
        SendPolicy::new(&ws[..windows.len()]).unwrap()
    }

    #[test]
    fn nth_newest_counts_from_the_newest() {
        let p = policy(&[(64, 1)]);
        let mut log = SendLog::new();
        assert_eq!(log.nth_newest(1), None);
        for s in [10, 20, 30] {
            admitted(log.try_send(&p, at(s)));
        }
        assert_eq!(log.nth_newest(1), Some(30));
        assert_eq!(log.nth_newest(3), Some(10));
        assert_eq!(log.nth_newest(4), None);
    }

    #[test]
    fn the_ring_keeps_the_64_newest() {
        let p = policy(&[(64, 1)]);
        let mut log = SendLog::new();
        for s in 0..100 {
            admitted(log.try_send(&p, at(s)));
        }
        assert_eq!(log.revision(), 100);
        assert!(log.events().map(UnixTime::as_secs).eq(36..100));
    }

    #[test]
    fn forgets_only_what_no_window_can_count() {
        let p = policy(&[(2, u32::MAX)]);
        let mut log = SendLog::new();
        admitted(log.try_send(&p, at(5)));
        admitted(log.try_send(&p, at(6)));
        let max = u64::from(u32::MAX);
        // At 5 + u32::MAX the event at 5 has just left the window.
        assert_eq!(log.check(&p, at(4 + max)), Admission::Wait { secs: 1 });
        admitted(log.try_send(&p, at(5 + max)));
        // Still within u32::MAX of the base: nothing forgotten yet.
        assert!(log.events().map(UnixTime::as_secs).eq([5, 6, 5 + max]));
        assert_eq!(log.check(&p, at(5 + max)), Admission::Wait { secs: 1 });
        admitted(log.try_send(&p, at(6 + max)));
        // 5 is more than u32::MAX old: forgotten; 6 is exactly u32::MAX
        // old and kept (SPEC §9.1); rebased on the oldest kept.
        assert!(
            log.events()
                .map(UnixTime::as_secs)
                .eq([6, 5 + max, 6 + max])
        );
        assert_eq!(log.base, 6);
        assert_eq!(log.offsets[usize::from(log.start)], 0);
        // A jump far ahead forgets everything.
        admitted(log.try_send(&p, at(10 * max)));
        assert!(log.events().map(UnixTime::as_secs).eq([10 * max]));
        assert_eq!(log.base, 10 * max);
        assert_eq!(log.revision(), 5);
    }

    #[test]
    fn a_time_exactly_u32_max_older_is_kept_whatever_else_is_dropped() {
        // SPEC §9.1: only times *more than* 2^32-1 s older than the newest
        // are forgotten. The time at 6 is exactly u32::MAX older than the
        // newest at 6 + max in both logs below; whether 5 is dropped in the
        // same step must not decide its fate.
        let p = policy(&[(2, u32::MAX)]);
        let max = u64::from(u32::MAX);
        let mut log = SendLog::new();
        admitted(log.try_send(&p, at(6)));
        admitted(log.try_send(&p, at(6 + max)));
        assert!(log.events().map(UnixTime::as_secs).eq([6, 6 + max]));
        let mut log = SendLog::new();
        admitted(log.try_send(&p, at(5)));
        admitted(log.try_send(&p, at(6)));
        admitted(log.try_send(&p, at(5 + max)));
        admitted(log.try_send(&p, at(6 + max)));
        assert!(
            log.events()
                .map(UnixTime::as_secs)
                .eq([6, 5 + max, 6 + max]),
            "{log:?}"
        );
        // A refusal forgets nothing, even a time that is now far behind.
        assert!(!log.try_send(&p, at(7 + max)).answer().is_allowed());
        assert!(
            log.events()
                .map(UnixTime::as_secs)
                .eq([6, 5 + max, 6 + max])
        );
        // A time more than u32::MAX older than the newest is forgotten.
        let mut wide = SendLog::new();
        let one = policy(&[(64, 1)]);
        admitted(wide.try_send(&one, at(6)));
        admitted(wide.try_send(&one, at(7 + max)));
        assert!(wide.events().map(UnixTime::as_secs).eq([7 + max]));
    }

    #[test]
    fn the_end_of_time_saturates() {
        let p = policy(&[(1, u32::MAX)]);
        let mut log = SendLog::new();
        admitted(log.try_send(&p, at(u64::MAX)));
        assert_eq!(
            log.check(&p, at(u64::MAX)),
            Admission::Wait {
                secs: u64::from(u32::MAX)
            }
        );
        // From an early clock the exact wait would not fit a u64.
        assert_eq!(log.check(&p, at(0)), Admission::Wait { secs: u64::MAX });
    }
}
