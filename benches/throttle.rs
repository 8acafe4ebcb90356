//! Benchmarks: a send-limit decision (`SendLog::try_send`) beside the
//! obvious alternative, a `VecDeque<u64>` of timestamps per window, on the
//! same event sequence, with heap allocations counted.
//!
//! ```sh
//! cargo bench --bench throttle
//! ```
//!
//! Read the ratios (ours / baseline) within one run: absolute times on a
//! shared machine are noise, but both sides see the same noise.

use std::collections::VecDeque;
use std::hint::black_box;

use divan::{AllocProfiler, Bencher};
use mfa_core::UnixTime;
use mfa_core::throttle::{Admission, SendLog, SendPolicy, Window};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    same_decisions();
    divan::main();
}

const T0: u64 = 1_700_000_000;

/// The policies benched, by label: windows and a spacing between events
/// that every window allows.
const CASES: [&str; 2] = ["3per60s+10per3600s", "64per3600s"];

fn case(label: &str) -> (&'static [(u8, u32)], u64) {
    match label {
        // 10 an hour binds: one every 360 s is always allowed.
        "3per60s+10per3600s" => (&[(3, 60), (10, 3600)], 360),
        // 64 an hour: one every 57 s (64 · 57 > 3600) is always allowed.
        "64per3600s" => (&[(64, 3600)], 57),
        _ => unreachable!(),
    }
}

fn policy(windows: &[(u8, u32)]) -> SendPolicy {
    let ws: Vec<Window> = windows
        .iter()
        .map(|&(m, s)| Window::new(m, s).unwrap())
        .collect();
    SendPolicy::new(&ws).unwrap()
}

/// The obvious alternative: per window, a deque of the allowed events still
/// inside it; old ones are popped on each decision. Same time rule: the
/// decision is at `max(now, newest)`, the wait counted from `now`.
struct Deques {
    windows: Vec<(usize, u64)>,
    queues: Vec<VecDeque<u64>>,
    newest: Option<u64>,
}

impl Deques {
    fn new(windows: &[(u8, u32)]) -> Self {
        Deques {
            windows: windows
                .iter()
                .map(|&(m, s)| (usize::from(m), u64::from(s)))
                .collect(),
            queues: windows.iter().map(|_| VecDeque::new()).collect(),
            newest: None,
        }
    }

    fn try_send(&mut self, now: u64) -> Result<(), u64> {
        let t = self.newest.map_or(now, |n| n.max(now));
        let mut wait = 0;
        for (&(max, interval), q) in self.windows.iter().zip(&mut self.queues) {
            while q.front().is_some_and(|&e| e + interval <= t) {
                q.pop_front();
            }
            if q.len() >= max {
                wait = u64::max(wait, q[q.len() - max] + interval - now);
            }
        }
        if wait > 0 {
            return Err(wait);
        }
        for q in &mut self.queues {
            q.push_back(t);
        }
        self.newest = Some(t);
        Ok(())
    }
}

/// Before any benchmark runs: both sides make the same decisions, waits
/// included, on a mixed sequence (bursts, gaps, a clock stepping back).
fn same_decisions() {
    for label in CASES {
        let (windows, spacing) = case(label);
        let p = policy(windows);
        let mut ours = SendLog::new();
        let mut theirs = Deques::new(windows);
        let mut now = T0;
        for i in 0..20_000u64 {
            now = match i % 7 {
                0 => now + spacing,
                1 | 2 => now + 1,
                3 => now.saturating_sub(5),
                4 => now + 3 * spacing,
                _ => now,
            };
            let a = match ours.try_send(&p, UnixTime::from_secs(now)).into_answer() {
                Admission::Allowed => Ok(()),
                refused => Err(refused.retry_after().expect("a send log only waits")),
            };
            assert_eq!(a, theirs.try_send(now), "{label}, event {i}");
        }
    }
}

/// Every event allowed (and recorded): one per `spacing` seconds.
mod allowed {
    use super::*;

    #[divan::bench(args = CASES, sample_size = 1000)]
    fn mfa_core(b: Bencher, label: &str) {
        let (windows, spacing) = case(label);
        let p = policy(windows);
        let mut log = SendLog::new();
        let mut now = T0;
        b.bench_local(|| {
            now += spacing;
            black_box(log.try_send(&p, UnixTime::from_secs(black_box(now))))
        });
    }

    #[divan::bench(args = CASES, sample_size = 1000)]
    fn vecdeque(b: Bencher, label: &str) {
        let (windows, spacing) = case(label);
        let mut d = Deques::new(windows);
        let mut now = T0;
        b.bench_local(|| {
            now += spacing;
            black_box(d.try_send(black_box(now)))
        });
    }
}

/// Every event refused: the windows are full and the clock stands still.
mod refused {
    use super::*;

    fn full(windows: &[(u8, u32)]) -> (SendLog, Deques) {
        let p = policy(windows);
        let (mut log, mut d) = (SendLog::new(), Deques::new(windows));
        while log
            .try_send(&p, UnixTime::from_secs(T0))
            .answer()
            .is_allowed()
        {}
        while d.try_send(T0).is_ok() {}
        (log, d)
    }

    #[divan::bench(args = CASES, sample_size = 1000)]
    fn mfa_core(b: Bencher, label: &str) {
        let (windows, _) = case(label);
        let p = policy(windows);
        let (mut log, _) = full(windows);
        b.bench_local(|| black_box(log.try_send(&p, UnixTime::from_secs(black_box(T0 + 1)))));
    }

    #[divan::bench(args = CASES, sample_size = 1000)]
    fn vecdeque(b: Bencher, label: &str) {
        let (windows, _) = case(label);
        let (_, mut d) = full(windows);
        b.bench_local(|| black_box(d.try_send(black_box(T0 + 1))));
    }
}

/// A key seen for the first time (or a state just loaded from a store):
/// build the state, then decide. The deques allocate; the log does not.
mod fresh_key {
    use super::*;

    #[divan::bench(args = CASES, sample_size = 1000)]
    fn mfa_core(b: Bencher, label: &str) {
        let (windows, _) = case(label);
        let p = policy(windows);
        b.bench_local(|| {
            let mut log = SendLog::new();
            let step = black_box(log.try_send(&p, UnixTime::from_secs(black_box(T0))));
            step.answer().is_allowed().then_some(log)
        });
    }

    #[divan::bench(args = CASES, sample_size = 1000)]
    fn vecdeque(b: Bencher, label: &str) {
        let (windows, _) = case(label);
        b.bench_local(|| {
            let mut d = Deques::new(black_box(windows));
            black_box(d.try_send(black_box(T0)))?;
            Ok::<_, u64>(d)
        });
    }
}
