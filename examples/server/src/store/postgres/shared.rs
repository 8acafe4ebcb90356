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

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use deadpool_postgres::{ClientWrapper, Object, Pool};
use tokio_postgres::Row;

use super::super::Error;
use super::batch::Param;

/// The shared connections, taken from the pool once and kept.
pub struct Shared {
    pool: Pool,
    slots: Box<[Slot]>,
    next: AtomicUsize,
    closed: AtomicBool,
}

/// One shared connection, or none yet.
#[derive(Default)]
struct Slot {
    held: Mutex<Option<Arc<ClientWrapper>>>,
    /// Held while a new connection opens, so that the reads that find
    /// the slot empty at once open one, not one each.
    opening: tokio::sync::Mutex<()>,
}

impl Slot {
    fn open(&self) -> Option<Arc<ClientWrapper>> {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.clone().filter(|c| !c.is_closed())
    }

    /// Lets go whatever connection the slot holds.
    fn evict_any(&self) {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Lets `client` go if the slot still holds it.
    fn evict(&self, client: &Arc<ClientWrapper>) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.as_ref().is_some_and(|c| Arc::ptr_eq(c, client)) {
            *held = None;
        }
    }
}

impl Shared {
    /// `count` connections, taken from `pool` when first used (the pool
    /// opens as many fewer of its own: a taken connection leaves it).
    pub fn new(pool: Pool, count: usize) -> Shared {
        Shared {
            pool,
            slots: (0..count.max(1)).map(|_| Slot::default()).collect(),
            next: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs the read `sql` on the next shared connection in turn. A read
    /// on a connection that closed fails, and the connection is let go:
    /// the next read on its slot opens a new one. A read that has no
    /// answer within `within` fails too, and then every shared
    /// connection is let go: one that stopped answering (a half-open
    /// socket, a route that went down) would otherwise hold every read
    /// sent to it, and the others most likely share its path.
    pub async fn query(
        &self,
        sql: &str,
        params: &[Param<'_>],
        within: Duration,
    ) -> Result<Vec<Row>, Error> {
        let slot = &self.slots[self.next.fetch_add(1, Relaxed) % self.slots.len()];
        let client = self.client(slot).await?;
        let read = async {
            let statement = client.prepare_cached(sql).await?;
            Ok::<_, Error>(client.query(&statement, params).await?)
        };
        match tokio::time::timeout(within, read).await {
            Ok(Ok(rows)) => Ok(rows),
            Ok(Err(e)) => {
                if client.is_closed() {
                    slot.evict(&client);
                }
                Err(e)
            }
            Err(_) => {
                for slot in &self.slots {
                    slot.evict_any();
                }
                Err(Error::ReadTimeout(within))
            }
        }
    }

    /// The slot's connection, or a new one in place of one that closed.
    async fn client(&self, slot: &Slot) -> Result<Arc<ClientWrapper>, Error> {
        if let Some(client) = slot.open() {
            return Ok(client);
        }
        let _opening = slot.opening.lock().await;
        // Another read may have opened one meanwhile.
        if let Some(client) = slot.open() {
            return Ok(client);
        }
        let fresh = Arc::new(Object::take(self.pool.get().await?));
        let mut held = slot.held.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked under the slot's lock, which `close` takes too: no
        // connection is kept after the store closed.
        if self.closed.load(Relaxed) {
            return Err(Error::Closed);
        }
        *held = Some(fresh.clone());
        Ok(fresh)
    }

    /// Lets the shared connections go: each closes once the reads in
    /// flight on it are answered. Later reads fail.
    pub fn close(&self) {
        self.closed.store(true, Relaxed);
        for slot in &self.slots {
            slot.evict_any();
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
