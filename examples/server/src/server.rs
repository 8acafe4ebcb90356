//! A running server: its listeners, the sweep beside them, and stopping.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing::{error, info, warn};

use crate::app::App;
use crate::config::Config;
use crate::transport::Transport;
use crate::{BoxError, http, metrics_handle, startup, store};

/// A running server.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where `/metrics` listens, if on a port of its own.
    pub metrics_addr: Option<SocketAddr>,
    /// The application state (store, transport).
    pub app: Arc<App>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), std::io::Error>>,
}

impl Server {
    /// Stops accepting, finishes requests in flight (for the shutdown
    /// grace period at most), closes the store.
    pub async fn stop(self) -> Result<(), BoxError> {
        let _ = self.stop.send(true);
        self.task.await??;
        self.app.store.close().await;
        Ok(())
    }
}

/// Binds `config.listen` (and `config.metrics_listen`) and serves until
/// [`Server::stop`].
pub async fn start(config: &Config, transport: Arc<dyn Transport>) -> Result<Server, BoxError> {
    let app = startup::open(config, transport).await?;
    let (projects, dev) = config.projects_or_dev()?;
    let guard = Arc::new(http::guards::Guard {
        credentials: http::guards::Credentials::new(&projects)?,
        limits: http::guards::HttpLimits {
            max_body: config.max_body_bytes,
            body_timeout: Duration::from_secs(config.body_timeout_secs.max(1)),
        },
        failures: http::guards::FailedLogins::default(),
    });
    for project in projects.iter().filter(|_| !dev) {
        // 22 characters of base64 carry 128 bits; fewer cannot.
        if project.token.len() < 22 {
            warn!(
                project = %project.id,
                "this project's API token is shorter than 22 characters: it cannot hold 128 \
                 bits; use a longer random one (e.g. `openssl rand -base64 32`)"
            );
        }
    }
    // Forget failed logins whose window has passed, for as long as the
    // routes hold the guard.
    let weak = Arc::downgrade(&guard);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(http::guards::FailedLogins::WINDOW);
        loop {
            tick.tick().await;
            match weak.upgrade() {
                Some(guard) => guard.failures.forget_old(),
                None => return,
            }
        }
    });
    let limits = http::serve::ConnLimits {
        max_connections: config.max_connections,
        header_timeout: Duration::from_secs(config.header_timeout_secs.max(1)),
        shutdown_grace: Duration::from_secs(config.shutdown_grace_secs),
    };
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let metrics_on = match config.metrics_listen {
        Some(_) => http::MetricsOn::SeparateListener,
        None => http::MetricsOn::ApiPortWithCredentials,
    };
    let mut metrics_addr = None;
    if let Some(listen) = config.metrics_listen {
        let listener = TcpListener::bind(listen).await?;
        metrics_addr = Some(listener.local_addr()?);
        tokio::spawn(http::serve::serve(
            listener,
            http::metrics_router(metrics_handle()),
            limits,
            until_stopped(),
        ));
    }
    let router = http::router(app.clone(), guard, metrics_handle(), metrics_on);
    let task = tokio::spawn(serve(
        app.clone(),
        listener,
        router,
        limits,
        Sweeping {
            every: Duration::from_secs(config.sweep_every_secs.max(1)),
            grace_secs: config.grace_secs,
            max_skew_secs: config.max_clock_skew_secs,
        },
        until_stopped(),
    ));
    Ok(Server {
        addr,
        metrics_addr,
        app,
        stop,
        task,
    })
}

/// Serves `router` on `listener` with the sweep running beside it, until
/// `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    router: axum::Router,
    limits: http::serve::ConnLimits,
    sweeping: Sweeping,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), std::io::Error> {
    let sweeper = tokio::spawn(sweep(app.clone(), sweeping));
    let served = http::serve::serve(listener, router, limits, shutdown).await;
    sweeper.abort();
    served
}

/// When and how far the sweep deletes.
#[derive(Clone, Copy, Debug)]
pub struct Sweeping {
    /// Time between sweeps.
    pub every: Duration,
    /// How long finished challenges are kept.
    pub grace_secs: u64,
    /// How far this server's clock may be from the database's.
    pub max_skew_secs: u64,
}

/// Deletes finished and expired challenges older than the grace period,
/// and limiter states nobody needs any more; forgets idle budgets.
async fn sweep(app: Arc<App>, sweeping: Sweeping) {
    let Sweeping {
        every,
        grace_secs,
        max_skew_secs,
    } = sweeping;
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        app.budgets.forget_idle();
        let now = i64::try_from(mfa_core::UnixTime::now().as_secs()).unwrap_or(i64::MAX);
        match sweep_once(&app, now, grace_secs, max_skew_secs).await {
            Ok((0, 0)) => {}
            Ok((challenges, limits)) => info!(challenges, limits, "swept"),
            Err(e) => {
                metrics::counter!("mfa_sweep_failures_total").increment(1);
                error!(error = %e, "sweep skipped");
            }
        }
    }
}

/// One sweep at this process's time `now`. On a database with a clock of
/// its own (PostgreSQL, shared by every server), a `now` more than
/// `max_skew_secs` away from it deletes nothing: a server whose clock ran
/// ahead would delete challenges that are still live, and lockouts that
/// still count.
pub async fn sweep_once(
    app: &App,
    now: i64,
    grace_secs: u64,
    max_skew_secs: u64,
) -> Result<(u64, u64), BoxError> {
    check_skew(&app.store, now, max_skew_secs).await?;
    let before = now.saturating_sub(i64::try_from(grace_secs).unwrap_or(i64::MAX));
    Ok(app.store.sweep(before, now).await?)
}

/// Refuses a `now` further than `max_skew_secs` from the database's clock.
pub(crate) async fn check_skew(
    store: &store::Store,
    now: i64,
    max_skew_secs: u64,
) -> Result<(), BoxError> {
    if let Some(database) = store.clock().await? {
        let skew = now.abs_diff(database);
        if skew > max_skew_secs {
            return Err(format!(
                "this server's clock is {skew} s away from the database's (at most \
                 {max_skew_secs} s allowed): fix the clock (NTP)"
            )
            .into());
        }
    }
    Ok(())
}
