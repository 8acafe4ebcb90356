//! The core of an SMS / voice one-time-code service (multi-factor
//! authentication, transaction signing), as a **sans-IO** library.
//!
//! `mfa-core` does no networking, reads no clock and asks the OS for
//! nothing. The host passes in a cryptographic RNG and the current time,
//! stores the challenge wherever it likes, and sends the rendered text over
//! its own SMS gateway or voice service. The library owns everything else:
//! parameter validation, token generation, delivery text, the state machine
//! and constant-time verification. It follows the public SignalWire MFA API
//! guide (`/mfa/sms`, `/mfa/call`, `/mfa/{id}/verify`) and its behaviour
//! contract, `SPEC.md`.
//!
//! `#![no_std]`, `#![forbid(unsafe_code)]`, and no heap allocation while
//! issuing, rendering (`write_text`) or verifying.
//!
//! # Flow
//!
//! ```
//! use mfa_core::{Challenge, Channel, Request, UnixTime, Verification};
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! // 1. The request body, as the guide's `/mfa/sms` takes it.
//! let params = Request::new(Channel::Sms, "+15557788999").validate()?;
//!
//! // 2. Issue: the host supplies the RNG (here a seeded one; a real host
//! //    uses `mfa_core::OsRng` or another CSPRNG) and the time.
//! let mut rng = ChaCha20Rng::seed_from_u64(1);
//! let t0 = UnixTime::from_secs(1_700_000_000);
//! let (mut challenge, delivery) = Challenge::issue(&params, &mut rng, t0)?;
//!
//! // 3. Send `delivery.text()` to `delivery.to()` by SMS; keep `challenge`.
//! let text = delivery.text();
//! assert!(text.starts_with("Your Personal Authorization Code is: "));
//! let code = &text[text.len() - 6..];
//!
//! // 4. The user types the code back (spaces and dashes are fine).
//! let typed = format!("{}-{}", &code[..3], &code[3..]);
//! let outcome = challenge.verify(&typed, t0.add_secs(30));
//! assert!(outcome.is_verified());
//! // A code works once: replay is refused with the reason.
//! assert_eq!(
//!     challenge.verify(code, t0.add_secs(31)),
//!     Verification::Rejected(mfa_core::Closed::AlreadyVerified)
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Parameters
//!
//! | field | rule | default |
//! |---|---|---|
//! | `to` | E.164: `+`, 2–15 digits, the first not 0 | required |
//! | `from` | E.164; needed for an SMS with a custom message | none |
//! | `message` | the rendered text fits one SMS segment / 500 voice characters | `Your Personal Authorization Code is:` (SMS), `… is` (call) |
//! | `token_length` | 4–20 | 6 |
//! | `max_attempts` | 1–20, every try counts, the first too | 3 |
//! | `allow_alphas` (`allow_alpha`) | letters in the token | false |
//! | `valid_for` | 0–604800 seconds | 3600 |
//! | `max_deliveries` (host-side) | 1–20 deliveries, the first too | 5 |
//! | `token` (host-side) | a host-chosen code: alphabet, and `token_length` if set | drawn |
//!
//! [`Request::validate`] reports every broken rule at once, each with the
//! field's wire name, the rule and what was given ([`Violations`]). Values
//! are never clamped. When `token_length` is absent and the host supplies a
//! `token`, the token's own length is used.
//!
//! # Tokens
//!
//! Numeric tokens use `0-9`; with `allow_alphas`, the 32 symbols
//! `0-9 A-Z` without `I L O U` ([`ALPHANUMERIC_SYMBOLS`]). Sampling is
//! uniform and exact, so a port fed the same bytes makes the same challenge:
//!
//! 1. one request, `try_fill_bytes(16 + len)` (just 16 with a host token),
//!    fetches the id and the token together;
//! 2. the id is the first 16 bytes, with the UUID version and variant bits
//!    then forced ([`ChallengeId`]);
//! 3. the token takes one byte per symbol from the rest. Alphanumeric:
//!    `symbol = ALPHANUMERIC_SYMBOLS[byte % 32]`; numeric: a byte `>= 250`
//!    is rejected (no modulo bias), else `symbol = byte % 10`. While symbols
//!    are missing, one more request asks for exactly as many bytes as are
//!    missing.
//!
//! The symbols are computed from the bytes by arithmetic, eight at a time:
//! no table is indexed by a secret byte and no branch depends on one. Only
//! whether a numeric byte was rejected shows in the time taken, and
//! rejected bytes are thrown away, so that says nothing about the token.
//!
//! What a user types back is normalised before the compare (see
//! [`Normalized`]): spaces, tabs and `-` dropped, letters case-folded,
//! `O`→`0`, `I`/`L`→`1`, other scripts' decimal digits → ASCII. A
//! submission of 4 to 20 ASCII digits alone (the usual case) is its own
//! normal form and takes a shorter path; which path is taken depends on
//! the submission only. The compare is constant-time in the token's content
//! (`subtle`); only lengths may show.
//!
//! # Delivery text
//!
//! `message`, then one space unless the message is empty or ends in white
//! space, then the token. A call spells the token out: `1, 2, 3, 4, 5, 6.`.
//! An SMS must fit one segment: 160 septets in GSM 7-bit (basic table plus
//! the extension table at 2 septets each; no national shift tables), else
//! 70 UTF-16 code units (UCS-2). A call's text is at most 500 characters.
//! [`segments`] gives the arithmetic for any text, with parts of 153/67
//! units for long ones; an extension character or a surrogate pair is never
//! split between parts.
//!
//! # States
//!
//! `Pending` → `Verified` | `Exhausted` | `Expired` | `Canceled` (see
//! [`State`]; the terminal four never change). A challenge expires at
//! `now >= issued_at + valid_for` (saturating; a `now` before `issued_at` is
//! not expired, so a clock that steps back does not expire it, and
//! `valid_for = 0` is expired at once). The first call that finds a pending
//! challenge past its window records `Expired`; [`Challenge::status`]
//! reports it without recording.
//!
//! # Sharing a store: compare-and-swap on `revision`
//!
//! Each change raises [`Challenge::revision`] by one. A host that shares
//! challenges between processes must:
//!
//! 1. read the stored challenge and its revision;
//! 2. make the call (`verify`, `cancel`, `resend`) on its copy;
//! 3. if the revision changed, write the copy back **only if** the stored
//!    revision is still the one it read (an SQL `UPDATE … WHERE revision =
//!    ?`, a conditional put, a `WATCH`/`MULTI`); if the write is refused,
//!    throw the copy and its answer away and start again at 1;
//! 4. answer the user only after the write has landed.
//!
//! Then hosts racing on one challenge never grant more than `max_attempts`
//! tries, never verify twice and never lose a success (a test drives random
//! interleavings of several hosts through a shared store to show it). The
//! stored format (feature `serde`) carries `revision` as a field, for stores
//! that compare on a field of the record.
//!
//! ```
//! use std::sync::Mutex;
//! use mfa_core::{Challenge, Channel, Request, UnixTime, Verification};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
//! # let now = UnixTime::from_secs(0);
//! # let params = Request::new(Channel::Sms, "+15557788999").validate()?;
//! # let (challenge, _) = Challenge::issue(&params, &mut rng, now)?;
//! // A stand-in for a shared store: (record, revision column).
//! let store = Mutex::new((challenge.clone(), challenge.revision()));
//!
//! fn verify_shared(store: &Mutex<(Challenge, u64)>, typed: &str, now: UnixTime) -> Verification {
//!     loop {
//!         let (mut c, read_rev) = store.lock().unwrap().clone(); // 1. read
//!         let outcome = c.verify(typed, now);                     // 2. call
//!         if c.revision() == read_rev {
//!             return outcome; // nothing changed, nothing to write
//!         }
//!         let mut slot = store.lock().unwrap();
//!         if slot.1 == read_rev {                                 // 3. CAS
//!             *slot = (c.clone(), c.revision());
//!             return outcome;                                     // 4. answer
//!         }
//!         // Someone else wrote first: retry from the read.
//!     }
//! }
//! let code = challenge.token().expose_secret();
//! assert!(verify_shared(&store, code, now).is_verified());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Decisions where the contract is silent
//!
//! - A call (`verify`, `cancel`, `resend`) that finds a pending challenge
//!   at or past `expires_at` records `Expired` (one revision) and answers
//!   `Expired`; so does no later call, even with an earlier clock.
//! - Resend takes the message again (the challenge stores no message, which
//!   keeps it small); `None` means that channel's default text.
//! - The first delivery counts towards `max_deliveries` (default 5).
//! - A host token is taken exactly as given: no case folding, no
//!   normalisation. Without `token_length` its own length is used.
//! - A submission that normalises to fewer than 4 or more than 20 symbols,
//!   or holds any other character, is a wrong token and uses an attempt.
//! - "Ends in white space" means the Unicode `White_Space` property
//!   (`char::is_whitespace`).
//! - Ids must be version-4, RFC 9562 variant UUIDs: no other UUID can name
//!   a challenge this crate issued.
//! - Integers in a [`Request`] are `i64`, so any value a client sent can be
//!   reported back as given.
//!
//! # Features
//!
//! - `std` (default): `UnixTime::now()`; implies `alloc`.
//! - `alloc`: `Delivery::text()`, the text as a `String`.
//! - `getrandom` (default): `OsRng`, the operating system's RNG.
//! - `serde`: the guide's JSON shapes and HTTP answers (module `wire`), and a
//!   versioned, validated stored format for [`Challenge`] (any serde
//!   format); implies `alloc`.
//!
//! With `default-features = false` the crate is `no_std` and needs no
//! allocator.
//!
//! # Security
//!
//! A [`Token`] never appears in `Debug` output, has no `Display`, and no
//! error repeats it. Its bytes live in the [`Challenge`] and in each
//! [`Delivery`]; a store of challenges must be protected like a password
//! table.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Errors carry every violation inline: without an allocator there is no box
// to put them in, and they are returned once per request, not in a loop.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod challenge;
mod error;
mod id;
pub mod limit;
pub mod limits;
mod params;
mod phone;
mod render;
#[cfg(feature = "serde")]
mod secret;
mod segments;
#[cfg(feature = "serde")]
mod stored;
mod time;
mod token;
mod violation;
#[cfg(feature = "serde")]
pub mod wire;

pub use challenge::{
    Challenge, ChallengeParts, Closed, PartsError, ResendError, State, Verification,
};
pub use error::RngError;
pub use id::{ChallengeId, IdError, IdText};
pub use params::{Params, Request};
pub use phone::{PhoneError, PhoneNumber};
pub use render::{Channel, Delivery};
pub use segments::{Encoding, SegmentInfo, gsm7_septets, segments};
pub use time::UnixTime;
pub use token::{
    ALPHANUMERIC_SYMBOLS, Alphabet, NUMERIC_REJECT_FROM, NUMERIC_SYMBOLS, Normalized, Token,
    TokenError,
};
pub use violation::{Field, MAX_VIOLATIONS, Rule, Violation, Violations};

/// The operating system's random number generator (feature `getrandom`):
/// `getrandom::SysRng`. Pass `&mut OsRng` wherever an RNG is asked for.
#[cfg(feature = "getrandom")]
pub use getrandom::SysRng as OsRng;

// The README's code samples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
