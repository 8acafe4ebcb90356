//! Read groups: the reads of one table that wait together go as one
//! statement.
//!
//! A few reader tasks per table take reads (a row by its key) from one
//! queue. A reader that is free takes the first read waiting and every
//! other one behind it, up to [`READ_MAX`], and asks for all their rows
//! at once on a shared connection (`postgres/shared.rs`):
//!
//! ```sql
//! SELECT id, project, revision, record FROM challenges WHERE id = ANY($1)
//! ```
//!
//! A read that finds the queue empty goes alone, by the plain statement
//! (`WHERE id = $1`). PostgreSQL then runs one statement, one snapshot
//! and one index scan per group, where it ran them per read. Each read
//! sees the row as the group's statement saw it: the newest committed
//! when the statement began, as for a read alone. A group that
//! PostgreSQL refuses runs each read alone; one that fails otherwise (no
//! answer in time, a connection lost) answers each of its reads with the
//! error.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio_postgres::Row;

use super::super::{ChallengeRow, Error, LimitRow, sql};
use super::shared::Shared;
use super::waiting::{self, Waiting};

/// Reader tasks per table.
const READERS: usize = 2;

/// Most reads in one statement.
const READ_MAX: usize = 128;

/// Reads that may wait for a reader before a request waits to queue its
/// own.
const QUEUE: usize = 1024;

/// What a table's reads need: the statements, and a row's key and value.
pub trait Table: Send + 'static {
    /// A row as read.
    type Value: Clone + Send + 'static;
    /// The row of one key: `$1` the key.
    const ONE: &'static str;
    /// The rows of many keys: `$1` the keys (`text[]`); the key first.
    const MANY: &'static str;
    /// A row of [`Table::ONE`].
    fn value(row: &Row) -> Result<Self::Value, Error>;
    /// A row of [`Table::MANY`]: its key and value.
    fn keyed(row: &Row) -> Result<(String, Self::Value), Error>;
}

/// The `challenges` table.
pub struct Challenges;

impl Table for Challenges {
    type Value = ChallengeRow;
    const ONE: &'static str = sql::CHALLENGE;
    const MANY: &'static str =
        "SELECT id, project, revision, record FROM challenges WHERE id = ANY($1)";

    fn value(row: &Row) -> Result<ChallengeRow, Error> {
        Ok(ChallengeRow {
            project: row.try_get(0)?,
            revision: row.try_get(1)?,
            record: row.try_get(2)?,
        })
    }

    fn keyed(row: &Row) -> Result<(String, ChallengeRow), Error> {
        let value = ChallengeRow {
            project: row.try_get(1)?,
            revision: row.try_get(2)?,
            record: row.try_get(3)?,
        };
        Ok((row.try_get(0)?, value))
    }
}

/// The `limits` table.
pub struct Limits;

impl Table for Limits {
    type Value = LimitRow;
    const ONE: &'static str = sql::LIMIT;
    const MANY: &'static str = "SELECT key, revision, state FROM limits WHERE key = ANY($1)";

    fn value(row: &Row) -> Result<LimitRow, Error> {
        Ok(LimitRow {
            revision: row.try_get(0)?,
            state: row.try_get(1)?,
        })
    }

    fn keyed(row: &Row) -> Result<(String, LimitRow), Error> {
        let value = LimitRow {
            revision: row.try_get(1)?,
            state: row.try_get(2)?,
        };
        Ok((row.try_get(0)?, value))
    }
}

/// The queue of one table's reads.
pub struct Reads<T: Table> {
    queue: mpsc::Sender<Read<T>>,
}

/// A read: the key, and where its row goes.
struct Read<T: Table> {
    key: String,
    done: oneshot::Sender<Result<Option<T::Value>, Error>>,
}

impl<T: Table> Reads<T> {
    /// Starts [`READERS`] tasks that read on `shared`, each read
    /// failing after `within`. They end once the last handle to the queue
    /// is dropped.
    pub fn start(shared: &Arc<Shared>, within: Duration) -> Reads<T> {
        let (queue, reads) = waiting::queue(QUEUE);
        for _ in 0..READERS {
            tokio::spawn(read(shared.clone(), reads.clone(), within));
        }
        Reads { queue }
    }

    /// The row of `key`, if there is one.
    pub async fn get(&self, key: &str) -> Result<Option<T::Value>, Error> {
        let (done, row) = oneshot::channel();
        let read = Read {
            key: key.to_owned(),
            done,
        };
        self.queue.send(read).await.map_err(|_| Error::Closed)?;
        row.await.map_err(|_| Error::Closed)?
    }
}

impl<T: Table> std::fmt::Debug for Reads<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reads").finish_non_exhaustive()
    }
}

/// A reader: takes the reads waiting, runs them, answers each.
async fn read<T: Table>(shared: Arc<Shared>, reads: Arc<Waiting<Read<T>>>, within: Duration) {
    while let Some(group) = reads.take(READ_MAX).await {
        if let [_] = group[..] {
            read_each_alone(&shared, group, within).await;
            continue;
        }
        let keys: Vec<&str> = group.iter().map(|read| read.key.as_str()).collect();
        let rows = shared.query(T::MANY, &[&keys], within).await;
        let found: Result<HashMap<String, T::Value>, Error> =
            rows.and_then(|rows| rows.iter().map(T::keyed).collect());
        match found {
            Ok(found) => {
                for read in group {
                    let _ = read.done.send(Ok(found.get(&read.key).cloned()));
                }
            }
            // PostgreSQL refused the statement (a key it will not take):
            // each read alone, so that the refusal is only that read's.
            Err(Error::Postgres(e)) if e.as_db_error().is_some() => {
                read_each_alone(&shared, group, within).await;
            }
            Err(e) => {
                let e = Arc::new(e);
                for read in group {
                    let _ = read.done.send(Err(Error::Group(e.clone())));
                }
            }
        }
    }
}

/// Runs each of `reads` by the plain statement, in turn, and answers it.
async fn read_each_alone<T: Table>(shared: &Shared, reads: Vec<Read<T>>, within: Duration) {
    for read in reads {
        let rows = shared.query(T::ONE, &[&read.key], within).await;
        let value = rows.and_then(|rows| rows.first().map(T::value).transpose());
        let _ = read.done.send(value);
    }
}
