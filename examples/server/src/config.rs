//! Command line and environment: every flag has an `MFA_*` variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::budget::BudgetSpec;
use mfa_core::throttle::{LockoutPolicy, SendPolicy};

mod values;

pub use values::{
    Project, ProjectEntry, parse_lockout, parse_send_policy, read_project_file, sqlite_path,
};

/// The development project used when no `--project` is given. Only
/// accepted on a loopback address.
pub const DEV_PROJECT: &str = "dev-project";
/// Its API token.
pub const DEV_TOKEN: &str = "dev-token";

/// Reference HTTP server for mfa-core: the SignalWire-style MFA API
/// (`/api/relay/rest/mfa/{sms,call,{id}/verify}`) over SQLite or PostgreSQL.
// No `Debug`: it holds the http token and the database URL.
#[derive(Parser, Clone)]
#[command(name = "mfa-server", version)]
pub struct Config {
    /// Address to listen on (port 0: any free port).
    #[arg(long, env = "MFA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// `sqlite://FILE` (embedded, WAL; one server process per file; a
    /// `?QUERY` is read as SQLite URI parameters; a missing directory is
    /// created, owner-only) or `postgres://…` (several servers may share
    /// one database). The default directory, `mfa-data/`, is ignored by
    /// git.
    #[arg(
        long,
        env = "MFA_DATABASE",
        default_value = "sqlite://mfa-data/mfa.db",
        hide_env_values = true
    )]
    pub database: String,

    /// `PROJECT_ID:API_TOKEN`, repeatable (environment: comma-separated).
    /// None: one development project, `dev-project:dev-token`, loopback only.
    #[arg(
        long = "project",
        env = "MFA_PROJECTS",
        value_name = "ID:TOKEN",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub projects: Vec<ProjectEntry>,

    /// A file of `PROJECT_ID:API_TOKEN` lines (`#` comments), read with
    /// the `--project` ones; keeps tokens out of the command line.
    #[arg(long, env = "MFA_PROJECT_FILE")]
    pub project_file: Option<PathBuf>,

    /// Seal key file. Created (one key, mode 0600) only when the database
    /// holds no row yet; refused if others may read it. Default: beside
    /// the SQLite file (`mfa.db` → `mfa.key`); PostgreSQL needs it given.
    #[arg(long, env = "MFA_SEAL_KEY_FILE")]
    pub seal_key_file: Option<PathBuf>,

    /// Where deliveries go.
    #[arg(long, env = "MFA_TRANSPORT", value_enum, default_value = "stdout")]
    pub transport: TransportKind,

    /// http transport: base URL of the Twilio-compatible API (e.g.
    /// `https://YOUR-SPACE.signalwire.com/api/laml`).
    #[arg(long, env = "MFA_HTTP_BASE_URL")]
    pub http_base_url: Option<String>,

    /// http transport: account SID (SignalWire: project id).
    #[arg(long, env = "MFA_HTTP_ACCOUNT_SID")]
    pub http_account_sid: Option<String>,

    /// http transport: auth token.
    #[arg(long, env = "MFA_HTTP_AUTH_TOKEN", hide_env_values = true)]
    pub http_auth_token: Option<String>,

    /// http transport: a file holding the auth token (its first line).
    #[arg(long, env = "MFA_HTTP_AUTH_TOKEN_FILE")]
    pub http_auth_token_file: Option<PathBuf>,

    /// Serve the stdout transport (codes printed to the log) on a
    /// non-loopback address too. Without it, that combination is refused.
    #[arg(long, env = "MFA_ALLOW_STDOUT_BEYOND_LOOPBACK")]
    pub allow_stdout_beyond_loopback: bool,

    /// Seconds a delivery may take to be handed to the transport; then
    /// 502 and the challenge is canceled.
    #[arg(long, env = "MFA_TRANSPORT_TIMEOUT_SECS", default_value_t = 10)]
    pub transport_timeout_secs: u64,

    /// Default sender number (E.164) for requests without `from`.
    /// Required by the http transport.
    #[arg(long, env = "MFA_SENDER")]
    pub sender: Option<String>,

    /// Country calling codes that may receive codes (e.g. `1,44`).
    /// Default: all. Others get 403 `country_not_allowed`.
    #[arg(
        long = "allow-country",
        env = "MFA_ALLOW_COUNTRIES",
        value_delimiter = ','
    )]
    pub allow_countries: Vec<u16>,

    /// Sends per number and project: `MAX/SECONDS` windows, comma-separated,
    /// all must pass.
    #[arg(long, env = "MFA_SEND_LIMIT", default_value = "5/600,10/86400", value_parser = parse_send_policy)]
    pub send_limit: SendPolicy,

    /// Failed-try lockout per number and project:
    /// `FREE,BASE_DELAY_SECS,MAX_DELAY_SECS,HARD_LIMIT`.
    #[arg(long, env = "MFA_LOCKOUT", default_value = "5,1,900,100", value_parser = parse_lockout)]
    pub lockout: LockoutPolicy,

    /// Sends a project may make across all numbers: `MAX/SECONDS` (a
    /// burst of MAX, refilled at MAX per SECONDS), or `off`. Per server
    /// process.
    #[arg(long, env = "MFA_PROJECT_BUDGET", default_value = "1000/3600")]
    pub project_budget: BudgetSpec,

    /// Sends a project may make to one country calling code: `MAX/SECONDS`
    /// or `off`. Per server process.
    #[arg(long, env = "MFA_COUNTRY_BUDGET", default_value = "100/3600")]
    pub country_budget: BudgetSpec,

    /// Largest request body, in bytes (413 above it).
    #[arg(long, env = "MFA_MAX_BODY_BYTES", default_value_t = 16_384)]
    pub max_body_bytes: usize,

    /// Seconds a client has to send a request's headers, and an idle
    /// kept-alive connection stays open.
    #[arg(long, env = "MFA_HEADER_TIMEOUT_SECS", default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a client has to send a request's body (408 after).
    #[arg(long, env = "MFA_BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub body_timeout_secs: u64,

    /// Open connections at most (kept below the open-file limit).
    #[arg(long, env = "MFA_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds shutdown waits for requests in flight.
    #[arg(long, env = "MFA_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Serve `/metrics` on this address, without credentials, and not on
    /// the API's port. Without it, `/metrics` is on the API's port and
    /// needs a project's credentials.
    #[arg(long, env = "MFA_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// Seconds a hard lock (the lockout's HARD_LIMIT of failed tries)
    /// lasts after the last counted try; then the number (or subject)
    /// starts afresh. `mfa-server unlock` lifts one at once.
    /// 1 to 604800 (the lockout row is kept a week after its last
    /// counted try).
    #[arg(
        long,
        env = "MFA_HARD_LOCK_SECS",
        default_value_t = 86_400,
        value_parser = clap::value_parser!(u64).range(1..=crate::record::LOCKOUT_KEEP_SECS)
    )]
    pub hard_lock_secs: u64,

    /// Seconds a finished or expired challenge is kept before the sweep
    /// deletes it (a late verify still gets its reason meanwhile).
    #[arg(long, env = "MFA_GRACE_SECS", default_value_t = 86_400)]
    pub grace_secs: u64,

    /// Seconds this server's clock may differ from PostgreSQL's: more
    /// stops the start, and skips a sweep (a clock ahead would delete live
    /// challenges). Every server's clock decides expiry, so keep them in
    /// step (NTP).
    #[arg(long, env = "MFA_MAX_CLOCK_SKEW_SECS", default_value_t = 30)]
    pub max_clock_skew_secs: u64,

    /// Seconds between sweeps.
    #[arg(long, env = "MFA_SWEEP_EVERY_SECS", default_value_t = 60)]
    pub sweep_every_secs: u64,

    /// A file of `PROJECT_ID URL whsec_SECRET` lines (`#` comments,
    /// owner-only like the key file): where each project's signed events
    /// go (Standard Webhooks). None: no events are sent.
    #[arg(long, env = "MFA_WEBHOOK_FILE")]
    pub webhook_file: Option<PathBuf>,

    /// Webhook events waiting or being retried at most; one more is
    /// dropped and counted (`mfa_webhook_dropped_total`).
    #[arg(long, env = "MFA_WEBHOOK_QUEUE", default_value_t = 10_000)]
    pub webhook_queue: usize,

    /// Log as JSON lines (default: human-readable).
    #[arg(long, env = "MFA_LOG_JSON")]
    pub log_json: bool,

    /// Instead of serving, do an operator's task and exit.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Operator tasks (run with the same database and key flags as the
/// server).
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Lifts a lockout: clears the failed tries of a number (or of a
    /// requester named by `MFA-Subject`) in a project.
    Unlock {
        /// The project id.
        project_id: String,
        /// The phone number (E.164).
        #[arg(long, conflicts_with = "subject", required_unless_present = "subject")]
        number: Option<String>,
        /// The requester, as the calling service named it.
        #[arg(long)]
        subject: Option<String>,
    },
}

/// The transports the command line can choose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransportKind {
    /// One JSON line a delivery on standard output (development).
    Stdout,
    /// Twilio-compatible REST API (SignalWire compatibility API, Twilio).
    Http,
}

impl Config {
    /// The seal key file to use: `--seal-key-file`, else beside the
    /// SQLite file. `None` for PostgreSQL without `--seal-key-file`:
    /// servers sharing a database must share the key, so it is never
    /// made up for one of them.
    pub fn seal_key_path(&self) -> Option<PathBuf> {
        if let Some(path) = &self.seal_key_file {
            return Some(path.clone());
        }
        self.sqlite_file().map(|db| db.with_extension("key"))
    }

    /// The projects (flags, environment and project file), or the
    /// development project when none is configured (`true` then).
    pub fn projects_or_dev(&self) -> Result<(Vec<Project>, bool), String> {
        let mut projects = Vec::with_capacity(self.projects.len());
        for (n, entry) in self.projects.iter().enumerate() {
            projects.push(
                entry
                    .0
                    .parse::<Project>()
                    .map_err(|e| format!("--project / MFA_PROJECTS entry {}: {e}", n + 1))?,
            );
        }
        if let Some(path) = &self.project_file {
            projects.extend(read_project_file(path)?);
        }
        if projects.is_empty() {
            let dev = Project {
                id: DEV_PROJECT.to_string(),
                token: DEV_TOKEN.to_string(),
            };
            return Ok((vec![dev], true));
        }
        Ok((projects, false))
    }

    /// The SQLite file of `--database`, if it is one.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        sqlite_path(&self.database)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    }
}

#[cfg(test)]
mod tests;
