//! `POST /mfa/{id}/verify`.
//!
//! On a live challenge the number's lockout (and the caller's subject's,
//! if named) gates the try and counts it as a failure before the answer
//! can go out (`mfa_core::throttle`): the lockout rows are the first
//! writes of the list, so a round whose count did not land starts again
//! from the reads, and the gate sees every try that was answered. The
//! number's row also records the challenge's new revision, and the
//! challenge's record the row's (see [`crate::record`]); both are checked
//! at the next read. A right code then clears the number's count, after
//! the challenge's write (the requester's count runs out on its own). Every list takes the rows in one order (number,
//! subject, challenge), so two lists never wait on each other.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use metrics::counter;
use mfa_core::throttle::Admission;
use mfa_core::wire::{HttpResponse, VerifyBody};
use mfa_core::{ChallengeId, ChallengeState, UnixTime, Verification};

use crate::record::{LockRecord, Tamper};

use super::cas::{Round, WriteList, until_landed};
use super::rows::{Loaded, rev};
use super::{App, Caller, Refusal};

/// The writes of a verify round, by what they are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VerifyWrite {
    /// The number's lockout row: the count and the challenge's revision.
    NumberCount,
    /// The requester's lockout row: the count.
    SubjectCount,
    /// The challenge.
    Challenge,
    /// A right code clears the number's count.
    NumberReset,
}

/// A lockout row read for this round: its key, its state, the revision read.
type Lock = (String, LockRecord, Option<i64>);

/// Which lockout rows hold this request's count already: a lost round
/// does not count it again.
#[derive(Debug)]
struct Counted {
    number: AtomicBool,
    subject: AtomicBool,
}

impl App {
    /// `POST /mfa/{id}/verify`, for `caller`.
    pub async fn verify(
        &self,
        id: &str,
        caller: Caller<'_>,
        body: &[u8],
    ) -> Result<HttpResponse, Refusal> {
        let body: VerifyBody =
            serde_json::from_slice(body).map_err(|e| HttpResponse::bad_body(&e))?;
        let Ok(id) = ChallengeId::parse(id) else {
            return Err(HttpResponse::not_found().into());
        };
        let id = id.to_string();
        let counted = Counted {
            number: AtomicBool::new(false),
            subject: AtomicBool::new(caller.subject.is_none()),
        };
        let outcome = until_landed("verify", || {
            self.verify_round(&id, caller, &body.token, &counted)
        })
        .await?;
        match outcome {
            Verification::Verified => counter!("mfa_verified_total").increment(1),
            Verification::WrongToken { .. } => counter!("mfa_verify_failed_total").increment(1),
            Verification::Rejected(_) => {}
        }
        Ok(HttpResponse::verification(&outcome))
    }

    /// One round: read, gate, decide on the copy, write.
    async fn verify_round(
        &self,
        id: &str,
        caller: Caller<'_>,
        token: &str,
        counted: &Counted,
    ) -> Result<Round<Verification>, Refusal> {
        let Some(mut loaded) = self.load(id, caller.project).await? else {
            return Err(HttpResponse::not_found().into());
        };
        let now = UnixTime::now();
        // A closed challenge answers its reason whatever the lockouts say.
        let mut locks = (None, None);
        if loaded.record.challenge.state_at(now) == ChallengeState::Pending {
            match self.gates(id, caller, &loaded, now, counted).await? {
                Some(gated) => locks = gated,
                None => return Ok(Round::Again),
            }
        }
        let step = loaded.record.challenge.verify(token, now);
        let verified = step.answer().is_verified();
        let mut writes = WriteList::default();
        let mut resets = Vec::new();
        if let Some((key, mut tries, read)) = locks.0 {
            let challenge = &loaded.record.challenge;
            tries.note(id, challenge.revision(), challenge.expires_at(), now);
            tries.revision += 1;
            loaded.record.lock_revision = tries.revision;
            let write = self.limit_write(&key, read, &tries, tries.keep_until(now))?;
            writes.push(VerifyWrite::NumberCount, write);
            resets.extend(verified.then_some((VerifyWrite::NumberReset, key, tries)));
        }
        if let Some((key, mut tries, read)) = locks.1 {
            // A right code does not clear the requester's count: a guesser
            // who also verifies codes to a number of their own would wipe
            // their failures at others' numbers.
            tries.revision += 1;
            let write = self.limit_write(&key, read, &tries, tries.keep_until(now))?;
            writes.push(VerifyWrite::SubjectCount, write);
        }
        if let Some(swap) = self.swap_challenge(caller.project, id, &loaded, step.write(), now)? {
            writes.push(VerifyWrite::Challenge, swap);
        }
        let mut reset_keys = Vec::new();
        for (kind, key, mut tries) in resets {
            if tries.lockout.reset().write().is_some() {
                let read = Some(rev(tries.revision));
                tries.revision += 1;
                writes.push(
                    kind,
                    self.limit_write(&key, read, &tries, tries.keep_until(now))?,
                );
                reset_keys.push((kind, key));
            }
        }
        let landed = writes.apply(self).await?;
        counted
            .number
            .fetch_or(landed.has(VerifyWrite::NumberCount), Relaxed);
        counted
            .subject
            .fetch_or(landed.has(VerifyWrite::SubjectCount), Relaxed);
        match landed.first_lost() {
            // A lockout or the challenge moved on: read again.
            Some(VerifyWrite::NumberCount | VerifyWrite::SubjectCount | VerifyWrite::Challenge) => {
                return Ok(Round::Again);
            }
            // A lockout moved on since the count: clear its new state.
            Some(_) => {
                for kind in landed.lost().collect::<Vec<_>>() {
                    if let Some((_, key)) = reset_keys.iter().find(|(k, _)| *k == kind) {
                        self.reset_lockout(key).await?;
                    }
                }
            }
            None => {}
        }
        // Every write landed: the answer may go out.
        let outcome = step.into_answer();
        self.note_verify(caller.project, &loaded, &outcome);
        Ok(Round::Done(outcome))
    }

    /// Reads the lockout rows of a live challenge, checks them against the
    /// challenge's record, and passes the try through each gate not yet
    /// passed. `None`: another request's write landed between the reads;
    /// read again.
    async fn gates(
        &self,
        id: &str,
        caller: Caller<'_>,
        loaded: &Loaded,
        now: UnixTime,
        counted: &Counted,
    ) -> Result<Option<(Option<Lock>, Option<Lock>)>, Refusal> {
        let challenge = &loaded.record.challenge;
        let key = self
            .keyring
            .limit_key("lock", caller.project, &challenge.parts().to.to_string());
        let (mut tries, read) = self.read_limit::<LockRecord>(&key).await?;
        if tries.revision < loaded.record.lock_revision {
            return Err(Refusal::tampered(Tamper::LockoutRolledBack, &key));
        }
        if let Some(seen) = tries.seen(id).filter(|&seen| seen > challenge.revision()) {
            // Only a challenge row still older than the lockout row says,
            // read after it, was rolled back.
            return match self.load(id, caller.project).await? {
                Some(again) if again.record.challenge.revision() < seen => {
                    Err(Refusal::tampered(Tamper::ChallengeRolledBack, id))
                }
                // Moved on, or swept meanwhile: the next round answers.
                _ => Ok(None),
            };
        }
        if !counted.number.load(Relaxed) {
            self.gate(&mut tries, now)?;
        }
        let mut subject = None;
        if let (Some(name), false) = (caller.subject, counted.subject.load(Relaxed)) {
            let key = self.keyring.limit_key("lock-subject", caller.project, name);
            let (mut theirs, read) = self.read_limit::<LockRecord>(&key).await?;
            self.gate(&mut theirs, now)?;
            subject = Some((key, theirs, read));
        }
        Ok(Some((Some((key, tries, read)), subject)))
    }

    /// One lockout's gate for a try at `now`: counts it, or answers 429.
    /// A hard lock lasts [`super::Settings::hard_lock`] after the last
    /// counted try; after that the lockout starts afresh.
    fn gate(&self, tries: &mut LockRecord, now: UnixTime) -> Result<(), Refusal> {
        let policy = self.settings.lockout_policy;
        let lifted_at = tries
            .last_counted
            .saturating_add(self.settings.hard_lock.as_secs());
        if tries.lockout.check(&policy, now) == Admission::Locked && now.as_secs() >= lifted_at {
            // Lifted: the cleared count is written with the try counted
            // next (a try after a reset is always admitted).
            let _lifted = tries.lockout.reset();
        }
        // Admitted: the count is in `tries`, which the round writes before
        // it answers. Refused: nothing to write.
        let wait = match tries.lockout.admit(&policy, now).into_answer() {
            Admission::Allowed => {
                tries.last_counted = tries.last_counted.max(now.as_secs());
                return Ok(());
            }
            Admission::Wait { secs } => secs,
            Admission::Locked => lifted_at.saturating_sub(now.as_secs()).max(1),
        };
        counter!("mfa_rate_limited_total", "limit" => "lockout").increment(1);
        Err(HttpResponse::locked(Some(wait)).into())
    }
}
