//! The core of an SMS / voice one-time-code service (multi-factor
//! authentication, transaction signing), as a **sans-IO** library.
//!
//! `mfa-core` does no networking, reads no clock and asks the OS for
//! nothing. The host passes in a cryptographic RNG and the current time,
//! stores the challenge wherever it likes, and sends the rendered text over
//! its own SMS gateway or voice service. The library owns everything else:
//! parameter validation, token generation, delivery text, the state machine
//! and constant-time verification. It follows the public SignalWire MFA API
//! guide (`/mfa/sms`, `/mfa/call`, `/mfa/{id}/verify`); the behaviour
//! contract is `SPEC.md` at the root of the repository, cited here as
//! "SPEC §N".
//!
//! `#![no_std]`, `#![forbid(unsafe_code)]`, and no heap allocation while
//! issuing, rendering (`write_text`) or verifying.
//!
//! # Flow
//!
//! ```
//! use mfa_core::{Challenge, Channel, Closed, Request, UnixTime, Verification};
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
//! // 3. Store `challenge` under its id, then send the text to
//! //    `delivery.to()` by SMS. `write_text` renders it into any
//! //    `fmt::Write` sink without allocating; with the `alloc` feature
//! //    `delivery.text()` returns it as a `String`.
//! let mut text = String::new();
//! delivery.write_text(&mut text)?;
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
//!     Verification::Rejected(Closed::AlreadyVerified)
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the host must do
//!
//! The library decides; the host stores and sends. Three duties keep the
//! guarantees intact (SPEC §5):
//!
//! 1. **Store, then send.** Write the new challenge to the store before
//!    handing the delivery to the transport. If the send then fails, the
//!    challenge is in the store and can be canceled ([`Challenge::cancel`])
//!    or left to expire; sending first would let a user type a code that
//!    the store never saw (or lose it when the write fails).
//! 2. **Index and compare-and-swap.** Key each record by its id
//!    ([`ChallengeParts::id`]), and keep [`Challenge::revision`] and
//!    [`Challenge::expires_at`] beside it in columns of their own: the
//!    revision for the compare-and-swap below, the expiry for the sweep.
//! 3. **Delete when finished.** A record may be deleted once it is
//!    terminal ([`State::is_terminal`]) or once `now` is past its window.
//!    A grace period (say a day) before deleting lets a late verify still
//!    get "already verified" or "expired" rather than "not found"; on the
//!    wire both are 404.
//!
//! ## Sharing a store: compare-and-swap on `revision`
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
//! interleavings of several hosts through a shared store to show it).
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
//! let code = challenge.parts().token.expose_secret();
//! assert!(verify_shared(&store, code, now).is_verified());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Parameters
//!
//! | field | rule | default |
//! |---|---|---|
//! | `to` | E.164: `+`, 2–15 digits, the first not 0 | required |
//! | `from` | E.164; needed for an SMS with a custom message | none |
//! | `message` | a valid template; the rendered text fits one SMS segment / 500 voice characters | `Your Personal Authorization Code is:` (SMS), `… is` (call) |
//! | `token_length` | 4–20 | 6 |
//! | `max_attempts` | 1–20, every try counts, the first too | 3 |
//! | `allow_alphas` (`allow_alpha`) | letters in the token | false |
//! | `valid_for` | 0–604800 seconds | 3600 |
//! | `max_deliveries` (host-side) | 1–20 deliveries, the first too | 5 |
//! | `token` (host-side) | a host-chosen code: alphabet, and `token_length` if set | drawn |
//!
//! [`Request::validate`] reports every broken rule at once, each with the
//! field's wire name and the rule ([`Violations`]). Values are never
//! clamped. The limits live in [`limits`].
//!
//! # Tokens
//!
//! Numeric tokens use `0-9`; with `allow_alphas`, the 32 symbols
//! `0-9 A-Z` without `I L O U` ([`Alphabet::symbols`]). Sampling is
//! uniform and exact, so a port fed the same bytes makes the same challenge
//! (SPEC §3). What a user types back is normalised before the compare (see
//! [`Normalized`]): spaces, tabs and `-` dropped, letters case-folded,
//! `O`→`0`, `I`/`L`→`1`, other scripts' decimal digits → ASCII. The
//! compare is constant-time in the token's content (`subtle`); only
//! lengths may show.
//!
//! # Delivery text
//!
//! `message`, then one space unless the message is empty or ends in white
//! space, then the token. A call spells the token out: `1, 2, 3, 4, 5, 6.`.
//! An SMS must fit one segment ([`sms`] has the arithmetic for any text); a
//! call's text is at most 500 characters (SPEC §4).
//!
//! A `message` holding `{code}` is a template: the token goes where each
//! `{code}` stands, and nothing is appended (SPEC §4.10). `{{` and `}}`
//! write one brace; any other brace is refused as `template_invalid`
//! ([`TemplateError`], [`check_template`]), never sent as it is. The
//! length rules apply to the rendered text. On a call the spelled code
//! ends in `.` only where it ends the text:
//!
//! ```
//! use mfa_core::{Challenge, Channel, Request, UnixTime};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
//! let params = Request {
//!     message: Some("Your code is {code}. Again: {code}"),
//!     token: Some("4821"),
//!     ..Request::new(Channel::Call, "+15557788999")
//! }
//! .validate()?;
//! let (_, delivery) = Challenge::issue(&params, &mut rng, UnixTime::from_secs(0))?;
//! let mut text = String::new();
//! delivery.write_text(&mut text)?;
//! assert_eq!(text, "Your code is 4, 8, 2, 1. Again: 4, 8, 2, 1.");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # States
//!
//! `Pending` → `Verified` | `Exhausted` | `Expired` | `Canceled` (see
//! [`State`]; the terminal four never change). The first call that finds a
//! pending challenge outside its window records `Expired`;
//! [`Challenge::state_at`] reports it without recording.
//!
//! # Abuse control
//!
//! A challenge caps the tries on itself; [`throttle`] caps the rest, in the
//! same sans-IO style (SPEC §9): exact sliding-window send limits per key
//! the host chooses (against SMS pumping), a failed-try lockout per
//! subject across challenges (against guessing), and
//! [`PhoneNumber::country_code`] for per-country budgets and allow-lists.
//! Their refusals become `wire::HttpResponse::rate_limited` and
//! `wire::HttpResponse::locked` (429 with `Retry-After`, feature `serde`).
//!
//! # Features
//!
//! - `std` (default): `UnixTime::now()`; implies `alloc`.
//! - `alloc`: `Delivery::text()`, the text as a `String`.
//! - `getrandom` (default): `OsRng`, the operating system's RNG.
//! - `serde`: the guide's JSON shapes and HTTP answers (module `wire`),
//!   and a versioned, validated stored format for [`Challenge`] (JSON is
//!   the contract's form; other serde formats work too, SPEC §8.1);
//!   implies `alloc`.
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
#![warn(missing_docs, unreachable_pub)]
// Errors carry every violation inline: without an allocator there is no box
// to put them in, and they are returned once per request, not in a loop.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod challenge;
mod channel;
mod delivery;
mod id;
pub mod limits;
#[cfg(feature = "getrandom")]
mod os_rng;
mod params;
mod parts;
mod phone;
#[cfg(feature = "serde")]
mod secret;
pub mod sms;
mod state;
#[cfg(feature = "serde")]
mod stored;
mod template;
pub mod throttle;
mod time;
mod token;
mod violation;
#[cfg(feature = "serde")]
pub mod wire;

pub use challenge::{Challenge, RngError};
pub use channel::Channel;
pub use delivery::Delivery;
pub use id::{ChallengeId, IdError, IdText};
#[cfg(feature = "getrandom")]
pub use os_rng::OsRng;
pub use params::{Params, Request};
pub use parts::{ChallengeParts, PartsError};
pub use phone::{PhoneError, PhoneNumber};
pub use state::{Closed, ResendError, State, Verification};
pub use template::{TemplateError, check_template};
pub use time::UnixTime;
pub use token::{Alphabet, Normalized, Token, TokenError};
pub use violation::{Field, Rule, Violation, Violations};

// The README's code samples compile and run as doctests.
#[cfg(all(doctest, feature = "serde"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
