//! `POST …/mfa/{id}/cancel`: the host cancels a pending challenge (SPEC
//! §5.6), read, cancel on the copy, compare-and-swap, until it lands. A
//! challenge found past its window has its expiry recorded instead; one
//! already closed changes nothing and answers its reason (404).

use metrics::counter;
use mfa_core::wire::HttpResponse;
use mfa_core::{ChallengeId, Closed, UnixTime};

use super::bodies::{CancelBody, parse};
use super::cas::{Round, until_landed};
use super::events::Event;
use super::{App, Caller, Refusal};

/// What a close came to: the core's answer, and whether this request
/// wrote the change (so that its event is sent once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closing {
    /// `Ok`: canceled now; `Err`: already closed, or found expired.
    pub outcome: Result<(), Closed>,
    /// This request's write changed the row.
    pub wrote: bool,
}

impl App {
    /// `POST …/mfa/{id}/cancel`, for `caller`.
    pub async fn cancel_challenge(
        &self,
        id: &str,
        caller: Caller<'_>,
        body: &[u8],
    ) -> Result<HttpResponse, Refusal> {
        if !body.iter().all(u8::is_ascii_whitespace) {
            parse::<CancelBody>(body)?;
        }
        let Ok(id) = ChallengeId::parse(id) else {
            return Err(HttpResponse::not_found().into());
        };
        let Some(closing) = self.close(caller.project, &id.to_string()).await? else {
            return Err(HttpResponse::not_found().into());
        };
        if closing.outcome.is_ok() {
            counter!("mfa_canceled_total").increment(1);
        }
        Ok(HttpResponse::cancel(&closing.outcome))
    }

    /// Cancels challenge `id` of `project` (or records its expiry) through
    /// compare-and-swap, and sends the event of what was written. `None`:
    /// no such challenge.
    pub async fn close(&self, project: &str, id: &str) -> Result<Option<Closing>, Refusal> {
        let closing = until_landed("cancel", || async {
            let Some(mut loaded) = self.load(id, project).await? else {
                return Ok(Round::Done(None));
            };
            let now = UnixTime::now();
            let (outcome, write) = loaded.record.challenge.cancel(now).into_parts();
            let Some(swap) = self.swap_challenge(project, id, &loaded, write, now)? else {
                let closing = Closing {
                    outcome,
                    wrote: false,
                };
                return Ok(Round::Done(Some((closing, loaded))));
            };
            Ok(match self.store.apply(vec![swap]).await? {
                1 => Round::Done(Some((
                    Closing {
                        outcome,
                        wrote: true,
                    },
                    loaded,
                ))),
                _ => Round::Again,
            })
        })
        .await?;
        let Some((closing, loaded)) = closing else {
            return Ok(None);
        };
        if closing.wrote {
            let event = match closing.outcome {
                Ok(()) => Event::Canceled,
                Err(_) => Event::Expired,
            };
            self.notify(project, event, &loaded.record.challenge);
        }
        Ok(Some(closing))
    }
}
