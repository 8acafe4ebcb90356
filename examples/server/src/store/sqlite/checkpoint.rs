//! The checkpointer's thread, and the writer's WAL restart.

use std::fs::File;
use std::sync::mpsc as sync_mpsc;
use std::time::Duration;

use rusqlite::Connection;

use super::super::Error;
use super::{BUSY_TIMEOUT, Restart, WalTuning, lock};

/// Copies what the WAL still holds into the file and starts the WAL over,
/// waiting at most 100 ms for the locks this needs (another process may
/// be reading; the next restart will try again).
pub(super) fn restart_wal(conn: &Connection) {
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
pub(super) fn checkpoint(
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
