//! PostgreSQL through a sqlx pool. Several server processes may share the
//! database: every change is a compare-and-swap, and a write list is one
//! statement (`postgres/batch.rs`).

use std::time::Duration;

use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{ChallengeRow, Error, LimitRow, Write, sql};

mod batch;

use batch::Kind;

/// Several processes may start at once: one creates the schema at a time.
const SCHEMA_LOCK: &str = "SELECT pg_advisory_xact_lock(727368)";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS challenges (id TEXT PRIMARY KEY, project TEXT NOT NULL, \
     revision BIGINT NOT NULL, expires_at BIGINT NOT NULL, sweep_at BIGINT NOT NULL, \
     record BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS challenges_sweep_at ON challenges (sweep_at)",
    "CREATE TABLE IF NOT EXISTS limits (key TEXT PRIMARY KEY, revision BIGINT NOT NULL, \
     expires_at BIGINT NOT NULL, state BYTEA NOT NULL)",
    "CREATE INDEX IF NOT EXISTS limits_expires_at ON limits (expires_at)",
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
];

/// Whether every table and index of [`SCHEMA`] is there.
const SCHEMA_PRESENT: &str = "SELECT to_regclass('challenges') IS NOT NULL \
     AND to_regclass('challenges_sweep_at') IS NOT NULL \
     AND to_regclass('limits') IS NOT NULL \
     AND to_regclass('limits_expires_at') IS NOT NULL \
     AND to_regclass('meta') IS NOT NULL";

/// The pool.
#[derive(Clone, Debug)]
pub struct Postgres(PgPool);

impl Postgres {
    /// Connects and creates the tables if missing.
    pub async fn connect(url: &str) -> Result<Postgres, Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            // A broken connection shows as a failed statement (500) and is
            // dropped; pinging before every statement would double the
            // round trips.
            .test_before_acquire(false)
            .connect(url)
            .await?;
        // Only a database without the schema runs the DDL, and only the
        // first of several processes starting at once: `CREATE INDEX IF NOT
        // EXISTS` still locks its table, and that lock would meet the
        // transactions of servers already serving (one holding `limits`,
        // waiting for `challenges`): a deadlock.
        let present = || sqlx::query_scalar::<_, bool>(SCHEMA_PRESENT);
        if !present().fetch_one(&pool).await? {
            let mut tx = pool.begin().await?;
            sqlx::query(SCHEMA_LOCK).execute(&mut *tx).await?;
            if !present().fetch_one(&mut *tx).await? {
                for statement in SCHEMA {
                    sqlx::query(statement).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        }
        Ok(Postgres(pool))
    }

    /// See [`super::Store::challenge`].
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>, Error> {
        let row = sqlx::query(sql::CHALLENGE)
            .bind(id)
            .fetch_optional(&self.0)
            .await?;
        Ok(row
            .map(|r| -> Result<_, sqlx::Error> {
                Ok(ChallengeRow {
                    project: r.try_get(0)?,
                    revision: r.try_get(1)?,
                    record: r.try_get(2)?,
                })
            })
            .transpose()?)
    }

    /// See [`super::Store::limit`].
    pub async fn limit(&self, key: &str) -> Result<Option<LimitRow>, Error> {
        let row = sqlx::query(sql::LIMIT)
            .bind(key)
            .fetch_optional(&self.0)
            .await?;
        Ok(row
            .map(|r| -> Result<_, sqlx::Error> {
                Ok(LimitRow {
                    revision: r.try_get(0)?,
                    state: r.try_get(1)?,
                })
            })
            .transpose()?)
    }

    /// See [`super::Store::apply`]: one statement, in autocommit (one
    /// round trip, one commit). A list that touches a row twice, or is
    /// longer than 32 writes, goes as several statements in one
    /// transaction (see `postgres/batch.rs`), in a task of its own.
    ///
    /// The task is there because a request's future is dropped when its
    /// client goes away, and sqlx 0.8 does not roll back a transaction
    /// whose `BEGIN` was sent but not yet answered: the pool would hand
    /// the connection out again inside it, and what later requests wrote
    /// there would be answered as landed, seen by no other connection,
    /// and lost when the transaction failed (after which every statement
    /// on the connection failed too). A spawned task runs to its commit
    /// or rollback whether or not anyone still waits for it. A single
    /// statement needs no task: PostgreSQL commits it or not on its own,
    /// and the connection reads its answer before the next statement.
    pub async fn apply(&self, writes: Vec<Write>) -> Result<usize, Error> {
        match batch::segments(&writes)[..] {
            [] => return Ok(0),
            [segment] => return Self::run(segment, &self.0).await,
            _ => {}
        }
        let pool = self.0.clone();
        match tokio::spawn(async move { Self::transaction(&pool, &writes).await }).await {
            Ok(landed) => landed,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only a runtime shutting down cancels a task.
            Err(_) => Err(Error::Closed),
        }
    }

    /// Runs the segments of `writes` in one transaction, each while the
    /// ones before it landed whole.
    async fn transaction(pool: &PgPool, writes: &[Write]) -> Result<usize, Error> {
        let mut tx = pool.begin().await?;
        let mut landed = 0;
        for segment in batch::segments(writes) {
            let n = Self::run(segment, &mut *tx).await?;
            landed += n;
            if n < segment.len() {
                break;
            }
        }
        tx.commit().await?;
        Ok(landed)
    }

    /// Runs `writes` (no two on one row) as one statement: the plain one
    /// for a single write, else [`batch::statement`]'s. Returns how many
    /// landed.
    async fn run<'e, E>(writes: &[Write], on: E) -> Result<usize, Error>
    where
        E: sqlx::PgExecutor<'e>,
    {
        if let [write] = writes {
            let query = batch::bind(sqlx::query(Kind::of(write).plain()), write);
            let changed = query.execute(on).await?.rows_affected() == 1;
            return Ok(usize::from(changed || matches!(write, Write::ClearLimits)));
        }
        let kinds: Vec<Kind> = writes.iter().map(Kind::of).collect();
        let sql = batch::statement(&kinds);
        let query = writes.iter().fold(sqlx::query(&sql), batch::bind);
        let landed: i64 = query.fetch_one(on).await?.try_get(0)?;
        Ok(usize::try_from(landed).unwrap_or(0))
    }

    /// One step of [`super::Store::sweep`].
    pub async fn sweep(&self, before: i64, now: i64, chunk: u64) -> Result<(u64, u64), Error> {
        let chunk = i64::try_from(chunk).unwrap_or(i64::MAX);
        let c = sqlx::query(sql::SWEEP_CHALLENGES)
            .bind(before)
            .bind(chunk)
            .execute(&self.0)
            .await?;
        let l = sqlx::query(sql::SWEEP_LIMITS)
            .bind(now)
            .bind(chunk)
            .execute(&self.0)
            .await?;
        Ok((c.rows_affected(), l.rows_affected()))
    }

    /// See [`super::Store::meta`].
    pub async fn meta(&self, name: &str) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar(sql::META)
            .bind(name)
            .fetch_optional(&self.0)
            .await?)
    }

    /// See [`super::Store::clock`].
    pub async fn clock(&self) -> Result<i64, Error> {
        Ok(
            sqlx::query_scalar("SELECT extract(epoch FROM now())::bigint")
                .fetch_one(&self.0)
                .await?,
        )
    }

    /// See [`super::Store::has_rows`].
    pub async fn has_rows(&self) -> Result<bool, Error> {
        Ok(sqlx::query_scalar(sql::HAS_ROWS).fetch_one(&self.0).await?)
    }

    /// See [`super::Store::ping`].
    pub async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.0).await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.0.close().await;
    }
}
