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
//! in insertion order, see [`sqlite`].) `record` is the sealed challenge
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
//! - **PostgreSQL** ([`postgres`]): a sqlx pool; a write list of more than
//!   one write is one transaction. Several server processes may share the
//!   database.
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
pub mod sqlite;

use std::sync::Arc;

/// A store error: the host answers 500 and logs it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused a statement or the commit. Shared by every job of
    /// the batch it failed (the whole transaction rolled back).
    #[error("SQLite: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    /// PostgreSQL or its pool.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sqlx::Error),
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
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Sqlite(Arc::new(e))
    }
}

/// A challenge row as read.
#[derive(Debug)]
pub struct ChallengeRow {
    /// The project that issued it.
    pub project: String,
    /// The revision column (the compare-and-swap token).
    pub revision: i64,
    /// The sealed record.
    pub record: Vec<u8>,
}

/// A limiter row as read.
#[derive(Debug)]
pub struct LimitRow {
    /// The revision column (the compare-and-swap token).
    pub revision: i64,
    /// The limiter state (JSON).
    pub state: Vec<u8>,
}

/// A challenge's columns, as written.
#[derive(Clone, Debug)]
pub struct ChallengeColumns {
    /// Lower-case UUID.
    pub id: String,
    /// The issuing project.
    pub project: String,
    /// The challenge's revision after the change.
    pub revision: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds from which the grace period runs: `expires_at`, or
    /// the time it became terminal.
    pub sweep_at: i64,
    /// The sealed record.
    pub record: Vec<u8>,
}

/// A limiter's columns, as written.
#[derive(Clone, Debug)]
pub struct LimitColumns {
    /// `send:` or `lock:` and a blinded project and number
    /// ([`crate::seal::Keyring::limit_key`]).
    pub key: String,
    /// The state's revision after the change.
    pub revision: i64,
    /// Unix seconds after which the row may be swept.
    pub expires_at: i64,
    /// The limiter state (JSON).
    pub state: Vec<u8>,
}

/// One write. Each changes one row or none; none means it lost (a
/// compare-and-swap whose row moved on, an insert whose key exists).
#[derive(Clone, Debug)]
pub enum Write {
    /// A new challenge.
    InsertChallenge(ChallengeColumns),
    /// A changed challenge, if its stored revision is still `read` and it
    /// belongs to the same project. `expires_at` never changes; `sweep_at`
    /// is written only if `closed` (it changes once, when the challenge
    /// becomes terminal: leaving the column alone spares its index a
    /// write on every wrong code).
    SwapChallenge {
        /// The revision the change was decided on.
        read: i64,
        /// The new columns.
        to: ChallengeColumns,
        /// The challenge became terminal with this change.
        closed: bool,
    },
    /// A `meta` entry, inserted if there is none (lands only then).
    InsertMeta(MetaColumns),
    /// A `meta` entry, inserted or replaced (always lands).
    SetMeta(MetaColumns),
    /// Deletes every limiter row (always lands): the one-time upgrade to
    /// sealed limiter rows.
    ClearLimits,
    /// A changed limiter state: inserted if `read` is `None` (and there is
    /// no row yet), else swapped if its stored revision is still `read`.
    Limit {
        /// The revision the change was decided on; `None`: no row was read.
        read: Option<i64>,
        /// The new columns.
        to: LimitColumns,
    },
}

/// A write to the `meta` table (name, value): the key check, the row
/// format, the health probe.
#[derive(Clone, Debug)]
pub struct MetaColumns {
    /// The entry's name.
    pub name: &'static str,
    /// Its value.
    pub value: String,
}

/// Most rows of each table one sweep step deletes.
pub const SWEEP_CHUNK: u64 = 1_000;

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
            Store::Postgres(p) => p.apply(&writes).await,
        }
    }

    /// Deletes challenges whose `sweep_at` is before `before`, and limiter
    /// states past their `expires_at` (before `now`), [`SWEEP_CHUNK`] rows
    /// of each at a time, so requests are served between two chunks.
    /// Returns the counts.
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

/// The SQL both databases share (both take `$n` parameters).
mod sql {
    pub const CHALLENGE: &str = "SELECT project, revision, record FROM challenges WHERE id = $1";
    pub const LIMIT: &str = "SELECT revision, state FROM limits WHERE key = $1";
    pub const INSERT_CHALLENGE: &str = "INSERT INTO challenges \
         (id, project, revision, expires_at, sweep_at, record) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (id) DO NOTHING";
    pub const SWAP_CHALLENGE: &str = "UPDATE challenges SET revision = $3, record = $4 \
         WHERE id = $1 AND project = $2 AND revision = $5";
    pub const CLOSE_CHALLENGE: &str = "UPDATE challenges \
         SET revision = $3, record = $4, sweep_at = $5 \
         WHERE id = $1 AND project = $2 AND revision = $6";
    pub const INSERT_LIMIT: &str = "INSERT INTO limits (key, revision, expires_at, state) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING";
    pub const SWAP_LIMIT: &str = "UPDATE limits SET revision = $2, expires_at = $3, state = $4 \
         WHERE key = $1 AND revision = $5";
    pub const SWEEP_CHALLENGES: &str = "DELETE FROM challenges WHERE id IN \
         (SELECT id FROM challenges WHERE sweep_at < $1 LIMIT $2)";
    pub const META: &str = "SELECT value FROM meta WHERE name = $1";
    pub const HAS_ROWS: &str =
        "SELECT EXISTS (SELECT 1 FROM challenges) OR EXISTS (SELECT 1 FROM limits)";
    pub const INSERT_META: &str =
        "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
    pub const SET_META: &str = "INSERT INTO meta (name, value) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value";
    pub const CLEAR_LIMITS: &str = "DELETE FROM limits";
    pub const SWEEP_LIMITS: &str = "DELETE FROM limits WHERE key IN \
         (SELECT key FROM limits WHERE expires_at < $1 LIMIT $2)";
}
