//! Abuse control: send limits per key and failed-try lockout per subject.
//!
//! Like the rest of the crate this module is sans-IO: every decision is a
//! pure function of a small, `Copy` state, a validated policy and the
//! `now: UnixTime` the host passes in. Nothing here reads a clock,
//! allocates or sleeps; the answer says how long to wait and the host
//! decides what to do with that.
//!
//! # Send limits: [`SendPolicy`] and [`SendLog`]
//!
//! A [`Window`] of `max` events per `interval` seconds means exactly this:
//! **no half-open interval of `interval` seconds ever holds more than `max`
//! allowed events.** A token bucket or GCRA with the same numbers lets a
//! burst of up to `2·max − 1` events through one interval; this does not.
//! A [`SendPolicy`] holds one to four windows (say 1 per 30 s, 5 per hour
//! and 10 per day) and an event must pass all of them.
//!
//! The state, a [`SendLog`], is one ring of the times of the 64 most recent
//! allowed events (`u32` offsets from a `u64` base, about 280 bytes). An
//! event at `t` is allowed iff, for every window, fewer than `max` allowed
//! events lie in `(t − interval, t]`, that is, the `max`-th most recent one
//! is at or before `t − interval`. An allowed event is recorded; a refused
//! one is not, and the answer, [`Admission::Wait`], carries the exact
//! number of seconds until the event would be allowed (the largest over
//! the windows), counted from the `now` given.
//!
//! | bound | value | why |
//! |---|---|---|
//! | `max` | [`limits::WINDOW_MAX`] (1–64) | the ring holds 64 events |
//! | `interval_secs` | [`limits::WINDOW_INTERVAL_SECS`] (1 s – `u32::MAX` s) | see below |
//! | windows | [`limits::WINDOWS`] (1–4) | fixed-size, `Copy` policy |
//!
//! The longest interval is `u32::MAX` seconds (about 136 years) because an
//! event older than that, measured from the newest one, can never count
//! again for any valid window; the log forgets such events, so every time
//! it keeps is within `u32::MAX` seconds of the newest and fits a `u32`
//! offset. Forgetting them changes no decision.
//!
//! The default policy, [`SendPolicy::default`], is **1 per 30 s, 5 per
//! hour, 10 per day** for one destination number: 30 s is the usual
//! "resend code" delay, so a user who did not get the first text can ask
//! again quickly; 5 per hour matches a challenge's default
//! `max_deliveries`; 10 per day bounds what SMS pumping (toll fraud) can
//! cost per number to ten messages a day.
//!
//! # Failed-try lockout: [`LockoutPolicy`] and [`Lockout`]
//!
//! A [`Lockout`] counts the consecutive failed verifications of one subject
//! (an account, or a number) across challenges. The first
//! `free_failures` cost nothing; after each further failure the next try
//! must wait `base_delay_secs · 2^k` (k = 0, 1, 2, …), at most
//! `max_delay_secs`; after `hard_limit` failures the subject is locked
//! until the host calls [`Lockout::reset`]. A success resets the count.
//! A try is counted *before* the code is compared ([`Lockout::admit`]),
//! so racing hosts cannot each slip a try through on the same state.
//!
//! Both limiters answer with an [`Admission`]: allowed, wait so many
//! seconds, or (a lockout only) locked.
//!
//! Defaults ([`LockoutPolicy::default`]): **5 free failures, then 1 s
//! doubling to at most 15 minutes, locked after 100**.
//!
//! - 5 free: a user who mistypes a code, or types an old one, a few times
//!   is never slowed down (a challenge alone allows 3 tries by default).
//! - 1 s doubling: the wait grows past anything a person notices only when
//!   guessing goes on; it reaches the cap after 10 more failures.
//! - 15 minutes cap: bounds how long someone else's failures can keep the
//!   real user out (lockout as denial of service), while holding a guesser
//!   to 4 tries an hour.
//! - 100: NIST SP 800-63B §5.2.2 requires that failed attempts on one
//!   account be limited to no more than 100; it is also the largest
//!   `hard_limit` accepted ([`limits::HARD_LIMIT`]). Reaching it takes a
//!   guesser about 21 hours with the other defaults, and gives a 6-digit
//!   code at most 100 guesses in a million.
//!
//! # Time
//!
//! The limiters never run backwards. Both evaluate at `max(now, newest
//! recorded time)`, and an allowed event or try is recorded at that time.
//! A clock that steps back therefore never grants an extra event nor
//! shortens a wait: a wait is counted from the `now` given, so it grows by
//! the step. All arithmetic saturates; nothing panics on any input.
//!
//! # Sharing state
//!
//! [`SendLog::try_send`], [`Lockout::admit`] and [`Lockout::reset`] return
//! a [`Step`](crate::Step): the answer, and the compare-and-swap write to
//! make before acting on it (a refusal writes nothing). Hosts that share a
//! key's state follow the protocol in the [guide](crate::guide); racing
//! hosts then never allow more than one host alone would (a test drives
//! random interleavings of several hosts through a shared store to show
//! it).
//!
//! # Examples
//!
//! ```
//! use mfa_core::UnixTime;
//! use mfa_core::throttle::{Admission, Lockout, LockoutPolicy, SendLog, SendPolicy, Window};
//!
//! // At most 3 per minute and 10 per hour.
//! let policy = SendPolicy::new(&[Window::new(3, 60)?, Window::new(10, 3600)?])?;
//! let mut log = SendLog::new();
//! let t0 = UnixTime::from_secs(1_700_000_000);
//!
//! for t in [t0, t0.add_secs(1), t0.add_secs(2)] {
//!     let step = log.try_send(&policy, t);
//!     assert!(step.write().is_some()); // write the log (compare-and-swap) ...
//!     assert!(step.answer().is_allowed()); // ... then send
//! }
//! // A fourth within the minute is refused, with the exact wait: the first
//! // send leaves the window (t0 − 60, t0 + 60] at t0 + 60.
//! let refused = log.try_send(&policy, t0.add_secs(10));
//! assert_eq!(refused.write(), None); // nothing recorded for a refusal
//! assert_eq!(refused.into_answer(), Admission::Wait { secs: 50 });
//! assert_eq!(log.check(&policy, t0.add_secs(60)), Admission::Allowed);
//!
//! // Failed tries: 5 free, then 1 s, 2 s, 4 s … up to 15 min, locked at 100.
//! let policy = LockoutPolicy::default();
//! let mut tries = Lockout::new();
//! for _ in 0..6 {
//!     // Counted as a failure until the host resets on a success.
//!     assert_eq!(tries.admit(&policy, t0).into_answer(), Admission::Allowed);
//! }
//! assert_eq!(tries.admit(&policy, t0).into_answer(), Admission::Wait { secs: 1 });
//! assert_eq!(tries.admit(&policy, t0.add_secs(1)).into_answer(), Admission::Allowed);
//! assert_eq!(tries.check(&policy, t0.add_secs(1)), Admission::Wait { secs: 2 });
//! let reset = tries.reset(); // the code was right
//! assert!(reset.write().is_some()); // the cleared count is written too
//! assert_eq!(tries.failures(), 0);
//! # Ok::<(), mfa_core::throttle::LimitError>(())
//! ```

#[cfg(doc)]
use crate::limits;

mod admission;
mod error;
mod lockout;
mod send;

pub use admission::Admission;
pub use error::{LimitError, LimitField, LimitRule};
pub use lockout::{Lockout, LockoutPolicy};
pub use send::{SendLog, SendPolicy, Window};
