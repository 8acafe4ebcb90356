//! `mfa-server`: see `--help`.

use std::io::IsTerminal;
use std::sync::Arc;

use clap::Parser;
use mfa_server::transport::stdout::Stdout;
use mfa_server::{BoxError, Config, config};
use tracing_subscriber::EnvFilter;

/// mimalloc in place of the system allocator: a request allocates and
/// frees a few dozen small buffers (headers, JSON, sealed rows), and
/// glibc's malloc took 7% of the server's CPU under load; with mimalloc
/// the same build served 6-15% more requests (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    // No core dumps: a dump would hold the keys and the codes in flight.
    let _ = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0);
    let config = Config::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Whatever RUST_LOG asks, not below info for the PostgreSQL driver:
    // at debug it logs every statement's parameters (sealed rows, keyed
    // limiter names).
    let filter = filter.add_directive("tokio_postgres=info".parse()?);
    // Logs go to stderr: stdout carries the stdout transport's deliveries.
    // Colours only on a terminal: a log file gets plain text.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if config.log_json {
        logs.json().init();
    } else {
        logs.init();
    }

    if let Some(config::Command::Unlock {
        project_id,
        number,
        subject,
    }) = &config.command
    {
        return unlock(&config, project_id, number.as_deref(), subject.as_deref()).await;
    }

    let transport = mfa_server::transport_from(&config)?;
    let server = mfa_server::start(&config, transport).await?;
    say(&format!("mfa-server listening on http://{}", server.addr));
    if config.projects_or_dev()?.1 {
        say(&format!(
            "development project (no --project given): -u '{}:{}'",
            config::DEV_PROJECT,
            config::DEV_TOKEN
        ));
    }
    tracing::info!(addr = %server.addr, database = %redact(&config.database), transport = ?config.transport, "serving");

    shutdown_signal().await;
    tracing::info!("shutting down");
    server.stop().await
}

/// `mfa-server unlock`: clears a lockout through the store's
/// compare-and-swap, as a request would.
async fn unlock(
    config: &Config,
    project: &str,
    number: Option<&str>,
    subject: Option<&str>,
) -> Result<(), BoxError> {
    let app = mfa_server::open(config, Arc::new(Stdout::start()?)).await?;
    let cleared = app.unlock(project, number, subject).await;
    app.store.close().await;
    match cleared {
        Ok(true) => say("unlocked: its failed tries are cleared"),
        Ok(false) => say("nothing to unlock: no failed tries are counted"),
        Err(refusal) => {
            let answer = mfa_server::http::reply::answer_for(refusal);
            let detail = serde_json::to_string(&answer.body).unwrap_or_default();
            return Err(format!("unlock failed: {detail}").into());
        }
    }
    Ok(())
}

/// A line on stderr; a closed stderr is no reason to stop serving.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// The database URL without its user information (`user:password@`) or
/// query (`?password=…` and other parameters).
fn redact(url: &str) -> String {
    let url = url.split('?').next().unwrap_or(url);
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redact_hides_passwords_in_user_info_and_query() {
        assert_eq!(
            super::redact("postgres://mfa:s3cret@db:5432/mfa"),
            "postgres://…@db:5432/mfa"
        );
        assert_eq!(
            super::redact("postgres://db/mfa?user=mfa&password=s3cret"),
            "postgres://db/mfa"
        );
        assert_eq!(
            super::redact("sqlite://mfa-data/mfa.db"),
            "sqlite://mfa-data/mfa.db"
        );
    }
}
