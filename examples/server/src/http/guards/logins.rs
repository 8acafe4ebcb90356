//! Failed logins per client address.

use std::time::Duration;

/// Failed logins per client address: after [`FailedLogins::ALLOWED`] in
/// a row within [`FailedLogins::WINDOW`], the address gets 429 for the
/// rest of the window without its credentials being looked at. A
/// success clears the count. Kept in memory, per process; the sweep
/// forgets old entries.
#[derive(Debug, Default)]
pub struct FailedLogins {
    by_address: dashmap::DashMap<std::net::IpAddr, (u32, std::time::Instant)>,
}

impl FailedLogins {
    /// Failures allowed in a window before the address must wait.
    pub const ALLOWED: u32 = 20;
    /// The window, from an address's first failure.
    pub const WINDOW: Duration = Duration::from_secs(60);

    /// Seconds `address` must still wait, if it is blocked.
    pub(super) fn blocked(&self, address: std::net::IpAddr) -> Option<u64> {
        let entry = self.by_address.get(&address)?;
        let (failures, since) = *entry;
        let left = Self::WINDOW.checked_sub(since.elapsed())?;
        (failures >= Self::ALLOWED).then(|| left.as_secs().max(1))
    }

    pub(super) fn failed(&self, address: std::net::IpAddr) {
        let mut entry = self
            .by_address
            .entry(address)
            .or_insert((0, std::time::Instant::now()));
        if entry.1.elapsed() >= Self::WINDOW {
            *entry = (0, std::time::Instant::now());
        }
        entry.0 = entry.0.saturating_add(1);
    }

    pub(super) fn succeeded(&self, address: std::net::IpAddr) {
        if self.by_address.contains_key(&address) {
            self.by_address.remove(&address);
        }
    }

    /// Forgets addresses whose window has passed.
    pub fn forget_old(&self) {
        self.by_address
            .retain(|_, (_, since)| since.elapsed() < Self::WINDOW);
    }
}
