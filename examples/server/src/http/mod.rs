//! The HTTP face of the server: the routes ([`router`]), the guards in
//! front of them ([`guards`]), the one shape of every answer ([`reply`]),
//! and the connection loop with its limits ([`serve`]).

pub mod guards;
pub mod reply;
pub mod serve;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Extension, MatchedPath, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics::histogram;
use metrics_exporter_prometheus::PrometheusHandle;
use mfa_core::Channel;

use crate::App;
use crate::app::Refusal;
use guards::{Authenticated, Guard};
use reply::Reply;

/// The guide's base path.
pub const BASE: &str = "/api/relay/rest/mfa";

/// Where `/metrics` is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricsOn {
    /// On the API's port, to a caller with a project's credentials.
    ApiPortWithCredentials,
    /// Not on the API's port (a separate listener serves it).
    SeparateListener,
}

/// The API routes behind their guards, `/healthz`, and `/metrics` as
/// `metrics_on` says; every answer in the guide's JSON shape, a latency
/// histogram around each.
pub fn router(
    app: Arc<App>,
    guard: Arc<Guard>,
    metrics: PrometheusHandle,
    metrics_on: MetricsOn,
) -> Router {
    // The guard runs once a route and its method matched: a wrong method
    // is a 405 whoever asks.
    let guarded = || middleware::from_fn_with_state(guard.clone(), guards::api_guard);
    let api = Router::new()
        .route(&format!("{BASE}/sms"), post(sms).route_layer(guarded()))
        .route(&format!("{BASE}/call"), post(call).route_layer(guarded()))
        .route(
            &format!("{BASE}/{{id}}/verify"),
            post(verify).route_layer(guarded()),
        )
        .with_state(app.clone());
    let mut router = Router::new()
        .merge(api)
        .route("/healthz", get(healthz).with_state(app));
    if metrics_on == MetricsOn::ApiPortWithCredentials {
        router = router.route(
            "/metrics",
            get(
                move |ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap| async move {
                    match guard.login(Some(peer.ip()), &headers) {
                        Ok(_) => metrics.render().into_response(),
                        Err(refusal) => refusal.into_response(),
                    }
                },
            ),
        );
    }
    router
        .fallback(reply::no_route)
        .layer(middleware::map_response(reply::json_errors))
        .layer(middleware::from_fn(track))
}

/// `/metrics` alone, for a listener of its own (no credentials: bind it
/// where only the scraper reaches).
pub fn metrics_router(metrics: PrometheusHandle) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || std::future::ready(metrics.render())),
        )
        .fallback(reply::no_route)
        .layer(middleware::map_response(reply::json_errors))
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

fn caller(who: &Authenticated) -> crate::app::Caller<'_> {
    crate::app::Caller {
        project: &who.project,
        subject: who.subject.as_deref(),
    }
}

async fn sms(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.issue(Channel::Sms, caller(&who), &body)
        .await
        .map(Reply)
}

async fn call(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.issue(Channel::Call, caller(&who), &body)
        .await
        .map(Reply)
}

async fn verify(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Authenticated>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Reply, Refusal> {
    app.verify(&id, caller(&who), &body).await.map(Reply)
}

/// 200 only when a write to the store landed within the last second: a store that can be
/// read but not written (a read-only file, a full disk, a stopped writer)
/// is not healthy.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    match app.healthy().await {
        Ok(()) => (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            "{\"status\":\"ok\"}",
        )
            .into_response(),
        Err(_) => reply::error(503, "unavailable", "the store does not take writes"),
    }
}
