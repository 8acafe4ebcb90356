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
//! took a verify from 3.6 to 2.3. A file made by an earlier version keeps
//! its tables keyed by `id` and `key` (`CREATE TABLE IF NOT EXISTS`): the
//! same statements work on it, without the page savings.

use std::fs::File;
use std::sync::{Arc, Mutex, mpsc as sync_mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Statement, params};
use tokio::sync::{mpsc, oneshot};

use super::{ChallengeRow, Error, LimitRow, Write, sql};

/// How long a statement waits for a lock another connection holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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
    CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
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
    writer: JoinHandle<()>,
    checkpointer: JoinHandle<()>,
    stop_checkpoints: sync_mpsc::Sender<()>,
}

/// What a job asks.
#[derive(Debug)]
enum Ask {
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
enum Answer {
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
struct Job {
    ask: Ask,
    done: oneshot::Sender<Result<Answer, Error>>,
}

/// The checkpointer's request to start the WAL over: where the writer
/// answers once it has.
type Restart = Mutex<Option<sync_mpsc::Sender<()>>>;

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
    conn.busy_timeout(BUSY_TIMEOUT)?;
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
        let restart: Arc<Restart> = Arc::default();
        let (ready, opened) = oneshot::channel();
        let (jobs, queue) = mpsc::channel(4 * BATCH_MAX);
        let writer = std::thread::Builder::new()
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
            .map_err(Error::Io)?;
        opened.await.map_err(|_| Error::Closed)??;

        let url = url.to_owned();
        let (checkpoints, database) = tokio::task::spawn_blocking(move || {
            let conn = open_connection(&url)?;
            // Kept open for the life of the process, never closed: closing
            // any descriptor of a file drops every POSIX lock the process
            // holds on it, SQLite's included.
            let database: Option<&'static File> = match conn.path() {
                Some(path) => Some(Box::leak(Box::new(File::open(path).map_err(Error::Io)?))),
                None => None,
            };
            Ok::<_, Error>((conn, database))
        })
        .await
        .map_err(|_| Error::Closed)??;
        let (stop, stopped) = sync_mpsc::channel();
        let checkpointer = std::thread::Builder::new()
            .name("mfa-checkpoint".into())
            .spawn(move || checkpoint(&checkpoints, database, &stopped, &restart, tuning))
            .map_err(Error::Io)?;
        Ok(Sqlite {
            jobs,
            threads: Arc::new(Mutex::new(Some(Threads {
                writer,
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

    /// See [`super::Store::meta`].
    pub async fn meta(&self, name: &'static str) -> Result<Option<String>, Error> {
        match self.ask(Ask::Meta(name)).await? {
            Answer::Meta(value) => Ok(value),
            other => unreachable!("meta answered {other:?}"),
        }
    }

    /// See [`super::Store::has_rows`].
    pub async fn has_rows(&self) -> Result<bool, Error> {
        match self.ask(Ask::HasRows).await? {
            Answer::HasRows(any) => Ok(any),
            other => unreachable!("has_rows answered {other:?}"),
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
    /// writer first: each connection holds the file shared, so the
    /// checkpointer's, closing last, is the one that can copy the WAL into
    /// the file and remove it. Later calls answer [`Error::Closed`].
    pub async fn close(&self) {
        let _ = self.ask(Ask::Close).await;
        let Some(threads) = lock(&self.threads).take() else {
            return;
        };
        let _ = tokio::task::spawn_blocking(move || {
            let _ = threads.writer.join();
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
    meta: Statement<'c>,
    has_rows: Statement<'c>,
    insert_meta: Statement<'c>,
    set_meta: Statement<'c>,
    clear_limits: Statement<'c>,
}

impl<'c> Statements<'c> {
    fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
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
            sweep_challenges: p(sql::SWEEP_CHALLENGES)?,
            sweep_limits: p(sql::SWEEP_LIMITS)?,
            meta: p(sql::META)?,
            has_rows: p(sql::HAS_ROWS)?,
            insert_meta: p(sql::INSERT_META)?,
            set_meta: p(sql::SET_META)?,
            clear_limits: p(sql::CLEAR_LIMITS)?,
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
            Write::InsertMeta(m) => self.insert_meta.execute(params![m.name, m.value]),
            Write::SetMeta(m) => self.set_meta.execute(params![m.name, m.value]),
            Write::ClearLimits => self.clear_limits.execute([]).map(|_| 1),
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
        let asked = lock(restart).take();
        if let Some(done) = asked {
            restart_wal(conn);
            let _ = done.send(());
        }
    }
}

/// Copies what the WAL still holds into the file and starts the WAL over,
/// waiting at most 100 ms for the locks this needs (another process may
/// be reading; the next restart will try again).
fn restart_wal(conn: &Connection) {
    let restarted = conn
        .busy_timeout(Duration::from_millis(100))
        .and_then(|()| {
            conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
        });
    match restarted {
        Ok(0) => {}
        Ok(_) => tracing::info!("WAL restart put off: the file is busy"),
        Err(e) => tracing::warn!(error = %e, "WAL restart failed"),
    }
    if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::warn!(error = %e, "cannot reset the busy timeout");
    }
}

/// The checkpointer's thread: every `tuning.every`, copies the WAL into
/// the database file without waiting for anyone (passive), pass after
/// pass while the WAL is past `tuning.restart_frames`; once a pass leaves
/// at most `tuning.tail_frames` behind, or after `tuning.max_passes`, asks
/// the writer thread to start the WAL over and waits for it. Stops when
/// its channel closes.
///
/// A pass that does not reach the end of the WAL (one with commits
/// arriving beside it) leaves the pages it copied unsynced, and the
/// writer would sync them all when it starts the WAL over; so each pass
/// is followed by a sync of `database`, which keeps that wait to the
/// tail's pages.
fn checkpoint(
    conn: &Connection,
    database: Option<&File>,
    stop: &sync_mpsc::Receiver<()>,
    restart: &Restart,
    tuning: WalTuning,
) {
    let passive = || -> Result<i64, Error> {
        let wal = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
        if let Some(file) = database {
            file.sync_data().map_err(Error::Io)?;
        }
        Ok(wal)
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
                *lock(restart) = Some(done);
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
