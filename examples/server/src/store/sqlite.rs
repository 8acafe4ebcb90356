//! SQLite: one connection, owned by a thread of its own, serves every read
//! and write in batches (group commit); a second connection, on a second
//! thread, checkpoints the WAL. See the [module docs](super) for why.
//!
//! # Keeping the WAL small without stalling requests
//!
//! Every commit appends the pages it changed to the WAL; a checkpoint
//! copies them into the database file, and the WAL can start over from
//! its beginning only once everything in it has been copied while no
//! write is running. Letting SQLite checkpoint on commit would hold the
//! writer for the whole copy. Instead the checkpointer copies passively,
//! beside the writer, and syncs the database file after every pass
//! (SQLite syncs it only after a pass that reached the WAL's end, which a
//! steady stream of commits never lets happen). Once the WAL has passed
//! [`WalTuning::restart_frames`], it runs passes back to back, each
//! leaving less behind; when the last one left at most
//! [`WalTuning::tail_frames`], it asks the writer thread, which copies
//! that tail itself between two batches and starts the WAL over. Requests
//! wait for the tail only. The file keeps its largest size (truncating
//! it with `journal_size_limit` and growing it again cost the first
//! commit after each restart 15–40 ms) and is removed when the store
//! closes.
//!
//! # Layout
//!
//! Both tables are rowid tables with the key in a unique index, so rows
//! lie in insertion order: a new challenge or number lands on the last
//! page of its table and costs one random page of the key index, where a
//! table keyed by the random id would put each roughly 400-byte row on a
//! random page that splits every few inserts. On a table of 100,000
//! challenges, that took a commit from 4.4 to 3.0 pages per issued code;
//! leaving `sweep_at` alone on a wrong code (see [`Write::SwapChallenge`])
//! took a verify from 3.6 to 2.3.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc as sync_mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Statement, params};
use tokio::sync::{mpsc, oneshot};

use super::{ChallengeRow, Error, LimitRow, Write, sql};

/// Most jobs in one transaction. Bounds how long the first job of a batch
/// waits for the last; the queue holds a few batches more.
const BATCH_MAX: usize = 128;

/// How the checkpointer keeps the WAL short (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalTuning {
    /// How long the checkpointer rests between rounds of passes.
    pub every: Duration,
    /// WAL size (in frames, one page each: 4 KiB) from which the WAL is
    /// started over.
    pub restart_frames: i64,
    /// Frames left behind by the checkpointer's last pass that the writer
    /// thread copies itself when it starts the WAL over.
    pub tail_frames: i64,
    /// Passes after which the checkpointer asks for a restart anyway (a
    /// write rate the passes cannot outrun: the tail is then longer).
    pub max_passes: usize,
}

impl Default for WalTuning {
    /// Every 100 ms; restart from 16,384 frames (64 MiB); a tail of at
    /// most 1,024 frames (4 MiB); 8 passes at most. Under full load on a
    /// 2-core virtual machine a restart holds requests for 2 to 13 ms, a
    /// few times a second (docs/PERFORMANCE.md).
    fn default() -> Self {
        WalTuning {
            every: Duration::from_millis(100),
            restart_frames: 16_384,
            tail_frames: 1_024,
            max_passes: 8,
        }
    }
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS challenges (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
        project TEXT NOT NULL, revision INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        sweep_at INTEGER NOT NULL, record BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS challenges_sweep_at ON challenges (sweep_at);
    CREATE TABLE IF NOT EXISTS limits (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
        revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, state BLOB NOT NULL);
    CREATE INDEX IF NOT EXISTS limits_expires_at ON limits (expires_at);
";

/// The handle requests hold: the queue to the connection's thread.
#[derive(Clone, Debug)]
pub struct Sqlite {
    jobs: mpsc::Sender<Job>,
    /// Taken by [`Sqlite::close`].
    threads: Arc<Mutex<Option<Threads>>>,
}

/// The two threads, and the checkpointer's stop signal.
#[derive(Debug)]
struct Threads {
    server: JoinHandle<()>,
    checkpointer: JoinHandle<()>,
    stop_checkpoints: sync_mpsc::Sender<()>,
}

/// What a job asks.
#[derive(Debug)]
enum Ask {
    Challenge(String),
    Limit(String),
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
enum Answer {
    Challenge(Option<ChallengeRow>),
    Limit(Option<LimitRow>),
    Landed(usize),
    Swept(u64, u64),
    Pong,
}

#[derive(Debug)]
struct Job {
    ask: Ask,
    done: oneshot::Sender<Result<Answer, Error>>,
}

/// The checkpointer's request to start the WAL over, and the writer's
/// answer.
struct Restart {
    wanted: AtomicBool,
    done: Mutex<Option<sync_mpsc::Sender<()>>>,
}

/// Opens `sqlite://FILE` (or `sqlite:FILE`); with `?PARAMS`, the rest is
/// read as an SQLite URI (`file:FILE?PARAMS`, e.g. `mode=rwc`).
fn open_connection(url: &str) -> Result<Connection, Error> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if rest.contains('?') {
        Connection::open_with_flags(format!("file:{rest}"), flags | OpenFlags::SQLITE_OPEN_URI)?
    } else {
        Connection::open_with_flags(rest, flags)?
    };
    conn.busy_timeout(Duration::from_secs(10))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Url(format!(
            "{url}: SQLite would not use a WAL (journal mode {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

impl Sqlite {
    /// Opens the file, creates the tables, starts the two threads.
    pub async fn open(url: &str, tuning: WalTuning) -> Result<Sqlite, Error> {
        let restart = Arc::new(Restart {
            wanted: AtomicBool::new(false),
            done: Mutex::new(None),
        });
        let (ready, opened) = oneshot::channel();
        let (jobs, queue) = mpsc::channel(4 * BATCH_MAX);
        let server = std::thread::Builder::new()
            .name("mfa-sqlite".into())
            .spawn({
                let url = url.to_owned();
                let restart = restart.clone();
                move || {
                    let conn = match open_connection(&url).and_then(|conn| {
                        // The checkpointer copies the WAL, not the commits.
                        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
                        // A page cache for the working set: 256 MiB at most.
                        conn.pragma_update(None, "cache_size", -262_144)?;
                        conn.execute_batch(SCHEMA)?;
                        Ok(conn)
                    }) {
                        Ok(conn) => conn,
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    serve(&conn, queue, ready, &restart);
                }
            })
            .map_err(Error::Thread)?;
        opened.await.map_err(|_| Error::Closed)??;

        let checkpoints = open_connection(url)?;
        let (stop, stopped) = sync_mpsc::channel();
        let checkpointer = std::thread::Builder::new()
            .name("mfa-checkpoint".into())
            .spawn(move || checkpoint(&checkpoints, &stopped, &restart, tuning))
            .map_err(Error::Thread)?;
        Ok(Sqlite {
            jobs,
            threads: Arc::new(Mutex::new(Some(Threads {
                server,
                checkpointer,
                stop_checkpoints: stop,
            }))),
        })
    }

    async fn ask(&self, ask: Ask) -> Result<Answer, Error> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { ask, done })
            .await
            .map_err(|_| Error::Closed)?;
        answer.await.map_err(|_| Error::Closed)?
    }

    /// See [`super::Store::challenge`].
    pub async fn challenge(&self, id: &str) -> Result<Option<ChallengeRow>, Error> {
        match self.ask(Ask::Challenge(id.to_owned())).await? {
            Answer::Challenge(row) => Ok(row),
            other => unreachable!("challenge answered {other:?}"),
        }
    }

    /// See [`super::Store::limit`].
    pub async fn limit(&self, key: &str) -> Result<Option<LimitRow>, Error> {
        match self.ask(Ask::Limit(key.to_owned())).await? {
            Answer::Limit(row) => Ok(row),
            other => unreachable!("limit answered {other:?}"),
        }
    }

    /// See [`super::Store::apply`].
    pub async fn apply(&self, writes: Vec<Write>) -> Result<usize, Error> {
        match self.ask(Ask::Apply(writes)).await? {
            Answer::Landed(n) => Ok(n),
            other => unreachable!("apply answered {other:?}"),
        }
    }

    /// One step of [`super::Store::sweep`].
    pub async fn sweep(&self, before: i64, now: i64, chunk: u64) -> Result<(u64, u64), Error> {
        match self.ask(Ask::Sweep { before, now, chunk }).await? {
            Answer::Swept(c, l) => Ok((c, l)),
            other => unreachable!("sweep answered {other:?}"),
        }
    }

    /// See [`super::Store::ping`].
    pub async fn ping(&self) -> Result<(), Error> {
        match self.ask(Ask::Ping).await? {
            Answer::Pong => Ok(()),
            other => unreachable!("ping answered {other:?}"),
        }
    }

    /// Stops both threads once the jobs already queued are answered, the
    /// server thread first: each connection holds the file shared, so the
    /// checkpointer's, closing last, is the one that can copy the WAL into
    /// the file and remove it. Later calls answer [`Error::Closed`].
    pub async fn close(&self) {
        let _ = self.ask(Ask::Close).await;
        let Some(threads) = lock(&self.threads).take() else {
            return;
        };
        let _ = tokio::task::spawn_blocking(move || {
            let _ = threads.server.join();
            drop(threads.stop_checkpoints);
            let _ = threads.checkpointer.join();
        })
        .await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
    sweep_challenges: Statement<'c>,
    sweep_limits: Statement<'c>,
}

impl<'c> Statements<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        let p = |sql: &str| conn.prepare(&sql.replace('$', "?"));
        Ok(Statements {
            challenge: p(sql::CHALLENGE)?,
            limit: p(sql::LIMIT)?,
            insert_challenge: p(sql::INSERT_CHALLENGE)?,
            swap_challenge: p(sql::SWAP_CHALLENGE)?,
            close_challenge: p(sql::CLOSE_CHALLENGE)?,
            insert_limit: p(sql::INSERT_LIMIT)?,
            swap_limit: p(sql::SWAP_LIMIT)?,
            sweep_challenges: p(sql::SWEEP_CHALLENGES)?,
            sweep_limits: p(sql::SWEEP_LIMITS)?,
        })
    }

    fn run(&mut self, ask: &Ask) -> rusqlite::Result<Answer> {
        Ok(match ask {
            Ask::Challenge(id) => Answer::Challenge(
                self.challenge
                    .query_row([id], |r| {
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
                    .query_row([key], |r| {
                        Ok(LimitRow {
                            revision: r.get(0)?,
                            state: r.get(1)?,
                        })
                    })
                    .optional()?,
            ),
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
            Ask::Ping | Ask::Close => Answer::Pong,
        })
    }

    fn write(&mut self, write: &Write) -> rusqlite::Result<usize> {
        match write {
            Write::InsertChallenge(c) => self.insert_challenge.execute(params![
                c.id,
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
            } => self
                .swap_challenge
                .execute(params![c.id, c.project, c.revision, c.record, read]),
            Write::SwapChallenge {
                read,
                to: c,
                closed: true,
            } => self.close_challenge.execute(params![
                c.id, c.project, c.revision, c.record, c.sweep_at, read
            ]),
            Write::Limit { read: None, to: l } => {
                self.insert_limit
                    .execute(params![l.key, l.revision, l.expires_at, l.state])
            }
            Write::Limit {
                read: Some(read),
                to: l,
            } => self
                .swap_limit
                .execute(params![l.key, l.revision, l.expires_at, l.state, read]),
        }
    }
}

/// The connection's thread: takes every job waiting (at most
/// [`BATCH_MAX`]), runs them in one transaction, answers them once it has
/// committed. A failed statement or commit rolls the batch back and every
/// job in it gets the error. Between batches, starts the WAL over when the
/// checkpointer asks.
fn serve(
    conn: &Connection,
    mut queue: mpsc::Receiver<Job>,
    ready: oneshot::Sender<Result<(), Error>>,
    restart: &Restart,
) {
    let mut statements = match Statements::prepare(conn) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready.send(Err(e.into()));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    let mut batch = Vec::with_capacity(BATCH_MAX);
    let mut answers = Vec::with_capacity(BATCH_MAX);
    while let Some(job) = queue.blocking_recv() {
        batch.push(job);
        while batch.len() < BATCH_MAX {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let writes = batch
            .iter()
            .any(|j| matches!(j.ask, Ask::Apply(_) | Ask::Sweep { .. }));
        let closing = batch.iter().any(|j| matches!(j.ask, Ask::Close));
        let ran = (|| -> rusqlite::Result<()> {
            conn.execute_batch(if writes { "BEGIN IMMEDIATE" } else { "BEGIN" })?;
            for job in &batch {
                match statements.run(&job.ask) {
                    Ok(answer) => answers.push(answer),
                    Err(e) => {
                        let _ = conn.execute_batch("ROLLBACK");
                        return Err(e);
                    }
                }
            }
            conn.execute_batch("COMMIT").inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            })
        })();
        match ran {
            Ok(()) => {
                for (job, answer) in batch.drain(..).zip(answers.drain(..)) {
                    let _ = job.done.send(Ok(answer));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = batch.len(), "SQLite batch rolled back");
                let e = Arc::new(e);
                answers.clear();
                for job in batch.drain(..) {
                    let _ = job.done.send(Err(Error::Sqlite(e.clone())));
                }
            }
        }
        if closing {
            return;
        }
        if restart.wanted.swap(false, Ordering::Acquire) {
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(())) {
                tracing::warn!(error = %e, "WAL restart failed");
            }
            if let Some(done) = lock(&restart.done).take() {
                let _ = done.send(());
            }
        }
    }
}

/// The checkpointer's thread: every `tuning.every`, copies the WAL into
/// the database file without waiting for anyone (passive), pass after
/// pass while the WAL is past `tuning.restart_frames`; once a pass leaves
/// at most `tuning.tail_frames` behind, or after `tuning.max_passes`, asks
/// the writer thread to start the WAL over and waits for it. Stops when
/// its channel closes.
fn checkpoint(
    conn: &Connection,
    stop: &sync_mpsc::Receiver<()>,
    restart: &Restart,
    tuning: WalTuning,
) {
    // A pass that does not reach the end of the WAL (one with commits
    // arriving beside it) leaves the pages it copied unsynced; the writer
    // would then sync them all when it starts the WAL over. Syncing them
    // here, after every pass, keeps that wait to the tail's pages.
    let database = conn.path().map(std::fs::File::open).transpose();
    let database = database.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "cannot open the database file to sync it");
        None
    });
    let passive = || {
        let wal = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))?;
        if let Some(file) = &database {
            file.sync_data()
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
        }
        Ok::<_, rusqlite::Error>(wal)
    };
    while let Err(sync_mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(tuning.every) {
        let mut copied_to = None;
        for pass in 1..=tuning.max_passes {
            // The WAL's length when the pass began: it copied up to there.
            let wal = match passive() {
                Ok(frames) => frames,
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    break;
                }
            };
            if wal < tuning.restart_frames {
                break;
            }
            // What this pass copied is what the last one left behind;
            // what it leaves is no more, as passes only get shorter.
            let left = copied_to.map_or(wal, |before| wal - before);
            copied_to = Some(wal);
            if left <= tuning.tail_frames || pass == tuning.max_passes {
                let (done, restarted) = sync_mpsc::channel();
                *lock(&restart.done) = Some(done);
                restart.wanted.store(true, Ordering::Release);
                // The writer answers after its next batch.
                while let Err(sync_mpsc::RecvTimeoutError::Timeout) =
                    restarted.recv_timeout(tuning.every)
                {
                    if let Err(sync_mpsc::TryRecvError::Disconnected) = stop.try_recv() {
                        return;
                    }
                }
                break;
            }
        }
    }
}
