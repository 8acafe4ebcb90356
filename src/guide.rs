//! The host's duties and the compare-and-swap protocol, written once.
//!
//! This module has no items; it is the one place the rest of the docs
//! link to. The porters' contract for the same rules is `SPEC.md`
//! §5.10–§5.11 and §9 ([in the crate's source](https://docs.rs/crate/mfa-core/latest/source/SPEC.md)).
//!
//! The library decides; the host stores and sends. Every call that may
//! change stored state answers with a [`Step`]: what the call decided, and
//! what must be written before that answer may be acted on.
//!
//! # The host's duties
//!
//! 1. **Store, then send.** Write a new challenge to the store (and wait
//!    for the write to land) before handing its first delivery to the
//!    transport. If the send then fails, cancel the challenge (through the
//!    protocol below) and answer 502; a cancel refused because the
//!    challenge is already terminal needs nothing more. Sending first
//!    would let a user type a code that the store never saw, or lose it
//!    when the write fails. A resend is the same: write, then send; a
//!    failed resend is *not* canceled (an earlier delivery may have
//!    arrived and its code still works).
//! 2. **Index, and keep the revision beside the record.** Key each record
//!    by its id ([`ChallengeParts::id`]); parse an id before looking it up
//!    ([`ChallengeId::parse`]). Keep [`Challenge::revision`] and
//!    [`Challenge::expires_at`] in columns of their own: the revision for
//!    the compare-and-swap, the expiry for the sweep. A [`SendLog`] and a
//!    [`Lockout`] have a `revision` too, for the same use.
//! 3. **Write what a step asks, compare-and-swap, then answer** (below),
//!    for every verify, cancel and resend, every send counted and every
//!    try admitted or reset.
//! 4. **Delete when finished.** A record may be deleted once it is
//!    terminal ([`ChallengeState::is_terminal`]) or once its window has
//!    closed for good (`now ≥ expires_at`). A grace period (say a day)
//!    before deleting lets a late verify still get "already verified" or
//!    "expired" rather than "not found"; on the wire all are 404.
//! 5. **Pass a cryptographic RNG and the real time**, and never log
//!    tokens, delivery texts, submitted codes or stored records.
//!
//! # The write plan: [`Step`]
//!
//! These calls return a `Step<A>`; nothing else in the crate changes
//! stored state.
//!
//! | call | answer `A` | writes when |
//! |---|---|---|
//! | [`Challenge::verify`] | [`Verification`] | a try was compared, or expiry was recorded |
//! | [`Challenge::cancel`] | `Result<(), Closed>` | canceled, or expiry was recorded |
//! | [`Challenge::resend`] | `Result<Delivery, ResendError>` | delivered, or expiry was recorded |
//! | [`SendLog::try_send`] | [`Admission`] | the send was allowed (and counted) |
//! | [`Lockout::admit`] | [`Admission`] | the try was allowed (and counted) |
//! | [`Lockout::reset`] | `()` | there were failures to clear |
//!
//! ([`Challenge::issue`] makes a new record: an insert, then the send, as
//! duty 1 says. [`Challenge::state_at`], [`SendLog::check`] and
//! [`Lockout::check`] change nothing; expiry is recorded only by the calls
//! above.)
//!
//! [`Step::write`] is the plan:
//!
//! - `None`: nothing changed. Act on the answer; there is nothing to write.
//! - `Some(swap)`: write the updated copy back **only if** the stored
//!   revision is still [`swap.expected()`](crate::Swap::expected), storing
//!   [`swap.revision()`](crate::Swap::revision) beside it: an SQL `UPDATE … WHERE
//!   revision = ?` that must change one row, a conditional put, a
//!   `WATCH`/`MULTI`, an optimistic transaction.
//!   - The write landed: act on the answer (tell the user, send the text,
//!     compare the code).
//!   - It was refused: another host wrote first. Throw away the copy and
//!     the step (its answer too), read the record again and repeat the
//!     call.
//!
//! Followed by every host, this grants at most `max_attempts` tries
//! across all processes, verifies at most once, never loses a success,
//! and lets no more sends or tries through than one host alone would (a
//! test drives random interleavings of several hosts through a shared
//! store to show it). A host with a single process and its state in memory
//! still follows it; its writes just never lose.
//!
//! ```
//! use std::sync::Mutex;
//! use mfa_core::{Challenge, Channel, IssueRequest, UnixTime, Verification};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
//! # let now = UnixTime::from_secs(0);
//! # let params = IssueRequest::new(Channel::Sms, "+15557788999").validate()?;
//! # let (challenge, _) = Challenge::issue(&params, &mut rng, now)?;
//!
//! /// A stand-in for a shared store: the record, and its revision column.
//! struct Store(Mutex<(Challenge, u64)>);
//!
//! impl Store {
//!     fn read(&self) -> Challenge {
//!         self.0.lock().unwrap().0.clone()
//!     }
//!     /// `UPDATE … SET record = ?, revision = ? WHERE revision = ?`:
//!     /// whether it landed.
//!     fn swap(&self, expected: u64, record: &Challenge, revision: u64) -> bool {
//!         let mut row = self.0.lock().unwrap();
//!         if row.1 != expected {
//!             return false;
//!         }
//!         *row = (record.clone(), revision);
//!         true
//!     }
//! }
//!
//! fn verify_shared(store: &Store, typed: &str, now: UnixTime) -> Verification {
//!     loop {
//!         let mut copy = store.read(); // 1. read
//!         let step = copy.verify(typed, now); // 2. call on the copy
//!         let landed = match step.write() {
//!             None => true, // 3. nothing to write
//!             Some(swap) => store.swap(swap.expected(), &copy, swap.revision()),
//!         };
//!         if landed {
//!             return step.into_answer(); // 4. answer once the write landed
//!         }
//!         // Another host wrote first: read again.
//!     }
//! }
//!
//! let store = Store(Mutex::new((challenge.clone(), challenge.revision())));
//! let code = challenge.parts().token.expose_secret();
//! assert!(verify_shared(&store, code, now).is_verified());
//! assert_eq!(store.read().revision(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Ignoring a step is a warning
//!
//! `Step` is `#[must_use]`: a call whose step is dropped unread (so its
//! write may never be made) is an `unused_must_use` warning, and an error
//! under `#![deny(unused_must_use)]` or `-D warnings`:
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! use mfa_core::throttle::Lockout;
//!
//! let mut tries = Lockout::new();
//! tries.reset(); // error: unused `Step` that must be used
//! ```
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! # use mfa_core::{Challenge, Channel, IssueRequest, UnixTime};
//! # use rand_core::SeedableRng;
//! # let params = IssueRequest::new(Channel::Sms, "+15557788999").validate().unwrap();
//! # let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
//! # let now = UnixTime::from_secs(0);
//! # let (mut challenge, _) = Challenge::issue(&params, &mut rng, now).unwrap();
//! challenge.cancel(now); // error: unused `Step` that must be used
//! ```
//!
//! The same with the step used compiles:
//!
//! ```
//! #![deny(unused_must_use)]
//! use mfa_core::throttle::Lockout;
//!
//! let mut tries = Lockout::new();
//! let step = tries.reset();
//! assert_eq!(step.write(), None); // nothing to clear, nothing to write
//! ```
//!
//! # The limiters
//!
//! A [`SendLog`] (one per number, account or address) and a [`Lockout`]
//! (one per subject) are stored and shared like a challenge, and their
//! steps are followed the same way:
//!
//! 1. read the state;
//! 2. [`SendLog::try_send`] before a send, [`Lockout::admit`] before a
//!    code is compared;
//! 3. a refusal ([`Admission::Wait`], [`Admission::Locked`]) writes
//!    nothing: answer 429 at once. An allowed event writes its count
//!    (compare-and-swap as above; start again at 1 if it loses);
//! 4. only once that write has landed, send the text or compare the code;
//!    after a right code, [`Lockout::reset`] and write that step too.
//!
//! Counting a try before the compare means a host that crashes mid-verify
//! has spent it, and two hosts cannot both pass on one state.
//!
//! [`ChallengeParts::id`]: crate::ChallengeParts::id
//! [`ChallengeId::parse`]: crate::ChallengeId::parse
//! [`Challenge`]: crate::Challenge
//! [`Challenge::issue`]: crate::Challenge::issue
//! [`Challenge::verify`]: crate::Challenge::verify
//! [`Challenge::cancel`]: crate::Challenge::cancel
//! [`Challenge::resend`]: crate::Challenge::resend
//! [`Challenge::revision`]: crate::Challenge::revision
//! [`Challenge::expires_at`]: crate::Challenge::expires_at
//! [`Challenge::state_at`]: crate::Challenge::state_at
//! [`ChallengeState::is_terminal`]: crate::ChallengeState::is_terminal
//! [`Verification`]: crate::Verification
//! [`Step`]: crate::Step
//! [`Step::write`]: crate::Step::write
//! [`Swap::expected`]: crate::Swap::expected
//! [`Swap::revision`]: crate::Swap::revision
//! [`SendLog`]: crate::throttle::SendLog
//! [`SendLog::try_send`]: crate::throttle::SendLog::try_send
//! [`SendLog::check`]: crate::throttle::SendLog::check
//! [`Lockout`]: crate::throttle::Lockout
//! [`Lockout::admit`]: crate::throttle::Lockout::admit
//! [`Lockout::reset`]: crate::throttle::Lockout::reset
//! [`Lockout::check`]: crate::throttle::Lockout::check
//! [`Admission`]: crate::throttle::Admission
//! [`Admission::Wait`]: crate::throttle::Admission::Wait
//! [`Admission::Locked`]: crate::throttle::Admission::Locked
