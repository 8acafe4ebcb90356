//! A challenge's fields as plain data, for storage (SPEC §8), and the
//! checks that make stored data safe to load.

use core::fmt;

use crate::channel::Channel;
use crate::id::ChallengeId;
use crate::limits::{MAX_ATTEMPTS, MAX_DELIVERIES, VALID_FOR};
use crate::phone::PhoneNumber;
use crate::state::ChallengeState;
use crate::time::UnixTime;
use crate::token::{Alphabet, Token};

/// Every field of a [`Challenge`](crate::Challenge): what
/// [`Challenge::parts`](crate::Challenge::parts) shows and what a host
/// stores in its own format. [`Challenge::from_parts`](crate::Challenge::from_parts)
/// checks every invariant before the parts become a challenge again.
///
/// With the `serde` feature it (de)serializes with the stored record's
/// field names (SPEC §8); `alphabet` is written as `allow_alphas`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct ChallengeParts {
    /// The id.
    pub id: ChallengeId,
    /// The channel of the latest delivery.
    pub channel: Channel,
    /// The destination (the verified number once verified).
    pub to: PhoneNumber,
    /// The origin, if any.
    pub from: Option<PhoneNumber>,
    /// The secret code. Its `Debug` is redacted; do not log it otherwise.
    #[cfg_attr(feature = "serde", serde(with = "crate::secret::token"))]
    pub token: Token,
    /// The token's alphabet.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "allow_alphas", with = "crate::secret::allow_alphas")
    )]
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
    /// The recorded state (expiry is recorded by the first call that sees
    /// it; [`Challenge::state_at`](crate::Challenge::state_at) reads it at
    /// any time).
    pub state: ChallengeState,
}

/// Why a set of [`ChallengeParts`] is not a challenge this crate could have
/// produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartsError {
    /// The token does not use the alphabet.
    TokenAlphabet,
    /// `valid_for` is over the longest window.
    ValidFor,
    /// `max_attempts` is out of range.
    MaxAttempts,
    /// `attempts_used` is over `max_attempts`.
    AttemptsUsed,
    /// `max_deliveries` is out of range.
    MaxDeliveries,
    /// `deliveries` is not from 1 to `max_deliveries`.
    Deliveries,
    /// The state does not agree with the counters: a pending, expired or
    /// canceled challenge with every attempt used, an exhausted one with
    /// attempts left, or a verified one with no attempt made.
    StateCounters,
}

impl fmt::Display for PartsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartsError::TokenAlphabet => {
                f.write_str("token: does not use the alphabet that allow_alphas gives")
            }
            PartsError::ValidFor => write!(f, "valid_for: must be at most {}", VALID_FOR.max),
            PartsError::MaxAttempts => write!(
                f,
                "max_attempts: must be from {} to {}",
                MAX_ATTEMPTS.min, MAX_ATTEMPTS.max
            ),
            PartsError::AttemptsUsed => f.write_str("attempts_used: must be at most max_attempts"),
            PartsError::MaxDeliveries => write!(
                f,
                "max_deliveries: must be from {} to {}",
                MAX_DELIVERIES.min, MAX_DELIVERIES.max
            ),
            PartsError::Deliveries => f.write_str("deliveries: must be from 1 to max_deliveries"),
            PartsError::StateCounters => {
                f.write_str("state: does not agree with the attempt counters")
            }
        }
    }
}

impl core::error::Error for PartsError {}

impl ChallengeParts {
    /// Every invariant a challenge keeps, in field order (SPEC §8).
    pub(crate) fn check(&self) -> Result<(), PartsError> {
        if !self
            .token
            .expose_secret()
            .bytes()
            .all(|b| self.alphabet.contains(b))
        {
            return Err(PartsError::TokenAlphabet);
        }
        if self.valid_for > VALID_FOR.max {
            return Err(PartsError::ValidFor);
        }
        if !(MAX_ATTEMPTS.min..=MAX_ATTEMPTS.max).contains(&self.max_attempts) {
            return Err(PartsError::MaxAttempts);
        }
        if self.attempts_used > self.max_attempts {
            return Err(PartsError::AttemptsUsed);
        }
        if !(MAX_DELIVERIES.min..=MAX_DELIVERIES.max).contains(&self.max_deliveries) {
            return Err(PartsError::MaxDeliveries);
        }
        if !(1..=self.max_deliveries).contains(&self.deliveries) {
            return Err(PartsError::Deliveries);
        }
        let all_used = self.attempts_used == self.max_attempts;
        let consistent = match self.state {
            ChallengeState::Pending | ChallengeState::Expired | ChallengeState::Canceled => {
                !all_used
            }
            ChallengeState::Exhausted => all_used,
            ChallengeState::Verified => self.attempts_used >= 1,
        };
        if !consistent {
            return Err(PartsError::StateCounters);
        }
        Ok(())
    }
}
