//! The store: SQLite (one file, WAL) or PostgreSQL, through sqlx pools.
//!
//! Two tables, every change a compare-and-swap on `revision`:
//!
//! ```sql
//! challenges (id TEXT PRIMARY KEY, project TEXT, revision BIGINT,
//!             expires_at BIGINT, closed_at BIGINT NULL, record BLOB/BYTEA)
//! limits     (key TEXT PRIMARY KEY, revision BIGINT, expires_at BIGINT,
//!             state BLOB/BYTEA)
//! ```
//!
//! `record` is the sealed challenge (see [`crate::seal`]); `state` is a
//! limiter state as JSON (it holds times and counts, no code). `closed_at`
//! is set once the challenge is terminal; the sweep deletes rows whose
//! `expires_at` or `closed_at` lies more than a grace period in the past,
//! and limiter rows past their `expires_at`.
//!
//! SQLite: one writer connection (SQLite admits one writer at a time; one
//! connection that owns the lock beats several waiting on it) and a pool
//! of readers; WAL with `synchronous = NORMAL`, so a committed write
//! survives a killed process (only a power loss may drop the last
//! commits). PostgreSQL: one pool, several server processes may share the
//! database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// A store error (connection, SQL): the host answers 500.
pub type Error = sqlx::Error;

/// One pool per role.
#[derive(Clone, Debug)]
pub enum Store {
    /// A SQLite file.
    Sqlite {
        /// One connection: every write.
        writer: SqlitePool,
        /// Several connections: every read.
        reader: SqlitePool,
    },
    /// A PostgreSQL database.
    Postgres(PgPool),
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

/// What to write for a challenge.
#[derive(Debug)]
pub struct ChallengeWrite<'a> {
    /// Lower-case UUID.
    pub id: &'a str,
    /// The issuing project.
    pub project: &'a str,
    /// The challenge's revision after the change.
    pub revision: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds when it became terminal, if it is.
    pub closed_at: Option<i64>,
    /// The sealed record.
    pub record: &'a [u8],
}

macro_rules! on_pool {
    ($store:expr, $read:literal, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite { writer, reader } => {
                let $pool = if $read { reader } else { writer };
                $body
            }
            Store::Postgres($pool) => $body,
        }
    };
}

const SQLITE_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS challenges (id TEXT PRIMARY KEY NOT NULL, project TEXT NOT NULL, \
     revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, closed_at INTEGER, record BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS challenges_expires_at ON challenges (expires_at)",
    "CREATE INDEX IF NOT EXISTS challenges_closed_at ON challenges (closed_at)",
    "CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY NOT NULL, revision INTEGER NOT NULL, \
     expires_at INTEGER NOT NULL, state BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS limits_expires_at ON limits (expires_at)",
];

const POSTGRES_SCHEMA: &[&str] = &[
    // Several processes may start at once: one migrates at a time.
    "SELECT pg_advisory_xact_lock(727368)",
    "CREATE TABLE IF NOT EXISTS challenges (id TEXT PRIMARY KEY, project TEXT NOT NULL, \
     revision BIGINT NOT NULL, expires_at BIGINT NOT NULL, closed_at BIGINT, record BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS challenges_expires_at ON challenges (expires_at)",
    "CREATE INDEX IF NOT EXISTS challenges_closed_at ON challenges (closed_at)",
    "CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY, revision BIGINT NOT NULL, \
     expires_at BIGINT NOT NULL, state BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS limits_expires_at ON limits (expires_at)",
];

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and creates
    /// the tables if missing.
    pub async fn connect(url: &str) -> Result<Store, Error> {
        let store = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Store::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10));
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .connect_with(options.clone())
                .await?;
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?;
            Store::Sqlite { writer, reader }
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), Error> {
        match self {
            Store::Sqlite { writer, .. } => {
                for statement in SQLITE_SCHEMA {
                    sqlx::query(statement).execute(writer).await?;
                }
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                for statement in POSTGRES_SCHEMA {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Reads a challenge row.
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>, Error> {
        const SQL: &str = "SELECT project, revision, record FROM challenges WHERE id = $1";
        on_pool!(self, true, p => match sqlx::query(SQL).bind(id).fetch_optional(p).await? {
            None => Ok(None),
            Some(row) => Ok(Some(ChallengeRow {
                project: row.try_get(0)?,
                revision: row.try_get(1)?,
                record: row.try_get(2)?,
            })),
        })
    }

    /// Inserts a new challenge row.
    pub async fn insert_challenge(&self, w: &ChallengeWrite<'_>) -> Result<(), Error> {
        const SQL: &str = "INSERT INTO challenges (id, project, revision, expires_at, closed_at, record) \
                           VALUES ($1, $2, $3, $4, $5, $6)";
        on_pool!(self, false, p => sqlx::query(SQL)
            .bind(w.id)
            .bind(w.project)
            .bind(w.revision)
            .bind(w.expires_at)
            .bind(w.closed_at)
            .bind(w.record)
            .execute(p)
            .await?
            .rows_affected());
        Ok(())
    }

    /// Writes a changed challenge if its stored revision is still `read`.
    /// `false`: someone else wrote first (read again).
    pub async fn swap_challenge(&self, read: i64, w: &ChallengeWrite<'_>) -> Result<bool, Error> {
        const SQL: &str = "UPDATE challenges SET revision = $1, expires_at = $2, closed_at = $3, record = $4 \
                           WHERE id = $5 AND project = $6 AND revision = $7";
        let done = on_pool!(self, false, p => sqlx::query(SQL)
            .bind(w.revision)
            .bind(w.expires_at)
            .bind(w.closed_at)
            .bind(w.record)
            .bind(w.id)
            .bind(w.project)
            .bind(read)
            .execute(p)
            .await?
            .rows_affected());
        Ok(done == 1)
    }

    /// Reads a limiter state: (revision, state).
    pub async fn limit(&self, key: &str) -> Result<Option<(i64, Vec<u8>)>, Error> {
        const SQL: &str = "SELECT revision, state FROM limits WHERE key = $1";
        on_pool!(self, true, p => match sqlx::query(SQL).bind(key).fetch_optional(p).await? {
            None => Ok(None),
            Some(row) => Ok(Some((row.try_get(0)?, row.try_get(1)?))),
        })
    }

    /// Writes a limiter state if the stored revision is still `read`
    /// (`None`: if there is no row yet). `false`: someone else wrote first.
    pub async fn swap_limit(
        &self,
        key: &str,
        read: Option<i64>,
        revision: i64,
        expires_at: i64,
        state: &[u8],
    ) -> Result<bool, Error> {
        const INSERT: &str = "INSERT INTO limits (key, revision, expires_at, state) VALUES ($1, $2, $3, $4) \
                              ON CONFLICT (key) DO NOTHING";
        const UPDATE: &str = "UPDATE limits SET revision = $2, expires_at = $3, state = $4 \
                              WHERE key = $1 AND revision = $5";
        let done = match read {
            None => on_pool!(self, false, p => sqlx::query(INSERT)
                .bind(key)
                .bind(revision)
                .bind(expires_at)
                .bind(state)
                .execute(p)
                .await?
                .rows_affected()),
            Some(read) => on_pool!(self, false, p => sqlx::query(UPDATE)
                .bind(key)
                .bind(revision)
                .bind(expires_at)
                .bind(state)
                .bind(read)
                .execute(p)
                .await?
                .rows_affected()),
        };
        Ok(done == 1)
    }

    /// Deletes challenges expired or closed before `before`, and limiter
    /// states past their `expires_at` (before `now`). Returns the counts.
    pub async fn sweep(&self, before: i64, now: i64) -> Result<(u64, u64), Error> {
        const CHALLENGES: &str = "DELETE FROM challenges WHERE expires_at < $1 OR closed_at < $1";
        const LIMITS: &str = "DELETE FROM limits WHERE expires_at < $1";
        let c = on_pool!(self, false, p => sqlx::query(CHALLENGES).bind(before).execute(p).await?.rows_affected());
        let l = on_pool!(self, false, p => sqlx::query(LIMITS).bind(now).execute(p).await?.rows_affected());
        Ok((c, l))
    }

    /// Is the database reachable?
    pub async fn ping(&self) -> Result<(), Error> {
        on_pool!(self, true, p => sqlx::query("SELECT 1").execute(p).await?.rows_affected());
        Ok(())
    }

    /// Closes the pools (SQLite: checkpoints the WAL).
    pub async fn close(&self) {
        match self {
            Store::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }
}
