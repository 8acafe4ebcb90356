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
//! use mfa_core::{Challenge, Channel, Closed, IssueRequest, UnixTime, Verification};
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! // 1. The request body, as the guide's `/mfa/sms` takes it.
//! let params = IssueRequest::new(Channel::Sms, "+15557788999").validate()?;
//!
//! // 2. Issue: the host supplies the RNG (here a seeded one; a real host
//! //    uses `mfa_core::OsRng` or another CSPRNG) and the time.
//! let mut rng = ChaCha20Rng::seed_from_u64(1);
//! let t0 = UnixTime::from_secs(1_700_000_000);
//! let (challenge, delivery) = Challenge::issue(&params, &mut rng, t0)?;
//!
//! // 3. Store `challenge` under its id (with its revision, 0), then send
//! //    the text to `delivery.to()` by SMS. `write_text` renders it into
//! //    any `fmt::Write` sink without allocating; with the `alloc` feature
//! //    `delivery.text()` returns it as a `String`.
//! let mut store = (challenge.clone(), challenge.revision()); // (record, revision column)
//! let mut text = String::new();
//! delivery.write_text(&mut text)?;
//! assert!(text.starts_with("Your Personal Authorization Code is: "));
//! let code = &text[text.len() - 6..];
//!
//! // 4. The user types the code back (spaces and dashes are fine). Verify
//! //    on a copy read from the store; the step says what to write back.
//! let typed = format!("{}-{}", &code[..3], &code[3..]);
//! let mut copy = store.0.clone();
//! let step = copy.verify(&typed, t0.add_secs(30));
//! if let Some(swap) = step.write() {
//!     // Compare-and-swap: write only if the stored revision is unchanged.
//!     assert_eq!(store.1, swap.expected());
//!     store = (copy, swap.revision());
//! }
//! // 5. Answer only once the write landed.
//! assert!(step.answer().is_verified());
//!
//! // A code works once: replay is refused with the reason, and a refusal
//! // of a terminal challenge writes nothing.
//! let replay = store.0.clone().verify(code, t0.add_secs(31));
//! assert_eq!(replay.write(), None);
//! assert_eq!(replay.into_answer(), Verification::Rejected(Closed::AlreadyVerified));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the host must do
//!
//! The library decides; the host stores and sends. Every call that may
//! change stored state returns a [`Step`]: the answer, and the
//! compare-and-swap write ([`Swap`]) to make before acting on it, or
//! none. The [`guide`] says, once for the whole crate, what the host must
//! do with it (store then send, index, compare-and-swap, delete when
//! finished); `SPEC.md` §5.10–§5.11 ([in the crate's
//! source](https://docs.rs/crate/mfa-core/latest/source/SPEC.md)) is the
//! same contract for ports.
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
//! [`IssueRequest::validate`] reports every broken rule at once, each with the
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
//! use mfa_core::{Challenge, Channel, IssueRequest, UnixTime};
//! # use rand_core::SeedableRng;
//! # let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
//! let params = IssueRequest {
//!     message: Some("Your code is {code}. Again: {code}"),
//!     token: Some("4821"),
//!     ..IssueRequest::new(Channel::Call, "+15557788999")
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
//! [`ChallengeState`]; the terminal four never change). The first call that finds a
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
pub mod guide;
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
mod step;
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
pub use params::{IssueRequest, Params};
pub use parts::{ChallengeParts, PartsError};
pub use phone::{PhoneError, PhoneNumber};
pub use state::{ChallengeState, Closed, ResendError, Verification};
pub use step::{Step, Swap};
pub use template::{TemplateError, check_template};
pub use time::UnixTime;
pub use token::{Alphabet, Normalized, Token, TokenError};
pub use violation::{Field, Rule, Violation, Violations};

// The README's code samples compile and run as doctests.
#[cfg(all(doctest, feature = "serde"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
