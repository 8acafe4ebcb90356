//! A queue that several tasks take from, each taking at once the jobs
//! that waited together (`postgres/group.rs`, `postgres/reads.rs`).

use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};

/// The taking end, shared by the tasks.
pub struct Waiting<J> {
    jobs: Mutex<mpsc::Receiver<J>>,
}

/// A queue of at most `bound` jobs: the end to send on, and the one the
/// tasks take from.
pub fn queue<J>(bound: usize) -> (mpsc::Sender<J>, Arc<Waiting<J>>) {
    let (send, jobs) = mpsc::channel(bound);
    let waiting = Waiting {
        jobs: Mutex::new(jobs),
    };
    (send, Arc::new(waiting))
}

impl<J> Waiting<J> {
    /// The first job (waited for), and those waiting behind it, up to
    /// `max` in all. One task takes at a time. `None` once every sender
    /// is gone and the queue is empty.
    pub async fn take(&self, max: usize) -> Option<Vec<J>> {
        let mut jobs = self.jobs.lock().await;
        let first = jobs.recv().await?;
        let mut taken = vec![first];
        while taken.len() < max {
            match jobs.try_recv() {
                Ok(job) => taken.push(job),
                Err(_) => break,
            }
        }
        Some(taken)
    }
}
