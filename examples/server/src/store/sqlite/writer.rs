//! The writer's thread: the jobs it takes, the statements it prepares
//! once, and the batches it runs and commits.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use rusqlite::{Connection, OptionalExtension, Statement, params};
use tokio::sync::{mpsc, oneshot};

use super::super::{ChallengeRow, Error, LimitRow, Write, sql};
use super::checkpoint::restart_wal;
use super::keys::KeyForm;
use super::{BATCH_MAX, Restart, lock};

/// What a job asks.
#[derive(Debug)]
pub(super) enum Ask {
    Challenge(String),
    Limit(String),
    Meta(&'static str),
    HasRows,
    Apply(Vec<Write>),
    Sweep {
        before: i64,
        now: i64,
        chunk: u64,
    },
    Ping,
    /// Ends the thread once its batch has committed.
    Close,
}

/// What a job answers.
#[derive(Debug)]
pub(super) enum Answer {
    Challenge(Option<ChallengeRow>),
    Limit(Option<LimitRow>),
    Meta(Option<String>),
    HasRows(bool),
    Landed(usize),
    Swept(u64, u64),
    Pong,
    Closing,
}

#[derive(Debug)]
pub(super) struct Job {
    pub(super) ask: Ask,
    pub(super) done: oneshot::Sender<Result<Answer, Error>>,
}

/// The statements, prepared once (SQLite numbers parameters `?N`).
struct Statements<'c> {
    challenge: Statement<'c>,
    limit: Statement<'c>,
    insert_challenge: Statement<'c>,
    swap_challenge: Statement<'c>,
    close_challenge: Statement<'c>,
    insert_limit: Statement<'c>,
    swap_limit: Statement<'c>,
    swap_limit_keeping_expiry: Statement<'c>,
    sweep_challenges: Statement<'c>,
    sweep_limits: Statement<'c>,
    meta: Statement<'c>,
    has_rows: Statement<'c>,
    insert_meta: Statement<'c>,
    set_meta: Statement<'c>,
    clear_limits: Statement<'c>,
    /// How the file stores ids and keys.
    form: KeyForm,
}

impl<'c> Statements<'c> {
    fn prepare(conn: &'c Connection, form: KeyForm) -> rusqlite::Result<Self> {
        // `$N` (PostgreSQL) to `?N` (SQLite): the shared SQL has no other
        // `$`, and tests/store.rs runs every statement on both.
        let p = |sql: &str| conn.prepare(&sql.replace('$', "?"));
        Ok(Statements {
            challenge: p(sql::CHALLENGE)?,
            limit: p(sql::LIMIT)?,
            insert_challenge: p(sql::INSERT_CHALLENGE)?,
            swap_challenge: p(sql::SWAP_CHALLENGE)?,
            close_challenge: p(sql::CLOSE_CHALLENGE)?,
            insert_limit: p(sql::INSERT_LIMIT)?,
            swap_limit: p(sql::SWAP_LIMIT)?,
            swap_limit_keeping_expiry: p(sql::SWAP_LIMIT_KEEPING_EXPIRY)?,
            sweep_challenges: p(sql::SWEEP_CHALLENGES)?,
            sweep_limits: p(sql::SWEEP_LIMITS)?,
            meta: p(sql::META)?,
            has_rows: p(sql::HAS_ROWS)?,
            insert_meta: p(sql::INSERT_META)?,
            set_meta: p(sql::SET_META)?,
            clear_limits: p(sql::CLEAR_LIMITS)?,
            form,
        })
    }

    fn run(&mut self, ask: &Ask) -> rusqlite::Result<Answer> {
        Ok(match ask {
            Ask::Challenge(id) => Answer::Challenge(
                self.challenge
                    .query_row([self.form.id(id)], |r| {
                        Ok(ChallengeRow {
                            project: r.get(0)?,
                            revision: r.get(1)?,
                            record: r.get(2)?,
                        })
                    })
                    .optional()?,
            ),
            Ask::Limit(key) => Answer::Limit(
                self.limit
                    .query_row([self.form.key(key)], |r| {
                        Ok(LimitRow {
                            revision: r.get(0)?,
                            state: r.get(1)?,
                        })
                    })
                    .optional()?,
            ),
            Ask::Meta(name) => Answer::Meta(self.meta.query_row([name], |r| r.get(0)).optional()?),
            Ask::HasRows => Answer::HasRows(self.has_rows.query_row([], |r| r.get(0))?),
            Ask::Apply(writes) => {
                let mut landed = 0;
                for write in writes {
                    if self.write(write)? != 1 {
                        break;
                    }
                    landed += 1;
                }
                Answer::Landed(landed)
            }
            Ask::Sweep { before, now, chunk } => {
                let chunk = i64::try_from(*chunk).unwrap_or(i64::MAX);
                Answer::Swept(
                    self.sweep_challenges.execute([*before, chunk])? as u64,
                    self.sweep_limits.execute([*now, chunk])? as u64,
                )
            }
            Ask::Ping => Answer::Pong,
            Ask::Close => Answer::Closing,
        })
    }

    fn write(&mut self, write: &Write) -> rusqlite::Result<usize> {
        let form = self.form;
        match write {
            Write::InsertChallenge(c) => self.insert_challenge.execute(params![
                form.id(&c.id),
                c.project,
                c.revision,
                c.expires_at,
                c.sweep_at,
                c.record
            ]),
            Write::SwapChallenge {
                read,
                to: c,
                closed: false,
            } => self.swap_challenge.execute(params![
                form.id(&c.id),
                c.project,
                c.revision,
                c.record,
                read
            ]),
            Write::SwapChallenge {
                read,
                to: c,
                closed: true,
            } => self.close_challenge.execute(params![
                form.id(&c.id),
                c.project,
                c.revision,
                c.record,
                c.sweep_at,
                read
            ]),
            Write::InsertMeta(m) => self.insert_meta.execute(params![m.name, m.value]),
            Write::SetMeta(m) => self.set_meta.execute(params![m.name, m.value]),
            Write::ClearLimits => self.clear_limits.execute([]).map(|_| 1),
            Write::Limit { read: None, to: l } => self.insert_limit.execute(params![
                form.key(&l.key),
                l.revision,
                l.expires_at,
                l.state
            ]),
            // The row's expiry stays if it can (see `sql::SWAP_LIMIT`);
            // only if that did not land, the swap that may move it.
            Write::Limit {
                read: Some(read),
                to: l,
            } => {
                let row = params![form.key(&l.key), l.revision, l.expires_at, l.state, read];
                match self.swap_limit_keeping_expiry.execute(row)? {
                    0 => self.swap_limit.execute(row),
                    landed => Ok(landed),
                }
            }
        }
    }
}

/// The writer's thread: takes every job waiting (at most [`BATCH_MAX`]),
/// runs them in one transaction, answers them once it has committed.
/// Between batches, starts the WAL over when the checkpointer asks.
///
/// A failed statement or commit rolls the batch back and every job in it
/// gets the error: the statements cannot fail on their own (no constraint
/// is left to break: inserts are `ON CONFLICT DO NOTHING`), so what fails
/// one is the disk or the file, and would fail the others too. If the
/// connection cannot even roll back, the thread stops: every request then
/// gets 500 and `/healthz` 503, for an operator to see.
pub(super) fn serve(
    conn: &Connection,
    form: KeyForm,
    mut queue: mpsc::Receiver<Job>,
    ready: oneshot::Sender<Result<(), Error>>,
    restart: &Restart,
) {
    let mut statements = match Statements::prepare(conn, form) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let mut batch = Vec::with_capacity(BATCH_MAX);
    let mut answers = Vec::with_capacity(BATCH_MAX);
    loop {
        restart.writer_idle.store(true, Relaxed);
        let Some(job) = queue.blocking_recv() else {
            return;
        };
        restart.writer_idle.store(false, Relaxed);
        batch.push(job);
        while batch.len() < BATCH_MAX {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let writing = batch
            .iter()
            .any(|j| matches!(j.ask, Ask::Apply(_) | Ask::Sweep { .. }));
        let closing = batch.iter().any(|j| matches!(j.ask, Ask::Close));
        let ran = (|| -> rusqlite::Result<()> {
            conn.execute_batch(if writing { "BEGIN IMMEDIATE" } else { "BEGIN" })?;
            for job in &batch {
                answers.push(statements.run(&job.ask)?);
            }
            conn.execute_batch("COMMIT")
        })();
        match ran {
            Ok(()) => {
                for (job, answer) in batch.drain(..).zip(answers.drain(..)) {
                    let _ = job.done.send(Ok(answer));
                }
            }
            Err(e) => {
                let rolled_back = conn.is_autocommit() || conn.execute_batch("ROLLBACK").is_ok();
                tracing::error!(error = %e, jobs = batch.len(), rolled_back, "SQLite batch failed");
                let e = Arc::new(e);
                answers.clear();
                for job in batch.drain(..) {
                    let _ = job.done.send(Err(Error::Sqlite(e.clone())));
                }
                if !rolled_back {
                    tracing::error!("the SQLite connection cannot roll back: the store stops");
                    return;
                }
            }
        }
        if closing {
            return;
        }
        let asked = lock(&restart.ask).take();
        if let Some(done) = asked {
            restart_wal(conn);
            let _ = done.send(());
        }
    }
}
