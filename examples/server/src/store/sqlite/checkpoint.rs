//! The checkpointer's thread, and the writer's WAL restart.

use std::fs::File;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc as sync_mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::super::Error;
use super::{BUSY_TIMEOUT, Restart, WalTuning, lock};

/// Copies what the WAL still holds into the file and starts the WAL over,
/// waiting at most 100 ms for the locks this needs (another process may
/// be reading; the next restart will try again).
pub(super) fn restart_wal(conn: &Connection) {
    let began = Instant::now();
    let restarted = conn
        .busy_timeout(Duration::from_millis(100))
        .and_then(|()| {
            conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
        });
    match restarted {
        Ok(0) => tracing::debug!(took = ?began.elapsed(), "WAL tail copied"),
        Ok(_) => tracing::info!("WAL restart put off: the file is busy"),
        Err(e) => tracing::warn!(error = %e, "WAL restart failed"),
    }
    if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::warn!(error = %e, "cannot reset the busy timeout");
    }
}

/// How long the WAL has taken no commit, as the checkpointer sees it.
#[derive(Debug)]
struct Rest {
    /// The WAL's length at the last look, in frames.
    frames: i64,
    /// Since when it has been that long (or since the last cut put off).
    since: Instant,
    /// The file was cut to nothing since it last changed.
    truncated: bool,
    /// Cuts put off since the last commit (the file busy): each doubles
    /// the quiet the next one waits for, up to 64 times.
    put_off: u32,
}

impl Rest {
    fn new() -> Rest {
        Rest {
            frames: 0,
            since: Instant::now(),
            truncated: false,
            put_off: 0,
        }
    }

    /// Notes a look that found the WAL `frames` long. True when the file
    /// is to be cut now: no commit for `after` (doubled for each cut put
    /// off), and not cut since the last commit (once is enough).
    fn due(&mut self, frames: i64, after: Duration) -> bool {
        if frames != self.frames {
            *self = Rest {
                frames,
                ..Rest::new()
            };
        }
        let quiet = after.saturating_mul(1 << self.put_off.min(6));
        !self.truncated && self.since.elapsed() >= quiet
    }

    /// Notes a cut: done (the WAL is then empty), or put off.
    fn cut(&mut self, done: bool) {
        if done {
            self.truncated = true;
            self.frames = 0;
        } else {
            self.put_off += 1;
            self.since = Instant::now();
        }
    }
}

/// Copies what the WAL still holds into the file and cuts the WAL file to
/// nothing, waiting at most 100 ms for the locks this needs (a batch
/// that arrives meanwhile waits for it: it has next to nothing to copy).
/// Returns whether the file was cut; if not, the next look tries again.
fn truncate_wal(conn: &Connection) -> bool {
    let began = Instant::now();
    let truncated = conn
        .busy_timeout(Duration::from_millis(100))
        .and_then(|()| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            })
        });
    if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::warn!(error = %e, "cannot reset the busy timeout");
    }
    match truncated {
        Ok(0) => {
            tracing::debug!(took = ?began.elapsed(), "WAL cut at rest");
            true
        }
        Ok(_) => {
            tracing::debug!("WAL cut at rest put off: the file is busy");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "WAL cut at rest failed");
            false
        }
    }
}

/// The checkpointer's thread: every `tuning.every`, copies the WAL into
/// the database file without waiting for anyone (passive), pass after
/// pass while the WAL is past `tuning.restart_bytes`; asks the writer
/// thread to start the WAL over, and waits for it, once a pass leaves at
/// most `tuning.tail_bytes` behind, or once a pass had no less to copy
/// than the one before (the writes outrun the passes: waiting longer
/// would only grow the WAL and the tail), or after `tuning.max_passes`.
/// Stops when its channel closes.
///
/// A pass that does not reach the end of the WAL (one with commits
/// arriving beside it) leaves the pages it copied unsynced, and the
/// writer would sync them all when it starts the WAL over; so each pass
/// is followed by a sync of `database`, which keeps that wait to the
/// tail's pages.
///
/// Once the WAL has taken no commit for `tuning.truncate_after_idle`, it
/// copies the rest and cuts the file to nothing: a store at rest holds
/// no WAL. A cut that finds the file busy (another process reading it)
/// is put off, each time twice as long. A restart asked for when the
/// last batch had already run would wait for the next one without end:
/// once the writer has waited for jobs that long since the ask, the
/// checkpointer takes the ask back (unless the writer has taken it),
/// and the cut copies the tail instead.
pub(super) fn checkpoint(
    conn: &Connection,
    database: Option<&File>,
    stop: &sync_mpsc::Receiver<()>,
    restart: &Restart,
    tuning: WalTuning,
) {
    // Unreadable: SQLite's default, so that checkpoints go on (and log
    // their own errors) rather than stop for good.
    let page = match conn.query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0)) {
        Ok(bytes) => bytes.max(512),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the page size: taking 4,096 bytes");
            4_096
        }
    };
    let frames = |bytes: u64| i64::try_from(bytes).unwrap_or(i64::MAX) / page;
    let (restart_frames, tail_frames) = (frames(tuning.restart_bytes), frames(tuning.tail_bytes));
    // The WAL's length, and how long the sync took.
    let passive = || -> Result<(i64, Duration), Error> {
        let wal = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
        let synced = Instant::now();
        if let Some(file) = database {
            file.sync_data().map_err(Error::Io)?;
        }
        Ok((wal, synced.elapsed()))
    };
    let mut rest = Rest::new();
    while let Err(sync_mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(tuning.every) {
        let mut copied_to = None;
        let mut copied_before = i64::MAX;
        for pass in 1..=tuning.max_passes {
            // The WAL's length when the pass began: it copied up to there.
            let began = Instant::now();
            let (wal, sync) = match passive() {
                Ok(done) => done,
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                    break;
                }
            };
            if pass == 1 && rest.due(wal, tuning.truncate_after_idle) {
                rest.cut(truncate_wal(conn));
                // `wal` is stale once the file is cut; the next look
                // starts from what is there.
                break;
            }
            if wal < restart_frames {
                break;
            }
            // What this pass copied is what the last one left behind, and
            // about what it leaves: the writes beside it.
            let copied = copied_to.map_or(wal, |before| wal - before);
            copied_to = Some(wal);
            tracing::debug!(pass, frames = wal, copied, took = ?began.elapsed(), ?sync, "WAL pass");
            let outrun = copied >= copied_before;
            copied_before = copied;
            if copied <= tail_frames || outrun || pass == tuning.max_passes {
                let asked = Instant::now();
                let (done, restarted) = sync_mpsc::channel();
                *lock(&restart.ask) = Some(done);
                // The writer answers after its next batch. With none for
                // as long as a store takes to be at rest, the ask is taken
                // back (unless the writer has it already): the cut at
                // rest copies the tail instead.
                loop {
                    match restarted.recv_timeout(tuning.every) {
                        Err(sync_mpsc::RecvTimeoutError::Timeout) => {}
                        // Done, or the writer has gone.
                        _ => {
                            tracing::debug!(took = ?asked.elapsed(), "WAL restarted");
                            break;
                        }
                    }
                    if let Err(sync_mpsc::TryRecvError::Disconnected) = stop.try_recv() {
                        return;
                    }
                    if asked.elapsed() >= tuning.truncate_after_idle
                        && restart.writer_idle.load(Relaxed)
                        && lock(&restart.ask).take().is_some()
                    {
                        tracing::debug!("WAL restart taken back: no batch came");
                        break;
                    }
                }
                break;
            }
        }
    }
}
