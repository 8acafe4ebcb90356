//! Opening the application: the transport, the store, the key file and
//! the checks that must pass before a request is served.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use crate::app::{App, Settings};
use crate::config::{self, Config};
use crate::transport::Transport;
use crate::{BoxError, budget, seal, store, transport, webhook};

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
    if let Err(e) = crate::server::check_skew(&store, now, config.max_clock_skew_secs).await {
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
    let webhooks = webhooks_from(config)?;
    Ok(Arc::new(App {
        webhooks,
        store,
        keyring,
        transport,
        budgets: budget::Budgets::new(config.project_budget, config.country_budget),
        health: Default::default(),
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

/// The webhooks of `--webhook-file`, if given.
fn webhooks_from(config: &Config) -> Result<webhook::Webhooks, BoxError> {
    let Some(path) = &config.webhook_file else {
        return Ok(webhook::Webhooks::default());
    };
    let targets = webhook::read_file(path)?;
    let (projects, _) = config.projects_or_dev()?;
    for id in targets
        .keys()
        .filter(|id| !projects.iter().any(|p| &p.id == *id))
    {
        warn!(project = %id, "the webhook file names a project this server does not serve");
    }
    let limits = webhook::QueueLimits {
        capacity: config.webhook_queue,
        ..Default::default()
    };
    webhook::Webhooks::new(targets, limits)
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
