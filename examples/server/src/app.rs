//! The application: decide with `mfa-core`, store with compare-and-swap
//! and sealed rows, then send or answer. The HTTP layer ([`crate::http`])
//! has authenticated the caller and read the body by the time these run.

use std::sync::Arc;
use std::time::Duration;

use metrics::counter;
use mfa_core::throttle::{Attempt, LockoutPolicy, SendPolicy};
use mfa_core::wire::{HttpResponse, RequestBody, VerifyBody};
use mfa_core::{
    Challenge, ChallengeId, Channel, OsRng, PhoneNumber, State as ChallengeState, UnixTime,
    Verification,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{debug, error, warn};

use crate::budget::Budgets;
use crate::http::reply::failure;
use crate::record::{ChallengeRecord, LockRecord, SendRecord, Tamper};
use crate::seal::{self, Keyring, Row};
use crate::store::{ChallengeColumns, LimitColumns, Store, Write};
use crate::transport::{Message, Transport, TransportError};

/// Compare-and-swap rounds before a request gives up with 500. Every lost
/// round means another request's write landed, so this is only reached
/// under a storm far beyond anything a challenge sees.
const MAX_ROUNDS: usize = 10_000;

/// The host's settings (from the command line).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Default `from` for requests without one.
    pub sender: Option<String>,
    /// Allowed country calling codes; empty: all.
    pub allow_countries: Vec<u16>,
    /// Sends per (project, number).
    pub send_policy: SendPolicy,
    /// Failed tries per (project, number).
    pub lockout_policy: LockoutPolicy,
    /// Longest wait for a delivery to be taken by the transport.
    pub transport_timeout: Duration,
    /// How long a hard lock (the lockout's `HARD_LIMIT`) lasts after the
    /// last counted try.
    pub hard_lock: Duration,
}

/// Who is asking: the authenticated project, and the requester the
/// calling service named (`MFA-Subject`: an account, a session, a client
/// address), whose sends and failed tries are limited as the number's
/// are.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    /// The project.
    pub project: &'a str,
    /// The requester, if named.
    pub subject: Option<&'a str>,
}

/// Everything a handler needs.
#[derive(Debug)]
pub struct App {
    /// The database.
    pub store: Store,
    /// Seal keys.
    pub keyring: Keyring,
    /// Delivery.
    pub transport: Arc<dyn Transport>,
    /// Sends per project and per country, across numbers.
    pub budgets: Budgets,
    /// Settings.
    pub settings: Settings,
}

/// 500, logged. The detail stays generic: the log has the cause.
fn internal(what: &str, e: &dyn std::fmt::Display) -> HttpResponse {
    error!(error = %e, "{what}");
    counter!("mfa_internal_errors_total").increment(1);
    failure(500, "internal", "internal error")
}

/// 500 for a row this server did not write: logged and counted apart
/// from other failures, so an operator sees it.
fn tampered(what: Tamper, row: &str) -> HttpResponse {
    error!(
        tamper = what.name(),
        row, "refused a stored row this server did not write"
    );
    counter!("mfa_tamper_detected_total", "what" => what.name()).increment(1);
    counter!("mfa_internal_errors_total").increment(1);
    failure(500, "internal", "internal error")
}

fn rejected(reason: &'static str) {
    counter!("mfa_rejected_total", "reason" => reason).increment(1);
}

fn secs(t: UnixTime) -> i64 {
    i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
}

fn rev(r: u64) -> i64 {
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// A limiter state kept, sealed, in the `limits` table.
trait Limiter: Serialize + DeserializeOwned + Default {
    fn revision(&self) -> u64;
}

impl Limiter for SendRecord {
    fn revision(&self) -> u64 {
        SendRecord::revision(self)
    }
}

impl Limiter for LockRecord {
    fn revision(&self) -> u64 {
        self.revision
    }
}

/// A challenge as read: its record, and the revision column.
struct Loaded {
    record: ChallengeRecord,
    read: i64,
}

type Answer = Result<HttpResponse, HttpResponse>;

impl App {
    /// `POST /mfa/sms`, `POST /mfa/call`, for `caller`.
    pub async fn issue(&self, channel: Channel, caller: Caller<'_>, body: &[u8]) -> HttpResponse {
        self.try_issue(channel, caller, body)
            .await
            .unwrap_or_else(|e| e)
    }

    /// `POST /mfa/{id}/verify`, for `caller`.
    pub async fn verify(&self, id: &str, caller: Caller<'_>, body: &[u8]) -> HttpResponse {
        self.try_verify(id, caller, body)
            .await
            .unwrap_or_else(|e| e)
    }

    /// Clears the failed tries of a number (or of a requester, with
    /// `subject`) in `project`: the operator's unlock. `true` if there
    /// were any.
    pub async fn unlock(
        &self,
        project: &str,
        number: Option<&str>,
        subject: Option<&str>,
    ) -> Result<bool, HttpResponse> {
        let key = match (number, subject) {
            (Some(number), None) => {
                let number = PhoneNumber::parse(number).map_err(|_| {
                    failure(
                        400,
                        "invalid_number",
                        "the number must be E.164: +, then 2 to 15 digits",
                    )
                })?;
                self.keyring.limit_key("lock", project, &number.to_string())
            }
            (None, Some(subject)) => self.keyring.limit_key("lock-subject", project, subject),
            _ => {
                return Err(failure(
                    400,
                    "invalid_unlock",
                    "name a number or a subject, not both",
                ));
            }
        };
        self.reset_lockout(&key).await
    }

    async fn try_issue(&self, channel: Channel, caller: Caller<'_>, body: &[u8]) -> Answer {
        let project = caller.project;
        let mut body: RequestBody = serde_json::from_slice(body).map_err(|e| {
            rejected("invalid_body");
            HttpResponse::bad_body(&e)
        })?;
        if body.from.is_none() {
            body.from.clone_from(&self.settings.sender);
        }
        let params = body.to_request(channel).validate().map_err(|v| {
            rejected("invalid_parameters");
            HttpResponse::invalid(&v)
        })?;
        let to = params.to();
        let country = to.country_code();
        if !self.settings.allow_countries.is_empty()
            && !country.is_some_and(|cc| self.settings.allow_countries.contains(&cc))
        {
            rejected("country_not_allowed");
            let detail = match country {
                Some(cc) => format!("this service does not send to country code +{cc}"),
                None => "this service does not send to this number's country".to_string(),
            };
            return Err(failure(403, "country_not_allowed", detail));
        }
        if let Err((spent, wait)) = self.budgets.spend(project, country) {
            counter!("mfa_rate_limited_total", "limit" => spent.name()).increment(1);
            let mut answer = failure(
                429,
                "budget_exhausted",
                format!(
                    "this project's send budget{} is spent for now",
                    match spent {
                        crate::budget::Spent::Project => "",
                        crate::budget::Spent::Country => " for this country",
                    }
                ),
            );
            answer.retry_after = Some(wait.max(1));
            return Err(answer);
        }

        let now = UnixTime::now();
        let (challenge, delivery) = Challenge::issue(&params, &mut OsRng, now)
            .map_err(|e| internal("issue: RNG failed", &e))?;
        let id = challenge.parts().id.to_string();
        let stored = Write::InsertChallenge(self.seal_challenge(project, &id, &challenge, 0, now)?);

        // 1. Count the send and store the challenge.
        self.count_and_store(caller, &to, now, stored).await?;
        // 2. Send, within the transport's time.
        let message = Message {
            channel: channel.name(),
            to: delivery.to().to_string(),
            from: delivery.from().map(|f| f.to_string()),
            text: delivery.text(),
        };
        drop(delivery);
        let sent = tokio::time::timeout(
            self.settings.transport_timeout,
            self.transport.send(&message),
        )
        .await
        .unwrap_or(Err(TransportError::Timeout));
        drop(message);
        if let Err(e) = sent {
            warn!(id = %id, project, error = %e, "transport failed; canceling the challenge");
            counter!("mfa_transport_failures_total").increment(1);
            self.cancel(project, &id, &challenge).await?;
            return Err(failure(
                502,
                "transport_failed",
                format!("the code could not be delivered; challenge {id} is canceled"),
            ));
        }
        counter!("mfa_issued_total", "channel" => channel.name()).increment(1);
        debug!(id = %id, project, channel = channel.name(), "issued");
        Ok(HttpResponse::issued(&challenge))
    }

    /// Counts a send to `to` (and to the caller's subject, if named) and
    /// stores the new challenge, in one write list: the challenge only
    /// goes in if the send-limit updates landed. A number with no row yet
    /// costs no read: the first round assumes there is none, and a lost
    /// round reads the real state. A row whose count landed is not
    /// counted again in a later round.
    async fn count_and_store(
        &self,
        caller: Caller<'_>,
        to: &PhoneNumber,
        now: UnixTime,
        stored: Write,
    ) -> Result<(), HttpResponse> {
        let policy = self.settings.send_policy;
        let keep = policy
            .windows()
            .iter()
            .map(|w| u64::from(w.interval_secs()))
            .max()
            .unwrap_or(0);
        // (row key, whether the first round may assume it is absent).
        let mut rows = vec![(
            self.keyring
                .limit_key("send", caller.project, &to.to_string()),
            true,
        )];
        if let Some(subject) = caller.subject {
            let key = self
                .keyring
                .limit_key("send-subject", caller.project, subject);
            rows.push((key, false));
        }
        let mut counted = vec![false; rows.len()];
        for round in 0..MAX_ROUNDS {
            let mut writes = Vec::with_capacity(rows.len() + 1);
            let mut written = Vec::with_capacity(rows.len());
            for (i, (key, guess_absent)) in rows.iter().enumerate() {
                if counted[i] {
                    continue;
                }
                let (mut log, read) = if round == 0 && *guess_absent {
                    (SendRecord::default(), None)
                } else {
                    self.read_limit::<SendRecord>(key).await?
                };
                if let Err(wait) = log.try_send(&policy, now) {
                    counter!("mfa_rate_limited_total", "limit" => "send").increment(1);
                    return Err(HttpResponse::rate_limited(wait.secs()));
                }
                writes.push(self.limit_write(key, read, &log, now.add_secs(keep))?);
                written.push(i);
            }
            writes.push(stored.clone());
            let landed = self.apply(writes).await?;
            for &i in written.iter().take(landed) {
                counted[i] = true;
            }
            if landed > written.len() {
                return Ok(());
            }
            if landed == written.len() {
                return Err(internal("issue", &"challenge id already stored"));
            }
            // A number's or subject's state moved on: read it again.
        }
        Err(internal(
            "issue: no compare-and-swap round won",
            &"contention",
        ))
    }

    /// Cancels a challenge that could not be delivered (compare-and-swap,
    /// from the read).
    async fn cancel(&self, project: &str, id: &str, first: &Challenge) -> Result<(), HttpResponse> {
        let (mut record, mut read) = (
            ChallengeRecord {
                challenge: first.clone(),
                lock_revision: 0,
            },
            rev(first.revision()),
        );
        for _ in 0..MAX_ROUNDS {
            let now = UnixTime::now();
            let before = record.challenge.revision();
            // Already terminal: nothing to change, nothing to write.
            let _ = record.challenge.cancel(now);
            if record.challenge.revision() == before {
                return Ok(());
            }
            let swap = Write::SwapChallenge {
                read,
                to: self.seal_challenge(
                    project,
                    id,
                    &record.challenge,
                    record.lock_revision,
                    now,
                )?,
                closed: true,
            };
            if self.apply(vec![swap]).await? == 1 {
                return Ok(());
            }
            match self.load(id, project).await? {
                Some(again) => (record, read) = (again.record, again.read),
                None => return Ok(()),
            }
        }
        Err(internal(
            "cancel: no compare-and-swap round won",
            &"contention",
        ))
    }

    /// `POST /mfa/{id}/verify`.
    ///
    /// On a live challenge the number's lockout (and the caller's
    /// subject's, if named) gates the try and counts it as a failure
    /// before the answer can go out (`mfa_core::throttle`): the lockout
    /// rows are the first writes of the list, so a round whose count did
    /// not land starts again from the reads, and the gate sees every try
    /// that was answered. The number's row also records the challenge's
    /// new revision, and the challenge's record the row's (see
    /// [`crate::record`]); both are checked at the next read. A right code
    /// then clears the counts, after the challenge's write.
    async fn try_verify(&self, id: &str, caller: Caller<'_>, body: &[u8]) -> Answer {
        let project = caller.project;
        let body: VerifyBody = serde_json::from_slice(body).map_err(|e| {
            rejected("invalid_body");
            HttpResponse::bad_body(&e)
        })?;
        let Ok(id) = ChallengeId::parse(id) else {
            rejected("not_found");
            return Err(HttpResponse::not_found());
        };
        let id = id.to_string();
        let subject_key = caller
            .subject
            .map(|s| self.keyring.limit_key("lock-subject", project, s));
        // Which lockout rows hold this request's count already (the
        // number's, the subject's): a lost round does not count it again.
        let mut counted = [false, subject_key.is_none()];
        for _ in 0..MAX_ROUNDS {
            // 1. Read.
            let Some(Loaded { mut record, read }) = self.load(&id, project).await? else {
                rejected("not_found");
                return Err(HttpResponse::not_found());
            };
            let now = UnixTime::now();
            let challenge = &mut record.challenge;
            // 2. The gates, on a live challenge only: a closed one answers
            //    its reason whatever the lockouts say.
            let mut number = None;
            let mut subject = None;
            if challenge.state_at(now) == ChallengeState::Pending {
                let key =
                    self.keyring
                        .limit_key("lock", project, &challenge.parts().to.to_string());
                let (mut tries, tries_read) = self.read_limit::<LockRecord>(&key).await?;
                if tries.revision < record.lock_revision {
                    return Err(tampered(Tamper::LockoutRolledBack, &key));
                }
                if let Some(seen) = tries.seen(&id).filter(|&seen| seen > challenge.revision()) {
                    // Another request's write may have landed between the
                    // two reads: only a challenge row still older than the
                    // lockout row says, read after it, was rolled back.
                    match self.load(&id, project).await? {
                        Some(again) if again.record.challenge.revision() >= seen => continue,
                        _ => return Err(tampered(Tamper::ChallengeRolledBack, &id)),
                    }
                }
                if !counted[0] {
                    self.gate(&mut tries, now)?;
                }
                if let (Some(key), false) = (&subject_key, counted[1]) {
                    let (mut theirs, theirs_read) = self.read_limit::<LockRecord>(key).await?;
                    self.gate(&mut theirs, now)?;
                    subject = Some((key.clone(), theirs, theirs_read));
                }
                number = Some((key, tries, tries_read));
            }
            // 3. Decide on the copy.
            let outcome = challenge.verify(&body.token, now);
            let verified = outcome == Verification::Verified;
            let mut writes = Vec::new();
            let mut resets = Vec::new();
            if let Some((key, mut tries, tries_read)) = number {
                tries.note(&id, challenge.revision(), challenge.expires_at(), now);
                tries.revision += 1;
                record.lock_revision = tries.revision;
                writes.push(self.limit_write(&key, tries_read, &tries, tries.keep_until(now))?);
                if verified {
                    resets.push((key, tries));
                }
            }
            let counts_number = writes.len();
            if let Some((key, mut theirs, theirs_read)) = subject {
                theirs.revision += 1;
                writes.push(self.limit_write(
                    &key,
                    theirs_read,
                    &theirs,
                    theirs.keep_until(now),
                )?);
                if verified {
                    resets.push((key, theirs));
                }
            }
            let counts = writes.len();
            if rev(record.challenge.revision()) != read {
                writes.push(Write::SwapChallenge {
                    read,
                    to: self.seal_challenge(
                        project,
                        &id,
                        &record.challenge,
                        record.lock_revision,
                        now,
                    )?,
                    closed: record.challenge.parts().state.is_terminal(),
                });
            }
            let decides = writes.len();
            let mut reset_keys = Vec::new();
            for (key, mut tries) in resets {
                let before = tries.lockout.revision();
                tries.lockout.reset();
                if tries.lockout.revision() != before {
                    let read = Some(rev(tries.revision));
                    tries.revision += 1;
                    writes.push(self.limit_write(&key, read, &tries, tries.keep_until(now))?);
                    reset_keys.push(key);
                }
            }
            // 4. Write: the counts, the challenge, the resets; each only
            //    if the one before landed.
            let landed = if writes.is_empty() {
                0
            } else {
                self.apply(writes).await?
            };
            if landed >= counts_number && counts_number > 0 {
                counted[0] = true;
            }
            if landed >= counts && counts > counts_number {
                counted[1] = true;
            }
            if landed < decides {
                continue; // a lockout or the challenge moved on: read again
            }
            for key in reset_keys.iter().skip(landed - decides) {
                // The lockout moved on since the count: clear the new state.
                self.reset_lockout(key).await?;
            }
            // 5. Answer.
            match outcome {
                Verification::Verified => counter!("mfa_verified_total").increment(1),
                Verification::WrongToken { .. } => counter!("mfa_verify_failed_total").increment(1),
                Verification::Rejected(reason) => rejected(reason.code()),
            }
            return Ok(HttpResponse::verification(&outcome));
        }
        Err(internal(
            "verify: no compare-and-swap round won",
            &"contention",
        ))
    }

    /// One lockout's gate for a try at `now`: counts it, or answers 429.
    /// A hard lock lasts [`Settings::hard_lock`] after the last counted
    /// try; after that the lockout starts afresh.
    fn gate(&self, tries: &mut LockRecord, now: UnixTime) -> Result<(), HttpResponse> {
        let policy = self.settings.lockout_policy;
        let lifted_at = tries
            .last_counted
            .saturating_add(self.settings.hard_lock.as_secs());
        if tries.lockout.check(&policy, now) == Attempt::Locked && now.as_secs() >= lifted_at {
            tries.lockout.reset();
        }
        let refused = |secs| {
            counter!("mfa_rate_limited_total", "limit" => "lockout").increment(1);
            Err(HttpResponse::locked(Some(secs)))
        };
        match tries.lockout.try_verify(&policy, now) {
            Attempt::Allowed => {
                tries.last_counted = tries.last_counted.max(now.as_secs());
                Ok(())
            }
            Attempt::Wait { secs } => refused(secs),
            Attempt::Locked => refused(lifted_at.saturating_sub(now.as_secs()).max(1)),
        }
    }

    /// Reads and opens a challenge of `project`: `None` if there is none
    /// (or it is another project's).
    async fn load(&self, id: &str, project: &str) -> Result<Option<Loaded>, HttpResponse> {
        let row = self
            .store
            .challenge(id)
            .await
            .map_err(|e| internal("store read", &e))?;
        let Some(row) = row else { return Ok(None) };
        if row.project != project {
            return Ok(None);
        }
        let (format, plain) = self
            .keyring
            .open(Row::Challenge { id, project }, &row.record)
            .map_err(|e| match e {
                seal::SealError::UnknownKey(_) => internal("stored challenge", &e),
                _ => tampered(Tamper::ChallengeSeal, id),
            })?;
        let record = if format == seal::FORMAT_V1 {
            // Earlier versions sealed the challenge alone.
            serde_json::from_slice(&plain).map(|challenge| ChallengeRecord {
                challenge,
                lock_revision: 0,
            })
        } else {
            serde_json::from_slice::<ChallengeRecord>(&plain)
        }
        .map_err(|_| tampered(Tamper::Unreadable, id))?;
        if rev(record.challenge.revision()) != row.revision {
            return Err(tampered(Tamper::RevisionColumn, id));
        }
        Ok(Some(Loaded {
            record,
            read: row.revision,
        }))
    }

    /// A challenge's columns, its record sealed.
    fn seal_challenge(
        &self,
        project: &str,
        id: &str,
        challenge: &Challenge,
        lock_revision: u64,
        now: UnixTime,
    ) -> Result<ChallengeColumns, HttpResponse> {
        #[derive(Serialize)]
        struct Borrowed<'a> {
            challenge: &'a Challenge,
            lock_revision: u64,
        }
        let plain = serde_json::to_vec(&Borrowed {
            challenge,
            lock_revision,
        })
        .map_err(|e| internal("serialize challenge", &e))?;
        let record = self
            .keyring
            .seal(Row::Challenge { id, project }, &plain)
            .map_err(|e| internal("seal", &e))?;
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

    /// Runs a write list (see [`Store::apply`]): how many landed.
    async fn apply(&self, writes: Vec<Write>) -> Result<usize, HttpResponse> {
        self.store
            .apply(writes)
            .await
            .map_err(|e| internal("store write", &e))
    }

    /// Reads and opens a limiter state (default if absent), without
    /// changing it.
    async fn read_limit<S: Limiter>(&self, key: &str) -> Result<(S, Option<i64>), HttpResponse> {
        let Some(row) = self
            .store
            .limit(key)
            .await
            .map_err(|e| internal("store read", &e))?
        else {
            return Ok((S::default(), None));
        };
        let (_, plain) =
            self.keyring
                .open(Row::Limit { key }, &row.state)
                .map_err(|e| match e {
                    seal::SealError::UnknownKey(_) => internal("stored limiter", &e),
                    _ => tampered(Tamper::LimitSeal, key),
                })?;
        let state: S =
            serde_json::from_slice(&plain).map_err(|_| tampered(Tamper::Unreadable, key))?;
        if rev(state.revision()) != row.revision {
            return Err(tampered(Tamper::RevisionColumn, key));
        }
        Ok((state, Some(row.revision)))
    }

    /// Clears a lockout's failed tries: read, reset, compare-and-swap
    /// (retried from the read) until it has landed or there was nothing
    /// to clear. `true` if there was something.
    async fn reset_lockout(&self, key: &str) -> Result<bool, HttpResponse> {
        for _ in 0..MAX_ROUNDS {
            let (mut tries, read) = self.read_limit::<LockRecord>(key).await?;
            let before = tries.lockout.revision();
            tries.lockout.reset();
            if tries.lockout.revision() == before {
                return Ok(false);
            }
            tries.revision += 1;
            let now = UnixTime::now();
            let write = self.limit_write(key, read, &tries, tries.keep_until(now))?;
            if self.apply(vec![write]).await? == 1 {
                return Ok(true);
            }
        }
        Err(internal(
            "limiter: no compare-and-swap round won",
            &"contention",
        ))
    }

    /// The write that stores a changed limiter state, sealed: an insert if
    /// no row was read, else a compare-and-swap from the revision read.
    fn limit_write<S: Limiter>(
        &self,
        key: &str,
        read: Option<i64>,
        state: &S,
        keep_until: UnixTime,
    ) -> Result<Write, HttpResponse> {
        let plain = serde_json::to_vec(state).map_err(|e| internal("serialize limiter", &e))?;
        let sealed = self
            .keyring
            .seal(Row::Limit { key }, &plain)
            .map_err(|e| internal("seal", &e))?;
        Ok(Write::Limit {
            read,
            to: LimitColumns {
                key: key.to_owned(),
                revision: rev(state.revision()),
                expires_at: secs(keep_until),
                state: sealed,
            },
        })
    }
}
