//! The OpenAPI 3.1 document, served at `/openapi.json` without
//! credentials: built by [`router`] from the same `routes!` lists that
//! make the router, so a route cannot be served and left out. The
//! answers every guarded route shares are added to each operation here
//! (`Shared`), and the schemas below describe the guide's shapes (the
//! property tests in `api-check.sh` check every answer against them).

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::guards::Guard;
use super::{MetricsOn, api};
use crate::App;
use crate::app::status::StatusAnswer;

/// `POST …/mfa/sms` and `…/mfa/call` (SPEC §7.2): only `to` is required.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct IssueRequest {
    /// The destination, E.164.
    #[schema(pattern = r"^\+[1-9][0-9]{1,14}$", example = "+15557788999")]
    to: String,
    /// The origin, E.164 (needed for a custom SMS message).
    #[schema(pattern = r"^\+[1-9][0-9]{1,14}$")]
    from: Option<String>,
    /// The text before the code (default: the channel's).
    message: Option<String>,
    /// 4 to 20 (default 6).
    #[schema(minimum = 4, maximum = 20)]
    token_length: Option<i64>,
    /// 1 to 20 (default 3).
    #[schema(minimum = 1, maximum = 20)]
    max_attempts: Option<i64>,
    /// Letters as well as digits (also read as `allow_alpha`).
    allow_alphas: Option<bool>,
    /// Seconds, 0 to 604800 (default 3600).
    #[schema(minimum = 0, maximum = 604_800)]
    valid_for: Option<i64>,
}

/// `POST …/mfa/{id}/verify`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct VerifyRequest {
    /// What the user typed.
    token: String,
}

/// `POST …/mfa/{id}/resend`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct ResendRequest {
    /// `sms` or `call`; absent: the channel of the latest delivery.
    #[schema(pattern = "^(sms|call)$")]
    channel: Option<String>,
    /// The text before the code (default: the channel's).
    message: Option<String>,
}

/// `POST …/mfa/{id}/cancel`: `{}`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {}

/// The issue answer (also a resend's).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Issued {
    #[schema(format = "uuid")]
    id: String,
    success: bool,
    to: String,
    #[schema(pattern = "^(sms|call)$")]
    channel: String,
}

/// `{"success": true|false}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Success {
    success: bool,
}

/// One error entry.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorEntry {
    detail: String,
    /// The HTTP status, as a string.
    #[schema(pattern = "^[0-9]{3}$")]
    status: String,
    title: String,
    /// A stable machine-readable code.
    code: String,
}

/// Every error answer: `{"errors":[…]}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Errors {
    errors: Vec<ErrorEntry>,
}

/// `/healthz`'s answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(pattern = "^ok$")]
    status: &'static str,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "mfa-server", description = "SignalWire's MFA API (`/api/relay/rest/mfa`), and status, cancel and resend beyond it. HTTP Basic: project id and API token."),
    components(schemas(Errors, ErrorEntry, StatusAnswer)),
    modifiers(&Shared)
)]
struct Doc;

/// Adds the HTTP Basic scheme, and to every operation the answers its
/// guards and the framework may give.
struct Shared;

fn error_ref() -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    Ref::new("#/components/responses/Error").into()
}

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        let error = ResponseBuilder::new()
            .description("An error in the guide's shape (`errors[0].code` says which)")
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Errors")))
                    .build(),
            )
            .build();
        components.responses.insert("Error".into(), error.into());
    }
}

/// The shared answers, added once every route is in the document.
fn add_shared(doc: &mut Document) {
    for item in doc.paths.paths.values_mut() {
        let ops: [(&mut Option<Operation>, bool); 2] =
            [(&mut item.get, false), (&mut item.post, true)];
        for (op, body) in ops {
            let Some(op) = op.as_mut() else { continue };
            let guarded = op.security.is_some();
            let mut statuses = vec!["405", "500"];
            if guarded {
                statuses.extend(["400", "401", "408", "413", "429"]);
            }
            if guarded && body {
                statuses.push("415");
            }
            for status in statuses {
                op.responses
                    .responses
                    .entry(status.into())
                    .or_insert_with(error_ref);
            }
        }
    }
}

/// The document's text, set once the router is built.
type Text = Arc<OnceLock<String>>;

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
async fn openapi_json(State(text): State<Text>) -> impl IntoResponse {
    let text = text.get().cloned().unwrap_or_default();
    ([(header::CONTENT_TYPE, "application/json")], text)
}

/// The routes (API, `/healthz`, `/metrics` where `metrics_on` says,
/// `/openapi.json`) and the document that describes them.
pub fn router(
    app: Arc<App>,
    guard: Arc<Guard>,
    metrics: PrometheusHandle,
    metrics_on: MetricsOn,
) -> (Router, Document) {
    let text = Text::default();
    let mut all = OpenApiRouter::with_openapi(Doc::openapi())
        .merge(api::routes(app.clone(), guard.clone()))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(super::healthz))
                .with_state(app),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(openapi_json))
                .with_state(text.clone()),
        );
    if metrics_on == MetricsOn::ApiPortWithCredentials {
        all = all.merge(
            OpenApiRouter::new()
                .routes(routes!(super::metrics))
                .with_state((metrics, guard)),
        );
    }
    let (router, mut doc) = all.split_for_parts();
    add_shared(&mut doc);
    let _ = text.set(doc.to_json().unwrap_or_default());
    (router, doc)
}
