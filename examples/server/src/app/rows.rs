//! Reading and writing sealed rows: a challenge with its record, a
//! limiter state (a send log, a lockout). Everything read is opened and
//! checked against its columns; a row that fails is a [`Refusal::Tampered`].

use mfa_core::{Challenge, PhoneNumber, Swap, UnixTime};

pub use crate::record::Limiter;
use crate::record::{ChallengeRecord, Tamper, compact};
use crate::seal::{Row, SealError};
use crate::store::{ChallengeColumns, EXPIRY_SLACK_SECS, LimitColumns, Write};

use super::{App, Caller, Refusal};

/// The send logs one send is counted in (an issue or a resend): the
/// number's, the requester's when the caller names one, and until when
/// a log must be kept (its longest window).
pub struct SendLogs {
    /// The number's send log.
    pub number: String,
    /// The requester's send log.
    pub subject: Option<String>,
    /// When the logs may be swept.
    pub keep_until: UnixTime,
}

/// Unix seconds as the store's integer.
pub fn secs(t: UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}

/// A revision as the store's integer.
pub fn rev(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// A challenge as read: its record, and its revision column.
#[derive(Debug)]
pub struct Loaded {
    /// The sealed content.
    pub record: ChallengeRecord,
    /// The revision column: the compare-and-swap token.
    pub read: i64,
}

/// A limiter state as read: the state (default if there was no row) and
/// the revision read (`None`: no row).
pub type ReadLimit<S> = (S, Option<i64>);

fn refused_seal(e: SealError, what: Tamper, row: &str) -> Refusal {
    match e {
        // A key the file lacks: an operator who removed a key line too
        // early, or an edited byte; counted apart from a failed tag.
        SealError::UnknownKey(_) => Refusal::tampered(Tamper::UnknownKey, row),
        _ => Refusal::tampered(what, row),
    }
}

impl App {
    /// Reads and opens a challenge of `project`: `None` if there is none
    /// (or it is another project's).
    pub async fn load(&self, id: &str, project: &str) -> Result<Option<Loaded>, Refusal> {
        let Some(row) = self.store.challenge(id).await? else {
            return Ok(None);
        };
        if row.project != project {
            return Ok(None);
        }
        let (format, plain) = self
            .keyring
            .open(Row::Challenge { id, project }, &row.record)
            .map_err(|e| refused_seal(e, Tamper::ChallengeSeal, id))?;
        let record = ChallengeRecord::from_plain(format, id, &plain)
            .map_err(|_| Refusal::tampered(Tamper::Unreadable, id))?;
        if rev(record.challenge.revision()) != row.revision {
            return Err(Refusal::tampered(Tamper::RevisionColumn, id));
        }
        Ok(Some(Loaded {
            record,
            read: row.revision,
        }))
    }

    /// A challenge's columns, its record (with `lock_revision`) sealed.
    pub fn seal_challenge(
        &self,
        project: &str,
        id: &str,
        challenge: &Challenge,
        lock_revision: u64,
        now: UnixTime,
    ) -> Result<ChallengeColumns, Refusal> {
        let plain = compact::challenge_to_bytes(challenge, lock_revision)
            .map_err(|e| Refusal::internal("encode a challenge", e))?;
        let record = self
            .keyring
            .seal(Row::Challenge { id, project }, &plain)
            .map_err(|e| Refusal::internal("seal a challenge", e))?;
        Ok(ChallengeColumns {
            id: id.to_owned(),
            project: project.to_owned(),
            revision: rev(challenge.revision()),
            expires_at: secs(challenge.expires_at()),
            sweep_at: if challenge.parts().state.is_terminal() {
                secs(now).min(secs(challenge.expires_at()))
            } else {
                secs(challenge.expires_at())
            },
            record,
        })
    }

    /// The write a challenge's step asks for, sealed (`None`: the step
    /// asks for none): a compare-and-swap from the revision it expects.
    pub fn swap_challenge(
        &self,
        project: &str,
        id: &str,
        loaded: &Loaded,
        write: Option<Swap>,
        now: UnixTime,
    ) -> Result<Option<Write>, Refusal> {
        let Some(swap) = write else {
            return Ok(None);
        };
        let ChallengeRecord {
            challenge,
            lock_revision,
        } = &loaded.record;
        Ok(Some(Write::SwapChallenge {
            read: rev(swap.expected()),
            to: self.seal_challenge(project, id, challenge, *lock_revision, now)?,
            closed: challenge.parts().state.is_terminal(),
        }))
    }

    /// Reads and opens a limiter state (default if absent), without
    /// changing it.
    pub async fn read_limit<S: Limiter>(&self, key: &str) -> Result<ReadLimit<S>, Refusal> {
        let Some(row) = self.store.limit(key).await? else {
            return Ok((S::default(), None));
        };
        let (format, plain) = self
            .keyring
            .open(Row::Limit { key }, &row.state)
            .map_err(|e| refused_seal(e, Tamper::LimitSeal, key))?;
        let state = S::from_plain(format, &plain)
            .map_err(|_| Refusal::tampered(Tamper::Unreadable, key))?;
        if rev(state.revision()) != row.revision {
            return Err(Refusal::tampered(Tamper::RevisionColumn, key));
        }
        Ok((state, Some(row.revision)))
    }

    /// The write that stores a changed limiter state, sealed: an insert if
    /// no row was read, else a compare-and-swap from the revision read.
    pub fn limit_write<S: Limiter>(
        &self,
        key: &str,
        read: Option<i64>,
        state: &S,
        keep_until: UnixTime,
    ) -> Result<Write, Refusal> {
        let plain = state
            .to_plain()
            .map_err(|e| Refusal::internal("encode a limiter", e))?;
        let sealed = self
            .keyring
            .seal(Row::Limit { key }, &plain)
            .map_err(|e| Refusal::internal("seal a limiter", e))?;
        Ok(Write::Limit {
            read,
            to: LimitColumns {
                key: key.to_owned(),
                revision: rev(state.revision()),
                // A swap may leave the stored expiry up to the slack
                // earlier than asked (`Write::Limit`): ask for that more,
                // and stay far enough below `i64::MAX` for the store's
                // `expires_at + slack`.
                expires_at: secs(keep_until).min(i64::MAX - 2 * EXPIRY_SLACK_SECS)
                    + EXPIRY_SLACK_SECS,
                state: sealed,
            },
        })
    }

    /// The keys of the send logs a send to `to` counts in, and how long
    /// they are kept.
    pub fn send_logs(&self, caller: Caller<'_>, to: &PhoneNumber, now: UnixTime) -> SendLogs {
        let longest = self
            .settings
            .send_policy
            .windows()
            .iter()
            .map(|w| w.interval_secs());
        SendLogs {
            number: self
                .keyring
                .limit_key("send", caller.project, &to.to_string()),
            subject: caller
                .subject
                .map(|s| self.keyring.limit_key("send-subject", caller.project, s)),
            keep_until: now.add_secs(longest.max().map_or(0, u64::from)),
        }
    }
}
