//! `POST …/mfa/{id}/resend`: the same code again, on the same channel or
//! the other (SMS, then a call), SPEC §5.7. Counted like an issue: the
//! number's (and the requester's) send limits, then the budgets, in one
//! write list with the challenge (number, subject, challenge: the order
//! every list keeps), then sent once it landed. A failed send is 502 and
//! does not cancel (SPEC §5.11): an earlier delivery may have arrived.

use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

use metrics::counter;
use mfa_core::wire::HttpResponse;
use mfa_core::{Challenge, ChallengeId, UnixTime};
use tracing::warn;

use crate::http::reply::failure;
use crate::record::SendRecord;
use crate::transport::Message;

use super::bodies::{ResendBody, parse};
use super::cas::{Round, WriteList, until_landed};
use super::events::Event;
use super::rows::SendLogs;
use super::{App, Caller, Refusal};

/// The writes of a resend, by what they are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ResendWrite {
    NumberSends,
    SubjectSends,
    Challenge,
}

/// What earlier rounds of this request did already: a lost round does
/// not count a send twice, nor spend a budget twice.
#[derive(Debug)]
struct Done {
    number: AtomicBool,
    subject: AtomicBool,
    budgets: AtomicBool,
}

impl App {
    /// `POST …/mfa/{id}/resend`, for `caller`.
    pub async fn resend(
        &self,
        id: &str,
        caller: Caller<'_>,
        body: &[u8],
    ) -> Result<HttpResponse, Refusal> {
        let body: ResendBody = parse(body)?;
        let Ok(id) = ChallengeId::parse(id) else {
            return Err(HttpResponse::not_found().into());
        };
        let id = id.to_string();
        let done = Done {
            number: AtomicBool::new(false),
            subject: AtomicBool::new(caller.subject.is_none()),
            budgets: AtomicBool::new(false),
        };
        let (challenge, message) =
            until_landed("resend", || self.resend_round(&id, caller, &body, &done)).await?;
        if let Err(e) = self.deliver(message).await {
            warn!(id = %id, project = caller.project, error = %e, "transport failed on a resend");
            counter!("mfa_transport_failures_total").increment(1);
            self.notify(caller.project, Event::DeliveryFailed, &challenge);
            let detail =
                format!("the code could not be delivered again; challenge {id} stays open");
            return Err(failure(502, "transport_failed", detail).into());
        }
        let channel = challenge.parts().channel.name();
        counter!("mfa_resent_total", "channel" => channel).increment(1);
        self.notify(caller.project, Event::Sent, &challenge);
        Ok(HttpResponse::resent(&challenge))
    }

    /// One round: read, resend on the copy, count the send, write.
    async fn resend_round(
        &self,
        id: &str,
        caller: Caller<'_>,
        body: &ResendBody,
        done: &Done,
    ) -> Result<Round<(Challenge, Message)>, Refusal> {
        let Some(mut loaded) = self.load(id, caller.project).await? else {
            return Err(HttpResponse::not_found().into());
        };
        let now = UnixTime::now();
        let challenge = &mut loaded.record.challenge;
        let channel = body.channel.unwrap_or(challenge.parts().channel);
        let (resent, write) = challenge
            .resend(channel, body.message.as_deref(), now)
            .into_parts();
        let message = match resent {
            Ok(delivery) => Message::new(id, &delivery),
            Err(refused) => {
                // Nothing changed, unless the expiry was found now: write it.
                if let Some(swap) = self.swap_challenge(caller.project, id, &loaded, write, now)? {
                    if self.store.apply(vec![swap]).await? != 1 {
                        return Ok(Round::Again);
                    }
                    self.notify(caller.project, Event::Expired, &loaded.record.challenge);
                }
                return Err(HttpResponse::resend_refused(&refused).into());
            }
        };
        let to = challenge.parts().to;
        self.check_country(&to)?;
        let SendLogs {
            number,
            subject,
            keep_until,
        } = self.send_logs(caller, &to, now);
        let policy = self.settings.send_policy;
        let mut writes = WriteList::default();
        let logs = [
            (ResendWrite::NumberSends, Some(&number), &done.number),
            (ResendWrite::SubjectSends, subject.as_ref(), &done.subject),
        ];
        for (kind, key, counted) in logs {
            let Some(key) = key.filter(|_| !counted.load(Relaxed)) else {
                continue;
            };
            let (mut log, read) = self.read_limit::<SendRecord>(key).await?;
            if let (refused, None) = log.try_send(&policy, now).into_parts() {
                counter!("mfa_rate_limited_total", "limit" => "send").increment(1);
                let wait = refused.retry_after().unwrap_or(1);
                return Err(HttpResponse::rate_limited(wait).into());
            }
            writes.push(kind, self.limit_write(key, read, &log, keep_until)?);
        }
        if !done.budgets.swap(true, Relaxed) {
            self.spend_budgets(caller.project, &to)?;
        }
        let Some(swap) = self.swap_challenge(caller.project, id, &loaded, write, now)? else {
            return Err(Refusal::internal("resend", "a resend changed nothing"));
        };
        writes.push(ResendWrite::Challenge, swap);
        let landed = writes.apply(self).await?;
        done.number
            .fetch_or(landed.has(ResendWrite::NumberSends), Relaxed);
        done.subject
            .fetch_or(landed.has(ResendWrite::SubjectSends), Relaxed);
        Ok(match landed.first_lost() {
            None => Round::Done((loaded.record.challenge, message)),
            Some(_) => Round::Again,
        })
    }
}
