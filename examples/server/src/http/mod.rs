//! The HTTP face of the server: the routes ([`router`], their handlers
//! in [`api`]), the guards in front of them ([`guards`]), the one shape of
//! every answer ([`reply`]), the OpenAPI document built with the router
//! ([`openapi`]), and the connection loop with its limits ([`serve`]),
//! which runs each request to its end ([`run_to_end`]).

pub mod api;
pub mod guards;
pub mod openapi;
pub mod reply;
pub mod run_to_end;
pub mod serve;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics::histogram;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::App;
use guards::Guard;

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

/// The API routes behind their guards, `/healthz`, `/openapi.json`, and
/// `/metrics` as `metrics_on` says; every answer in the guide's JSON
/// shape, a latency histogram around each. A wrong method is a 405
/// whoever asks: the guards run once a route and its method matched.
pub fn router(
    app: Arc<App>,
    guard: Arc<Guard>,
    metrics: PrometheusHandle,
    metrics_on: MetricsOn,
) -> Router {
    let (router, _) = openapi::router(app, guard, metrics, metrics_on);
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

/// `/metrics` on the API's port: a project's credentials, through the
/// failed-login throttle.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("basic" = [])),
    responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String)))]
async fn metrics(
    State((metrics, guard)): State<(PrometheusHandle, Arc<Guard>)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    match guard.login(Some(peer.ip()), &headers) {
        Ok(_) => metrics.render().into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// 200 only when a write to the store landed within the last second: a store that can be
/// read but not written (a read-only file, a full disk, a stopped writer)
/// is not healthy.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The store takes writes", body = openapi::Health),
        (status = 503, description = "`unavailable`", body = openapi::Errors)))]
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
