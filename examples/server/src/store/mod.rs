//! The store: SQLite (one file, WAL) or PostgreSQL.
//!
//! Two tables, every change a compare-and-swap on `revision`:
//!
//! ```sql
//! challenges (id TEXT UNIQUE, project TEXT, revision BIGINT,
//!             expires_at BIGINT, sweep_at BIGINT, record BLOB/BYTEA)
//! limits     (key TEXT UNIQUE, revision BIGINT, expires_at BIGINT,
//!             state BLOB/BYTEA)
//! meta       (name TEXT PRIMARY KEY, value TEXT)
//! ```
//!
//! `meta` holds the key check (which key file the rows are sealed under),
//! the row format, and the health probe's last write.
//!
//! (`id` and `key` are the primary keys on PostgreSQL; SQLite keeps rows
//! in insertion order, and a new SQLite file stores both as bytes, see
//! [`sqlite`].) `record` is the sealed challenge
//! (see [`crate::seal`]); `key` names a limiter's number without showing
//! it (a keyed hash, see [`crate::seal`]); `state` is a limiter state as
//! sealed record too (times, counts and challenge revisions; no code). `sweep_at` is `expires_at`
//! while the challenge is pending and the time it closed once it is
//! terminal (one indexed column for the sweep): the sweep deletes
//! challenges whose `sweep_at` lies more than a grace period in the past,
//! and limiter rows past their `expires_at`.
//!
//! A request's writes go as one [`Store::apply`]: a list of writes, each
//! run only if every one before it changed its row, committed together.
//! Issuing a code is one call (the send-limit update, then the new
//! challenge); a verify is two reads and one call (the lockout's count,
//! the challenge, and on a right code the lockout's reset).
//!
//! - **SQLite** ([`sqlite`]): one connection on a thread of its own runs
//!   every read and write, in batches: all the jobs waiting in its queue
//!   run in one transaction (group commit) and are answered once it has
//!   committed. One connection keeps its page cache warm (SQLite empties a
//!   connection's cache whenever another connection writes), and a batch
//!   costs one wake-up and one commit however many requests it serves. A
//!   second thread checkpoints the WAL, so requests seldom wait for it.
//!   One server process per file.
//! - **PostgreSQL** ([`postgres`]): a pool of tokio-postgres connections.
//!   A write list is one statement, each write in it run only if the one
//!   before landed; a list that writes one row twice (a right code's
//!   lockout count and reset) is a chain of two. A few committer tasks
//!   run the lists: one that finds them free runs alone (one round trip,
//!   one commit); those that arrive while they are busy run together, in
//!   one transaction (group commit, as on SQLite). Reads of one table
//!   that wait together go as one statement, on a few connections shared
//!   by all requests. Several server processes may share the database.
//!
//! # Durability
//!
//! An answer goes out once its writes have committed. SQLite runs with
//! `synchronous = NORMAL`: a commit reaches the operating system, not the
//! disk, so it survives a killed server (tests/crash.rs) but a power loss
//! or a kernel crash may take back the last commits, the file staying
//! sound. What that can undo is a counted send or failure, or a verified
//! or spent code (it could be tried again). `FULL`, one disk sync per
//! batch, would close that window at the cost of the sync; PostgreSQL
//! with its default `synchronous_commit = on` has no such window.

pub mod postgres;
mod rows;
mod sql;
pub mod sqlite;

pub use rows::{ChallengeColumns, ChallengeRow, LimitColumns, LimitRow, MetaColumns, Write};
pub use sql::EXPIRY_SLACK_SECS;

use std::sync::Arc;

/// A store error: the host answers 500 and logs it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused a statement or the commit. Shared by every job of
    /// the batch it failed (the whole transaction rolled back).
    #[error("SQLite: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    /// PostgreSQL refused, or the connection to it failed. Shown with
    /// PostgreSQL's code and message, without its detail (which can
    /// quote a row's values).
    #[error("PostgreSQL: {}", postgres_reason(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// A read on a shared PostgreSQL connection had no answer in time.
    #[error("PostgreSQL: no answer to a read within {0:?}")]
    ReadTimeout(std::time::Duration),
    /// No PostgreSQL connection came free or opened in time.
    #[error("PostgreSQL pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A failure shared by every request of a group on PostgreSQL: a
    /// group commit that had no connection, or whose `COMMIT` failed, so
    /// that what landed is unknown (`postgres/group.rs`); a read group
    /// that had no answer (`postgres/reads.rs`).
    #[error("{0} (shared by a group of requests)")]
    Group(Arc<Error>),
    /// The store was closed (the server is stopping).
    #[error("the store is closed")]
    Closed,
    /// The operating system refused: starting a thread, opening or
    /// syncing the database file.
    #[error("store I/O: {0}")]
    Io(std::io::Error),
    /// A database URL this server does not take.
    #[error("{0}")]
    Url(String),
    /// The file disagrees with itself (edited by hand, or written by
    /// another version): the server will not start on it.
    #[error("the database file is inconsistent: {0}")]
    Inconsistent(String),
}

/// What went wrong on PostgreSQL: the error's code and message if the
/// database answered with one, else the driver's words and their cause.
fn postgres_reason(e: &tokio_postgres::Error) -> String {
    use std::error::Error as _;
    match (e.as_db_error(), e.source()) {
        (Some(db), _) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Sqlite(Arc::new(e))
    }
}

/// Most rows of each table one sweep step deletes.
pub const SWEEP_CHUNK: u64 = 250;

/// The sweep's rest after a full step: it leaves the store to requests,
/// and its writes to the checkpointer, for a while (with [`SWEEP_CHUNK`],
/// up to about 10,000 rows a second of each table; a day's million in
/// under two minutes).
pub const SWEEP_PAUSE: std::time::Duration = std::time::Duration::from_millis(25);

/// Where the data lives.
#[derive(Clone, Debug)]
pub enum Store {
    /// A SQLite file.
    Sqlite(sqlite::Sqlite),
    /// A PostgreSQL database.
    Postgres(postgres::Postgres),
}

impl Store {
    /// Connects to `url` (`sqlite://FILE[?PARAMS]`, `postgres://…`) and
    /// creates the tables if missing.
    pub async fn connect(url: &str) -> Result<Store, Error> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            return Ok(Store::Postgres(postgres::Postgres::connect(url).await?));
        }
        if url.starts_with("sqlite:") {
            return Ok(Store::Sqlite(
                sqlite::Sqlite::open(url, sqlite::WalTuning::default()).await?,
            ));
        }
        Err(Error::Url(
            "the database must be a sqlite:// or postgres:// URL".into(),
        ))
    }

    /// Reads a challenge row.
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>, Error> {
        match self {
            Store::Sqlite(s) => s.challenge(id).await,
            Store::Postgres(p) => p.challenge(id).await,
        }
    }

    /// Reads a limiter row.
    pub async fn limit(&self, key: &str) -> Result<Option<LimitRow>, Error> {
        match self {
            Store::Sqlite(s) => s.limit(key).await,
            Store::Postgres(p) => p.limit(key).await,
        }
    }

    /// Runs `writes` in order, each only if every one before it changed
    /// its row, and returns how many did (`writes.len()`: all). Those
    /// that did commit together, before the answer.
    pub async fn apply(&self, writes: Vec<Write>) -> Result<usize, Error> {
        match self {
            Store::Sqlite(s) => s.apply(writes).await,
            Store::Postgres(p) => p.apply(writes).await,
        }
    }

    /// Deletes challenges whose `sweep_at` is before `before`, and limiter
    /// states past their `expires_at` (before `now`), [`SWEEP_CHUNK`] rows
    /// of each at a time, resting [`SWEEP_PAUSE`] between two: requests
    /// are served meanwhile, and a bulk sweep (a day's rows after a long
    /// stop) does not outrun the checkpointer. Returns the counts.
    pub async fn sweep(&self, before: i64, now: i64) -> Result<(u64, u64), Error> {
        let mut swept = (0, 0);
        loop {
            let (c, l) = match self {
                Store::Sqlite(s) => s.sweep(before, now, SWEEP_CHUNK).await?,
                Store::Postgres(p) => p.sweep(before, now, SWEEP_CHUNK).await?,
            };
            swept = (swept.0 + c, swept.1 + l);
            if c < SWEEP_CHUNK && l < SWEEP_CHUNK {
                return Ok(swept);
            }
            tokio::time::sleep(SWEEP_PAUSE).await;
        }
    }

    /// Is the database reachable?
    pub async fn ping(&self) -> Result<(), Error> {
        match self {
            Store::Sqlite(s) => s.ping().await,
            Store::Postgres(p) => p.ping().await,
        }
    }

    /// Does a write land? Writes the time of the probe to `meta`.
    pub async fn probe(&self, now: u64) -> Result<(), Error> {
        let write = Write::SetMeta(MetaColumns {
            name: "health_probe",
            value: now.to_string(),
        });
        match self.apply(vec![write]).await? {
            1 => Ok(()),
            _ => Err(Error::Url("the health probe's write did not land".into())),
        }
    }

    /// A `meta` entry.
    pub async fn meta(&self, name: &'static str) -> Result<Option<String>, Error> {
        match self {
            Store::Sqlite(s) => s.meta(name).await,
            Store::Postgres(p) => p.meta(name).await,
        }
    }

    /// The database's clock (Unix seconds), where the database has one of
    /// its own that several servers share (PostgreSQL); `None` for SQLite.
    pub async fn clock(&self) -> Result<Option<i64>, Error> {
        match self {
            Store::Sqlite(_) => Ok(None),
            Store::Postgres(p) => p.clock().await.map(Some),
        }
    }

    /// Does either table hold a row?
    pub async fn has_rows(&self) -> Result<bool, Error> {
        match self {
            Store::Sqlite(s) => s.has_rows().await,
            Store::Postgres(p) => p.has_rows().await,
        }
    }

    /// Closes the store (SQLite: checkpoints the WAL into the file).
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close().await,
            Store::Postgres(p) => p.close().await,
        }
    }
}
