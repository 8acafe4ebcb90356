//! The handlers: authenticate, parse, decide with `mfa-core`, store with
//! compare-and-swap, then send or answer.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use headers::authorization::Basic;
use headers::{Authorization, HeaderMapExt};
use metrics::{counter, histogram};
use mfa_core::throttle::{Attempt, Lockout, LockoutPolicy, SendLog, SendPolicy};
use mfa_core::wire::{HttpResponse, RequestBody, VerifyBody};
use mfa_core::{
    Challenge, ChallengeId, Channel, OsRng, PhoneNumber, State as ChallengeState, UnixTime,
    Verification,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;
use tracing::{debug, error, warn};

use crate::config::Project;
use crate::seal::Keyring;
use crate::store::{ChallengeColumns, LimitColumns, Store, Write};
use crate::transport::{Message, Transport};

/// Compare-and-swap rounds before a request gives up with 500. Every lost
/// round means another request's write landed, so this is only reached
/// under a storm far beyond anything a challenge sees.
const MAX_ROUNDS: usize = 10_000;

/// How long a lockout row with failures is kept after its last change.
const LOCKOUT_KEEP_SECS: u64 = 7 * 86_400;

/// The host's settings (from the command line).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Projects and their tokens.
    pub projects: Vec<Project>,
    /// Default `from` for requests without one.
    pub sender: Option<String>,
    /// Allowed country calling codes; empty: all.
    pub allow_countries: Vec<u16>,
    /// Sends per (project, number).
    pub send_policy: SendPolicy,
    /// Failed tries per (project, number).
    pub lockout_policy: LockoutPolicy,
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
    /// Settings.
    pub settings: Settings,
}

/// The routes, with a latency histogram around each.
pub fn router(app: Arc<App>, metrics: metrics_exporter_prometheus::PrometheusHandle) -> Router {
    Router::new()
        .route("/api/relay/rest/mfa/sms", post(sms))
        .route("/api/relay/rest/mfa/call", post(call))
        .route("/api/relay/rest/mfa/{id}/verify", post(verify))
        .route("/healthz", get(healthz))
        .with_state(app)
        .route(
            "/metrics",
            get(move || std::future::ready(metrics.render())),
        )
        .layer(middleware::from_fn(track))
}

async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    histogram!("mfa_request_duration_seconds", "route" => route, "status" => status)
        .record(start.elapsed().as_secs_f64());
    response
}

async fn sms(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    reply(app.issue(Channel::Sms, &headers, &body).await)
}

async fn call(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    reply(app.issue(Channel::Call, &headers, &body).await)
}

async fn verify(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    reply(app.verify(&id, &headers, &body).await)
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            error!(error = %e, "health check: store unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "store unreachable\n").into_response()
        }
    }
}

/// The answer as an HTTP response: status, JSON body, `Retry-After`, and
/// `WWW-Authenticate` on a 401.
fn reply(answer: Result<HttpResponse, HttpResponse>) -> Response {
    let answer = answer.unwrap_or_else(|e| e);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&answer.body).unwrap_or_default();
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(secs) = answer.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if answer.status == 401 {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mfa\""),
        );
    }
    response
}

/// 500, logged. The detail stays generic: the log has the cause.
fn internal(what: &str, e: &dyn std::fmt::Display) -> HttpResponse {
    error!(error = %e, "{what}");
    counter!("mfa_internal_errors_total").increment(1);
    HttpResponse::error(500, "Internal Server Error", "internal", "internal error")
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

/// A limiter state kept in the `limits` table.
trait Limiter: Serialize + DeserializeOwned + Default {
    fn revision(&self) -> u64;
}

impl Limiter for SendLog {
    fn revision(&self) -> u64 {
        SendLog::revision(self)
    }
}

impl Limiter for Lockout {
    fn revision(&self) -> u64 {
        Lockout::revision(self)
    }
}

type Answer = Result<HttpResponse, HttpResponse>;

impl App {
    /// The project whose Basic credentials the request carries, checking
    /// every project's token in constant time.
    fn authenticate(&self, headers: &HeaderMap) -> Result<&str, HttpResponse> {
        let unauthorized = || {
            rejected("unauthorized");
            HttpResponse::error(
                401,
                "Unauthorized",
                "unauthorized",
                "missing or wrong credentials: HTTP Basic with project id and API token",
            )
        };
        let Some(Authorization(basic)) = headers.typed_get::<Authorization<Basic>>() else {
            return Err(unauthorized());
        };
        let mut found = None;
        for p in &self.settings.projects {
            let id = p.id.as_bytes().ct_eq(basic.username().as_bytes());
            let token = p.token.as_bytes().ct_eq(basic.password().as_bytes());
            if bool::from(id & token) {
                found = Some(p.id.as_str());
            }
        }
        found.ok_or_else(unauthorized)
    }

    /// `POST /mfa/sms`, `POST /mfa/call`.
    pub async fn issue(&self, channel: Channel, headers: &HeaderMap, body: &[u8]) -> Answer {
        let project = self.authenticate(headers)?;
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
        if !self.settings.allow_countries.is_empty() {
            let cc = to.country_code();
            if !cc.is_some_and(|cc| self.settings.allow_countries.contains(&cc)) {
                rejected("country_not_allowed");
                let detail = match cc {
                    Some(cc) => format!("this service does not send to country code +{cc}"),
                    None => "this service does not send to this number's country".to_string(),
                };
                return Err(HttpResponse::error(
                    403,
                    "Forbidden",
                    "country_not_allowed",
                    detail,
                ));
            }
        }

        let now = UnixTime::now();
        let (challenge, delivery) = Challenge::issue(&params, &mut OsRng, now)
            .map_err(|e| internal("issue: RNG failed", &e))?;
        let id = challenge.parts().id.to_string();
        let stored = Write::InsertChallenge(self.seal(project, &id, &challenge, now)?);

        // 1. Count the send and store the challenge.
        self.count_and_store(project, &to, now, stored).await?;
        // 2. Send.
        let message = Message {
            channel: channel.name(),
            to: delivery.to().to_string(),
            from: delivery.from().map(|f| f.to_string()),
            text: delivery.text(),
        };
        drop(delivery);
        if let Err(e) = self.transport.send(&message).await {
            warn!(id = %id, project, error = %e, "transport failed; canceling the challenge");
            counter!("mfa_transport_failures_total").increment(1);
            self.cancel(project, &id, &challenge).await?;
            return Err(HttpResponse::error(
                502,
                "Bad Gateway",
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
        let mut guess = Some((SendLog::default(), None));
        for _ in 0..MAX_ROUNDS {
            let (mut log, read) = match guess.take() {
                Some(first) => first,
                None => self.peek_limit::<SendLog>(&key).await?,
            };
            if let Err(wait) = log.try_send(&policy, now) {
                counter!("mfa_rate_limited_total", "limit" => "send").increment(1);
                return Err(HttpResponse::rate_limited(wait.secs()));
            }
            let count = limit_write(&key, read, &log, now.add_secs(keep))?;
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
        let (mut challenge, mut read) = (first.clone(), rev(first.revision()));
        for _ in 0..MAX_ROUNDS {
            let now = UnixTime::now();
            let before = challenge.revision();
            // Already terminal: nothing to change, nothing to write.
            let _ = challenge.cancel(now);
            if challenge.revision() == before {
                return Ok(());
            }
            let swap = Write::SwapChallenge {
                read,
                to: self.seal(project, id, &challenge, now)?,
                closed: true,
            };
            if self.apply(vec![swap]).await? == 1 {
                return Ok(());
            }
            match self.load(id, project).await? {
                Some((again, revision)) => (challenge, read) = (again, revision),
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
    /// it as a failure before the code is compared (`mfa_core::throttle`):
    /// the count is the first write of the list, so a round whose count
    /// did not land starts again from the reads, and the gate sees every
    /// try that was compared. A right code then clears the count, after
    /// the challenge's write.
    pub async fn verify(&self, id: &str, headers: &HeaderMap, body: &[u8]) -> Answer {
        let project = self.authenticate(headers)?;
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
            let Some((mut challenge, read)) = self.load(&id, project).await? else {
                rejected("not_found");
                return Err(HttpResponse::not_found());
            };
            let now = UnixTime::now();
            let lock_key =
                self.keyring
                    .limit_key("lock", project, &challenge.parts().to.to_string());
            let keep = |l: &Lockout| {
                if l.failures() == 0 {
                    now
                } else {
                    now.add_secs(LOCKOUT_KEEP_SECS)
                }
            };
            let mut writes = Vec::new();
            // 2. The gate, on a live challenge only: a closed one answers
            //    its reason whatever the lockout says.
            let mut lockout = None;
            if challenge.state_at(now) == ChallengeState::Pending {
                let (mut tries, mut tries_read) = self.peek_limit::<Lockout>(&lock_key).await?;
                if !counted {
                    match tries.try_verify(&policy, now) {
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
                    writes.push(limit_write(&lock_key, tries_read, &tries, keep(&tries))?);
                    tries_read = Some(rev(tries.revision()));
                }
                lockout = Some((tries, tries_read));
            }
            let counts = writes.len();
            // 3. Decide on the copy.
            let outcome = challenge.verify(&body.token, now);
            if rev(challenge.revision()) != read {
                writes.push(Write::SwapChallenge {
                    read,
                    to: self.seal(project, &id, &challenge, now)?,
                    closed: challenge.parts().state.is_terminal(),
                });
            }
            let decides = writes.len();
            if let (Verification::Verified, Some((mut tries, tries_read))) = (outcome, lockout) {
                let before = tries.revision();
                tries.reset();
                if tries.revision() != before {
                    writes.push(limit_write(&lock_key, tries_read, &tries, keep(&tries))?);
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
                self.update_limit(&lock_key, keep, Lockout::reset).await?;
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
    async fn load(
        &self,
        id: &str,
        project: &str,
    ) -> Result<Option<(Challenge, i64)>, HttpResponse> {
        let row = self
            .store
            .challenge(id)
            .await
            .map_err(|e| internal("store read", &e))?;
        let Some(row) = row else { return Ok(None) };
        if row.project != project {
            return Ok(None);
        }
        let plain = self
            .keyring
            .open(id, project, &row.record)
            .map_err(|e| internal("stored challenge refused", &e))?;
        let challenge: Challenge = serde_json::from_slice(&plain)
            .map_err(|e| internal("stored challenge unreadable", &e))?;
        if rev(challenge.revision()) != row.revision {
            return Err(internal(
                "stored challenge",
                &"revision column disagrees with the record",
            ));
        }
        Ok(Some((challenge, row.revision)))
    }

    /// A challenge's columns, its record sealed.
    fn seal(
        &self,
        project: &str,
        id: &str,
        challenge: &Challenge,
        now: UnixTime,
    ) -> Result<ChallengeColumns, HttpResponse> {
        let plain =
            serde_json::to_vec(challenge).map_err(|e| internal("serialize challenge", &e))?;
        let record = self
            .keyring
            .seal(id, project, &plain)
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

    /// Reads a limiter state (default if absent), without changing it.
    async fn peek_limit<S: Limiter>(&self, key: &str) -> Result<(S, Option<i64>), HttpResponse> {
        match self
            .store
            .limit(key)
            .await
            .map_err(|e| internal("store read", &e))?
        {
            None => Ok((S::default(), None)),
            Some(row) => serde_json::from_slice(&row.state)
                .map(|s| (s, Some(row.revision)))
                .map_err(|e| internal("limiter state unreadable", &e)),
        }
    }

    /// Read, change, compare-and-swap (retried from the read) on one
    /// limiter state, until the change has landed (or changed nothing).
    async fn update_limit<S: Limiter>(
        &self,
        key: &str,
        keep_until: impl Fn(&S) -> UnixTime,
        change: impl Fn(&mut S),
    ) -> Result<(), HttpResponse> {
        for _ in 0..MAX_ROUNDS {
            let (mut state, read) = self.peek_limit::<S>(key).await?;
            let before = state.revision();
            change(&mut state);
            if state.revision() == before {
                return Ok(());
            }
            let write = limit_write(key, read, &state, keep_until(&state))?;
            if self.apply(vec![write]).await? == 1 {
                return Ok(());
            }
        }
        Err(internal(
            "limiter: no compare-and-swap round won",
            &"contention",
        ))
    }
}

/// The write that stores a changed limiter state: an insert if no row was
/// read, else a compare-and-swap from the revision read.
fn limit_write<S: Limiter>(
    key: &str,
    read: Option<i64>,
    state: &S,
    keep_until: UnixTime,
) -> Result<Write, HttpResponse> {
    let bytes = serde_json::to_vec(state).map_err(|e| internal("serialize limiter", &e))?;
    Ok(Write::Limit {
        read,
        to: LimitColumns {
            key: key.to_owned(),
            revision: rev(state.revision()),
            expires_at: secs(keep_until),
            state: bytes,
        },
    })
}
