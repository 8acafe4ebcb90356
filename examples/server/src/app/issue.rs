//! `POST /mfa/sms` and `POST /mfa/call`: validate, check the country,
//! count the send against the number's (and requester's) limits and then
//! the budgets, store the challenge, deliver; a failed delivery cancels
//! the challenge.

use metrics::counter;
use mfa_core::wire::{HttpResponse, RequestBody};
use mfa_core::{Challenge, Channel, OsRng, PhoneNumber, UnixTime};
use tracing::{debug, warn};

use crate::budget::Spent;
use crate::http::reply::failure;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use crate::record::SendRecord;
use crate::store::Write;
use crate::transport::{Message, TransportError};

use super::cas::{Round, WriteList, until_landed};
use super::events::Event;
use super::rows::SendLogs;
use super::{App, Caller, Refusal};

/// The writes of an issue, by what they are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IssueWrite {
    /// The number's send log.
    NumberSends,
    /// The requester's send log.
    SubjectSends,
    /// The new challenge.
    Challenge,
}

impl App {
    /// `POST /mfa/sms`, `POST /mfa/call`, for `caller`.
    pub async fn issue(
        &self,
        channel: Channel,
        caller: Caller<'_>,
        body: &[u8],
    ) -> Result<HttpResponse, Refusal> {
        let mut body: RequestBody =
            serde_json::from_slice(body).map_err(|e| HttpResponse::bad_body(&e))?;
        if body.from.is_none() {
            body.from.clone_from(&self.settings.sender);
        }
        let params = body
            .to_request(channel)
            .validate()
            .map_err(|v| HttpResponse::invalid(&v))?;
        let to = params.to();
        self.check_country(&to)?;

        let now = UnixTime::now();
        let (challenge, delivery) = Challenge::issue(&params, &mut OsRng, now)
            .map_err(|e| Refusal::internal("issue: the RNG", e))?;
        let id = challenge.parts().id.to_string();
        let stored = self.seal_challenge(caller.project, &id, &challenge, 0, now)?;
        let stored = Write::InsertChallenge(stored);
        self.count_and_store(caller, &to, now, (&id, stored))
            .await?;
        self.notify(caller.project, Event::Issued, &challenge);

        let message = Message::new(&id, &delivery);
        drop(delivery);
        let sent = self.deliver(message).await;
        if let Err(e) = sent {
            warn!(id = %id, project = caller.project, error = %e, "transport failed; canceling the challenge");
            counter!("mfa_transport_failures_total").increment(1);
            self.notify(caller.project, Event::DeliveryFailed, &challenge);
            self.close(caller.project, &id).await?;
            let detail = format!("the code could not be delivered; challenge {id} is canceled");
            return Err(failure(502, "transport_failed", detail).into());
        }
        counter!("mfa_issued_total", "channel" => channel.name()).increment(1);
        self.notify(caller.project, Event::Sent, &challenge);
        debug!(id = %id, project = caller.project, channel = channel.name(), "issued");
        Ok(HttpResponse::issued(&challenge))
    }

    /// Hands `message` to the transport, within the transport timeout;
    /// the message (and its code) is dropped as soon as it is handed over.
    pub(super) async fn deliver(&self, message: Message) -> Result<(), TransportError> {
        let sent = tokio::time::timeout(
            self.settings.transport_timeout,
            self.transport.send(&message),
        )
        .await
        .unwrap_or(Err(TransportError::Timeout));
        drop(message);
        sent
    }

    /// The allowed countries (403).
    pub(super) fn check_country(&self, to: &PhoneNumber) -> Result<(), Refusal> {
        let country = to.country_code();
        let allowed = &self.settings.allow_countries;
        if allowed.is_empty() || country.is_some_and(|cc| allowed.contains(&cc)) {
            return Ok(());
        }
        let detail = match country {
            Some(cc) => format!("this service does not send to country code +{cc}"),
            None => "this service does not send to this number's country".to_string(),
        };
        Err(failure(403, "country_not_allowed", detail).into())
    }

    /// Takes a send from the country's and the project's budgets (429 if
    /// one is spent). Called once the number's (and the requester's) send
    /// limits have passed: a send they refuse costs no budget, so one
    /// number asked again and again cannot spend its country's.
    pub(super) fn spend_budgets(&self, project: &str, to: &PhoneNumber) -> Result<(), Refusal> {
        let Err((spent, wait)) = self.budgets.spend(project, to.country_code()) else {
            return Ok(());
        };
        counter!("mfa_rate_limited_total", "limit" => spent.name()).increment(1);
        let detail = match spent {
            Spent::Project => "this project's send budget is spent for now",
            Spent::Country => "this project's send budget for this country is spent for now",
        };
        let mut answer = failure(429, "budget_exhausted", detail);
        answer.retry_after = Some(wait.max(1));
        Err(answer.into())
    }

    /// Counts a send to `to` (and to the caller's subject, if named) and
    /// stores the new challenge, in one write list: the challenge only
    /// goes in if the send-limit updates landed. A number with no row yet
    /// costs no read: the first round assumes there is none, and a lost
    /// round reads the real state. A log whose count landed is not
    /// counted again in a later round. The budgets are spent once, after
    /// the send limits pass: before the list is written when the logs were
    /// read, after it has landed when the number's was taken as absent (a
    /// budget that refuses then cancels the stored challenge).
    async fn count_and_store(
        &self,
        caller: Caller<'_>,
        to: &PhoneNumber,
        now: UnixTime,
        (id, stored): (&str, Write),
    ) -> Result<(), Refusal> {
        let SendLogs {
            number,
            subject,
            keep_until,
        } = self.send_logs(caller, to, now);
        let policy = self.settings.send_policy;
        let number_counted = AtomicBool::new(false);
        let subject_counted = AtomicBool::new(subject.is_none());
        let first_round = AtomicBool::new(true);
        let budgets_spent = AtomicBool::new(false);
        until_landed("issue", || async {
            let mut writes = WriteList::default();
            let logs = [
                (IssueWrite::NumberSends, Some(&number), &number_counted),
                (IssueWrite::SubjectSends, subject.as_ref(), &subject_counted),
            ];
            // The number's log taken as absent, unread (the first round).
            let mut guessed = false;
            for (kind, key, counted) in logs {
                let Some(key) = key.filter(|_| !counted.load(Relaxed)) else {
                    continue;
                };
                let (mut log, read) =
                    if first_round.load(Relaxed) && kind == IssueWrite::NumberSends {
                        guessed = true;
                        (SendRecord::default(), None)
                    } else {
                        self.read_limit::<SendRecord>(key).await?
                    };
                match log.try_send(&policy, now).into_parts() {
                    // Counted: the log's write goes in the list.
                    (_, Some(_)) => {
                        writes.push(kind, self.limit_write(key, read, &log, keep_until)?)
                    }
                    // Refused: nothing to write.
                    (refused, None) => {
                        counter!("mfa_rate_limited_total", "limit" => "send").increment(1);
                        let wait = refused.retry_after().unwrap_or(1);
                        return Err(HttpResponse::rate_limited(wait).into());
                    }
                }
            }
            first_round.store(false, Relaxed);
            // Limits read for real have passed: spend the budgets now. A
            // guessed log may still turn out over its limit: spend them
            // once the list has landed (below).
            if !guessed && !budgets_spent.swap(true, Relaxed) {
                self.spend_budgets(caller.project, to)?;
            }
            writes.push(IssueWrite::Challenge, stored.clone());
            let landed = writes.apply(self).await?;
            number_counted.fetch_or(landed.has(IssueWrite::NumberSends), Relaxed);
            subject_counted.fetch_or(landed.has(IssueWrite::SubjectSends), Relaxed);
            match landed.first_lost() {
                None if !budgets_spent.swap(true, Relaxed) => {
                    match self.spend_budgets(caller.project, to) {
                        Ok(()) => Ok(Round::Done(())),
                        Err(spent) => {
                            // Stored, never to be sent.
                            self.cancel(caller.project, id).await?;
                            Err(spent)
                        }
                    }
                }
                None => Ok(Round::Done(())),
                Some(IssueWrite::Challenge) => Err(Refusal::internal(
                    "issue",
                    "the new challenge's id is already stored",
                )),
                Some(_) => Ok(Round::Again), // a log moved on: read it
            }
        })
        .await
    }

    /// Cancels a challenge that could not be delivered (read, cancel,
    /// compare-and-swap).
    async fn cancel(&self, project: &str, id: &str) -> Result<(), Refusal> {
        until_landed("cancel", || async {
            let Some(mut current) = self.load(id, project).await? else {
                return Ok(Round::Done(()));
            };
            // Already terminal: the refusal writes nothing.
            let now = UnixTime::now();
            let step = current.record.challenge.cancel(now);
            let Some(swap) = self.swap_challenge(project, id, &current, step.write(), now)? else {
                return Ok(Round::Done(()));
            };
            Ok(match self.store.apply(vec![swap]).await? {
                1 => Round::Done(()),
                _ => Round::Again,
            })
        })
        .await
    }
}
