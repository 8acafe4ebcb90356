//! Send budgets across numbers: how many codes a project may send in all,
//! and to one country, before it must wait. They stop SMS pumping (many
//! numbers, each under its own limit, often in one country with costly
//! termination), which per-number limits cannot see.
//!
//! A budget is `MAX/SECONDS`: a burst of `MAX` sends, refilled at `MAX`
//! per `SECONDS` (the generic cell rate algorithm: a token bucket held as
//! one timestamp per key, from the `governor` crate). The per-number
//! limits use `mfa_core::throttle`'s exact sliding windows, which keep
//! every send time; those hold 64 sends at most, and a project's budget
//! counts thousands, so the budgets are buckets.
//!
//! Budgets are kept in the process's memory, per server process: nothing
//! in the database can lift them, and they cost no store round trip on
//! the hot path. Several processes sharing one PostgreSQL database each
//! have the whole budget (set it to the share of one process). A restart
//! starts them full.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// A budget as the command line gives it: `MAX/SECONDS`, or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetSpec(Option<(NonZeroU32, u32)>);

impl BudgetSpec {
    /// No budget.
    pub const OFF: BudgetSpec = BudgetSpec(None);

    /// `max` sends a burst, refilled at `max` per `secs`.
    pub fn new(max: u32, secs: u32) -> Result<BudgetSpec, String> {
        let max = NonZeroU32::new(max).ok_or("MAX must be at least 1")?;
        if secs == 0 {
            return Err("SECONDS must be at least 1".into());
        }
        Ok(BudgetSpec(Some((max, secs))))
    }

    fn quota(self) -> Option<Quota> {
        let (max, secs) = self.0?;
        let period = Duration::from_secs(u64::from(secs)) / max.get();
        Some(Quota::with_period(period.max(Duration::from_nanos(1)))?.allow_burst(max))
    }
}

impl FromStr for BudgetSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("off") {
            return Ok(BudgetSpec::OFF);
        }
        let (max, secs) = s
            .trim()
            .split_once('/')
            .ok_or("expected MAX/SECONDS or off")?;
        let max = max
            .parse()
            .map_err(|_| "MAX must be an integer from 1 to 4294967295")?;
        let secs = secs
            .parse()
            .map_err(|_| "SECONDS must be an integer from 1 to 4294967295")?;
        BudgetSpec::new(max, secs)
    }
}

/// Which budget refused a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spent {
    /// The project's budget.
    Project,
    /// The budget for the number's country.
    Country,
}

impl Spent {
    /// For metrics and the error detail.
    pub fn name(self) -> &'static str {
        match self {
            Spent::Project => "project",
            Spent::Country => "country",
        }
    }
}

/// The budgets of every project (and country of each project).
pub struct Budgets {
    project: Option<DefaultKeyedRateLimiter<String>>,
    country: Option<DefaultKeyedRateLimiter<(String, u16)>>,
    clock: DefaultClock,
}

impl std::fmt::Debug for Budgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budgets")
            .field("project", &self.project.is_some())
            .field("country", &self.country.is_some())
            .finish()
    }
}

impl Budgets {
    /// Budgets per project and per (project, country calling code).
    pub fn new(project: BudgetSpec, country: BudgetSpec) -> Budgets {
        Budgets {
            project: project.quota().map(RateLimiter::keyed),
            country: country.quota().map(RateLimiter::keyed),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one send from the project's budget and its country's, or
    /// says which is spent and how many seconds until one send is back.
    /// The country is checked first: a send it refuses costs the project
    /// budget nothing. (Number `0` stands for a number of no known
    /// country.)
    pub fn spend(&self, project: &str, country: Option<u16>) -> Result<(), (Spent, u64)> {
        let wait = |not_until: governor::NotUntil<_>| {
            let d = not_until.wait_time_from(self.clock.now());
            d.as_secs() + u64::from(d.subsec_nanos() > 0)
        };
        if let Some(limiter) = &self.country {
            let key = (project.to_owned(), country.unwrap_or(0));
            limiter
                .check_key(&key)
                .map_err(|n| (Spent::Country, wait(n)))?;
        }
        if let Some(limiter) = &self.project {
            limiter
                .check_key(&project.to_owned())
                .map_err(|n| (Spent::Project, wait(n)))?;
        }
        Ok(())
    }

    /// Forgets keys whose buckets are full again (memory stays bounded by
    /// the keys in recent use).
    pub fn forget_idle(&self) {
        if let Some(l) = &self.project {
            l.retain_recent();
        }
        if let Some(l) = &self.country {
            l.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests;
