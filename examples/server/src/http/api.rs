//! The API's handlers, each with its OpenAPI description beside it: the
//! router and `/openapi.json` are built from the same list
//! ([`routes()`]), so the document cannot leave a route out. The answers
//! every guarded route shares (400, 401, 405, 408, 413, 415, 429, 500)
//! are added to each by [`super::openapi`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use mfa_core::Channel;
use serde::Serialize;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use super::guards::{self, Authenticated, Guard};
use super::openapi::{
    CancelRequest, Errors, IssueRequest, Issued, ResendRequest, Success, VerifyRequest,
};
use super::reply::{self, Reply};
use crate::App;
use crate::app::status::StatusAnswer;
use crate::app::{Caller, Refusal};

/// A 200 with `T` as compact JSON.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
            Err(_) => reply::error(500, "internal", "internal error"),
        }
    }
}

/// The API routes behind their guards, with their descriptions.
pub fn routes(app: Arc<App>, guard: Arc<Guard>) -> OpenApiRouter {
    let json = |r| guarded(r, &guard, true);
    OpenApiRouter::new()
        .routes(json(routes!(sms)))
        .routes(json(routes!(call)))
        .routes(json(routes!(verify)))
        .routes(json(routes!(resend)))
        .routes(json(routes!(cancel)))
        .routes(guarded(routes!(status), &guard, false))
        .with_state(app)
}

/// `routes` behind the guard for a JSON body (`json`) or for none. The
/// guard wraps the method's handler alone: a wrong method is a 405
/// whoever asks, before any credentials are looked at.
fn guarded(
    (schemas, paths, method): UtoipaMethodRouter<Arc<App>>,
    guard: &Arc<Guard>,
    json: bool,
) -> UtoipaMethodRouter<Arc<App>> {
    let method = if json {
        method.route_layer(middleware::from_fn_with_state(
            guard.clone(),
            guards::api_guard,
        ))
    } else {
        method.route_layer(middleware::from_fn_with_state(
            guard.clone(),
            guards::read_guard,
        ))
    };
    (schemas, paths, method)
}

fn caller(who: &Authenticated) -> Caller<'_> {
    Caller {
        project: &who.project,
        subject: who.subject.as_deref(),
    }
}

/// Issue a code by SMS (the guide's route).
#[utoipa::path(post, path = "/api/relay/rest/mfa/sms", tag = "guide",
    request_body = IssueRequest, security(("basic" = [])),
    responses((status = 200, description = "Issued and handed to the transport", body = Issued),
        (status = 403, description = "`country_not_allowed`", body = Errors),
        (status = 422, description = "Invalid parameters (one entry each) or `invalid_body`", body = Errors),
        (status = 502, description = "`transport_failed`: the challenge is canceled", body = Errors)))]
async fn sms(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.issue(Channel::Sms, caller(&who), &body)
        .await
        .map(Reply)
}

/// Issue a code by a voice call (the guide's route).
#[utoipa::path(post, path = "/api/relay/rest/mfa/call", tag = "guide",
    request_body = IssueRequest, security(("basic" = [])),
    responses((status = 200, description = "Issued and handed to the transport", body = Issued),
        (status = 403, description = "`country_not_allowed`", body = Errors),
        (status = 422, description = "Invalid parameters (one entry each) or `invalid_body`", body = Errors),
        (status = 502, description = "`transport_failed`: the challenge is canceled", body = Errors)))]
async fn call(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.issue(Channel::Call, caller(&who), &body)
        .await
        .map(Reply)
}

/// Check a code (the guide's route): `{"success":true|false}`, or 404
/// with the reason once the challenge is closed.
#[utoipa::path(post, path = "/api/relay/rest/mfa/{id}/verify", tag = "guide",
    params(("id" = String, Path, description = "The challenge id", format = "uuid")),
    request_body = VerifyRequest, security(("basic" = [])),
    responses((status = 200, description = "Right or wrong", body = Success),
        (status = 404, description = "`not_found`, `already_verified`, `attempts_exhausted`, `expired`, `canceled`", body = Errors),
        (status = 422, description = "`invalid_body`", body = Errors)))]
async fn verify(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.verify(&id, caller(&who), &body).await.map(Reply)
}

/// Where a challenge stands (never the code, the number masked).
#[utoipa::path(get, path = "/api/relay/rest/mfa/{id}", tag = "beyond the guide",
    params(("id" = String, Path, description = "The challenge id", format = "uuid")),
    security(("basic" = [])),
    responses((status = 200, description = "The state now", body = StatusAnswer),
        (status = 404, description = "`not_found` (another project's id too)", body = Errors)))]
async fn status(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    Path(id): Path<String>,
) -> Result<Json<StatusAnswer>, Refusal> {
    app.status(&id, caller(&who)).await.map(Json)
}

/// Cancel a pending challenge.
#[utoipa::path(post, path = "/api/relay/rest/mfa/{id}/cancel", tag = "beyond the guide",
    params(("id" = String, Path, description = "The challenge id", format = "uuid")),
    request_body = CancelRequest, security(("basic" = [])),
    responses((status = 200, description = "Canceled", body = Success),
        (status = 404, description = "`not_found`, or the reason it is closed already", body = Errors),
        (status = 422, description = "`invalid_body`", body = Errors)))]
async fn cancel(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.cancel_challenge(&id, caller(&who), &body)
        .await
        .map(Reply)
}

/// Send the same code again, on the same channel or the other one;
/// counted by the send limits and budgets.
#[utoipa::path(post, path = "/api/relay/rest/mfa/{id}/resend", tag = "beyond the guide",
    params(("id" = String, Path, description = "The challenge id", format = "uuid")),
    request_body = ResendRequest, security(("basic" = [])),
    responses((status = 200, description = "Sent again; `channel` is this delivery's", body = Issued),
        (status = 403, description = "`country_not_allowed`", body = Errors),
        (status = 404, description = "`not_found`, or the reason it is closed", body = Errors),
        (status = 422, description = "`invalid_body`, or the message does not suit the channel", body = Errors),
        (status = 502, description = "`transport_failed`: the challenge stays open", body = Errors)))]
async fn resend(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.resend(&id, caller(&who), &body).await.map(Reply)
}
