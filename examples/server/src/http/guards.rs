//! The HTTP guards in front of every API route, in the order they run:
//!
//! 1. **Credentials, from the headers alone.** Exactly one
//!    `Authorization` header (two are a 400: which one would count is a
//!    guess), HTTP Basic, a known project and its token. Nothing of the
//!    body is read before this passes, so a client without credentials
//!    costs the server its headers and no more.
//! 2. **`MFA-Subject`**, if given: once, 1 to 128 printable ASCII
//!    characters (400 `invalid_subject` otherwise).
//! 3. **`Content-Type: application/json`** on the routes that take a
//!    body (parameters such as a charset allowed), else 415: the guide
//!    sends JSON, and a body sent as a form or as text is not read as
//!    JSON by accident. `GET` asks for none ([`read_guard`]).
//! 4. **The body: at most [`HttpLimits::max_body`] bytes, within
//!    [`HttpLimits::body_timeout`].** A `Content-Length` over the limit is
//!    a 413 from the headers; a body that grows past it while it arrives
//!    is a 413 at that point; one that takes longer than the deadline is a
//!    408. The handler then gets the whole body, already in memory.
//!
//! The header timeout, the connection cap and the shutdown bound are the
//! connection's business: see [`super::serve`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use headers::authorization::Basic;
use headers::{Authorization, HeaderMapExt};
use metrics::counter;

use super::reply;

mod body;
mod credentials;
mod logins;

pub use credentials::Credentials;
pub use logins::FailedLogins;

/// Limits on one request.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// Largest body read, in bytes.
    pub max_body: usize,
    /// Longest wait for the whole body once the headers are in.
    pub body_timeout: Duration,
}

/// The project a request was authenticated as, and the requester it
/// names: put in the request's extensions by [`api_guard`] for the
/// handler.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// The project.
    pub project: Arc<str>,
    /// The `MFA-Subject` header, if given.
    pub subject: Option<String>,
}

/// The header in which a calling service names the requester (an
/// account, a session, a client address): their sends and failed tries
/// are limited as a number's are.
pub const SUBJECT_HEADER: &str = "mfa-subject";

/// Longest subject, in bytes.
pub const SUBJECT_MAX: usize = 128;

/// The requester a request names: at most one `MFA-Subject` header, 1 to
/// [`SUBJECT_MAX`] printable ASCII characters.
fn subject(headers: &HeaderMap) -> Result<Option<String>, AuthRefusal> {
    let mut values = headers.get_all(SUBJECT_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let invalid = || AuthRefusal::InvalidSubject;
    if values.next().is_some() {
        return Err(invalid());
    }
    let bytes = value.as_bytes();
    if bytes.is_empty()
        || bytes.len() > SUBJECT_MAX
        || !bytes.iter().all(|b| (0x20..0x7f).contains(b))
    {
        return Err(invalid());
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// What the guards need.
#[derive(Debug)]
pub struct Guard {
    /// Who may call.
    pub credentials: Credentials,
    /// How much a request may send, and how slowly.
    pub limits: HttpLimits,
    /// Failed logins per client address.
    pub failures: FailedLogins,
}

fn refused(status: u16, code: &'static str, detail: &'static str) -> Response {
    counter!("mfa_rejected_total", "reason" => code).increment(1);
    reply::error(status, code, detail)
}

impl Guard {
    /// The project of a request's credentials, through the failed-login
    /// throttle: a source over its failures is refused (429) before its
    /// credentials are looked at; a failure counts, a success clears.
    pub fn login(
        &self,
        address: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Result<Arc<str>, AuthRefusal> {
        let user = presented_user(headers);
        if let Some(wait) = address.and_then(|a| self.failures.blocked(a, &user)) {
            return Err(AuthRefusal::TooManyFailures { wait });
        }
        match authenticate(&self.credentials, headers) {
            Ok(project) => {
                if let Some(a) = address {
                    self.failures.succeeded(a, &user);
                }
                Ok(project)
            }
            Err(refusal) => {
                if let (Some(a), AuthRefusal::Unauthorized) = (address, refusal) {
                    self.failures.failed(a, &user);
                }
                Err(refusal)
            }
        }
    }
}

/// The project id a request presents (empty if none), unchecked.
fn presented_user(headers: &HeaderMap) -> String {
    headers
        .typed_get::<Authorization<Basic>>()
        .map(|Authorization(basic)| basic.username().to_owned())
        .unwrap_or_default()
}

/// Why [`authenticate`] refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthRefusal {
    /// More than one `Authorization` header (400).
    DuplicateHeader,
    /// No Basic credentials, or not a project's (401).
    Unauthorized,
    /// An `MFA-Subject` header given twice, empty, too long or not
    /// printable ASCII (400).
    InvalidSubject,
    /// Too many failed logins from this source: wait `wait` seconds (429).
    TooManyFailures {
        /// Seconds until the source may try again.
        wait: u64,
    },
}

impl IntoResponse for AuthRefusal {
    fn into_response(self) -> Response {
        match self {
            AuthRefusal::DuplicateHeader => refused(
                400,
                "duplicate_header",
                "the request has more than one Authorization header",
            ),
            AuthRefusal::Unauthorized => refused(
                401,
                "unauthorized",
                "missing or wrong credentials: HTTP Basic with project id and API token",
            ),
            AuthRefusal::TooManyFailures { wait } => {
                counter!("mfa_rejected_total", "reason" => "too_many_failed_logins").increment(1);
                let mut answer = reply::failure(
                    429,
                    "too_many_failed_logins",
                    "too many failed logins for this project from this address; wait",
                );
                answer.retry_after = Some(wait);
                reply::reply(answer)
            }
            AuthRefusal::InvalidSubject => refused(
                400,
                "invalid_subject",
                "MFA-Subject must be given once, 1 to 128 printable ASCII characters",
            ),
        }
    }
}

/// The project of a request's credentials.
pub fn authenticate(
    credentials: &Credentials,
    headers: &HeaderMap,
) -> Result<Arc<str>, AuthRefusal> {
    if headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .nth(1)
        .is_some()
    {
        return Err(AuthRefusal::DuplicateHeader);
    }
    let Some(Authorization(basic)) = headers.typed_get::<Authorization<Basic>>() else {
        return Err(AuthRefusal::Unauthorized);
    };
    credentials
        .check(basic.username(), basic.password())
        .ok_or(AuthRefusal::Unauthorized)
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// Middleware for the API routes that take a JSON body: credentials,
/// content type, then the body within its limits; the handler gets
/// [`Authenticated`] and the whole body.
pub async fn api_guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    guarded(&guard, request, next, true).await
}

/// Middleware for the API routes that take no body (`GET`): credentials,
/// then any body read within the same limits and dropped; no content type
/// is asked for.
pub async fn read_guard(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    guarded(&guard, request, next, false).await
}

async fn guarded(guard: &Guard, request: Request, next: Next, json: bool) -> Response {
    let (mut parts, body) = request.into_parts();
    let address = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let project = match guard.login(address, &parts.headers) {
        Ok(project) => project,
        Err(refusal) => return refusal.into_response(),
    };
    let subject = match subject(&parts.headers) {
        Ok(subject) => subject,
        Err(refusal) => return refusal.into_response(),
    };
    if json && !is_json(&parts.headers) {
        return refused(
            415,
            "unsupported_media_type",
            "the body must be sent as Content-Type: application/json",
        );
    }
    let bytes = match body::read(guard.limits, &parts.headers, body).await {
        Ok(bytes) if json => bytes,
        Ok(_) => Default::default(),
        Err(refusal) => return refusal,
    };
    parts.extensions.insert(Authenticated { project, subject });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests;
