//! Group commit: the write lists of requests that arrive while others
//! commit go together, in one transaction on one connection.
//!
//! A few committer tasks take lists from one queue. A committer that is
//! free takes the first list waiting, and every other one waiting behind
//! it up to [`GROUP_MAX`]; a list that finds the queue empty goes alone,
//! as it always did (`postgres/list.rs`). A group of several is
//!
//! ```text
//! BEGIN; <each list's statements, list after list>   -- one round trip
//! COMMIT                                             -- a second
//! ```
//!
//! So a busy server pays one commit (one flush of the WAL), two wake-ups
//! of one backend and two round trips per group, where each request paid
//! its own.
//!
//! Each list keeps its meaning. Its statements run one right after the
//! other, each gated on the one before as when it runs alone, and a list
//! sees the changes of the lists before it in its group as it would see
//! them committed: a compare-and-swap that another list of the group won
//! loses. Statements run in the order they are sent (the backend reads
//! them in turn); the first polls of their futures send them, in order,
//! and [`in_order`] makes that order explicit.
//!
//! The `COMMIT` is sent only once every statement has answered. If one
//! failed (a deadlock with another server's transaction, a value
//! PostgreSQL refuses), the group is rolled back, nothing of it having
//! landed, and each list runs again on its own, on a connection of its
//! own, so that one list's error or wait is its own. Only a `BEGIN`,
//! `COMMIT` or `ROLLBACK` that fails leaves the outcome unknown: every
//! request of the group gets the error (500), none a guess, and the
//! connection is closed. So is a connection whose group did not end
//! (`Unended`). A row lock held elsewhere (another server's request, an
//! operator's open transaction) fails a statement after the store's
//! `lock_timeout` (`postgres.rs`) rather than hold the group.
//!
//! Lock order: the lists of a group are sorted by the row their first
//! write touches, so two groups (of one server or two) take the first
//! rows of their lists in one order. A list takes a number's limiter row
//! first, then its challenge; two groups could still wait on each other
//! through the rows a list takes second (the subject's limiter row).
//! PostgreSQL then breaks the deadlock after `deadlock_timeout` (1 s by
//! default) by failing one statement, and that group's lists run alone.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use deadpool_postgres::{Object, Pool};
use tokio::sync::{mpsc, oneshot};

use super::super::{Error, Write};
use super::batch;
use super::list::{self, Prepared};
use super::waiting::{self, Waiting};

/// Committer tasks: groups in flight at once, each on a connection of
/// the pool.
pub const COMMITTERS: usize = 4;

/// Most lists in one group.
pub const GROUP_MAX: usize = 64;

/// Lists that may wait for a committer before a request waits to queue
/// its own.
const QUEUE: usize = 1024;

/// The queue the committers take lists from.
#[derive(Debug)]
pub struct Group {
    queue: mpsc::Sender<Job>,
}

/// A write list and where its count goes.
struct Job {
    writes: Vec<Write>,
    done: oneshot::Sender<Result<usize, Error>>,
}

impl Group {
    /// Starts [`COMMITTERS`] tasks that commit on connections of `pool`.
    /// They end once the last handle to the queue is dropped.
    pub fn start(pool: &Pool) -> Group {
        let (queue, jobs) = waiting::queue(QUEUE);
        for _ in 0..COMMITTERS {
            tokio::spawn(commit(pool.clone(), jobs.clone()));
        }
        Group { queue }
    }

    /// See [`crate::store::Store::apply`]. Once queued, the list runs to
    /// its end even if this future is dropped.
    pub async fn apply(&self, writes: Vec<Write>) -> Result<usize, Error> {
        let (done, landed) = oneshot::channel();
        let job = Job { writes, done };
        self.queue.send(job).await.map_err(|_| Error::Closed)?;
        landed.await.map_err(|_| Error::Closed)?
    }
}

/// A committer: takes a group from the queue, runs it, answers each list.
async fn commit(pool: Pool, jobs: Arc<Waiting<Job>>) {
    while let Some(mut group) = jobs.take(GROUP_MAX).await {
        // Lock order: sorted by the row of each list's first write.
        group.sort_by(|a, b| batch::lock_order(&a.writes).cmp(&batch::lock_order(&b.writes)));
        metrics::histogram!("mfa_store_group_lists").record(group.len() as f64);
        let mut client = match pool.get().await {
            Ok(client) => client,
            Err(e) => {
                answer_all(group, Error::Pool(e));
                continue;
            }
        };
        if group.len() == 1 {
            for job in group {
                let landed = list::run_alone(&mut client, &job.writes).await;
                let _ = job.done.send(landed);
            }
            continue;
        }
        let open = Unended(Some(client));
        match run_together(&open, &group).await {
            Together::Committed(counts) => {
                drop(open.ended());
                for (job, landed) in group.into_iter().zip(counts) {
                    let _ = job.done.send(Ok(landed));
                }
            }
            Together::RolledBack => {
                drop(open.ended());
                run_each_alone(&pool, group);
            }
            // What the connection holds is unknown: dropped unended, it
            // is closed, not handed out again.
            Together::Unsure(e) => {
                tracing::error!(lists = group.len(), error = %e, "a group commit failed");
                answer_all(group, e);
            }
        }
    }
}

/// A connection with a group's transaction on it. It goes back to the
/// pool only through [`Unended::ended`], once the transaction has ended;
/// dropped otherwise (the outcome unsure, a panic, a task cancelled at
/// the runtime's end), it is closed, so that no transaction left open
/// reaches the next list the pool hands it to.
struct Unended(Option<Object>);

impl Unended {
    /// The connection, to go back to the pool.
    fn ended(mut self) -> Option<Object> {
        self.0.take()
    }
}

impl std::ops::Deref for Unended {
    type Target = Object;
    fn deref(&self) -> &Object {
        self.0.as_ref().expect("held until `ended` takes it")
    }
}

impl Drop for Unended {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            drop(Object::take(client));
        }
    }
}

/// Runs each list of a group that rolled back alone, each on a
/// connection of its own, as lists ran before group commit: a list
/// that waits for a row lock, or fails, holds up no other list.
fn run_each_alone(pool: &Pool, group: Vec<Job>) {
    for job in group {
        let pool = pool.clone();
        tokio::spawn(async move {
            let landed = match pool.get().await {
                Ok(mut client) => list::run_alone(&mut client, &job.writes).await,
                Err(e) => Err(Error::Pool(e)),
            };
            let _ = job.done.send(landed);
        });
    }
}

/// Answers every list of `group` with `e`.
fn answer_all(group: Vec<Job>, e: Error) {
    let e = Arc::new(e);
    for job in group {
        let _ = job.done.send(Err(Error::Group(e.clone())));
    }
}

/// How a group's transaction ended.
enum Together {
    /// Committed: each list's count, in order.
    Committed(Vec<usize>),
    /// Rolled back, nothing landed (a statement failed: a value refused,
    /// a deadlock, a lock waited for longer than the store allows): the
    /// lists are to run alone.
    RolledBack,
    /// The `BEGIN`, the `COMMIT` or the `ROLLBACK` failed: what landed
    /// is unknown.
    Unsure(Error),
}

/// Runs `group`'s lists in one transaction.
async fn run_together(client: &Object, group: &[Job]) -> Together {
    let mut lists = Vec::with_capacity(group.len());
    for job in group {
        match list::in_a_group(client, &job.writes).await {
            Ok(statements) => lists.push(statements),
            Err(_) => return Together::RolledBack,
        }
    }
    let client: &tokio_postgres::Client = client;
    let begin: Pin<Box<dyn Future<Output = Result<usize, Error>> + Send + '_>> =
        Box::pin(async move { Ok(client.batch_execute("BEGIN").await.map(|()| 0)?) });
    let mut sent = vec![begin];
    sent.extend(lists.iter().flatten().map(|s: &Prepared<'_>| {
        Box::pin(s.run(client)) as Pin<Box<dyn Future<Output = _> + Send + '_>>
    }));
    let mut answers = in_order(sent).await.into_iter();
    // A `BEGIN` that failed leaves what ran after it unsure: in
    // autocommit, each statement that landed has committed.
    if let Some(Err(e)) = answers.next() {
        return Together::Unsure(e);
    }
    let answers: Result<Vec<usize>, Error> = answers.collect();
    let Ok(answers) = answers else {
        // Every statement has answered, and the `COMMIT` was not sent.
        return match client.batch_execute("ROLLBACK").await {
            Ok(()) => Together::RolledBack,
            Err(e) => Together::Unsure(e.into()),
        };
    };
    if let Err(e) = client.batch_execute("COMMIT").await {
        return Together::Unsure(e.into());
    }
    let mut answers = answers.into_iter();
    let counts = lists
        .iter()
        .map(|statements| answers.by_ref().take(statements.len()).sum())
        .collect();
    Together::Committed(counts)
}

/// Runs `futures` together and returns their outputs in order. Each is
/// first polled in the order given, before any is polled again: a
/// tokio-postgres statement is sent at its first poll, so this sends
/// them in order (`join_all` of the futures crate polls in order too,
/// but does not say so).
async fn in_order<T>(mut futures: Vec<Pin<Box<dyn Future<Output = T> + Send + '_>>>) -> Vec<T> {
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
