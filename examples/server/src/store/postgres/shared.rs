//! Connections many requests share at once, for the reads.
//!
//! tokio-postgres pipelines the statements several tasks send on one
//! connection: it writes each as soon as it is sent and matches the
//! answers in order. The backend then reads many statements per wake-up,
//! where a connection of its own per request woke it for each, and the
//! server's connection task writes and reads many at a time. Each
//! statement keeps its own `Sync`: one that fails does not touch the
//! others.
//!
//! Only reads share: a read never waits for a row lock, so none stalls
//! the ones pipelined behind it. A write may wait for a lock another
//! request's transaction holds, and each commit waits for its flush; on
//! one shared connection the writes behind it would wait too, and
//! commits spread over fewer backends flush together less often
//! (alternated runs: issues ran 0.85–1.01 times as fast with every
//! single-statement write shared).

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};

use deadpool_postgres::{ClientWrapper, Object, Pool};

use super::super::Error;

/// The shared connections, taken from the pool once and kept.
pub struct Shared {
    pool: Pool,
    slots: Box<[Mutex<Option<Arc<ClientWrapper>>>]>,
    next: AtomicUsize,
}

impl Shared {
    /// `count` connections, opened from `pool` when first used.
    pub fn new(pool: Pool, count: usize) -> Shared {
        Shared {
            pool,
            slots: (0..count.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// The next connection in turn; a new one in place of one that
    /// closed (the statements in flight on it failed, and every later
    /// one would).
    pub async fn client(&self) -> Result<Arc<ClientWrapper>, Error> {
        let slot = &self.slots[self.next.fetch_add(1, Relaxed) % self.slots.len()];
        let open = |held: &Option<Arc<ClientWrapper>>| held.clone().filter(|c| !c.is_closed());
        if let Some(client) = open(&slot.lock().unwrap_or_else(PoisonError::into_inner)) {
            return Ok(client);
        }
        let fresh = Arc::new(Object::take(self.pool.get().await?));
        let mut held = slot.lock().unwrap_or_else(PoisonError::into_inner);
        // Another request may have opened one meanwhile: keep that one.
        if let Some(client) = open(&held) {
            return Ok(client);
        }
        *held = Some(fresh.clone());
        Ok(fresh)
    }

    /// Lets the shared connections go: each closes once the statements
    /// in flight on it are answered.
    pub fn close(&self) {
        for slot in &self.slots {
            slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        }
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("connections", &self.slots.len())
            .finish_non_exhaustive()
    }
}
