//! What each sealed row holds, and the cross-references between rows
//! that let one row deleted, rolled back or restored on its own be
//! noticed.
//!
//! - A **challenge** row seals a [`ChallengeRecord`]: the challenge, and
//!   the revision of its number's lockout row as last written beside it
//!   (`lock_revision`).
//! - A number's **lockout** row seals a [`LockRecord`]: the lockout
//!   state, its own revision, and the revision each of the number's live
//!   challenges had when it was last written beside it (`seen`).
//! - A number's **send** row seals its `SendLog`.
//! - A requester's (`MFA-Subject`) lockout and send rows hold the same
//!   as a number's, without cross-references.
//!
//! Each is written in the compact encoding of [`compact`] (seal format
//! 4; format 3 sealed the same text another way); the JSON of earlier
//! versions (formats 1 and 2) is still read.
//!
//! Every verify of a live challenge reads both rows and writes both (the
//! lockout row first, in one write list). So, on a store whose rows only
//! this server wrote:
//!
//! - the lockout row's revision is at least the challenge's
//!   `lock_revision` (the lockout row landed first, and revisions only
//!   grow): a smaller one, or no row at all, means the lockout row was
//!   deleted or restored from an older copy ([`Tamper::LockoutRolledBack`]);
//! - the revision `seen` for a challenge is at most the challenge row's
//!   own: a larger one means the challenge row was restored from an older
//!   copy, for instance its pending version after it was verified
//!   ([`Tamper::ChallengeRolledBack`]).
//!
//! The server refuses such a verify (500), logs it and counts it in
//! `mfa_tamper_detected_total`. `docs/THREAT_MODEL.md` says what this
//! does not cover.

use mfa_core::throttle::{Lockout, SendLog};
use mfa_core::{Challenge, UnixTime};
use serde::{Deserialize, Serialize};

use crate::seal;

pub mod compact;

pub use compact::Unreadable;

/// How long a lockout row with failures is kept after its last change.
pub const LOCKOUT_KEEP_SECS: u64 = 7 * 86_400;

/// How much longer than its last live challenge a lockout row is kept:
/// a server whose clock is behind the sweeping one's still finds it.
pub const KEEP_MARGIN_SECS: u64 = 3_600;

/// Challenges a lockout row remembers at most; past it, the one closest
/// to expiry is forgotten. A number cannot have more live challenges
/// than its send limit lets through in a challenge's longest window.
pub const SEEN_MAX: usize = 64;

/// A challenge row's sealed content.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChallengeRecord {
    /// The challenge.
    pub challenge: Challenge,
    /// The number's lockout row revision written with it (0: none yet).
    pub lock_revision: u64,
}

/// One live challenge as a lockout row last saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The challenge id.
    pub id: String,
    /// Its revision after the write.
    pub revision: u64,
    /// Its expiry (Unix seconds): forgotten after.
    pub until: u64,
}

/// A number's lockout row's sealed content.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LockRecord {
    /// Grows by one with every write of the row.
    pub revision: u64,
    /// The failed-try lockout.
    pub lockout: Lockout,
    /// When the last try was counted (Unix seconds): a hard lock lasts a
    /// set time from it.
    #[serde(default)]
    pub last_counted: u64,
    /// The number's live challenges.
    pub seen: Vec<Seen>,
}

impl LockRecord {
    /// The revision last seen for challenge `id`.
    pub fn seen(&self, id: &str) -> Option<u64> {
        self.seen.iter().find(|s| s.id == id).map(|s| s.revision)
    }

    /// Records challenge `id` at `revision`, forgets expired ones, and
    /// keeps at most [`SEEN_MAX`].
    pub fn note(&mut self, id: &str, revision: u64, until: UnixTime, now: UnixTime) {
        let now = now.as_secs();
        self.seen.retain(|s| s.until > now && s.id != id);
        self.seen.push(Seen {
            id: id.to_owned(),
            revision,
            until: until.as_secs(),
        });
        while self.seen.len() > SEEN_MAX {
            if let Some(oldest) = (0..self.seen.len()).min_by_key(|&i| self.seen[i].until) {
                self.seen.remove(oldest);
            }
        }
    }

    /// Until when the row must be kept: while a challenge it saw may still
    /// be live (and [`KEEP_MARGIN_SECS`] more, for servers whose clocks
    /// differ a little), and a week after a failure.
    pub fn keep_until(&self, now: UnixTime) -> UnixTime {
        let failures = if self.lockout.failures() == 0 {
            now
        } else {
            now.add_secs(LOCKOUT_KEEP_SECS)
        };
        let seen = self.seen.iter().map(|s| s.until).max();
        let seen = seen.map_or(0, |until| until.saturating_add(KEEP_MARGIN_SECS));
        UnixTime::from_secs(failures.as_secs().max(seen))
    }
}

/// A number's send row's sealed content.
pub type SendRecord = SendLog;

impl ChallengeRecord {
    /// The record of challenge `id` from the plain text of a record sealed
    /// in `format` ([`crate::seal`]).
    pub fn from_plain(format: u8, id: &str, plain: &[u8]) -> Result<Self, Unreadable> {
        match format {
            seal::FORMAT | seal::FORMAT_V3 => compact::challenge_from_bytes(id, plain),
            // Format 1 sealed the challenge alone.
            seal::FORMAT_V1 => serde_json::from_slice(plain)
                .map(|challenge| ChallengeRecord {
                    challenge,
                    lock_revision: 0,
                })
                .map_err(|_| Unreadable),
            _ => serde_json::from_slice(plain).map_err(|_| Unreadable),
        }
    }
}

/// A limiter state kept, sealed, in the `limits` table.
pub trait Limiter: Default + Sized {
    /// Its revision (the row's compare-and-swap token).
    fn revision(&self) -> u64;
    /// Its plain text in the format sealed now.
    fn to_plain(&self) -> Result<Vec<u8>, Unreadable>;
    /// The state from the plain text of a record sealed in `format`.
    fn from_plain(format: u8, plain: &[u8]) -> Result<Self, Unreadable>;
}

impl Limiter for SendRecord {
    fn revision(&self) -> u64 {
        SendRecord::revision(self)
    }
    fn to_plain(&self) -> Result<Vec<u8>, Unreadable> {
        compact::send_to_bytes(self)
    }
    fn from_plain(format: u8, plain: &[u8]) -> Result<Self, Unreadable> {
        match format {
            seal::FORMAT | seal::FORMAT_V3 => compact::send_from_bytes(plain),
            seal::FORMAT_V2 => serde_json::from_slice(plain).map_err(|_| Unreadable),
            _ => Err(Unreadable),
        }
    }
}

impl Limiter for LockRecord {
    fn revision(&self) -> u64 {
        self.revision
    }
    fn to_plain(&self) -> Result<Vec<u8>, Unreadable> {
        compact::lock_to_bytes(self)
    }
    fn from_plain(format: u8, plain: &[u8]) -> Result<Self, Unreadable> {
        match format {
            seal::FORMAT | seal::FORMAT_V3 => compact::lock_from_bytes(plain),
            seal::FORMAT_V2 => serde_json::from_slice(plain).map_err(|_| Unreadable),
            _ => Err(Unreadable),
        }
    }
}

/// A row the store gave back that this server did not write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// A challenge record that does not open under the keys (edited,
    /// moved from another row, or sealed under another key file).
    ChallengeSeal,
    /// A limiter record that does not open.
    LimitSeal,
    /// A record that opens but does not parse.
    Unreadable,
    /// A revision column that disagrees with the sealed record.
    RevisionColumn,
    /// A lockout row older than a challenge says it is, or missing.
    LockoutRolledBack,
    /// A challenge row older than its lockout row says it is.
    ChallengeRolledBack,
    /// A record naming a key id the key file does not hold (a key line
    /// removed too early, or an edited byte).
    UnknownKey,
}

impl Tamper {
    /// The metric label and log word.
    pub fn name(self) -> &'static str {
        match self {
            Tamper::ChallengeSeal => "challenge_seal",
            Tamper::LimitSeal => "limit_seal",
            Tamper::Unreadable => "unreadable",
            Tamper::RevisionColumn => "revision_column",
            Tamper::LockoutRolledBack => "lockout_rolled_back",
            Tamper::ChallengeRolledBack => "challenge_rolled_back",
            Tamper::UnknownKey => "unknown_key",
        }
    }
}

#[cfg(test)]
mod tests;
