//! The rows as read and written, and the writes a list is made of.

/// A challenge row as read.
#[derive(Clone, Debug)]
pub struct ChallengeRow {
    /// The project that issued it.
    pub project: String,
    /// The revision column (the compare-and-swap token).
    pub revision: i64,
    /// The sealed record.
    pub record: Vec<u8>,
}

/// A limiter row as read.
#[derive(Clone, Debug)]
pub struct LimitRow {
    /// The revision column (the compare-and-swap token).
    pub revision: i64,
    /// The sealed limiter state.
    pub state: Vec<u8>,
}

/// A challenge's columns, as written.
#[derive(Clone, Debug)]
pub struct ChallengeColumns {
    /// Lower-case UUID.
    pub id: String,
    /// The issuing project.
    pub project: String,
    /// The challenge's revision after the change.
    pub revision: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds from which the grace period runs: `expires_at`, or
    /// the time it became terminal.
    pub sweep_at: i64,
    /// The sealed record.
    pub record: Vec<u8>,
}

/// A limiter's columns, as written.
#[derive(Clone, Debug)]
pub struct LimitColumns {
    /// `send:` or `lock:` and a blinded project and number
    /// ([`crate::seal::Keyring::limit_key`]).
    pub key: String,
    /// The state's revision after the change.
    pub revision: i64,
    /// Unix seconds after which the row may be swept (a swap may keep the
    /// stored value, see [`Write::Limit`]).
    pub expires_at: i64,
    /// The sealed limiter state.
    pub state: Vec<u8>,
}

/// One write. Each changes one row or none; none means it lost (a
/// compare-and-swap whose row moved on, an insert whose key exists).
#[derive(Clone, Debug)]
pub enum Write {
    /// A new challenge.
    InsertChallenge(ChallengeColumns),
    /// A changed challenge, if its stored revision is still `read` and it
    /// belongs to the same project. `expires_at` never changes; `sweep_at`
    /// is written only if `closed` (it changes once, when the challenge
    /// becomes terminal: leaving the column alone spares its index a
    /// write on every wrong code).
    SwapChallenge {
        /// The revision the change was decided on.
        read: i64,
        /// The new columns.
        to: ChallengeColumns,
        /// The challenge became terminal with this change.
        closed: bool,
    },
    /// A `meta` entry, inserted if there is none (lands only then).
    InsertMeta(MetaColumns),
    /// A `meta` entry, inserted or replaced (always lands).
    SetMeta(MetaColumns),
    /// Deletes every limiter row (always lands): the one-time upgrade to
    /// sealed limiter rows.
    ClearLimits,
    /// A changed limiter state: inserted if `read` is `None` (and there is
    /// no row yet), else swapped if its stored revision is still `read`.
    /// A swap leaves a stored `expires_at` within
    /// [`EXPIRY_SLACK_SECS`](super::EXPIRY_SLACK_SECS) of the new
    /// one, either way, as it is: a row written again and again (a
    /// guesser's failed tries, a number's sends) moves its entry in the
    /// sweep's index once every few minutes, not at every write. So a
    /// writer that must keep the row until `t` asks for `t` plus the
    /// slack (the row may then stay up to twice the slack longer), and
    /// `expires_at` stays below `i64::MAX` minus the slack (PostgreSQL
    /// refuses a `bigint` past it).
    Limit {
        /// The revision the change was decided on; `None`: no row was read.
        read: Option<i64>,
        /// The new columns.
        to: LimitColumns,
    },
}

/// A write to the `meta` table (name, value): the key check, the row
/// format, the health probe.
#[derive(Clone, Debug)]
pub struct MetaColumns {
    /// The entry's name.
    pub name: &'static str,
    /// Its value.
    pub value: String,
}
