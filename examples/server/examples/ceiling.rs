//! The HTTP ceiling for `load/steady.sh`: the same framework (axum on
//! hyper and tokio) with nothing behind it. Every POST has its body read
//! and parsed as JSON, then gets a fixed `200 {"success":true}`: no
//! credentials, store, sealing or limits. What the real server does on
//! top is the gap between the two rates.
//!
//! ```sh
//! cargo build --release --example ceiling
//! target/release/examples/ceiling 127.0.0.1:8090
//! ```

use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8090".to_string());
    let app = Router::new().fallback(post(answer));
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, app).await
}

/// Parses the body as JSON, then answers what a successful verify does
/// (400 for a body that is not JSON).
async fn answer(body: Bytes) -> impl IntoResponse {
    let status = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    let json = [(header::CONTENT_TYPE, "application/json")];
    (status, json, r#"{"success":true}"#)
}
