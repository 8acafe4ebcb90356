//! `mfa-server`: the reference HTTP server around `mfa-core`.
//!
//! The guide's three endpoints with HTTP Basic auth behind guards on
//! size, time and content type ([`http`]), every row sealed with
//! XChaCha20-Poly1305 in SQLite or PostgreSQL ([`seal`], [`record`]), every change a
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
//! | failed tries (`--lockout`, `--hard-lock-secs`) | project + number, and project + `MFA-Subject` if given | 5 free, then 1 s doubling to 15 min, locked at 100 for 24 h after the last try | 429 `locked`, `Retry-After` |
//! | sends by requester (`--send-limit`) | project + `MFA-Subject`, if given | as for a number | 429 `rate_limited`, `Retry-After` |
//! | failed logins | client address | 20 a minute | 429 `too_many_failed_logins`, `Retry-After` |
//! | countries (`--allow-country`) | country calling code | all allowed | 403 `country_not_allowed` |
//! | sends across numbers (`--project-budget`) | project | 1,000 a burst, refilled at 1,000 an hour | 429 `budget_exhausted`, `Retry-After` |
//! | sends to one country (`--country-budget`) | project + country calling code | 100 a burst, refilled at 100 an hour | 429 `budget_exhausted`, `Retry-After` |
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
//!
//! `MFA-Subject` lets the calling service name who is asking (an
//! account, a session, a client address): a guesser's failures then count
//! against them across numbers, not only against each number, and
//! `mfa-server unlock PROJECT --number N` lifts a number's lock at once
//! (`docs/THREAT_MODEL.md` weighs this against NIST SP 800-63B).
//!
//! The budgets ([`budget`]) stop SMS pumping: a script that asks codes for
//! many numbers, each under its own limit, usually in a country whose
//! termination fees it shares in. 100 an hour to one country lets a small
//! service's real users through and stops a script within its first
//! minute; a service that sends more raises both (`off` turns one off).

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;
use tracing::{error, info, warn};

pub mod app;
pub mod budget;
pub mod config;
pub mod http;
pub mod record;
pub mod seal;
pub mod store;
pub mod transport;

pub use app::{App, Caller, Refusal, Settings};
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
pub fn transport_from(config: &Config) -> Result<Arc<dyn Transport>, BoxError> {
    Ok(match config.transport {
        config::TransportKind::Stdout => Arc::new(transport::stdout::Stdout::start()?),
        config::TransportKind::Http => {
            let need = |v: &Option<String>, flag: &str| {
                v.clone()
                    .ok_or_else(|| format!("--transport http needs {flag}"))
            };
            need(&config.sender, "--sender")?;
            let auth_token = match (&config.http_auth_token, &config.http_auth_token_file) {
                (Some(token), None) => token.clone(),
                (None, Some(path)) => std::fs::read_to_string(path)
                    .map_err(|e| format!("--http-auth-token-file {}: {e}", path.display()))?
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
                _ => {
                    return Err(
                        "--transport http needs one of --http-auth-token, --http-auth-token-file"
                            .into(),
                    );
                }
            };
            Arc::new(transport::http::Http::new(transport::http::HttpConfig {
                base_url: need(&config.http_base_url, "--http-base-url")?,
                account_sid: need(&config.http_account_sid, "--http-account-sid")?,
                auth_token,
            })?)
        }
    })
}

/// The row format this version writes (`meta.row_format`): limiter rows
/// sealed. A store without it holds limiter rows in the clear, from an
/// earlier version: they are cleared once (the send limits and lockouts
/// start afresh), as they could not be told apart from forged ones.
const ROW_FORMAT: &str = "2";

/// Opens the store and the keys: the application state.
///
/// Refuses to start, saying why, when the key cannot be trusted to be the
/// one the rows were sealed with: a missing key file beside a database
/// that holds rows, a key file others may read, a key check in the
/// database that names another key file (two servers on one database
/// with different keys).
pub async fn open(config: &Config, transport: Arc<dyn Transport>) -> Result<Arc<App>, BoxError> {
    let (_, dev) = config.projects_or_dev()?;
    let loopback = config.listen.ip().is_loopback();
    if dev && !loopback {
        return Err(
            "the development project is only served on a loopback address: pass --project".into(),
        );
    }
    if config.transport == config::TransportKind::Stdout
        && !loopback
        && !config.allow_stdout_beyond_loopback
    {
        return Err(
            "the stdout transport prints every code into the log: it is only served on \
             a loopback address (choose --transport http, or pass \
             --allow-stdout-beyond-loopback)"
                .into(),
        );
    }
    let Some(key_path) = config.seal_key_path() else {
        return Err(
            "PostgreSQL needs --seal-key-file: every server sharing the database must \
             use the same key file, so none is created for one of them"
                .into(),
        );
    };
    if let Some(db) = config.sqlite_file() {
        make_private_dir(db.parent())?;
        create_private_file(&db)?;
    }
    make_private_dir(key_path.parent())?;
    let store = store::Store::connect(&config.database).await?;
    let keyring = match seal::Keyring::read(&key_path)? {
        Some(keyring) => keyring,
        None => {
            if store.has_rows().await? || store.meta("key_check").await?.is_some() {
                store.close().await;
                return Err(format!(
                    "the seal key file {} is missing, but the database holds rows sealed \
                     with a key: restore the key file (a new key could open none of them)",
                    key_path.display()
                )
                .into());
            }
            let keyring = seal::Keyring::create(&key_path)?;
            info!(path = %key_path.display(), "created a seal key for an empty database (mode 0600)");
            keyring
        }
    };
    check_key(&store, &keyring).await?;
    let now = i64::try_from(mfa_core::UnixTime::now().as_secs()).unwrap_or(i64::MAX);
    if let Err(e) = check_skew(&store, now, config.max_clock_skew_secs).await {
        store.close().await;
        return Err(e);
    }
    if store.meta("row_format").await?.as_deref() != Some(ROW_FORMAT) {
        let upgrade = vec![
            store::Write::ClearLimits,
            store::Write::SetMeta(store::MetaColumns {
                name: "row_format",
                value: ROW_FORMAT.into(),
            }),
        ];
        let had_rows = store.has_rows().await?;
        store.apply(upgrade).await?;
        if had_rows {
            warn!(
                "limiter rows are sealed from now on: the unsealed ones of the earlier \
                 version were cleared (send limits and lockouts start afresh once)"
            );
        }
    }
    Ok(Arc::new(App {
        store,
        keyring,
        transport,
        budgets: budget::Budgets::new(config.project_budget, config.country_budget),
        settings: Settings {
            sender: config.sender.clone(),
            allow_countries: config.allow_countries.clone(),
            send_policy: config.send_limit,
            lockout_policy: config.lockout,
            transport_timeout: Duration::from_secs(config.transport_timeout_secs.max(1)),
            hard_lock: Duration::from_secs(config.hard_lock_secs),
        },
    }))
}

/// Compares the key file with the key check the database holds, storing
/// it first if there is none (the first server to start names the key).
async fn check_key(store: &store::Store, keyring: &seal::Keyring) -> Result<(), BoxError> {
    let ours = keyring.key_check();
    if store.meta("key_check").await?.is_none() {
        store
            .apply(vec![store::Write::InsertMeta(store::MetaColumns {
                name: "key_check",
                value: ours.clone(),
            })])
            .await?;
    }
    match store.meta("key_check").await? {
        Some(stored) if stored == ours => Ok(()),
        _ => {
            store.close().await;
            Err(
                "the seal key file is not the one this database's rows are sealed with \
                 (its key check differs): every server on one database needs the same key file"
                    .into(),
            )
        }
    }
}

/// Creates an empty SQLite file readable by its owner only, if there is
/// none: SQLite gives the WAL and shared-memory files the same mode.
fn create_private_file(path: &Path) -> Result<(), BoxError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("creating {}: {e}", path.display()).into()),
    }
}

/// Creates `dir` (and its parents) if missing, readable by its owner only.
fn make_private_dir(dir: Option<&Path>) -> Result<(), BoxError> {
    let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("creating {}: {e}", dir.display()).into())
}

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
    let app = open(config, transport).await?;
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
async fn check_skew(store: &store::Store, now: i64, max_skew_secs: u64) -> Result<(), BoxError> {
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
