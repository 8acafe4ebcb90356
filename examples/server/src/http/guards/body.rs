//! Guards 3 and 4: the content type, then the body within its limits.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use axum::response::Response;

use super::refused;

/// Limits on one request.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// Largest body read, in bytes.
    pub max_body: usize,
    /// Longest wait for the whole body once the headers are in.
    pub body_timeout: Duration,
}

/// Whether the request says its body is JSON (parameters such as a
/// charset allowed).
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Reads the whole body within `limits`, or the refusal to answer: 413
/// for a `Content-Length` over the limit (from the headers) or a body
/// that grows past it while it arrives, 408 for one slower than the
/// deadline, 400 for one that cannot be read.
pub(super) async fn read(
    headers: &HeaderMap,
    body: Body,
    limits: HttpLimits,
) -> Result<Bytes, Response> {
    let too_large = || {
        refused(
            413,
            "body_too_large",
            "the request body is larger than this server accepts",
        )
    };
    if declared_length(headers).is_some_and(|n| n > limits.max_body as u64) {
        return Err(too_large());
    }
    let read = axum::body::to_bytes(body, limits.max_body);
    tokio::pin!(read);
    // A body already in the buffer needs no deadline (nor its timer).
    let read = tokio::select! {
        biased;
        read = &mut read => Ok(read),
        () = std::future::ready(()) => tokio::time::timeout(limits.body_timeout, read).await,
    };
    match read {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            // Over the limit (a chunked body), or the client went away.
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            Err(if over {
                too_large()
            } else {
                refused(400, "bad_request", "the request body could not be read")
            })
        }
        Err(_) => Err(refused(
            408,
            "request_timeout",
            "the request body did not arrive in time",
        )),
    }
}
