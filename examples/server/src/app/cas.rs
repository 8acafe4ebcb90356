//! The compare-and-swap protocol, once: a request reads, decides on its
//! copy, and writes a list of writes that each land only if the row is
//! still as it was read (and the write before landed); a write that did
//! not land means another request's landed first, and the request starts
//! again from the reads. [`until_landed`] is that loop; [`WriteList`]
//! names each write so a round asks *which* write lost, not how many
//! landed.

use crate::store::Write;

use super::{App, Refusal};

/// Rounds before a request gives up with 500. Every lost round means
/// another request's write landed, so this is only reached under a storm
/// far beyond anything one row sees.
pub const MAX_ROUNDS: usize = 10_000;

/// What a round came to.
#[derive(Debug)]
pub enum Round<T> {
    /// Done: the request's answer.
    Done(T),
    /// A write lost to another request's: read again.
    Again,
}

/// Runs `round` until it is done (at most [`MAX_ROUNDS`] times). What a
/// round must remember for the next (which counts landed) it keeps in
/// atomics it borrows: each round is a fresh future.
pub async fn until_landed<T, F: Future<Output = Result<Round<T>, Refusal>>>(
    what: &'static str,
    round: impl Fn() -> F,
) -> Result<T, Refusal> {
    for _ in 0..MAX_ROUNDS {
        if let Round::Done(answer) = round().await? {
            return Ok(answer);
        }
    }
    Err(Refusal::internal(what, "no compare-and-swap round won"))
}

/// Writes in order, each named by what it is for.
#[derive(Debug)]
pub struct WriteList<K> {
    writes: Vec<Write>,
    kinds: Vec<K>,
}

impl<K> Default for WriteList<K> {
    fn default() -> Self {
        WriteList {
            writes: Vec::new(),
            kinds: Vec::new(),
        }
    }
}

impl<K: Copy + PartialEq> WriteList<K> {
    /// Appends `write`, for `kind`.
    pub fn push(&mut self, kind: K, write: Write) {
        self.writes.push(write);
        self.kinds.push(kind);
    }

    /// Runs the list (see [`crate::store::Store::apply`]).
    pub async fn apply(self, app: &App) -> Result<Landed<K>, Refusal> {
        let landed = if self.writes.is_empty() {
            0
        } else {
            app.store.apply(self.writes).await?
        };
        Ok(Landed {
            kinds: self.kinds,
            landed,
        })
    }
}

/// Which writes of a list landed.
#[derive(Debug)]
pub struct Landed<K> {
    kinds: Vec<K>,
    landed: usize,
}

impl<K: Copy + PartialEq> Landed<K> {
    /// The first write that did not land, if one did not.
    pub fn first_lost(&self) -> Option<K> {
        self.kinds.get(self.landed).copied()
    }

    /// Did the write for `kind` land? (`false` if there was none.)
    pub fn has(&self, kind: K) -> bool {
        self.kinds[..self.landed].contains(&kind)
    }

    /// The writes that did not land, in order.
    pub fn lost(&self) -> impl Iterator<Item = K> + '_ {
        self.kinds[self.landed..].iter().copied()
    }
}
