//! PostgreSQL through a pool of tokio-postgres connections
//! (deadpool-postgres). Several server processes may share the database:
//! every change is a compare-and-swap, and a write list is one statement
//! (`postgres/batch.rs`) run on one connection (`postgres/list.rs`). A
//! few committer tasks run the lists, those that arrive together in one
//! transaction (`postgres/group.rs`). A request's reads (its challenge,
//! its limiter rows) go to a few reader tasks per table, which ask for
//! the rows of the reads waiting together in one statement
//! (`postgres/reads.rs`), on a few connections that they share,
//! pipelined (`postgres/shared.rs`). The tasks take their work from
//! queues (`postgres/waiting.rs`).
//!
//! A busy day's table outgrows PostgreSQL's default 128 MB of
//! `shared_buffers`: give it room for the tables and their indexes
//! (about 700 bytes a challenge) and for the WAL between checkpoints
//! (`max_wal_size`); docs/PERFORMANCE.md measures the difference.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::{ChallengeRow, Error, LimitRow, Write, sql};

mod batch;
mod group;
mod list;
mod reads;
mod shared;
mod waiting;

use group::Group;
use reads::{Challenges, Limits, Reads};
use shared::Shared;

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

/// The pool, and the connections shared for statements on their own.
#[derive(Clone, Debug)]
pub struct Postgres {
    pool: Pool,
    shared: Arc<Shared>,
    challenges: Arc<Reads<Challenges>>,
    limits: Arc<Reads<Limits>>,
    group: Arc<Group>,
}

/// Most connections a server process opens: the writes' pool and the
/// reads' shared connections together.
const POOL_SIZE: usize = 16;

/// Connections the reads share (`postgres/shared.rs`), out of
/// [`POOL_SIZE`]. Alternated runs at 100,000 challenges: four served
/// verifies faster than two, and as fast as the pool alone served issues
/// (docs/PERFORMANCE.md).
const SHARED_READERS: usize = 4;

/// How long a read (a row by its key) may take on a shared connection
/// before it fails and the connection is let go.
const READ_WITHIN: Duration = Duration::from_secs(5);

/// How long a request waits for a free connection, and for a new one to
/// open, before it fails (500).
const POOL_WAIT: Duration = Duration::from_secs(10);

impl Postgres {
    /// Connects and creates the tables if missing.
    pub async fn connect(url: &str) -> Result<Postgres, Error> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| Error::Url(format!("the PostgreSQL URL: {e}")))?;
        lose_dead_peers(&mut config);
        bound_lock_waits(&mut config);
        // A connection handed back is handed out again without a test
        // statement: a broken one shows as a failed statement (500) and
        // is dropped, where a test would cost a round trip per request.
        // A transaction a dropped future left open cannot come back
        // either: tokio-postgres queues its `ROLLBACK` before the
        // connection is handed back.
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        // The shared connections leave the pool once taken, and it opens
        // others in their place: together at most `POOL_SIZE`.
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE - SHARED_READERS)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(POOL_WAIT))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| Error::Url(format!("the PostgreSQL pool: {e}")))?;
        // Only a database without the schema runs the DDL, and only the
        // first of several processes starting at once: `CREATE INDEX IF NOT
        // EXISTS` still locks its table, and that lock would meet the
        // transactions of servers already serving (one holding `limits`,
        // waiting for `challenges`): a deadlock.
        let mut client = pool.get().await?;
        let present = |row: tokio_postgres::Row| row.try_get::<_, bool>(0);
        if !present(client.query_one(SCHEMA_PRESENT, &[]).await?)? {
            let tx = client.transaction().await?;
            tx.batch_execute(SCHEMA_LOCK).await?;
            if !present(tx.query_one(SCHEMA_PRESENT, &[]).await?)? {
                for statement in SCHEMA {
                    tx.batch_execute(statement).await?;
                }
            }
            tx.commit().await?;
        }
        drop(client);
        let shared = Arc::new(Shared::new(pool.clone(), SHARED_READERS));
        Ok(Postgres {
            challenges: Arc::new(Reads::start(&shared, READ_WITHIN)),
            limits: Arc::new(Reads::start(&shared, READ_WITHIN)),
            group: Arc::new(Group::start(&pool)),
            shared,
            pool,
        })
    }

    /// See [`super::Store::challenge`].
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>, Error> {
        self.challenges.get(id).await
    }

    /// See [`super::Store::limit`].
    pub async fn limit(&self, key: &str) -> Result<Option<LimitRow>, Error> {
        self.limits.get(key).await
    }

    /// See [`super::Store::apply`]: the list goes to the committers,
    /// alone or in a group with others (`postgres/group.rs`).
    pub async fn apply(&self, writes: Vec<Write>) -> Result<usize, Error> {
        self.group.apply(writes).await
    }

    /// One step of [`super::Store::sweep`].
    pub async fn sweep(&self, before: i64, now: i64, chunk: u64) -> Result<(u64, u64), Error> {
        let chunk = i64::try_from(chunk).unwrap_or(i64::MAX);
        let client = self.pool.get().await?;
        let challenges = client.prepare_cached(sql::SWEEP_CHALLENGES).await?;
        let c = client.execute(&challenges, &[&before, &chunk]).await?;
        let limits = client.prepare_cached(sql::SWEEP_LIMITS).await?;
        let l = client.execute(&limits, &[&now, &chunk]).await?;
        Ok((c, l))
    }

    /// See [`super::Store::meta`].
    pub async fn meta(&self, name: &str) -> Result<Option<String>, Error> {
        let client = self.pool.get().await?;
        let statement = client.prepare_cached(sql::META).await?;
        let row = client.query_opt(&statement, &[&name]).await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    /// See [`super::Store::clock`].
    pub async fn clock(&self) -> Result<i64, Error> {
        let client = self.pool.get().await?;
        let row = client
            .query_one("SELECT extract(epoch FROM now())::bigint", &[])
            .await?;
        Ok(row.try_get(0)?)
    }

    /// See [`super::Store::has_rows`].
    pub async fn has_rows(&self) -> Result<bool, Error> {
        let client = self.pool.get().await?;
        Ok(client.query_one(sql::HAS_ROWS, &[]).await?.try_get(0)?)
    }

    /// See [`super::Store::ping`].
    pub async fn ping(&self) -> Result<(), Error> {
        self.pool.get().await?.batch_execute("SELECT 1").await?;
        Ok(())
    }

    /// Closes the pool: connections handed back from now on are closed,
    /// and no more are handed out.
    pub async fn close(&self) {
        self.shared.close();
        self.pool.close();
    }
}

/// How long sent bytes may go unacknowledged, and an idle connection
/// unprobed, before the kernel closes the connection: then its
/// statements fail and the pool and the shared reads let it go, where a
/// peer that vanished (a host down, a dropped route) would hold its
/// requests until the kernel's own limits, minutes to hours.
const DEAD_PEER: Duration = Duration::from_secs(20);

/// How long a statement of the store waits for a row lock before it
/// fails: another server's group holds its locks for milliseconds, and
/// PostgreSQL breaks a deadlock after `deadlock_timeout` (1 s by
/// default); a lock held longer (an operator's open transaction) fails
/// the request (500) rather than hold it, and with it a group of others.
const LOCK_WAIT: &str = "2s";

/// Sets `lock_timeout` to [`LOCK_WAIT`] on every connection, unless the
/// URL's `options` set it.
fn bound_lock_waits(config: &mut tokio_postgres::Config) {
    let given = config.get_options().unwrap_or_default().to_owned();
    if !given.contains("lock_timeout") {
        let options = format!("{given} -c lock_timeout={LOCK_WAIT}");
        config.options(options.trim_start());
    }
}

/// Sets the TCP user timeout and keepalives to [`DEAD_PEER`], unless the
/// URL sets them (`tcp_user_timeout`, `keepalives_idle`).
fn lose_dead_peers(config: &mut tokio_postgres::Config) {
    if config.get_tcp_user_timeout().is_none() {
        config.tcp_user_timeout(DEAD_PEER);
    }
    // The URL cannot tell its idle time from the default (2 hours).
    if config.get_keepalives_idle() == Duration::from_secs(2 * 60 * 60) {
        config.keepalives_idle(DEAD_PEER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_peers_are_lost_in_seconds_unless_the_url_says_otherwise() {
        let mut config: tokio_postgres::Config = "postgres://h/db".parse().unwrap();
        lose_dead_peers(&mut config);
        bound_lock_waits(&mut config);
        assert_eq!(config.get_tcp_user_timeout(), Some(&DEAD_PEER));
        assert_eq!(config.get_keepalives_idle(), DEAD_PEER);
        let mut config: tokio_postgres::Config =
            "postgres://h/db?tcp_user_timeout=3&keepalives_idle=4"
                .parse()
                .unwrap();
        lose_dead_peers(&mut config);
        bound_lock_waits(&mut config);
        assert_eq!(config.get_tcp_user_timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(4));
    }

    #[test]
    fn lock_waits_are_bounded_unless_the_url_says_otherwise() {
        let mut config: tokio_postgres::Config = "postgres://h/db".parse().unwrap();
        bound_lock_waits(&mut config);
        assert_eq!(config.get_options(), Some("-c lock_timeout=2s"));
        let mut config: tokio_postgres::Config = "postgres://h/db?options=-c%20search_path%3Dmfa"
            .parse()
            .unwrap();
        bound_lock_waits(&mut config);
        assert_eq!(
            config.get_options(),
            Some("-c search_path=mfa -c lock_timeout=2s")
        );
        let mut config: tokio_postgres::Config = "postgres://h/db?options=-c%20lock_timeout%3D9s"
            .parse()
            .unwrap();
        bound_lock_waits(&mut config);
        assert_eq!(config.get_options(), Some("-c lock_timeout=9s"));
    }
}
