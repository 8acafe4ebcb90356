//! `mfa-server`: the reference HTTP server around `mfa-core`.
//!
//! The guide's three endpoints with HTTP Basic auth, challenges sealed with
//! ChaCha20-Poly1305 in SQLite or PostgreSQL, every change a
//! compare-and-swap on the challenge's revision, send limits and failed-try
//! lockout from `mfa_core::throttle`, and stdout or Twilio-compatible HTTP
//! delivery. `main.rs` is the command line; tests start the same server
//! in-process with [`start`].
//!
//! # Abuse control (defaults, all flags)
//!
//! | what | key | default | answer |
//! |---|---|---|---|
//! | sends (`--send-limit`) | project + number | 5 per 10 minutes and 10 per day | 429 `rate_limited`, `Retry-After` |
//! | failed tries (`--lockout`) | project + number | 5 free, then 1 s doubling to 15 min, locked at 100 | 429 `locked`, `Retry-After` while it waits |
//! | countries (`--allow-country`) | country calling code | all allowed | 403 `country_not_allowed` |
//!
//! 5 sends in 10 minutes is what hosted verify services allow a number: a
//! user who asks again a few times never meets it, a script does at once;
//! 10 a day bounds what SMS pumping can cost per number. The lockout is
//! `mfa_core::throttle`'s default (its docs give the reasons; 100 is NIST SP
//! 800-63B's ceiling); it gates tries on live challenges only and counts
//! the outcomes (a wrong code a failure, a right one a reset). A country
//! outside the list is 403, not 422: the request is valid by the API's
//! rules; this deployment refuses it by policy, and a client should not
//! retry it with other parameters.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tracing::{error, info};

pub mod app;
pub mod config;
pub mod seal;
pub mod store;
pub mod transport;

pub use app::{App, Settings};
pub use config::Config;
pub use transport::Transport;

/// Any startup error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            // Seconds: 0.5 ms … 2.5 s.
            let buckets = [
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets(&buckets)
                .expect("non-empty buckets")
                .build_recorder();
            let handle = recorder.handle();
            // A recorder installed by someone else (a test harness) is kept.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The transport the configuration asks for.
pub fn transport_from(config: &Config) -> Result<Transport, BoxError> {
    Ok(match config.transport {
        config::TransportKind::Stdout => Transport::Stdout,
        config::TransportKind::Http => {
            let need = |v: &Option<String>, flag: &str| {
                v.clone()
                    .ok_or_else(|| format!("--transport http needs {flag}"))
            };
            need(&config.sender, "--sender")?;
            Transport::http(transport::HttpConfig {
                base_url: need(&config.http_base_url, "--http-base-url")?,
                account_sid: need(&config.http_account_sid, "--http-account-sid")?,
                auth_token: need(&config.http_auth_token, "--http-auth-token")?,
            })
            .map_err(|e| e.to_string())?
        }
    })
}

/// Opens the store and the keys: the application state.
pub async fn open(config: &Config, transport: Arc<Transport>) -> Result<Arc<App>, BoxError> {
    let (projects, dev) = config.projects_or_dev();
    if dev && !config.listen.ip().is_loopback() {
        return Err(
            "the development project is only served on a loopback address: pass --project".into(),
        );
    }
    let key_path = config.seal_key_path();
    let (keyring, created) = seal::Keyring::load_or_create(&key_path)?;
    if created {
        info!(path = %key_path.display(), "created a seal key (mode 0600)");
    }
    let store = store::Store::connect(&config.database).await?;
    Ok(Arc::new(App {
        store,
        keyring,
        transport,
        settings: Settings {
            projects,
            sender: config.sender.clone(),
            allow_countries: config.allow_countries.clone(),
            send_policy: config.send_limit,
            lockout_policy: config.lockout,
        },
    }))
}

/// A running server.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The application state (store, transport).
    pub app: Arc<App>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), std::io::Error>>,
}

impl Server {
    /// Stops accepting, finishes requests in flight, closes the store.
    pub async fn stop(self) -> Result<(), BoxError> {
        let _ = self.stop.send(());
        self.task.await??;
        self.app.store.close().await;
        Ok(())
    }
}

/// Binds `config.listen` and serves until [`Server::stop`].
pub async fn start(config: &Config, transport: Arc<Transport>) -> Result<Server, BoxError> {
    let app = open(config, transport).await?;
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(serve(
        app.clone(),
        listener,
        Duration::from_secs(config.sweep_every_secs.max(1)),
        config.grace_secs,
        async {
            let _ = stopped.await;
        },
    ));
    Ok(Server {
        addr,
        app,
        stop,
        task,
    })
}

/// Serves `app` on `listener` with the sweep running beside it, until
/// `shutdown` completes.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    sweep_every: Duration,
    grace_secs: u64,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), std::io::Error> {
    let sweeper = tokio::spawn(sweep(app.clone(), sweep_every, grace_secs));
    let router = app::router(app, metrics_handle());
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    served
}

/// Deletes finished and expired challenges older than the grace period,
/// and limiter states nobody needs any more.
async fn sweep(app: Arc<App>, every: Duration, grace_secs: u64) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = mfa_core::UnixTime::now().as_secs();
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let before = now.saturating_sub(i64::try_from(grace_secs).unwrap_or(i64::MAX));
        match app.store.sweep(before, now).await {
            Ok((0, 0)) => {}
            Ok((challenges, limits)) => info!(challenges, limits, "swept"),
            Err(e) => error!(error = %e, "sweep failed"),
        }
    }
}
