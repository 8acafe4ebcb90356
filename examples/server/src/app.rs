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
use crate::transport::{Message, Transport};

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
}

/// Everything a handler needs.
#[derive(Debug)]
pub struct App {
    /// The database.
    pub store: Store,
    /// Seal keys.
    pub keyring: Keyring,
    /// Delivery.
    pub transport: Arc<Transport>,
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
    /// `POST /mfa/sms`, `POST /mfa/call`, for `project`.
    pub async fn issue(&self, channel: Channel, project: &str, body: &[u8]) -> HttpResponse {
        self.try_issue(channel, project, body)
            .await
            .unwrap_or_else(|e| e)
    }

    /// `POST /mfa/{id}/verify`, for `project`.
    pub async fn verify(&self, id: &str, project: &str, body: &[u8]) -> HttpResponse {
        self.try_verify(id, project, body)
            .await
            .unwrap_or_else(|e| e)
    }

    async fn try_issue(&self, channel: Channel, project: &str, body: &[u8]) -> Answer {
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
        self.count_and_store(project, &to, now, stored).await?;
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
        .unwrap_or(Err(crate::transport::TransportError::Timeout));
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

    /// Counts a send to `to` and stores the new challenge, in one write
    /// list: the challenge only goes in if the send-limit update landed.
    /// A number with no row yet costs no read: the first round assumes
    /// there is none, and a lost round reads the real state.
    async fn count_and_store(
        &self,
        project: &str,
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
        let key = self.keyring.limit_key("send", project, &to.to_string());
        let mut guess = Some((SendRecord::default(), None));
        for _ in 0..MAX_ROUNDS {
            let (mut log, read) = match guess.take() {
                Some(first) => first,
                None => self.read_limit::<SendRecord>(&key).await?,
            };
            if let Err(wait) = log.try_send(&policy, now) {
                counter!("mfa_rate_limited_total", "limit" => "send").increment(1);
                return Err(HttpResponse::rate_limited(wait.secs()));
            }
            let count = self.limit_write(&key, read, &log, now.add_secs(keep))?;
            match self.apply(vec![count, stored.clone()]).await? {
                0 => {} // the number's state moved on: read it
                1 => return Err(internal("issue", &"challenge id already stored")),
                _ => return Ok(()),
            }
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
    /// On a live challenge the number's lockout gates the try and counts
    /// it as a failure before the answer can go out (`mfa_core::throttle`):
    /// the lockout row is the first write of the list, so a round whose
    /// count did not land starts again from the reads, and the gate sees
    /// every try that was answered. The same write records the challenge's
    /// new revision in the lockout row, and the challenge's record the
    /// lockout row's (see [`crate::record`]); both are checked at the next
    /// read. A right code then clears the count, after the challenge's
    /// write.
    async fn try_verify(&self, id: &str, project: &str, body: &[u8]) -> Answer {
        let body: VerifyBody = serde_json::from_slice(body).map_err(|e| {
            rejected("invalid_body");
            HttpResponse::bad_body(&e)
        })?;
        let Ok(id) = ChallengeId::parse(id) else {
            rejected("not_found");
            return Err(HttpResponse::not_found());
        };
        let id = id.to_string();
        let policy = self.settings.lockout_policy;
        // This request's try is counted (a round lost on the challenge
        // alone does not count it again).
        let mut counted = false;
        for _ in 0..MAX_ROUNDS {
            // 1. Read.
            let Some(Loaded { mut record, read }) = self.load(&id, project).await? else {
                rejected("not_found");
                return Err(HttpResponse::not_found());
            };
            let now = UnixTime::now();
            let challenge = &mut record.challenge;
            // 2. The gate, on a live challenge only: a closed one answers
            //    its reason whatever the lockout says.
            let mut lock = None;
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
                if !counted {
                    match tries.lockout.try_verify(&policy, now) {
                        Attempt::Allowed => {}
                        Attempt::Wait { secs } => {
                            counter!("mfa_rate_limited_total", "limit" => "lockout").increment(1);
                            return Err(HttpResponse::locked(Some(secs)));
                        }
                        Attempt::Locked => {
                            counter!("mfa_rate_limited_total", "limit" => "lockout").increment(1);
                            return Err(HttpResponse::locked(None));
                        }
                    }
                }
                lock = Some((key, tries, tries_read));
            }
            // 3. Decide on the copy.
            let outcome = challenge.verify(&body.token, now);
            let mut writes = Vec::new();
            let mut reset = None;
            if let Some((key, mut tries, tries_read)) = lock {
                tries.note(&id, challenge.revision(), challenge.expires_at(), now);
                tries.revision += 1;
                record.lock_revision = tries.revision;
                writes.push(self.limit_write(&key, tries_read, &tries, tries.keep_until(now))?);
                if outcome == Verification::Verified {
                    reset = Some((key, tries));
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
            if let Some((key, mut tries)) = reset {
                let before = tries.lockout.revision();
                tries.lockout.reset();
                if tries.lockout.revision() != before {
                    let read = Some(rev(tries.revision));
                    tries.revision += 1;
                    writes.push(self.limit_write(&key, read, &tries, tries.keep_until(now))?);
                }
            }
            // 4. Write: the count, the challenge, the reset; each only if
            //    the one before landed.
            let wanted = writes.len();
            let landed = if writes.is_empty() {
                0
            } else {
                self.apply(writes).await?
            };
            if landed < counts {
                continue; // the lockout moved on: read both again
            }
            counted |= counts > 0;
            if landed < decides {
                continue; // the challenge moved on: read it again
            }
            if landed < wanted {
                // The lockout moved on since the count: clear the new state.
                let key = self.keyring.limit_key(
                    "lock",
                    project,
                    &record.challenge.parts().to.to_string(),
                );
                self.reset_lockout(&key).await?;
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

    /// Clears a number's failed tries: read, reset, compare-and-swap
    /// (retried from the read) until it has landed or there was nothing
    /// to clear.
    async fn reset_lockout(&self, key: &str) -> Result<(), HttpResponse> {
        for _ in 0..MAX_ROUNDS {
            let (mut tries, read) = self.read_limit::<LockRecord>(key).await?;
            let before = tries.lockout.revision();
            tries.lockout.reset();
            if tries.lockout.revision() == before {
                return Ok(());
            }
            tries.revision += 1;
            let now = UnixTime::now();
            let write = self.limit_write(key, read, &tries, tries.keep_until(now))?;
            if self.apply(vec![write]).await? == 1 {
                return Ok(());
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
