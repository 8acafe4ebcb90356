//! The challenge and its state machine.
//!
//! ```text
//!                 verify(right)                  ┌──────────┐
//!            ┌──────────────────────────────────▶│ Verified │
//!            │    verify(wrong), last attempt    ├──────────┴┐
//! ┌─────────┐├──────────────────────────────────▶│ Exhausted │
//! │ Pending │┤    any call at now >= expires_at  ├─────────┬─┘
//! └─────────┘├──────────────────────────────────▶│ Expired │
//!   ▲  │     │    cancel                         ├─────────┴┐
//!   └──┘     └──────────────────────────────────▶│ Canceled │
//!  verify(wrong) with attempts left,             └──────────┘
//!  resend                                        terminal: nothing changes
//! ```

use core::fmt;

use rand_core::TryCryptoRng;

use crate::error::RngError;
use crate::id::ChallengeId;
use crate::limits::*;
use crate::params::{Params, check_message};
use crate::phone::{MaybePhone, PhoneNumber};
use crate::render::{Channel, Delivery};
use crate::time::UnixTime;
use crate::token::{Alphabet, Token};
use crate::violation::Violations;

/// Where a challenge stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for the code. The host may verify, resend or cancel.
    Pending,
    /// Terminal: the right code was given once. Further tries are refused
    /// with [`Closed::AlreadyVerified`].
    Verified,
    /// Terminal: every attempt was used on wrong codes.
    Exhausted,
    /// Terminal: the validity window passed (recorded by the first call that
    /// saw it; [`Challenge::status`] reports it without recording).
    Expired,
    /// Terminal: the host canceled the challenge.
    Canceled,
}

impl State {
    /// Whether nothing can change any more.
    pub const fn is_terminal(self) -> bool {
        !matches!(self, State::Pending)
    }

    /// The reason a terminal state refuses calls (`None` for `Pending`).
    pub const fn closed(self) -> Option<Closed> {
        match self {
            State::Pending => None,
            State::Verified => Some(Closed::AlreadyVerified),
            State::Exhausted => Some(Closed::AttemptsExhausted),
            State::Expired => Some(Closed::Expired),
            State::Canceled => Some(Closed::Canceled),
        }
    }

    /// `"pending"`, `"verified"`, `"exhausted"`, `"expired"`, `"canceled"`.
    pub const fn name(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Verified => "verified",
            State::Exhausted => "exhausted",
            State::Expired => "expired",
            State::Canceled => "canceled",
        }
    }
}

/// Why a call on a challenge was refused: it is in a terminal state. On the
/// wire every one of these is HTTP 404, like an unknown id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Closed {
    /// The right code was already given once; a code works only once.
    AlreadyVerified,
    /// Every allowed attempt has been used.
    AttemptsExhausted,
    /// The validity window has passed.
    Expired,
    /// The host canceled the challenge.
    Canceled,
}

impl Closed {
    /// A short, stable, machine-readable name.
    pub const fn code(self) -> &'static str {
        match self {
            Closed::AlreadyVerified => "already_verified",
            Closed::AttemptsExhausted => "attempts_exhausted",
            Closed::Expired => "expired",
            Closed::Canceled => "canceled",
        }
    }
}

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Closed::AlreadyVerified => "the challenge was already verified",
            Closed::AttemptsExhausted => "every verification attempt has been used",
            Closed::Expired => "the challenge has expired",
            Closed::Canceled => "the challenge was canceled",
        })
    }
}

impl core::error::Error for Closed {}

/// The answer to one verification try.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the outcome says whether the user is verified; write the state back too"]
pub enum Verification {
    /// The code was right: the challenge is now `Verified` (its
    /// [`to`](Challenge::to) is the verified number).
    Verified,
    /// The code was wrong and one attempt was used. With `attempts_left ==
    /// 0` the challenge is now `Exhausted`.
    WrongToken {
        /// Tries still allowed.
        attempts_left: u8,
    },
    /// The challenge is terminal; nothing was compared or changed (except
    /// that a pending challenge found past its window is recorded expired).
    Rejected(Closed),
}

impl Verification {
    /// Whether the user proved possession of the code.
    pub const fn is_verified(&self) -> bool {
        matches!(self, Verification::Verified)
    }
}

/// Why a resend was refused. Nothing changed, except that a pending
/// challenge found past its window is recorded expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResendError<'m> {
    /// The challenge is terminal.
    Closed(Closed),
    /// Every allowed delivery has been made.
    DeliveriesExhausted {
        /// The cap (`max_deliveries`).
        max: u8,
    },
    /// The message does not suit the channel (length, or a custom SMS text
    /// without a `from` number).
    Invalid(Violations<'m>),
}

impl fmt::Display for ResendError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResendError::Closed(c) => fmt::Display::fmt(c, f),
            ResendError::DeliveriesExhausted { max } => {
                write!(f, "all {max} allowed deliveries have been made")
            }
            ResendError::Invalid(v) => fmt::Display::fmt(v, f),
        }
    }
}

impl core::error::Error for ResendError<'_> {}

/// One challenge: the token sent to one number and what has happened since.
///
/// The host keeps it (in memory, or in a store through [`ChallengeParts`]
/// or the `serde` feature) and passes it back with `now` on every call.
/// Every call that changes it raises [`revision`](Self::revision) by one.
///
/// # Security
///
/// It holds the token: `Debug` leaves the token out, and a store that keeps
/// challenges must be protected like a password table.
#[derive(Clone, PartialEq, Eq)]
pub struct Challenge {
    id: ChallengeId,
    channel: Channel,
    to: PhoneNumber,
    from: MaybePhone,
    token: Token,
    alphabet: Alphabet,
    issued_at: UnixTime,
    valid_for: u32,
    max_attempts: u8,
    attempts_used: u8,
    max_deliveries: u8,
    deliveries: u8,
    state: State,
}

/// Every field of a [`Challenge`], for hosts that store challenges in their
/// own format. [`Challenge::from_parts`] checks every invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeParts {
    /// The id.
    pub id: ChallengeId,
    /// The channel of the latest delivery.
    pub channel: Channel,
    /// The destination.
    pub to: PhoneNumber,
    /// The origin, if any.
    pub from: Option<PhoneNumber>,
    /// The secret code.
    pub token: Token,
    /// The token's alphabet.
    pub alphabet: Alphabet,
    /// When it was issued.
    pub issued_at: UnixTime,
    /// Seconds of validity (0 to 604800).
    pub valid_for: u32,
    /// Tries allowed (1 to 20).
    pub max_attempts: u8,
    /// Tries made (0 to `max_attempts`).
    pub attempts_used: u8,
    /// Deliveries allowed (1 to 20).
    pub max_deliveries: u8,
    /// Deliveries made (1 to `max_deliveries`).
    pub deliveries: u8,
    /// The recorded state.
    pub state: State,
}

/// Why a set of [`ChallengeParts`] is not a challenge this crate could have
/// produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartsError {
    /// The token does not match the alphabet.
    TokenAlphabet,
    /// `valid_for` is over 604800.
    ValidFor,
    /// `max_attempts` is not 1 to 20.
    MaxAttempts,
    /// `attempts_used` is over `max_attempts`.
    AttemptsUsed,
    /// `max_deliveries` is not 1 to 20.
    MaxDeliveries,
    /// `deliveries` is not 1 to `max_deliveries`.
    Deliveries,
    /// The state does not agree with the counters: a pending, expired or
    /// canceled challenge with every attempt used, an exhausted one with
    /// attempts left, or a verified one with no attempt made.
    StateCounters,
}

impl fmt::Display for PartsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PartsError::TokenAlphabet => "the token does not use the stated alphabet",
            PartsError::ValidFor => "valid_for is over 604800 seconds",
            PartsError::MaxAttempts => "max_attempts is not from 1 to 20",
            PartsError::AttemptsUsed => "attempts_used is over max_attempts",
            PartsError::MaxDeliveries => "max_deliveries is not from 1 to 20",
            PartsError::Deliveries => "deliveries is not from 1 to max_deliveries",
            PartsError::StateCounters => "the state does not agree with the attempt counters",
        })
    }
}

impl core::error::Error for PartsError {}

impl Challenge {
    /// Issues a challenge: draws the id and, unless the host supplied one,
    /// the token from `rng`, and returns the challenge (to store) with its
    /// first delivery (to send).
    ///
    /// One request fetches `16 + token_length` bytes (just 16 with a host
    /// token): the first 16 make the id ([`ChallengeId::from_random_bytes`]),
    /// the rest the token, one byte per symbol; only rejected bytes (numeric
    /// tokens, bytes `>= 250`) cost further requests, each for exactly the
    /// number of symbols still missing.
    ///
    /// Fails only if the RNG fails; then nothing is issued.
    ///
    /// ```
    /// use mfa_core::{Challenge, Channel, Request, UnixTime};
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_core::SeedableRng;
    ///
    /// let params = Request::new(Channel::Call, "+15557788999").validate()?;
    /// let mut rng = ChaCha20Rng::seed_from_u64(7);
    /// let (challenge, delivery) = Challenge::issue(&params, &mut rng, UnixTime::from_secs(0))?;
    /// assert_eq!(delivery.text().matches(", ").count(), 5); // six digits spelled out
    /// assert_eq!(challenge.revision(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn issue<'m, R: TryCryptoRng + ?Sized>(
        params: &Params<'m>,
        rng: &mut R,
        now: UnixTime,
    ) -> Result<(Challenge, Delivery<'m>), RngError> {
        const ID: usize = 16;
        // Room for the id and the longest token.
        const MOST: usize = 36;
        const _: () = assert!(MOST == ID + TOKEN_LENGTH_MAX as usize);
        let mut random = [0u8; MOST];
        let drawn = match params.token {
            Some(_) => ID,
            None => ID + usize::from(params.token_length),
        };
        rng.try_fill_bytes(&mut random[..drawn])
            .map_err(|_| RngError)?;
        let token = match &params.token {
            Some(t) => t.clone(),
            None => Token::from_random(&random, drawn - ID, rng, params.alphabet)?,
        };
        // The id is read after the token is made, once the RNG's writes
        // have left the store buffer (a read straddling pending writes
        // stalls; see `benches/mfa.rs`).
        let mut id_bytes = [0u8; ID];
        id_bytes.copy_from_slice(&random[..ID]);
        let id = ChallengeId::from_random_bytes(id_bytes);
        let challenge = Challenge {
            id,
            channel: params.channel,
            to: params.to,
            from: params.from,
            token,
            alphabet: params.alphabet,
            issued_at: now,
            valid_for: params.valid_for,
            max_attempts: params.max_attempts,
            attempts_used: 0,
            max_deliveries: params.max_deliveries,
            deliveries: 1,
            state: State::Pending,
        };
        let delivery = challenge.delivery(params.channel, params.message);
        Ok((challenge, delivery))
    }

    fn delivery<'m>(&self, channel: Channel, message: &'m str) -> Delivery<'m> {
        Delivery {
            channel,
            to: self.to,
            from: self.from,
            message,
            token: self.token.clone(),
        }
    }

    /// Whether the window has passed at `now`: `now >= issued_at + valid_for`
    /// (saturating). A `now` before `issued_at` is not expired.
    fn past_window(&self, now: UnixTime) -> bool {
        now >= self.expires_at()
    }

    /// The recorded state, after recording expiry if the challenge is
    /// pending and `now` is past its window. `Err` if it is terminal.
    fn open(&mut self, now: UnixTime) -> Result<(), Closed> {
        if self.state == State::Pending && self.past_window(now) {
            self.state = State::Expired;
        }
        match self.state.closed() {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }

    /// Checks a code the user typed back.
    ///
    /// On a pending challenge inside its window the submission is
    /// normalised (see [`Normalized`](crate::Normalized)) and compared in
    /// constant time; every try uses one attempt. Right: `Verified`. Wrong:
    /// `WrongToken`, and the challenge becomes `Exhausted` when the used
    /// attempts reach `max_attempts` (that try still answers `WrongToken {
    /// attempts_left: 0 }`). On a terminal challenge nothing changes and the
    /// answer says why. At `now >= expires_at` a pending challenge is
    /// recorded `Expired` whatever was submitted.
    pub fn verify(&mut self, submitted: &str, now: UnixTime) -> Verification {
        if let Err(reason) = self.open(now) {
            return Verification::Rejected(reason);
        }
        self.attempts_used += 1;
        let right = self.token.matches(submitted);
        if right {
            self.state = State::Verified;
            Verification::Verified
        } else {
            if self.attempts_used >= self.max_attempts {
                self.state = State::Exhausted;
            }
            Verification::WrongToken {
                attempts_left: self.max_attempts - self.attempts_used,
            }
        }
    }

    /// Cancels a pending challenge. On a terminal one, changes nothing and
    /// says why (a pending one past its window is recorded expired).
    pub fn cancel(&mut self, now: UnixTime) -> Result<(), Closed> {
        self.open(now)?;
        self.state = State::Canceled;
        Ok(())
    }

    /// Delivers the same token again, on `channel` (the same or the other
    /// one: SMS → voice fallback), with `message` or that channel's default.
    ///
    /// The text is checked for that channel exactly as at issue (a custom
    /// SMS text needs the challenge's `from`). The deliveries, the first
    /// included, are capped by `max_deliveries`.
    pub fn resend<'m>(
        &mut self,
        channel: Channel,
        message: Option<&'m str>,
        now: UnixTime,
    ) -> Result<Delivery<'m>, ResendError<'m>> {
        self.open(now).map_err(ResendError::Closed)?;
        if self.deliveries >= self.max_deliveries {
            return Err(ResendError::DeliveriesExhausted {
                max: self.max_deliveries,
            });
        }
        let mut v = Violations::new();
        let text = check_message(
            &mut v,
            channel,
            message,
            self.from.get().is_some(),
            self.token.len() as u8,
        );
        if !v.is_empty() {
            return Err(ResendError::Invalid(v));
        }
        self.deliveries += 1;
        self.channel = channel;
        Ok(self.delivery(channel, text))
    }

    /// The state at `now`, changing nothing: a pending challenge past its
    /// window reads as `Expired`.
    pub fn status(&self, now: UnixTime) -> State {
        if self.state == State::Pending && self.past_window(now) {
            State::Expired
        } else {
            self.state
        }
    }

    /// The state as recorded (expiry only once a call has seen it).
    pub fn state(&self) -> State {
        self.state
    }

    /// The number of changes made since issue: each verification try,
    /// resend, cancel and recorded expiry adds one. A host that keeps the
    /// state in a shared store writes it back only if the stored revision
    /// is still the one it read (compare-and-swap).
    ///
    /// It is derived from the counters (`attempts_used + deliveries - 1`,
    /// plus one once canceled or expired), so it cannot disagree with them.
    pub fn revision(&self) -> u64 {
        u64::from(self.attempts_used)
            + u64::from(self.deliveries - 1)
            + u64::from(matches!(self.state, State::Expired | State::Canceled))
    }

    /// The id.
    pub fn id(&self) -> ChallengeId {
        self.id
    }
    /// The channel of the latest delivery.
    pub fn channel(&self) -> Channel {
        self.channel
    }
    /// The destination number (the verified number once verified).
    pub fn to(&self) -> PhoneNumber {
        self.to
    }
    /// The origin number, if any.
    pub fn from(&self) -> Option<PhoneNumber> {
        self.from.get()
    }
    /// The token's alphabet.
    pub fn alphabet(&self) -> Alphabet {
        self.alphabet
    }
    /// The secret token, for delivery by other means or for storage. Do not
    /// log it.
    pub fn token(&self) -> &Token {
        &self.token
    }
    /// When it was issued.
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }
    /// Seconds of validity.
    pub fn valid_for(&self) -> u32 {
        self.valid_for
    }
    /// `issued_at + valid_for`, saturating: from this second on, it is
    /// expired.
    pub fn expires_at(&self) -> UnixTime {
        self.issued_at.add_secs(u64::from(self.valid_for))
    }
    /// Tries allowed.
    pub fn max_attempts(&self) -> u8 {
        self.max_attempts
    }
    /// Tries made.
    pub fn attempts_used(&self) -> u8 {
        self.attempts_used
    }
    /// Tries left (0 once terminal).
    pub fn attempts_left(&self) -> u8 {
        if self.state.is_terminal() {
            0
        } else {
            self.max_attempts - self.attempts_used
        }
    }
    /// Deliveries allowed, the first included.
    pub fn max_deliveries(&self) -> u8 {
        self.max_deliveries
    }
    /// Deliveries made, the first included.
    pub fn deliveries(&self) -> u8 {
        self.deliveries
    }

    /// Every field, for a host's own storage format.
    pub fn to_parts(&self) -> ChallengeParts {
        ChallengeParts {
            id: self.id,
            channel: self.channel,
            to: self.to,
            from: self.from.get(),
            token: self.token.clone(),
            alphabet: self.alphabet,
            issued_at: self.issued_at,
            valid_for: self.valid_for,
            max_attempts: self.max_attempts,
            attempts_used: self.attempts_used,
            max_deliveries: self.max_deliveries,
            deliveries: self.deliveries,
            state: self.state,
        }
    }

    /// Rebuilds a challenge from stored parts, checking that it is one this
    /// crate could have produced (see [`PartsError`]). Parts that pass can
    /// never make the state machine break its rules.
    pub fn from_parts(p: ChallengeParts) -> Result<Challenge, PartsError> {
        let token_text = p.token.expose_secret();
        if !token_text.bytes().all(|b| p.alphabet.contains(b)) {
            return Err(PartsError::TokenAlphabet);
        }
        if p.valid_for > VALID_FOR_MAX {
            return Err(PartsError::ValidFor);
        }
        if !(MAX_ATTEMPTS_MIN..=MAX_ATTEMPTS_MAX).contains(&p.max_attempts) {
            return Err(PartsError::MaxAttempts);
        }
        if p.attempts_used > p.max_attempts {
            return Err(PartsError::AttemptsUsed);
        }
        if !(MAX_DELIVERIES_MIN..=MAX_DELIVERIES_MAX).contains(&p.max_deliveries) {
            return Err(PartsError::MaxDeliveries);
        }
        if !(1..=p.max_deliveries).contains(&p.deliveries) {
            return Err(PartsError::Deliveries);
        }
        let all_used = p.attempts_used == p.max_attempts;
        let consistent = match p.state {
            State::Pending | State::Expired | State::Canceled => !all_used,
            State::Exhausted => all_used,
            State::Verified => p.attempts_used >= 1,
        };
        if !consistent {
            return Err(PartsError::StateCounters);
        }
        Ok(Challenge {
            id: p.id,
            channel: p.channel,
            to: p.to,
            from: p.from.into(),
            token: p.token,
            alphabet: p.alphabet,
            issued_at: p.issued_at,
            valid_for: p.valid_for,
            max_attempts: p.max_attempts,
            attempts_used: p.attempts_used,
            max_deliveries: p.max_deliveries,
            deliveries: p.deliveries,
            state: p.state,
        })
    }
}

impl fmt::Debug for Challenge {
    // The token is shown redacted (its Debug prints only its length).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Challenge")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("to", &self.to)
            .field("from", &self.from)
            .field("token", &self.token)
            .field("alphabet", &self.alphabet)
            .field("issued_at", &self.issued_at)
            .field("valid_for", &self.valid_for)
            .field("max_attempts", &self.max_attempts)
            .field("attempts_used", &self.attempts_used)
            .field("max_deliveries", &self.max_deliveries)
            .field("deliveries", &self.deliveries)
            .field("state", &self.state)
            .finish()
    }
}
