//! Reading a request's body within [`HttpLimits`]: a `Content-Length`
//! over the limit is a 413 from the headers, a body that grows past it a
//! 413 as it arrives, one slower than the deadline a 408.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use axum::response::Response;

use super::{HttpLimits, refused};

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The whole body, or the refusal to answer.
pub(super) async fn read(
    limits: HttpLimits,
    headers: &HeaderMap,
    body: Body,
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
