//! The connection loop: every connection is HTTP/1.1 with a header
//! timeout, the number of open connections is capped, and shutdown waits
//! for requests in flight only so long.
//!
//! - **Header timeout** ([`ConnLimits::header_timeout`]): the headers of
//!   a request, and the first byte of the next one on a kept-alive
//!   connection, must arrive within it, or the connection is closed. A
//!   slowloris client or an idle socket holds a slot that long at most.
//!   The same bound holds a write that cannot go on (a client that
//!   pipelines requests and never reads the answers).
//! - **Connection cap** ([`ConnLimits::max_connections`]): at the cap the
//!   loop stops accepting (the kernel's backlog holds new clients) instead
//!   of running out of file descriptors; a slot frees when a connection
//!   closes. The cap is also kept below the process's descriptor limit.
//! - **Requests run to their end** ([`RunToEnd`]): a client that hangs up
//!   does not stop its request where it stands (between a write that
//!   landed and its event, or inside a store's transaction); the rest runs
//!   in a task of its own. The request holds its connection's slot until
//!   its end, so the cap bounds such requests too.
//! - **Shutdown**: no new connection is accepted, every open one is asked
//!   to finish its request in flight and close, and the requests whose
//!   clients hung up are waited for too; after
//!   [`ConnLimits::shutdown_grace`] the loop stops waiting and what is
//!   left ends with the process: a half-sent request cannot hold the
//!   process up.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use metrics::gauge;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;
use tracing::{debug, warn};

use super::run_to_end::RunToEnd;

/// Limits on connections.
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// Open connections at most.
    pub max_connections: usize,
    /// Longest wait for a request's headers (and for the next request on
    /// an idle connection), and for a stalled write to go on.
    pub header_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

/// Descriptors kept free for the store, the transport and the listener.
pub const SPARE_DESCRIPTORS: u64 = 64;

impl ConnLimits {
    /// The cap in force: [`ConnLimits::max_connections`], lowered to keep
    /// [`SPARE_DESCRIPTORS`] free below the process's open-file limit.
    pub fn effective_max_connections(&self) -> usize {
        let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap_or((u64::MAX, 0));
        let room = usize::try_from(soft.saturating_sub(SPARE_DESCRIPTORS)).unwrap_or(usize::MAX);
        self.max_connections.min(room).max(1)
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let cap = limits.effective_max_connections();
    let slots = Arc::new(Semaphore::new(cap));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or memory, or the peer reset
                    // before the accept: wait a little, then go on.
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let slot = Arc::new(slot);
        let held = Arc::clone(&slot);
        let router = router.clone();
        let service = tower::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let (router, slot) = (router.clone(), Arc::clone(&held));
            RunToEnd::new(async move {
                let _slot = slot;
                router.oneshot(request).await
            })
        });
        // A client that stops reading its answers holds the connection
        // no longer than a client that stops sending its headers.
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(limits.header_timeout));
        let connection = builder.serve_connection(
            TokioIo::new(Box::pin(stream)),
            TowerToHyperService::new(service),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            gauge!("mfa_open_connections").increment(1.0);
            if let Err(e) = connection.await {
                debug!(error = %e, %peer, "connection ended with an error");
            }
            gauge!("mfa_open_connections").decrement(1.0);
            drop(slot);
        });
    }
    drop(listener);
    // Every slot back: the connections have closed, and the requests
    // whose clients hung up before (each holds its slot) have ended too.
    let drained = async {
        graceful.shutdown().await;
        let cap = u32::try_from(cap).unwrap_or(u32::MAX);
        let _all = slots.acquire_many(cap).await;
    };
    if tokio::time::timeout(limits.shutdown_grace, drained)
        .await
        .is_err()
    {
        warn!(
            grace_secs = limits.shutdown_grace.as_secs(),
            "requests still open at the end of the shutdown grace period: left to end with the process"
        );
    }
    Ok(())
}
