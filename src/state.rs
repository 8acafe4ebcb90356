//! What a challenge's state machine answers: the state, why a call was
//! refused, and the outcome of each call (SPEC §5).

use core::fmt;

#[cfg(doc)]
use crate::challenge::Challenge;
use crate::violation::Violations;

/// Where a challenge stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "lowercase")
)]
pub enum ChallengeState {
    /// Waiting for the code. The host may verify, resend or cancel.
    Pending,
    /// Terminal: the right code was given once. Further tries are refused
    /// with [`Closed::AlreadyVerified`].
    Verified,
    /// Terminal: every attempt was used on wrong codes.
    Exhausted,
    /// Terminal: the validity window passed (recorded by the first call that
    /// saw it; [`Challenge::state_at`] reports it without recording).
    Expired,
    /// Terminal: the host canceled the challenge.
    Canceled,
}

impl ChallengeState {
    /// Whether nothing can change any more.
    pub const fn is_terminal(self) -> bool {
        !matches!(self, ChallengeState::Pending)
    }

    /// The reason a terminal state refuses calls (`None` for `Pending`).
    pub const fn closed(self) -> Option<Closed> {
        match self {
            ChallengeState::Pending => None,
            ChallengeState::Verified => Some(Closed::AlreadyVerified),
            ChallengeState::Exhausted => Some(Closed::AttemptsExhausted),
            ChallengeState::Expired => Some(Closed::Expired),
            ChallengeState::Canceled => Some(Closed::Canceled),
        }
    }

    /// `"pending"`, `"verified"`, `"exhausted"`, `"expired"`, `"canceled"`.
    pub const fn name(self) -> &'static str {
        match self {
            ChallengeState::Pending => "pending",
            ChallengeState::Verified => "verified",
            ChallengeState::Exhausted => "exhausted",
            ChallengeState::Expired => "expired",
            ChallengeState::Canceled => "canceled",
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
#[must_use = "the outcome says whether the user is verified"]
pub enum Verification {
    /// The code was right: the challenge is now `Verified` (its
    /// [`to`](crate::ChallengeParts::to) is the verified number).
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
pub enum ResendError {
    /// The challenge is terminal.
    Closed(Closed),
    /// Every allowed delivery has been made.
    DeliveriesExhausted {
        /// The cap (`max_deliveries`).
        max: u8,
    },
    /// The message does not suit the channel (length, or a custom SMS text
    /// without a `from` number).
    Invalid(Violations),
}

impl fmt::Display for ResendError {
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

impl core::error::Error for ResendError {}
