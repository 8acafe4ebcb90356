//! One write list on one connection: its statements prepared, and run on
//! their own (a list alone) or as part of a group's transaction
//! (`postgres/group.rs`).

use deadpool_postgres::{ClientWrapper, Object};
use tokio_postgres::{GenericClient, Statement};

use super::super::{Error, Write};
use super::batch::{self, Kind, Param};

/// Runs `writes` alone on `client`: one statement in autocommit (one
/// round trip, one commit). A list that touches a row twice (a right
/// code's: the lockout's count, the challenge's close, the count's reset)
/// is two statements in one transaction, sent whole in one round trip
/// with its `BEGIN` and `COMMIT`, the second run only if the first landed
/// whole (see `postgres/batch.rs`). A longer list (more than 32 writes,
/// or a row touched three times) goes statement by statement in one
/// transaction.
///
/// A request's future can be dropped anywhere (its client went away and
/// the server is stopping, see `http/run_to_end.rs`). Nothing is left
/// half done on the connection then: tokio-postgres sends every message
/// of a statement at its first poll and reads its answer even when nobody
/// waits for it any more; a list sent whole is sent at its first poll,
/// `COMMIT` included; and a transaction (or a `BEGIN` still unanswered)
/// dropped before its commit queues a `ROLLBACK` ahead of whatever the
/// connection runs next.
pub async fn run_alone(client: &mut Object, writes: &[Write]) -> Result<usize, Error> {
    let segments = batch::segments(writes);
    match segments[..] {
        [] => return Ok(0),
        [only] => return Prepared::alone(client, only).await?.run(&***client).await,
        [first, second] => {
            let first = Prepared::linked(client, first, None).await?;
            let second = Prepared::linked(client, second, Some(first.writes.len())).await?;
            return sent_whole(client, &first, &second).await;
        }
        _ => {}
    }
    let mut prepared = Vec::with_capacity(segments.len());
    for segment in &segments {
        prepared.push(Prepared::alone(client, segment).await?);
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

/// The statements of `writes` for a transaction that others' lists
/// share (`postgres/group.rs`): one segment as on its own, several as a
/// chain of linked statements, each run only if the one before landed
/// whole. Run in order, one right after the other, they land the same
/// writes as [`run_alone`]. Their counts add up to how many landed.
pub async fn in_a_group<'w>(
    client: &ClientWrapper,
    writes: &'w [Write],
) -> Result<Vec<Prepared<'w>>, Error> {
    let segments = batch::segments(writes);
    if let [only] = segments[..] {
        return Ok(vec![Prepared::alone(client, only).await?]);
    }
    let mut chain: Vec<Prepared<'w>> = Vec::with_capacity(segments.len());
    for segment in segments {
        let after = chain.last().map(|before| before.writes.len());
        chain.push(Prepared::linked(client, segment, after).await?);
    }
    Ok(chain)
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
pub struct Prepared<'w> {
    statement: Statement,
    writes: &'w [Write],
}

impl<'w> Prepared<'w> {
    /// Prepares `writes` (no two on one row) as one statement on its
    /// own: the plain one for a single write, else [`batch::statement`]'s.
    /// The pool keeps it for the next list of the same kinds on this
    /// connection.
    async fn alone(client: &ClientWrapper, writes: &'w [Write]) -> Result<Prepared<'w>, Error> {
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
        client: &ClientWrapper,
        writes: &'w [Write],
        after: Option<usize>,
    ) -> Result<Prepared<'w>, Error> {
        let kinds: Vec<Kind> = writes.iter().map(Kind::of).collect();
        Self::prepare(client, &batch::linked(&kinds, after), &kinds, writes).await
    }

    async fn prepare(
        client: &ClientWrapper,
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

    /// Runs it on `on` (the connection, or a transaction on it). Returns
    /// how many writes landed. Sends it at its first poll.
    pub async fn run(&self, on: &impl GenericClient) -> Result<usize, Error> {
        let params = self.params();
        // A plain statement answers no row: its row count is its answer.
        if self.statement.columns().is_empty() {
            let changed = on.execute(&self.statement, &params).await? == 1;
            let clear = matches!(self.writes, [Write::ClearLimits]);
            return Ok(usize::from(changed || clear));
        }
        count(&on.query_one(&self.statement, &params).await?)
    }
}
