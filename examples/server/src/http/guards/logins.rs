//! Failed logins per client network and presented project id.

use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failed logins by where they come from and which project id they
/// name: after [`FailedLogins::ALLOWED`] within [`FailedLogins::WINDOW`],
/// that source gets 429 for the rest of the window without its
/// credentials being looked at. A success for the same project id clears
/// its count.
///
/// A source is the client's address (IPv6: its /64, which one host
/// usually holds whole) and the project id presented, so one guesser
/// does not lock every project out behind a shared address, and a valid
/// login to one project does not clear guesses at another. Kept in
/// memory, per process; at most [`FailedLogins::TRACKED_MAX`] sources at
/// once (past it, new sources are not counted until old ones expire).
/// Behind a reverse proxy every client shares the proxy's address:
/// throttle logins at the proxy there.
#[derive(Debug, Default)]
pub struct FailedLogins {
    by_source: dashmap::DashMap<(IpAddr, String), (u32, Instant)>,
}

/// The longest project id kept in a source's key.
const USER_KEPT: usize = 64;

fn source(address: IpAddr, user: &str) -> (IpAddr, String) {
    let network = match address {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        IpAddr::V6(v6) => IpAddr::V4(
            v6.to_ipv4_mapped()
                .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED),
        ),
        v4 => v4,
    };
    let mut cut = user.len().min(USER_KEPT);
    while !user.is_char_boundary(cut) {
        cut -= 1;
    }
    (network, user[..cut].to_owned())
}

impl FailedLogins {
    /// Failures allowed in a window before the source must wait.
    pub const ALLOWED: u32 = 20;
    /// The window, from a source's first failure.
    pub const WINDOW: Duration = Duration::from_secs(60);
    /// Sources tracked at most.
    pub const TRACKED_MAX: usize = 100_000;

    /// Seconds the source must still wait, if it is blocked.
    pub(super) fn blocked(&self, address: IpAddr, user: &str) -> Option<u64> {
        let entry = self.by_source.get(&source(address, user))?;
        let (failures, since) = *entry;
        let left = Self::WINDOW.checked_sub(since.elapsed())?;
        (failures >= Self::ALLOWED).then(|| left.as_secs().max(1))
    }

    pub(super) fn failed(&self, address: IpAddr, user: &str) {
        let key = source(address, user);
        if !self.by_source.contains_key(&key) && self.by_source.len() >= Self::TRACKED_MAX {
            self.forget_old();
            if self.by_source.len() >= Self::TRACKED_MAX {
                return;
            }
        }
        let mut entry = self.by_source.entry(key).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= Self::WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 = entry.0.saturating_add(1);
    }

    pub(super) fn succeeded(&self, address: IpAddr, user: &str) {
        let key = source(address, user);
        if self.by_source.contains_key(&key) {
            self.by_source.remove(&key);
        }
    }

    /// Forgets sources whose window has passed.
    pub fn forget_old(&self) {
        self.by_source
            .retain(|_, (_, since)| since.elapsed() < Self::WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_group_ipv6_by_64_and_keep_the_project_apart() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source(a, "p1"), source(b, "p1"));
        assert_ne!(source(a, "p1"), source(c, "p1"));
        assert_ne!(source(a, "p1"), source(a, "p2"));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(
            source(mapped, "p1").0,
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(source(a, &"é".repeat(40)).1.len(), 64);
    }

    #[test]
    fn a_success_clears_only_its_own_project() {
        let logins = FailedLogins::default();
        let addr: IpAddr = "192.0.2.7".parse().unwrap();
        for _ in 0..FailedLogins::ALLOWED {
            logins.failed(addr, "p2");
        }
        logins.succeeded(addr, "p1");
        assert!(logins.blocked(addr, "p2").is_some());
        assert!(logins.blocked(addr, "p1").is_none());
    }
}
