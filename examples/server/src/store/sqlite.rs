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
//! [`WalTuning::restart_bytes`], it runs passes back to back, each
//! copying what the commits beside the last one wrote; when the last one
//! had at most [`WalTuning::tail_bytes`] to copy, it asks the writer
//! thread, which copies what is left itself between two batches and
//! starts the WAL over. Requests wait for that tail only. When a pass had
//! no less to copy than the one before, the writes are outrunning the
//! passes (a bulk sweep under full load did, with 4 KiB pages): the
//! checkpointer asks for the restart at once, and requests wait for a
//! longer tail, rather than let the WAL grow pass after pass (it reached
//! 1.2 GB that way). The file keeps its size from one restart to the
//! next (truncating it at each restart and growing it again cost the
//! first commit after it 15–40 ms), up to [`WalTuning::keep_bytes`],
//! twice the restart size: a file that grew past it (at a cold start, in
//! a bulk sweep, under a load the passes cannot follow) is cut back to it
//! by the first commit after the next restart (`journal_size_limit`),
//! instead of holding its high-water mark for good; that commit then
//! waits for the cut (130 ms once for a 233 MB file). It is removed when
//! the store closes.
//!
//! A store at rest holds no WAL: once the WAL has taken no commit for
//! [`WalTuning::truncate_after_idle`] (2 s), the checkpointer copies what
//! is left (next to nothing: its passes copied the rest) and cuts the
//! file to nothing, rather than keep up to 128 MiB of disk for the next
//! burst. A batch that comes meanwhile waits for that cut (the cut waits
//! at most 100 ms for the locks it needs); the next commits grow the
//! file again a page at a time. A cut that finds the file busy (another
//! process reading it) is put off, each time twice as long.
//!
//! # A small page cache
//!
//! The writer's page cache holds 1,024 pages (`CACHE_PAGES`: 1 MiB with a
//! new file's 1 KiB pages, 4 MiB with an older file's 4 KiB), SQLite's
//! default order of size, not the working set: a larger cache made every
//! commit slower in proportion to the pages it holds. When a B-tree page
//! splits, SQLite numbers the new pages in ascending order, and to swap
//! two numbers it parks one page for a moment at the number of the page
//! that holds the file's lock bytes, at 1 GiB (page 262,145 with 4 KiB
//! pages, 1,048,577 with 1 KiB). The cache then counts
//! that number as its highest, and at the end of every transaction on a
//! file below 1 GiB it drops the pages past the file's end by walking its
//! whole hash table: one pointer chase per cached page, at nearly every
//! commit, as random inserts split index pages all the time. With the
//! 256 MiB cache this server had, the walk took 7% of the CPU on an empty
//! store and most of an issue's at a million challenges (427–447 µs of
//! server CPU an issue against 193–204 µs with 4 MiB; with 1 KiB pages,
//! 4,096 pages cached did no better than 1,024; docs/PERFORMANCE.md).
//! Pages the cache misses come from the operating system's page cache,
//! one read call each.
//!
//! # Layout
//!
//! A new file has 1 KiB pages (`PAGE_BYTES`; SQLite's default is 4 KiB).
//! A request changes a few rows, each on a page of its own (a random
//! page of a key index at least), and the WAL takes the whole page: with
//! 1 KiB pages it takes about a third of the bytes (35 against 106 MB a
//! second at about 7,000 requests a second on a million challenges), the
//! checkpointer has that much less to copy, and the WAL stays smaller at
//! the same rates (docs/PERFORMANCE.md). The writes the operating system
//! makes for them are no fewer: it writes whole 4 KiB pages back, one per
//! random page changed. A file made with other pages keeps them.
//!
//! A new file also stores ids and keys as bytes, not text (see `keys`):
//! they are a third of a row and its index entry.
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
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, mpsc as sync_mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use tokio::sync::{mpsc, oneshot};

use super::{ChallengeRow, Error, LimitRow, Write};

mod checkpoint;
mod keys;
mod writer;

use checkpoint::checkpoint;
use keys::KeyForm;
use writer::{Answer, Ask, Job, serve};

/// How long a statement waits for a lock another connection holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The writer's page cache, in pages (see the [module docs](self) for why
/// it is small).
const CACHE_PAGES: i64 = 1_024;

/// The page size of a new file (see the [module docs](self) for why).
const PAGE_BYTES: i64 = 1_024;

/// Most jobs in one transaction. Bounds how long the first job of a batch
/// waits for the last; the queue holds a few batches more.
const BATCH_MAX: usize = 128;

/// How the checkpointer keeps the WAL short (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalTuning {
    /// How long the checkpointer rests between rounds of passes.
    pub every: Duration,
    /// WAL size from which the WAL is started over, in bytes (read as
    /// whole pages).
    pub restart_bytes: u64,
    /// Most bytes left behind by the checkpointer's last pass that the
    /// writer thread copies itself when it starts the WAL over (unless
    /// the writes outrun the passes: see the [module docs](self)).
    pub tail_bytes: u64,
    /// Passes after which the checkpointer asks for a restart anyway (a
    /// write rate the passes cannot outrun: the tail is then longer).
    pub max_passes: usize,
    /// The WAL file's size, in bytes, that the first commit after a
    /// restart cuts it back to when it has grown past it (`u64::MAX`:
    /// never).
    pub keep_bytes: u64,
    /// How long the WAL must have taken no commit before the checkpointer
    /// copies the rest of it and cuts the file to nothing (see the
    /// [module docs](self)); zero cuts it at every look that finds no new
    /// commit.
    pub truncate_after_idle: Duration,
}

impl Default for WalTuning {
    /// Every 100 ms; restart from 64 MiB; a tail of at most 2 MiB; 8
    /// passes at most; a file past 128 MiB cut back to it; cut to nothing
    /// after 2 s without a commit. What a restart costs requests under
    /// full load is measured in docs/PERFORMANCE.md; there, bounds of 24
    /// or 32 MiB and 48 MiB kept the WAL under load to 50 MB in place of
    /// 128 MiB, and cost issues about a tenth of their rate at a million
    /// challenges.
    fn default() -> Self {
        WalTuning {
            every: Duration::from_millis(100),
            restart_bytes: 64 << 20,
            tail_bytes: 2 << 20,
            max_passes: 8,
            keep_bytes: 128 << 20,
            truncate_after_idle: Duration::from_secs(2),
        }
    }
}

/// The tables and indexes, each created if missing. A new file's tables
/// keep ids and keys as bytes and refuse anything else (see `keys`).
fn schema(form: KeyForm) -> String {
    let (id, key) = match form {
        KeyForm::Text => ("id TEXT NOT NULL UNIQUE", "key TEXT NOT NULL UNIQUE"),
        KeyForm::Bytes => (
            "id BLOB NOT NULL UNIQUE CONSTRAINT id_is_bytes CHECK (typeof(id) = 'blob')",
            "key BLOB NOT NULL UNIQUE CONSTRAINT key_is_bytes CHECK (typeof(key) = 'blob')",
        ),
    };
    format!(
        "CREATE TABLE IF NOT EXISTS challenges (seq INTEGER PRIMARY KEY, {id},
             project TEXT NOT NULL, revision INTEGER NOT NULL, expires_at INTEGER NOT NULL,
             sweep_at INTEGER NOT NULL, record BLOB NOT NULL);
         CREATE INDEX IF NOT EXISTS challenges_sweep_at ON challenges (sweep_at);
         CREATE TABLE IF NOT EXISTS limits (seq INTEGER PRIMARY KEY, {key},
             revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, state BLOB NOT NULL);
         CREATE INDEX IF NOT EXISTS limits_expires_at ON limits (expires_at);
         CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    )
}

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

/// What the checkpointer and the writer share to start the WAL over.
#[derive(Debug, Default)]
struct Restart {
    /// The checkpointer's ask: where the writer answers once it has.
    ask: Mutex<Option<sync_mpsc::Sender<()>>>,
    /// The writer waits for jobs (it runs no batch): an ask made now
    /// waits for the next job to come.
    writer_idle: AtomicBool,
}

/// Opens `sqlite://FILE` (or `sqlite:FILE`); with `?PARAMS`, the rest is
/// read as an SQLite URI (`file:FILE?PARAMS`, e.g. `mode=rwc`). A file it
/// creates gets pages of [`PAGE_BYTES`].
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
    // Takes effect on a file with no tables yet, before the WAL mode is
    // set; on any other it changes nothing.
    conn.pragma_update(None, "page_size", PAGE_BYTES)?;
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
                    let (conn, form) = match open_connection(&url).and_then(|conn| {
                        // The checkpointer copies the WAL, not the commits.
                        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
                        // Cut back after a restart (see the module docs).
                        let keep = i64::try_from(tuning.keep_bytes).unwrap_or(-1);
                        conn.pragma_update(None, "journal_size_limit", keep)?;
                        // Small on purpose (see the module docs).
                        conn.pragma_update(None, "cache_size", CACHE_PAGES)?;
                        let form = keys::settle(&conn)?;
                        Ok((conn, form))
                    }) {
                        Ok(opened) => opened,
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    serve(&conn, form, queue, ready, &restart);
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
