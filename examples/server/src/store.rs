//! The store: SQLite (one file, WAL) or PostgreSQL, through sqlx pools.
//!
//! Two tables, every change a compare-and-swap on `revision`:
//!
//! ```sql
//! challenges (id TEXT PRIMARY KEY, project TEXT, revision BIGINT,
//!             expires_at BIGINT, sweep_at BIGINT, record BLOB/BYTEA)
//! limits     (key TEXT PRIMARY KEY, revision BIGINT, expires_at BIGINT,
//!             state BLOB/BYTEA)
//! ```
//!
//! `record` is the sealed challenge (see [`crate::seal`]); `state` is a
//! limiter state as JSON (it holds times and counts, no code). `sweep_at`
//! is `expires_at` while the challenge is pending and the time it closed
//! once it is terminal (one indexed column for the sweep): the sweep
//! deletes challenges whose `sweep_at` lies more than a grace period in
//! the past, and limiter rows past their `expires_at`.
//!
//! SQLite: a pool of readers and one writer connection (SQLite admits one
//! writer at a time) fed by a queue: the writer runs every write waiting
//! in the queue in one transaction (group commit), each statement still
//! its own compare-and-swap with its own answer, and answers them only
//! once the transaction has committed. WAL with `synchronous = NORMAL`: a
//! committed write survives a killed process (a power loss may drop the
//! last commits). PostgreSQL: one pool; several server processes may share
//! the database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::{mpsc, oneshot};

/// A store error (connection, SQL): the host answers 500.
pub type Error = sqlx::Error;

/// Most writes in one SQLite transaction.
const BATCH_MAX: usize = 256;

/// One pool per role.
#[derive(Clone, Debug)]
pub enum Store {
    /// A SQLite file.
    Sqlite {
        /// The writer's queue.
        writes: mpsc::Sender<Job>,
        /// The writer's pool (one connection), kept to close it.
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
    /// Unix seconds from which the grace period runs: `expires_at`, or
    /// the time it became terminal.
    pub sweep_at: i64,
    /// The sealed record.
    pub record: &'a [u8],
}

/// One write, owned so it can wait in the writer's queue.
#[derive(Debug)]
pub enum Write {
    /// A new challenge.
    Insert {
        id: String,
        project: String,
        revision: i64,
        expires_at: i64,
        sweep_at: i64,
        record: Vec<u8>,
    },
    /// A changed challenge, if its stored revision is still `read`.
    Swap {
        read: i64,
        id: String,
        project: String,
        revision: i64,
        expires_at: i64,
        sweep_at: i64,
        record: Vec<u8>,
    },
    /// A new limiter state.
    InsertLimit {
        key: String,
        revision: i64,
        expires_at: i64,
        state: Vec<u8>,
    },
    /// A changed limiter state, if its stored revision is still `read`.
    SwapLimit {
        read: i64,
        key: String,
        revision: i64,
        expires_at: i64,
        state: Vec<u8>,
    },
    /// Deletes challenges with `sweep_at < before`.
    SweepChallenges { before: i64 },
    /// Deletes limiter states with `expires_at < before`.
    SweepLimits { before: i64 },
}

/// A queued write and where its row count goes.
#[derive(Debug)]
pub struct Job {
    write: Write,
    done: oneshot::Sender<Result<u64, Error>>,
}

/// The query for a write, for any database (both accept `$n`).
macro_rules! write_query {
    ($write:expr) => {
        match $write {
            Write::Insert {
                id,
                project,
                revision,
                expires_at,
                sweep_at,
                record,
            } => sqlx::query(
                "INSERT INTO challenges (id, project, revision, expires_at, sweep_at, record) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(project)
            .bind(*revision)
            .bind(*expires_at)
            .bind(*sweep_at)
            .bind(record),
            Write::Swap {
                read,
                id,
                project,
                revision,
                expires_at,
                sweep_at,
                record,
            } => sqlx::query(
                "UPDATE challenges SET revision = $1, expires_at = $2, sweep_at = $3, record = $4 \
                 WHERE id = $5 AND project = $6 AND revision = $7",
            )
            .bind(*revision)
            .bind(*expires_at)
            .bind(*sweep_at)
            .bind(record)
            .bind(id)
            .bind(project)
            .bind(*read),
            Write::InsertLimit {
                key,
                revision,
                expires_at,
                state,
            } => sqlx::query(
                "INSERT INTO limits (key, revision, expires_at, state) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(*revision)
            .bind(*expires_at)
            .bind(state),
            Write::SwapLimit {
                read,
                key,
                revision,
                expires_at,
                state,
            } => sqlx::query(
                "UPDATE limits SET revision = $2, expires_at = $3, state = $4 \
                 WHERE key = $1 AND revision = $5",
            )
            .bind(key)
            .bind(*revision)
            .bind(*expires_at)
            .bind(state)
            .bind(*read),
            Write::SweepChallenges { before } => {
                sqlx::query("DELETE FROM challenges WHERE sweep_at < $1").bind(*before)
            }
            Write::SweepLimits { before } => {
                sqlx::query("DELETE FROM limits WHERE expires_at < $1").bind(*before)
            }
        }
    };
}

const SQLITE_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS challenges (id TEXT PRIMARY KEY NOT NULL, project TEXT NOT NULL, \
     revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, sweep_at INTEGER NOT NULL, \
     record BLOB NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS challenges_sweep_at ON challenges (sweep_at)",
    "CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY NOT NULL, revision INTEGER NOT NULL, \
     expires_at INTEGER NOT NULL, state BLOB NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS limits_expires_at ON limits (expires_at)",
];

const POSTGRES_SCHEMA: &[&str] = &[
    // Several processes may start at once: one migrates at a time.
    "SELECT pg_advisory_xact_lock(727368)",
    "CREATE TABLE IF NOT EXISTS challenges (id TEXT PRIMARY KEY, project TEXT NOT NULL, \
     revision BIGINT NOT NULL, expires_at BIGINT NOT NULL, sweep_at BIGINT NOT NULL, \
     record BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS challenges_sweep_at ON challenges (sweep_at)",
    "CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY, revision BIGINT NOT NULL, \
     expires_at BIGINT NOT NULL, state BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS limits_expires_at ON limits (expires_at)",
];

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`) and creates
    /// the tables if missing.
    pub async fn connect(url: &str) -> Result<Store, Error> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            let mut tx = pool.begin().await?;
            for statement in POSTGRES_SCHEMA {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            return Ok(Store::Postgres(pool));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // Reads through a memory map (no read syscalls), a larger page
            // cache, and fewer, larger checkpoints.
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-65536")
            .pragma("wal_autocheckpoint", "10000");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .connect_with(options.clone())
            .await?;
        for statement in SQLITE_SCHEMA {
            sqlx::query(statement).execute(&writer).await?;
        }
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        let (writes, queue) = mpsc::channel(4 * BATCH_MAX);
        tokio::spawn(write_loop(writer.clone(), queue));
        Ok(Store::Sqlite {
            writes,
            writer,
            reader,
        })
    }

    /// Runs one write: through the SQLite writer's queue, or on the
    /// PostgreSQL pool. The affected row count, once committed.
    pub async fn write(&self, write: Write) -> Result<u64, Error> {
        match self {
            Store::Sqlite { writes, .. } => {
                let (done, answer) = oneshot::channel();
                writes
                    .send(Job { write, done })
                    .await
                    .map_err(|_| Error::PoolClosed)?;
                answer.await.map_err(|_| Error::WorkerCrashed)?
            }
            Store::Postgres(pool) => Ok(write_query!(&write).execute(pool).await?.rows_affected()),
        }
    }

    /// Reads a challenge row.
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>, Error> {
        const SQL: &str = "SELECT project, revision, record FROM challenges WHERE id = $1";
        let row = |row: &dyn RowGet| -> Result<ChallengeRow, Error> {
            Ok(ChallengeRow {
                project: row.text(0)?,
                revision: row.int(1)?,
                record: row.bytes(2)?,
            })
        };
        match self {
            Store::Sqlite { reader, .. } => {
                let found = sqlx::query(SQL).bind(id).fetch_optional(reader).await?;
                found.as_ref().map(|r| row(r)).transpose()
            }
            Store::Postgres(pool) => {
                let found = sqlx::query(SQL).bind(id).fetch_optional(pool).await?;
                found.as_ref().map(|r| row(r)).transpose()
            }
        }
    }

    /// Inserts a new challenge row.
    pub async fn insert_challenge(&self, w: &ChallengeWrite<'_>) -> Result<(), Error> {
        let inserted = self
            .write(Write::Insert {
                id: w.id.to_owned(),
                project: w.project.to_owned(),
                revision: w.revision,
                expires_at: w.expires_at,
                sweep_at: w.sweep_at,
                record: w.record.to_owned(),
            })
            .await?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(Error::Protocol("challenge id already stored".into()))
        }
    }

    /// Writes a changed challenge if its stored revision is still `read`.
    /// `false`: someone else wrote first (read again).
    pub async fn swap_challenge(&self, read: i64, w: &ChallengeWrite<'_>) -> Result<bool, Error> {
        let done = self
            .write(Write::Swap {
                read,
                id: w.id.to_owned(),
                project: w.project.to_owned(),
                revision: w.revision,
                expires_at: w.expires_at,
                sweep_at: w.sweep_at,
                record: w.record.to_owned(),
            })
            .await?;
        Ok(done == 1)
    }

    /// Reads a limiter state: (revision, state).
    pub async fn limit(&self, key: &str) -> Result<Option<(i64, Vec<u8>)>, Error> {
        const SQL: &str = "SELECT revision, state FROM limits WHERE key = $1";
        let row = |row: &dyn RowGet| -> Result<(i64, Vec<u8>), Error> {
            Ok((row.int(0)?, row.bytes(1)?))
        };
        match self {
            Store::Sqlite { reader, .. } => {
                let found = sqlx::query(SQL).bind(key).fetch_optional(reader).await?;
                found.as_ref().map(|r| row(r)).transpose()
            }
            Store::Postgres(pool) => {
                let found = sqlx::query(SQL).bind(key).fetch_optional(pool).await?;
                found.as_ref().map(|r| row(r)).transpose()
            }
        }
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
        let (key, state) = (key.to_owned(), state.to_owned());
        let write = match read {
            None => Write::InsertLimit {
                key,
                revision,
                expires_at,
                state,
            },
            Some(read) => Write::SwapLimit {
                read,
                key,
                revision,
                expires_at,
                state,
            },
        };
        Ok(self.write(write).await? == 1)
    }

    /// Deletes challenges whose `sweep_at` is before `before`, and limiter
    /// states past their `expires_at` (before `now`). Returns the counts.
    pub async fn sweep(&self, before: i64, now: i64) -> Result<(u64, u64), Error> {
        let c = self.write(Write::SweepChallenges { before }).await?;
        let l = self.write(Write::SweepLimits { before: now }).await?;
        Ok((c, l))
    }

    /// Is the database reachable?
    pub async fn ping(&self) -> Result<(), Error> {
        match self {
            Store::Sqlite { reader, .. } => sqlx::query("SELECT 1").execute(reader).await.map(drop),
            Store::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
    }

    /// Closes the pools (SQLite: checkpoints the WAL).
    pub async fn close(&self) {
        match self {
            Store::Sqlite { writer, reader, .. } => {
                reader.close().await;
                writer.close().await;
            }
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

/// Column access shared by both databases' rows.
trait RowGet {
    fn text(&self, i: usize) -> Result<String, Error>;
    fn int(&self, i: usize) -> Result<i64, Error>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>, Error>;
}

macro_rules! row_get {
    ($row:ty) => {
        impl RowGet for $row {
            fn text(&self, i: usize) -> Result<String, Error> {
                self.try_get(i)
            }
            fn int(&self, i: usize) -> Result<i64, Error> {
                self.try_get(i)
            }
            fn bytes(&self, i: usize) -> Result<Vec<u8>, Error> {
                self.try_get(i)
            }
        }
    };
}
row_get!(sqlx::sqlite::SqliteRow);
row_get!(sqlx::postgres::PgRow);

/// The SQLite writer: every write waiting in the queue, in one
/// transaction; each answered with its row count once it has committed.
async fn write_loop(pool: SqlitePool, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while queue.recv_many(&mut batch, BATCH_MAX).await > 0 {
        match run_batch(&pool, &batch).await {
            Ok(counts) => {
                for (job, count) in batch.drain(..).zip(counts) {
                    let _ = job.done.send(Ok(count));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, writes = batch.len(), "SQLite write batch failed");
                let text = e.to_string();
                for job in batch.drain(..) {
                    let _ = job.done.send(Err(Error::Protocol(text.clone())));
                }
            }
        }
    }
}

async fn run_batch(pool: &SqlitePool, batch: &[Job]) -> Result<Vec<u64>, Error> {
    let mut tx = pool.begin().await?;
    let mut counts = Vec::with_capacity(batch.len());
    for job in batch {
        counts.push(
            write_query!(&job.write)
                .execute(&mut *tx)
                .await?
                .rows_affected(),
        );
    }
    tx.commit().await?;
    Ok(counts)
}
