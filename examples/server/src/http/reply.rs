//! Every answer the server gives, in one shape: the guide's JSON body
//! (`{"success"}`, `{"id",…}` or `{"errors":[{"detail","status","title","code"}]}`)
//! with `Content-Type: application/json`, `Retry-After` on a 429 that
//! knows its wait, and `WWW-Authenticate` on a 401.
//!
//! The handlers answer with [`Reply`] (a success or an answer a rule
//! decided, [`mfa_core::wire::HttpResponse`]) or a [`Refusal`]; this file
//! is the one place either becomes an HTTP response, where failures
//! inside are logged and counted, and every error answer counts in
//! `mfa_rejected_total` by its code. What the framework answers by itself
//! (no such route, a method the route does not take, a request it could
//! not read) passes through [`json_errors`], which gives it the same
//! shape, so a client never has to parse a second kind of error.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics::counter;
use mfa_core::wire::{Body as WireBody, HttpResponse};
use tracing::error;

use crate::app::Refusal;

/// An answer of the guide's: what a handler returns.
#[derive(Debug)]
pub struct Reply(pub HttpResponse);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        if let WireBody::Errors(errors) = &self.0.body
            && let Some(first) = errors.errors.first()
        {
            let reason = first.code.clone();
            counter!("mfa_rejected_total", "reason" => reason).increment(1);
        }
        reply(self.0)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        Reply(answer_for(self)).into_response()
    }
}

/// The answer for a refusal; a failure inside is logged and counted
/// here, and answered with a generic 500 (the log has the cause).
pub fn answer_for(refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::Answer(answer) => answer,
        Refusal::Internal { what, cause } => {
            error!(error = %cause, "{what}");
            counter!("mfa_internal_errors_total").increment(1);
            failure(500, "internal", "internal error")
        }
        Refusal::Tampered { what, row } => {
            error!(
                tamper = what.name(),
                row, "refused a stored row this server did not write"
            );
            counter!("mfa_tamper_detected_total", "what" => what.name()).increment(1);
            counter!("mfa_internal_errors_total").increment(1);
            failure(500, "internal", "internal error")
        }
    }
}

/// The answer as an HTTP response: status, JSON body, `Retry-After`, and
/// `WWW-Authenticate` on a 401.
pub fn reply(answer: HttpResponse) -> Response {
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

/// An error answer: `status`, its reason phrase as the title, a `code`
/// and a `detail` (never a submitted value or a secret).
pub fn error(status: u16, code: &'static str, detail: impl Into<String>) -> Response {
    reply(failure(status, code, detail))
}

/// [`error()`] as an [`HttpResponse`].
pub fn failure(status: u16, code: &'static str, detail: impl Into<String>) -> HttpResponse {
    let title = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    HttpResponse::error(status, title, code, detail)
}

/// The `code` and `detail` for an error status the framework answered on
/// its own.
fn framework_error(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request", "the request could not be read"),
        404 => ("not_found", "no such resource"),
        405 => (
            "method_not_allowed",
            "this resource does not take that method",
        ),
        408 => ("request_timeout", "the request took too long to arrive"),
        413 => ("body_too_large", "the request body is too large"),
        415 => (
            "unsupported_media_type",
            "the body must be application/json",
        ),
        s if s >= 500 => ("internal", "internal error"),
        _ => ("error", "the request was refused"),
    }
}

/// Middleware (a response map): an error answer that is not JSON yet
/// (the framework's own) is given the guide's error shape; its status and
/// headers (`Allow` on a 405) stay.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let (code, detail) = framework_error(status);
    let (fresh, body) = error(status.as_u16(), code, detail).into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(fresh.headers);
    Response::from_parts(parts, Body::new(body))
}

/// The answer for a path no route takes.
pub async fn no_route() -> Response {
    error(404, "not_found", "no such resource")
}
