//! The challenge and its state machine (SPEC §5).
//!
//! ```text
//!                 verify(right)                  ┌──────────┐
//!            ┌──────────────────────────────────▶│ Verified │
//!            │    verify(wrong), last attempt    ├──────────┴┐
//! ┌─────────┐├──────────────────────────────────▶│ Exhausted │
//! │ Pending │┤    any call outside the window    ├─────────┬─┘
//! └─────────┘├──────────────────────────────────▶│ Expired │
//!   ▲  │     │    cancel                         ├─────────┴┐
//!   └──┘     └──────────────────────────────────▶│ Canceled │
//!  verify(wrong) with attempts left,             └──────────┘
//!  resend                                        terminal: nothing changes
//! ```

use core::fmt;

use rand_core::TryCryptoRng;

use crate::channel::Channel;
use crate::delivery::{Delivery, Route};
use crate::params::{Params, check_message};
use crate::parts::ChallengeParts;
use crate::state::{ChallengeState, Closed, ResendError, Verification};
use crate::step::Step;
use crate::time::UnixTime;
use crate::token::draw_challenge;
use crate::violation::Violations;

/// The host's random number generator reported a failure; nothing was
/// issued and no state changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngError;

impl fmt::Display for RngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the random number generator failed")
    }
}

impl core::error::Error for RngError {}

/// One challenge: the token sent to one number and what has happened since.
///
/// The host keeps it (in memory, or in a store through [`ChallengeParts`]
/// or the `serde` feature) and passes it back with `now` on every call.
/// Every call that changes it raises [`revision`](Self::revision) by one
/// and returns a [`Step`] saying what to write (the [guide](crate::guide)).
/// Its fields are read through [`parts`](Self::parts).
///
/// # Security
///
/// It holds the token: `Debug` shows the token redacted, and a store that
/// keeps challenges must be protected like a password table.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Challenge(ChallengeParts);

impl Challenge {
    /// Issues a challenge: draws the id and, unless the host supplied one,
    /// the token from `rng`, and returns the challenge (to store) with its
    /// first delivery (to send; store first, see the [guide](crate::guide)).
    ///
    /// One request fetches `16 + token_length` bytes (just 16 with a host
    /// token): the first 16 make the id, the rest the token, one byte per
    /// symbol; only rejected bytes (numeric tokens, bytes `>= 250`) cost
    /// further requests, each for exactly the number of symbols still
    /// missing (SPEC §3).
    ///
    /// # Errors
    ///
    /// [`RngError`] if the RNG fails; then nothing is issued.
    ///
    /// ```
    /// use mfa_core::{Challenge, Channel, IssueRequest, UnixTime};
    /// use rand_chacha::ChaCha20Rng;
    /// use rand_core::SeedableRng;
    ///
    /// let params = IssueRequest::new(Channel::Call, "+15557788999").validate()?;
    /// let mut rng = ChaCha20Rng::seed_from_u64(7);
    /// let (challenge, delivery) = Challenge::issue(&params, &mut rng, UnixTime::from_secs(0))?;
    /// let mut text = String::new();
    /// delivery.write_text(&mut text)?;
    /// assert_eq!(text.matches(", ").count(), 5); // six digits spelled out
    /// assert_eq!(challenge.revision(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn issue<'m, R: TryCryptoRng + ?Sized>(
        params: &Params<'m>,
        rng: &mut R,
        now: UnixTime,
    ) -> Result<(Challenge, Delivery<'m>), RngError> {
        let (id, token) = draw_challenge(
            rng,
            params.token.as_ref(),
            params.token_length,
            params.alphabet,
        )?;
        let challenge = Challenge(ChallengeParts {
            id,
            channel: params.route.channel,
            to: params.route.to,
            from: params.route.from,
            token,
            alphabet: params.alphabet,
            issued_at: now,
            valid_for: params.valid_for,
            max_attempts: params.max_attempts,
            attempts_used: 0,
            max_deliveries: params.max_deliveries,
            deliveries: 1,
            state: ChallengeState::Pending,
        });
        let delivery = challenge.delivery(params.route.channel, params.message);
        Ok((challenge, delivery))
    }

    fn delivery<'m>(&self, channel: Channel, message: &'m str) -> Delivery<'m> {
        Delivery {
            route: Route {
                channel,
                to: self.0.to,
                from: self.0.from,
            },
            message,
            token: self.0.token.clone(),
        }
    }

    /// Whether `now` lies outside the validity window: `now` and
    /// `issued_at` are `valid_for` seconds or more apart, in either
    /// direction (SPEC §5.2). A clock that lags the issuing host's by less
    /// than the window still verifies; `valid_for = 0` is always outside.
    fn outside_window(&self, now: UnixTime) -> bool {
        now.as_secs().abs_diff(self.0.issued_at.as_secs()) >= u64::from(self.0.valid_for)
    }

    /// Records expiry if the challenge is pending and `now` is outside its
    /// window; then `Err` with the reason if it is terminal.
    fn ensure_open(&mut self, now: UnixTime) -> Result<(), Closed> {
        self.0.state = self.state_at(now);
        match self.0.state.closed() {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }

    /// `answer`, with the write this call needs: a compare-and-swap from
    /// revision `before` if the challenge changed, else nothing.
    fn step<A>(&self, before: u64, answer: A) -> Step<A> {
        let after = self.revision();
        Step::new(answer, after != before, before, after)
    }

    /// Checks a code the user typed back.
    ///
    /// On a pending challenge inside its window the submission is
    /// normalised (see [`Normalized`](crate::Normalized)) and compared in
    /// constant time; every try uses one attempt. Right: `Verified`. Wrong:
    /// `WrongToken`, and the challenge becomes `Exhausted` when the used
    /// attempts reach `max_attempts` (that try still answers `WrongToken {
    /// attempts_left: 0 }`). On a terminal challenge nothing changes and the
    /// answer says why. Outside the window a pending challenge is recorded
    /// `Expired` whatever was submitted.
    ///
    /// The [`Step`] says what to write before the answer goes out: every
    /// compared try and every recorded expiry is a write (the
    /// [guide](crate::guide) has the protocol).
    ///
    /// ```
    /// # use mfa_core::{Challenge, Channel, IssueRequest, UnixTime, Verification};
    /// # use rand_core::SeedableRng;
    /// # let params = IssueRequest::new(Channel::Sms, "+15557788999").validate()?;
    /// # let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
    /// let (mut challenge, _) = Challenge::issue(&params, &mut rng, UnixTime::from_secs(0))?;
    /// let step = challenge.verify("000000 (wrong, most likely)", UnixTime::from_secs(1));
    /// let write = step.write().expect("a try is counted: write it first");
    /// assert_eq!((write.expected(), write.revision()), (0, 1));
    /// assert_eq!(step.into_answer(), Verification::WrongToken { attempts_left: 2 });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(&mut self, submitted: &str, now: UnixTime) -> Step<Verification> {
        let before = self.revision();
        let answer = self.verify_copy(submitted, now);
        self.step(before, answer)
    }

    fn verify_copy(&mut self, submitted: &str, now: UnixTime) -> Verification {
        if let Err(reason) = self.ensure_open(now) {
            return Verification::Rejected(reason);
        }
        let p = &mut self.0;
        p.attempts_used += 1;
        if p.token.matches(submitted) {
            p.state = ChallengeState::Verified;
            return Verification::Verified;
        }
        if p.attempts_used == p.max_attempts {
            p.state = ChallengeState::Exhausted;
        }
        Verification::WrongToken {
            attempts_left: p.max_attempts - p.attempts_used,
        }
    }

    /// Cancels a pending challenge.
    ///
    /// The [`Step`] says what to write before the cancel counts (the
    /// [guide](crate::guide) has the protocol).
    ///
    /// # Errors
    ///
    /// The answer is [`Closed`] with the reason when the challenge is
    /// terminal; nothing changed then, except that a pending challenge
    /// found outside its window is recorded expired (a write).
    pub fn cancel(&mut self, now: UnixTime) -> Step<Result<(), Closed>> {
        let before = self.revision();
        let answer = self.ensure_open(now).map(|()| {
            self.0.state = ChallengeState::Canceled;
        });
        self.step(before, answer)
    }

    /// Delivers the same token again, on `channel` (the same or the other
    /// one: SMS → voice fallback), with `message` or that channel's default.
    /// Attempts and the window are left as they are.
    ///
    /// The [`Step`] says what to write before the delivery may be sent (the
    /// [guide](crate::guide) has the protocol).
    ///
    /// # Errors
    ///
    /// The answer is a [`ResendError`], checked in this order: the
    /// challenge is terminal (or found expired, which is recorded: a
    /// write); every allowed delivery was made (`max_deliveries`, the first
    /// included); the text does not suit the channel, checked exactly as at
    /// issue (a custom SMS text needs the challenge's `from`). The last two
    /// change nothing.
    pub fn resend<'m>(
        &mut self,
        channel: Channel,
        message: Option<&'m str>,
        now: UnixTime,
    ) -> Step<Result<Delivery<'m>, ResendError>> {
        let before = self.revision();
        let answer = self.resend_copy(channel, message, now);
        self.step(before, answer)
    }

    fn resend_copy<'m>(
        &mut self,
        channel: Channel,
        message: Option<&'m str>,
        now: UnixTime,
    ) -> Result<Delivery<'m>, ResendError> {
        self.ensure_open(now).map_err(ResendError::Closed)?;
        let p = &self.0;
        if p.deliveries == p.max_deliveries {
            return Err(ResendError::DeliveriesExhausted {
                max: p.max_deliveries,
            });
        }
        let mut v = Violations::new();
        let text = check_message(
            &mut v,
            channel,
            message,
            p.from.is_some(),
            p.token.len() as u8,
        );
        if !v.is_empty() {
            return Err(ResendError::Invalid(v));
        }
        self.0.deliveries += 1;
        self.0.channel = channel;
        Ok(self.delivery(channel, text))
    }

    /// The state at `now`, changing nothing: a pending challenge outside
    /// its window reads as `Expired`. The recorded state, which a call
    /// updates, is `parts().state`.
    pub fn state_at(&self, now: UnixTime) -> ChallengeState {
        if self.0.state == ChallengeState::Pending && self.outside_window(now) {
            ChallengeState::Expired
        } else {
            self.0.state
        }
    }

    /// The number of changes made since issue: each verification try,
    /// resend, cancel and recorded expiry adds one. Store it beside the
    /// record: a call's [`Step`] asks for a write only if the stored
    /// revision is still the one read (the [guide](crate::guide)).
    ///
    /// It is derived from the counters (`attempts_used + deliveries - 1`,
    /// plus one once canceled or expired), so it cannot disagree with them.
    pub fn revision(&self) -> u64 {
        let p = &self.0;
        u64::from(p.attempts_used)
            + u64::from(p.deliveries - 1)
            + u64::from(matches!(
                p.state,
                ChallengeState::Expired | ChallengeState::Canceled
            ))
    }

    /// `issued_at + valid_for`, saturating: from this second on it is
    /// expired for any clock that runs forward (a clock `valid_for` or more
    /// seconds behind `issued_at` sees it expired too). The key for a
    /// sweep of old records.
    pub fn expires_at(&self) -> UnixTime {
        self.0.issued_at.add_secs(u64::from(self.0.valid_for))
    }

    /// Tries left (0 once terminal).
    pub fn attempts_left(&self) -> u8 {
        if self.0.state.is_terminal() {
            0
        } else {
            self.0.max_attempts - self.0.attempts_used
        }
    }

    /// Every field, as recorded.
    pub fn parts(&self) -> &ChallengeParts {
        &self.0
    }

    /// Every field, for a host's own storage format.
    pub fn into_parts(self) -> ChallengeParts {
        self.0
    }

    /// Rebuilds a challenge from stored parts, checking that it is one this
    /// crate could have produced (see [`PartsError`](crate::PartsError)).
    /// Parts that pass can never make the state machine break its rules.
    ///
    /// # Errors
    ///
    /// [`PartsError`](crate::PartsError), naming the first field that no
    /// challenge of this crate could hold.
    pub fn from_parts(parts: ChallengeParts) -> Result<Challenge, crate::PartsError> {
        parts.check()?;
        Ok(Challenge(parts))
    }
}
