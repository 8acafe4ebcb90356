//! PostgreSQL through a pool of tokio-postgres connections
//! (deadpool-postgres). Several server processes may share the database:
//! every change is a compare-and-swap, and a write list is one statement
//! (`postgres/batch.rs`). A request's reads (its challenge, its limiter
//! rows) go on a few connections that many requests share at once,
//! pipelined (`postgres/shared.rs`); writes take a connection of their
//! own.

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::{GenericClient, NoTls, Statement};

use super::{ChallengeRow, Error, LimitRow, Write, sql};

mod batch;
mod shared;

use batch::{Kind, Param};
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
        Ok(Postgres {
            shared: Arc::new(Shared::new(pool.clone(), SHARED_READERS)),
            pool,
        })
    }

    /// See [`super::Store::challenge`].
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>, Error> {
        let Some(row) = self
            .shared
            .query_opt(sql::CHALLENGE, &[&id], READ_WITHIN)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(ChallengeRow {
            project: row.try_get(0)?,
            revision: row.try_get(1)?,
            record: row.try_get(2)?,
        }))
    }

    /// See [`super::Store::limit`].
    pub async fn limit(&self, key: &str) -> Result<Option<LimitRow>, Error> {
        let Some(row) = self
            .shared
            .query_opt(sql::LIMIT, &[&key], READ_WITHIN)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(LimitRow {
            revision: row.try_get(0)?,
            state: row.try_get(1)?,
        }))
    }

    /// See [`super::Store::apply`]: one statement, in autocommit (one
    /// round trip, one commit). A list that touches a row twice (a right
    /// code's: the lockout's count, the challenge's close, the count's
    /// reset) is two statements in one transaction, sent whole in one
    /// round trip with its `BEGIN` and `COMMIT`, the second run only if
    /// the first landed whole (see `postgres/batch.rs`). A longer list
    /// (more than 32 writes, or a row touched three times) goes statement
    /// by statement in one transaction.
    ///
    /// A request's future can be dropped anywhere (its client went away
    /// and the server is stopping, see `http/run_to_end.rs`). Nothing is
    /// left half done on the connection then: tokio-postgres sends every
    /// message of a statement at its first poll and reads its answer even
    /// when nobody waits for it any more; a list sent whole is sent at its
    /// first poll, `COMMIT` included; and a transaction (or a `BEGIN`
    /// still unanswered) dropped before its commit queues a `ROLLBACK`
    /// ahead of whatever the connection runs next.
    pub async fn apply(&self, writes: Vec<Write>) -> Result<usize, Error> {
        let segments = batch::segments(&writes);
        if segments.is_empty() {
            return Ok(0);
        }
        let mut client = self.pool.get().await?;
        match segments[..] {
            [only] => return Prepared::alone(&client, only).await?.run(&**client).await,
            [first, second] => {
                let first = Prepared::linked(&client, first, None).await?;
                let second = Prepared::linked(&client, second, Some(first.writes.len())).await?;
                return sent_whole(&client, &first, &second).await;
            }
            _ => {}
        }
        let mut prepared = Vec::with_capacity(segments.len());
        for segment in &segments {
            prepared.push(Prepared::alone(&client, segment).await?);
        }
        let tx = client.transaction().await?;
        let mut landed = 0;
        for segment in &prepared {
            let n = segment.run(&*tx).await?;
            landed += n;
            if n < segment.writes.len() {
                break;
            }
        }
        tx.commit().await?;
        Ok(landed)
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

/// Sends `BEGIN`, `first`, `second` and `COMMIT` at once: one round trip,
/// and the backend runs them in one wake-up. They go in this order at the
/// first poll (`join!` in its `biased` mode polls in order, and each
/// statement is sent at its first poll). `second` runs only if `first`
/// landed whole ([`batch::linked`]); a statement that fails aborts the
/// transaction, and the `COMMIT` then rolls it back. Returns how many
/// writes landed, or the first error.
async fn sent_whole(
    client: &tokio_postgres::Client,
    first: &Prepared<'_>,
    second: &Prepared<'_>,
) -> Result<usize, Error> {
    let (one, two) = (first.params(), second.params());
    let (begin, one, two, commit) = tokio::join!(
        biased;
        client.batch_execute("BEGIN"),
        client.query_one(&first.statement, &one),
        client.query_one(&second.statement, &two),
        client.batch_execute("COMMIT"),
    );
    begin?;
    let landed = count(&one?)? + count(&two?)?;
    commit?;
    Ok(landed)
}

/// The count a list's statement answers: how many of its writes landed.
fn count(row: &tokio_postgres::Row) -> Result<usize, Error> {
    let landed: i64 = row.try_get(0)?;
    Ok(usize::try_from(landed).unwrap_or(0))
}

/// One statement of a write list, prepared on the connection that runs
/// it, with its writes.
struct Prepared<'w> {
    statement: Statement,
    writes: &'w [Write],
}

impl<'w> Prepared<'w> {
    /// Prepares `writes` (no two on one row) as one statement on its
    /// own: the plain one for a single write, else [`batch::statement`]'s.
    /// The pool keeps it for the next list of the same kinds on this
    /// connection.
    async fn alone(
        client: &deadpool_postgres::ClientWrapper,
        writes: &'w [Write],
    ) -> Result<Prepared<'w>, Error> {
        let kinds: Vec<Kind> = writes.iter().map(Kind::of).collect();
        let sql = match kinds[..] {
            [kind] => std::borrow::Cow::Borrowed(kind.plain()),
            _ => std::borrow::Cow::Owned(batch::statement(&kinds)),
        };
        Self::prepare(client, &sql, &kinds, writes).await
    }

    /// Prepares `writes` as a statement of a list sent whole
    /// ([`batch::linked`]).
    async fn linked(
        client: &deadpool_postgres::ClientWrapper,
        writes: &'w [Write],
        after: Option<usize>,
    ) -> Result<Prepared<'w>, Error> {
        let kinds: Vec<Kind> = writes.iter().map(Kind::of).collect();
        Self::prepare(client, &batch::linked(&kinds, after), &kinds, writes).await
    }

    async fn prepare(
        client: &deadpool_postgres::ClientWrapper,
        sql: &str,
        kinds: &[Kind],
        writes: &'w [Write],
    ) -> Result<Prepared<'w>, Error> {
        let types: Vec<_> = kinds.iter().flat_map(|k| k.types()).cloned().collect();
        let statement = client.prepare_typed_cached(sql, &types).await?;
        Ok(Prepared { statement, writes })
    }

    /// The values of its parameters, in order.
    fn params(&self) -> Vec<Param<'w>> {
        let mut params = Vec::with_capacity(6 * self.writes.len());
        for write in self.writes {
            batch::params(write, &mut params);
        }
        params
    }

    /// Runs it on its own on `on` (the connection, or a transaction on
    /// it). Returns how many writes landed.
    async fn run(&self, on: &impl GenericClient) -> Result<usize, Error> {
        let params = self.params();
        if let [write] = self.writes {
            let changed = on.execute(&self.statement, &params).await? == 1;
            return Ok(usize::from(changed || matches!(write, Write::ClearLimits)));
        }
        count(&on.query_one(&self.statement, &params).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_peers_are_lost_in_seconds_unless_the_url_says_otherwise() {
        let mut config: tokio_postgres::Config = "postgres://h/db".parse().unwrap();
        lose_dead_peers(&mut config);
        assert_eq!(config.get_tcp_user_timeout(), Some(&DEAD_PEER));
        assert_eq!(config.get_keepalives_idle(), DEAD_PEER);
        let mut config: tokio_postgres::Config =
            "postgres://h/db?tcp_user_timeout=3&keepalives_idle=4"
                .parse()
                .unwrap();
        lose_dead_peers(&mut config);
        assert_eq!(config.get_tcp_user_timeout(), Some(&Duration::from_secs(3)));
        assert_eq!(config.get_keepalives_idle(), Duration::from_secs(4));
    }
}
