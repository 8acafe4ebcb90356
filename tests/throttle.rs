//! Abuse control (`mfa_core::throttle`): send limits against a brute-force
//! model, racing hosts through a compare-and-swap store, the failed-try
//! lockout, policy validation and the stored forms.
//!
//! Clocks are advanced by hand; randomness comes from proptest's seeded
//! runner. Nothing here measures time.

use mfa_core::UnixTime;
use mfa_core::throttle::{
    Admission, LimitError, LimitField, LimitRule, Lockout, LockoutPolicy, SendLog, SendPolicy,
    Window,
};
use proptest::prelude::*;

fn at(s: u64) -> UnixTime {
    UnixTime::from_secs(s)
}

/// Asserts that a send was allowed, and so asks for a write.
fn sent(step: mfa_core::Step<Admission>) {
    assert!(step.write().is_some());
    assert_eq!(step.into_answer(), Admission::Allowed);
}

fn policy(windows: &[(u8, u32)]) -> SendPolicy {
    let ws: Vec<Window> = windows
        .iter()
        .map(|&(m, s)| Window::new(m, s).unwrap())
        .collect();
    SendPolicy::new(&ws).unwrap()
}

// ---------------------------------------------------------------------------
// The model: every allowed event in a Vec, decided by counting.

/// Every allowed event, in order, with the same time rule as the limiter:
/// an event at `now` is evaluated and recorded at `max(now, newest)`.
#[derive(Clone, Debug, Default)]
struct Model {
    events: Vec<u64>,
}

impl Model {
    fn eval_time(&self, now: u64) -> u64 {
        self.events.last().map_or(now, |&newest| newest.max(now))
    }

    /// Fewer than `max` recorded events in `(t - interval, t]`, for every
    /// window, counted one by one (in u128: no overflow to reason about).
    fn allows(&self, windows: &[(u8, u32)], now: u64) -> bool {
        let t = u128::from(self.eval_time(now));
        windows.iter().all(|&(max, interval)| {
            let inside = self
                .events
                .iter()
                .filter(|&&e| u128::from(e) + u128::from(interval) > t)
                .count();
            inside < usize::from(max)
        })
    }

    fn try_send(&mut self, windows: &[(u8, u32)], now: u64) -> Option<u64> {
        let t = self.eval_time(now);
        self.allows(windows, now).then(|| {
            self.events.push(t);
            t
        })
    }
}

/// The guarantee, checked on recorded times: no half-open interval of
/// `interval` seconds holds more than `max` of them. Any such interval
/// with too many events also has too many in `(e - interval, e]`, where
/// `e` is its latest event, so checking those intervals is enough.
fn at_most_max_in_any_window(events: &[u64], windows: &[(u8, u32)]) -> Result<(), String> {
    for (i, &e) in events.iter().enumerate() {
        for &(max, interval) in windows {
            let inside = events
                .iter()
                .filter(|&&x| x <= e && u128::from(x) + u128::from(interval) > u128::from(e))
                .count();
            if inside > usize::from(max) {
                return Err(format!(
                    "{inside} events in ({} - {interval}, {e}] (event {i}), max {max}",
                    e
                ));
            }
        }
    }
    Ok(())
}

fn times(log: &SendLog) -> Vec<u64> {
    log.events().map(UnixTime::as_secs).collect()
}

// ---------------------------------------------------------------------------
// Strategies.

fn interval() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 1..=10u32,
        3 => 1..=300u32,
        2 => 1..=100_000u32,
        1 => (u32::MAX - 100)..=u32::MAX,
    ]
}

fn windows() -> impl Strategy<Value = Vec<(u8, u32)>> {
    let max = prop_oneof![2 => 1..=4u8, 1 => 1..=64u8];
    prop::collection::vec((max, interval()), 1..=4)
}

/// Clock steps: mostly small forward ones, some backward, some jumps past
/// `u32::MAX` seconds either way.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => 0..=5i64,
        3 => 0..=400i64,
        2 => -300..0i64,
        1 => (1i64 << 32) - 10..=(1i64 << 33),
        1 => -(1i64 << 33)..=-(1i64 << 32) + 10,
    ]
}

/// Start anywhere up to 2^40 and keep the clock in 0..=2^48, so that
/// `now + wait` always fits (the saturating end is a unit test).
fn clock(start: u64, steps: &[i64]) -> Vec<u64> {
    let mut now = i128::from(start);
    steps
        .iter()
        .map(|&d| {
            now = (now + i128::from(d)).clamp(0, 1 << 48);
            now as u64
        })
        .collect()
}

// ---------------------------------------------------------------------------
// One host against the model.

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_decision_equals_the_model(
        ws in windows(),
        start in 0..(1u64 << 40),
        steps in prop::collection::vec(step(), 1..250),
    ) {
        let p = policy(&ws);
        let mut log = SendLog::new();
        let mut model = Model::default();
        for now in clock(start, &steps) {
            let checked = log.check(&p, at(now));
            let before = log;
            let step = log.try_send(&p, at(now));
            // A step asks for a write exactly when the send is allowed,
            // from the revision before to the one after.
            let write = step.write().map(|w| (w.expected(), w.revision()));
            let result = step.into_answer();
            prop_assert_eq!(result, checked, "check and try_send differ at {}", now);
            let allowed = result.is_allowed();
            prop_assert_eq!(write, allowed.then_some((before.revision(), log.revision())));
            match result {
                Admission::Allowed => {
                    let t = model.try_send(&ws, now);
                    prop_assert!(t.is_some(), "allowed at {} but the model refuses", now);
                    prop_assert_eq!(log.newest(), t.map(at));
                }
                Admission::Locked => prop_assert!(false, "a send log never locks"),
                Admission::Wait { secs } => {
                    prop_assert!(!model.allows(&ws, now), "refused at {} but the model allows", now);
                    prop_assert_eq!(log, before, "a refusal changed the log");
                    // The wait is exact, from `now`.
                    prop_assert!(secs > 0);
                    prop_assert!(model.allows(&ws, now + secs), "still refused after {}", secs);
                    prop_assert!(!model.allows(&ws, now + secs - 1), "allowed before {}", secs);
                    prop_assert!(log.check(&p, at(now + secs)).is_allowed());
                    prop_assert!(!log.check(&p, at(now + secs - 1)).is_allowed());
                }
            }
            prop_assert_eq!(log.revision(), model.events.len() as u64);
            // The log keeps exactly a suffix of the history: the 64 newest,
            // less what is more than u32::MAX older than the newest
            // (SPEC §9.1).
            let kept = times(&log);
            prop_assert!(model.events.ends_with(&kept));
            let newest = *model.events.last().unwrap_or(&0);
            let countable = model.events.iter().rev().take(64)
                .filter(|&&e| newest - e <= u64::from(u32::MAX)).count();
            prop_assert_eq!(kept.len(), countable);
        }
        if let Err(e) = at_most_max_in_any_window(&model.events, &ws) {
            prop_assert!(false, "{}", e);
        }
    }
}

// ---------------------------------------------------------------------------
// Several hosts, one key, a compare-and-swap store.

/// Where a host is in serving one request.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Next: read the store.
    Idle,
    /// Read `log` at revision `rev`; next: decide.
    Read { log: SendLog, rev: u64 },
    /// Decided on its copy at `now`; next: write back what the step asks
    /// (if anything) and answer.
    Decided {
        log: SendLog,
        rev: u64,
        now: u64,
        step: mfa_core::Step<Admission>,
    },
}

/// Runs `schedule` (host, clock advance) against a store; hosts see the
/// clock plus their own skew. Returns the committed `(now, recorded at)`
/// pairs in commit order, the allowed answers and the final store.
fn race(
    p: &SendPolicy,
    skews: &[i64],
    start: u64,
    schedule: &[(usize, u64)],
    cas: bool,
) -> (Vec<(u64, u64)>, usize, SendLog) {
    let mut store = (SendLog::new(), 0u64);
    let mut hosts = vec![Step::Idle; skews.len()];
    let mut clock = start;
    let mut committed = Vec::new();
    let mut allowed = 0;
    for &(h, advance) in schedule {
        let h = h % hosts.len();
        clock += advance;
        hosts[h] = match hosts[h] {
            Step::Idle => Step::Read {
                log: store.0,
                rev: store.1,
            },
            Step::Read { mut log, rev } => {
                let now = clock.saturating_add_signed(skews[h]);
                let step = log.try_send(p, at(now));
                Step::Decided {
                    log,
                    rev,
                    now,
                    step,
                }
            }
            Step::Decided {
                log,
                rev,
                now,
                step,
            } => match step.write() {
                None => Step::Idle, // refused: nothing to write
                Some(swap) if !cas || store.1 == swap.expected() => {
                    assert_eq!(swap.expected(), rev);
                    store = (log, swap.revision());
                    committed.push((now, log.newest().unwrap().as_secs()));
                    allowed += 1;
                    Step::Idle
                }
                Some(_) => Step::Idle, // lost the race: read again, decide again
            },
        };
    }
    (committed, allowed, store.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn racing_hosts_never_allow_more_than_one_host(
        ws in windows(),
        skews in prop::collection::vec(-120..=120i64, 2..=4),
        start in 1000..(1u64 << 40),
        schedule in prop::collection::vec((0..4usize, prop_oneof![4 => 0..=2u64, 1 => 0..=200u64]), 1..400),
    ) {
        let p = policy(&ws);
        let (committed, allowed, store) = race(&p, &skews, start, &schedule, true);
        // Every allowed answer is one committed event, and the store holds
        // them all.
        prop_assert_eq!(allowed, committed.len());
        prop_assert_eq!(store.revision(), committed.len() as u64);
        // The commits, in commit order, are what one host would allow.
        let mut model = Model::default();
        for &(now, recorded) in &committed {
            prop_assert_eq!(model.try_send(&ws, now), Some(recorded), "commit at {}", now);
        }
        if let Err(e) = at_most_max_in_any_window(&model.events, &ws) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The race check can fail: without the compare-and-swap, two hosts that
/// read the same state both send, and the limit is broken.
#[test]
fn blind_writes_do_break_the_limit() {
    let ws = [(1, 60)];
    let p = policy(&ws);
    // Host 0 reads, host 1 reads, both decide, both write.
    let schedule = [(0, 0), (1, 0), (0, 1), (1, 1), (0, 0), (1, 0)];
    let (committed, allowed, _) = race(&p, &[0, 0], 1000, &schedule, false);
    assert_eq!(allowed, 2);
    let sent: Vec<u64> = committed.iter().map(|&(_, t)| t).collect();
    assert!(at_most_max_in_any_window(&sent, &ws).is_err());
    // With it, the second writer re-reads and is refused.
    let mut retry = schedule.to_vec();
    retry.extend([(1, 0), (1, 0), (1, 0)]);
    let (committed, allowed, store) = race(&p, &[0, 0], 1000, &retry, true);
    assert_eq!((allowed, committed.len(), store.revision()), (1, 1, 1));
}

// ---------------------------------------------------------------------------
// Send limits: scenarios.

#[test]
fn exact_windows_refuse_the_burst_a_token_bucket_allows() {
    // 3 per 60 s. A token bucket refilling 1 per 20 s would let 3 through
    // at 59 and 3 more at 60..=119 after a full bucket; the exact window
    // allows 3 in any 60 s, no more.
    let p = policy(&[(3, 60)]);
    let mut log = SendLog::new();
    for s in [59, 59, 59] {
        sent(log.try_send(&p, at(s)));
    }
    let refused = log.try_send(&p, at(60)).into_answer();
    assert_eq!(refused.retry_after(), Some(59));
    assert_eq!(log.revision(), 3);
    assert_eq!(log.check(&p, at(118)).retry_after().unwrap(), 1);
    sent(log.try_send(&p, at(119)));
    assert_eq!(times(&log), [59, 59, 59, 119]);
}

#[test]
fn the_wait_is_the_largest_over_the_windows() {
    let p = policy(&[(3, 60), (10, 3600)]);
    let mut log = SendLog::new();
    for i in 0..10 {
        // 3 a minute would allow one every 20 s; 10 an hour then binds.
        sent(log.try_send(&p, at(1000 + 20 * i)));
    }
    // The minute window is free again at 1200; the hour one at 4600.
    assert_eq!(log.check(&p, at(1200)).retry_after().unwrap(), 3400);
    assert_eq!(log.check(&p, at(4599)).retry_after().unwrap(), 1);
    assert!(log.check(&p, at(4600)).is_allowed());
    // Three quick ones: the minute window alone refuses, for 20 s.
    let mut log = SendLog::new();
    for s in [0, 20, 40] {
        sent(log.try_send(&p, at(s)));
    }
    assert_eq!(log.check(&p, at(41)).retry_after().unwrap(), 19);
}

#[test]
fn a_clock_that_steps_back_grants_nothing_extra() {
    let p = policy(&[(2, 100)]);
    let mut log = SendLog::new();
    sent(log.try_send(&p, at(1000)));
    // Allowed, but recorded at 1000, not 500.
    sent(log.try_send(&p, at(500)));
    assert_eq!(times(&log), [1000, 1000]);
    // Refused; the wait counts from the clock given: 1100 - 500.
    assert_eq!(log.check(&p, at(500)).retry_after().unwrap(), 600);
    assert_eq!(log.check(&p, at(1099)).retry_after().unwrap(), 1);
    assert!(log.check(&p, at(1100)).is_allowed());
}

#[test]
fn sixty_four_in_one_second() {
    let p = policy(&[(64, 1)]);
    let mut log = SendLog::new();
    for _ in 0..64 {
        sent(log.try_send(&p, at(7)));
    }
    assert_eq!(
        log.try_send(&p, at(7)).into_answer().retry_after().unwrap(),
        1
    );
    assert_eq!(log.revision(), 64);
    sent(log.try_send(&p, at(8)));
    assert_eq!(times(&log).len(), 64);
}

#[test]
fn the_default_policy_is_one_per_30s_5_per_hour_10_per_day() {
    let p = SendPolicy::default();
    let got: Vec<(u8, u32)> = p
        .windows()
        .iter()
        .map(|w| (w.max(), w.interval_secs()))
        .collect();
    assert_eq!(got, [(1, 30), (5, 3600), (10, 86_400)]);
    assert_eq!(p, policy(&[(1, 30), (5, 3600), (10, 86_400)]));
}

#[test]
fn a_log_shows_its_times() {
    let mut log = SendLog::default();
    assert_eq!(log, SendLog::new());
    assert_eq!(log.newest(), None);
    sent(log.try_send(&SendPolicy::default(), at(7)));
    assert_eq!(format!("{log:?}"), "SendLog { events: [7], revision: 1 }");
    let refused = log.try_send(&SendPolicy::default(), at(8)).into_answer();
    assert_eq!(refused.to_string(), "limit reached; retry after 29 seconds");
}

// ---------------------------------------------------------------------------
// Lockout.

#[test]
fn free_tries_then_exact_doubling_waits_then_the_cap() {
    let p = LockoutPolicy::default();
    let mut l = Lockout::new();
    let mut now = 1_000_000;
    for _ in 0..6 {
        assert_eq!(l.admit(&p, at(now)).into_answer(), Admission::Allowed);
    }
    assert_eq!(l.failures(), 6);
    let mut waits = Vec::new();
    while l.failures() < 20 {
        let Admission::Wait { secs } = l.check(&p, at(now)) else {
            panic!("no wait after {} failures", l.failures());
        };
        waits.push(secs);
        // One second early is still too early, and changes nothing.
        let before = l;
        assert_eq!(
            l.admit(&p, at(now + secs - 1)).into_answer(),
            Admission::Wait { secs: 1 }
        );
        assert_eq!(l, before);
        now += secs;
        assert_eq!(l.admit(&p, at(now)).into_answer(), Admission::Allowed);
    }
    assert_eq!(
        waits,
        [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]
    );
    assert_eq!(l.revision(), 20);
}

#[test]
fn locked_at_the_hard_limit_until_the_host_resets() {
    let p = LockoutPolicy::new(2, 10, 40, 5).unwrap();
    let mut l = Lockout::new();
    let mut now = 50;
    let mut seen = Vec::new();
    loop {
        match l.admit(&p, at(now)).into_answer() {
            Admission::Allowed => seen.push(now),
            Admission::Wait { secs } => now += secs,
            Admission::Locked => break,
        }
    }
    // 2 free, then 10 s and 20 s after the 3rd and 4th failures.
    assert_eq!(seen, [50, 50, 50, 60, 80]);
    assert_eq!(l.failures(), 5);
    assert_eq!(l.check(&p, at(u64::MAX)), Admission::Locked);
    let rev = l.revision();
    let _ = l.reset();
    assert_eq!((l.failures(), l.revision()), (0, rev + 1));
    assert_eq!(l.admit(&p, at(now)).into_answer(), Admission::Allowed);
}

#[test]
fn a_success_resets_the_count() {
    let p = LockoutPolicy::default();
    let mut l = Lockout::default();
    for _ in 0..8 {
        let _ = l.admit(&p, at(0)).into_answer();
    }
    assert_eq!(l.failures(), 6);
    assert!(matches!(l.check(&p, at(0)), Admission::Wait { .. }));
    let _ = l.reset();
    assert_eq!(l.failures(), 0);
    assert_eq!(l.check(&p, at(0)), Admission::Allowed);
    // Nothing to clear: no change, no new revision to write.
    let before = l;
    let _ = l.reset();
    assert_eq!(l, before);
}

#[test]
fn a_clock_that_steps_back_never_shortens_a_wait() {
    let p = LockoutPolicy::new(0, 60, 600, 100).unwrap();
    let mut l = Lockout::new();
    assert_eq!(l.admit(&p, at(10_000)).into_answer(), Admission::Allowed);
    assert_eq!(l.check(&p, at(10_000)), Admission::Wait { secs: 60 });
    assert_eq!(l.check(&p, at(9_000)), Admission::Wait { secs: 1060 });
    assert_eq!(l.check(&p, at(0)), Admission::Wait { secs: 10_060 });
    // A free try from a clock behind the last one is recorded at the last.
    let p = LockoutPolicy::new(5, 60, 600, 100).unwrap();
    let mut l = Lockout::new();
    assert_eq!(l.admit(&p, at(10_000)).into_answer(), Admission::Allowed);
    assert_eq!(l.admit(&p, at(5_000)).into_answer(), Admission::Allowed);
    for _ in 0..4 {
        assert_eq!(l.admit(&p, at(10_000)).into_answer(), Admission::Allowed);
    }
    assert_eq!(l.check(&p, at(10_059)), Admission::Wait { secs: 1 });
    // The end of time saturates.
    assert_eq!(l.check(&p, at(u64::MAX)), Admission::Allowed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random policies, clocks (with steps back) and successes: every
    /// allowed try comes at least the policy's delay after the one before,
    /// never at or past the hard limit, and every wait is exact.
    #[test]
    fn lockout_waits_are_exact_and_never_shortened(
        free in 0..=10u8,
        base in 1..=50u32,
        extra in 0..=500u32,
        hard in 1..=100u8,
        start in 0..(1u64 << 40),
        steps in prop::collection::vec((step(), prop::bool::weighted(0.05)), 1..300),
    ) {
        let free = free.min(hard);
        let p = LockoutPolicy::new(free, base, base + extra, hard).unwrap();
        let mut l = Lockout::new();
        // Recorded try times since the last reset, and the latest time
        // ever recorded (a reset does not turn the clock back).
        let mut tries: Vec<u64> = Vec::new();
        let mut newest = 0u64;
        let mut rev = 0;
        let clock = clock(start, &steps.iter().map(|s| s.0).collect::<Vec<_>>());
        for (now, &(_, success)) in clock.into_iter().zip(&steps) {
            let f = u8::try_from(tries.len()).unwrap();
            prop_assert_eq!(l.failures(), f);
            prop_assert_eq!(l.revision(), rev);
            let before = l;
            let attempt = l.admit(&p, at(now)).into_answer();
            let last = tries.last().copied();
            // When the next try is allowed, by the recorded times alone.
            let earliest = match (p.delay_after(f), last) {
                (None, _) => None,
                (Some(_), None) => Some(0),
                (Some(d), Some(last)) => Some(last + u64::from(d)),
            };
            match attempt {
                Admission::Locked => {
                    prop_assert!(f >= hard && earliest.is_none());
                    prop_assert_eq!(l, before);
                }
                Admission::Wait { secs } => {
                    prop_assert_eq!(Some(now + secs), earliest);
                    prop_assert_eq!(l, before);
                    prop_assert_eq!(l.check(&p, at(now + secs)), Admission::Allowed);
                    prop_assert_ne!(l.check(&p, at(now + secs - 1)), Admission::Allowed);
                }
                Admission::Allowed => {
                    prop_assert!(f < hard);
                    prop_assert!(earliest.unwrap() <= now.max(newest));
                    newest = newest.max(now);
                    tries.push(newest);
                    rev += 1;
                }
            }
            if success && !tries.is_empty() {
                let _ = l.reset();
                tries.clear();
                rev += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Policy validation: each field, each rule.

#[test]
fn window_rules() {
    let range = |field, min, max, given| LimitError {
        field,
        rule: LimitRule::Range { min, max, given },
    };
    let max_max = u64::from(u32::MAX);
    for (max, interval, expect) in [
        (0, 60, Err(range(LimitField::Max, 1, 64, 0))),
        (65, 60, Err(range(LimitField::Max, 1, 64, 65))),
        (255, 60, Err(range(LimitField::Max, 1, 64, 255))),
        (3, 0, Err(range(LimitField::IntervalSecs, 1, max_max, 0))),
        // `max` is checked first.
        (0, 0, Err(range(LimitField::Max, 1, 64, 0))),
        (1, 1, Ok((1, 1))),
        (64, u32::MAX, Ok((64, u32::MAX))),
    ] {
        let got = Window::new(max, interval).map(|w| (w.max(), w.interval_secs()));
        assert_eq!(got, expect, "max {max}, interval {interval}");
    }
}

#[test]
fn policy_window_count_rules() {
    let w = Window::new(1, 1).unwrap();
    for n in 0..=6usize {
        let got = SendPolicy::new(&vec![w; n]);
        if (1..=4).contains(&n) {
            assert_eq!(got.unwrap().windows(), vec![w; n].as_slice());
        } else {
            assert_eq!(
                got,
                Err(LimitError {
                    field: LimitField::Windows,
                    rule: LimitRule::Range {
                        min: 1,
                        max: 4,
                        given: n as u64
                    },
                })
            );
        }
    }
}

#[test]
fn lockout_policy_rules() {
    use LimitField::*;
    let range = |field, min, max, given| {
        Err(LimitError {
            field,
            rule: LimitRule::Range { min, max, given },
        })
    };
    // (free_failures, base_delay_secs, max_delay_secs, hard_limit)
    type Fields = (u8, u32, u32, u8);
    let cases: [(Fields, Result<(), LimitError>); 12] = [
        ((5, 1, 900, 0), range(HardLimit, 1, 100, 0)),
        ((5, 1, 900, 101), range(HardLimit, 1, 100, 101)),
        (
            (6, 1, 900, 5),
            Err(LimitError {
                field: FreeFailures,
                rule: LimitRule::AtMost {
                    other: HardLimit,
                    bound: 5,
                    given: 6,
                },
            }),
        ),
        ((5, 0, 900, 100), range(BaseDelaySecs, 1, 86_400, 0)),
        (
            (5, 86_401, 900, 100),
            range(BaseDelaySecs, 1, 86_400, 86_401),
        ),
        ((5, 1, 0, 100), range(MaxDelaySecs, 1, 86_400, 0)),
        ((5, 1, 86_401, 100), range(MaxDelaySecs, 1, 86_400, 86_401)),
        (
            (5, 60, 59, 100),
            Err(LimitError {
                field: MaxDelaySecs,
                rule: LimitRule::AtLeast {
                    other: BaseDelaySecs,
                    bound: 60,
                    given: 59,
                },
            }),
        ),
        ((0, 1, 1, 1), Ok(())),
        ((100, 86_400, 86_400, 100), Ok(())),
        ((5, 60, 60, 100), Ok(())),
        ((5, 1, 900, 100), Ok(())),
    ];
    for ((free, base, cap, hard), expect) in cases {
        let got = LockoutPolicy::new(free, base, cap, hard);
        assert_eq!(got.map(drop), expect, "{free} {base} {cap} {hard}");
        if let Ok(p) = got {
            assert_eq!(
                (
                    p.free_failures(),
                    p.base_delay_secs(),
                    p.max_delay_secs(),
                    p.hard_limit()
                ),
                (free, base, cap, hard)
            );
        }
    }
    assert_eq!(
        LockoutPolicy::default(),
        LockoutPolicy::new(5, 1, 900, 100).unwrap()
    );
}

#[test]
fn errors_name_the_field_and_the_rule() {
    let e = LockoutPolicy::new(6, 1, 900, 5).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`free_failures` must be at most `hard_limit` (5) (given 6)"
    );
    assert_eq!(e.rule.code(), "above_other");
    let e = LockoutPolicy::new(5, 60, 59, 100).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`max_delay_secs` must be at least `base_delay_secs` (60) (given 59)"
    );
    assert_eq!(e.rule.code(), "below_other");
    let unordered = LimitRule::Unordered { index: 1 };
    assert_eq!(unordered.code(), "unordered");
    let span = LimitRule::Span { max: 1, given: 2 };
    assert_eq!(span.code(), "span_too_long");
    assert_eq!(span.to_string(), "must span at most 1 seconds (given 2)");
    let e = Window::new(1, 0).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`interval_secs` must be from 1 to 4294967295 (given 0)"
    );
    assert_eq!(e.rule.code(), "out_of_range");
    let names = [
        LimitField::Max,
        LimitField::IntervalSecs,
        LimitField::Windows,
        LimitField::FreeFailures,
        LimitField::BaseDelaySecs,
        LimitField::MaxDelaySecs,
        LimitField::HardLimit,
        LimitField::Events,
        LimitField::Failures,
        LimitField::Revision,
    ]
    .map(|f| f.to_string());
    assert_eq!(
        names,
        [
            "max",
            "interval_secs",
            "windows",
            "free_failures",
            "base_delay_secs",
            "max_delay_secs",
            "hard_limit",
            "events",
            "failures",
            "revision"
        ]
    );
}

// ---------------------------------------------------------------------------
// Stored forms (feature `serde`): shapes, and bad data refused.

#[cfg(feature = "serde")]
mod stored {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn the_stored_log_round_trips_and_decides_the_same(
            ws in windows(),
            start in 0..(1u64 << 40),
            steps in prop::collection::vec(step(), 1..120),
            probe in step(),
        ) {
            let p = policy(&ws);
            let mut log = SendLog::new();
            for now in clock(start, &steps) {
                let _ = log.try_send(&p, at(now)).into_answer();
            }
            let json: SendLog = serde_json::from_str(&serde_json::to_string(&log).unwrap()).unwrap();
            let bin: SendLog = postcard::from_bytes(&postcard::to_allocvec(&log).unwrap()).unwrap();
            prop_assert_eq!(json, log);
            prop_assert_eq!(bin, log);
            let now = clock(start, &[probe])[0];
            let (mut a, mut b) = (log, json);
            prop_assert_eq!(a.try_send(&p, at(now)).into_answer(), b.try_send(&p, at(now)).into_answer());
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn same_times_and_another_revision_is_another_log() {
        let mut log = SendLog::new();
        sent(log.try_send(&SendPolicy::default(), at(7)));
        let json = r#"{"events":[7],"revision":2}"#;
        assert_ne!(serde_json::from_str::<SendLog>(json).unwrap(), log);
        let json = r#"{"events":[7],"revision":1}"#;
        assert_eq!(serde_json::from_str::<SendLog>(json).unwrap(), log);
    }

    fn json_err<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        serde_json::from_str::<T>(json).unwrap_err().to_string()
    }

    #[test]
    fn stored_shapes() {
        let p = policy(&[(3, 60), (10, 3600)]);
        let text = serde_json::to_string(&p).unwrap();
        assert_eq!(
            text,
            r#"{"windows":[{"max":3,"interval_secs":60},{"max":10,"interval_secs":3600}]}"#
        );
        assert_eq!(serde_json::from_str::<SendPolicy>(&text).unwrap(), p);
        let mut log = SendLog::new();
        sent(log.try_send(&p, at(1_700_000_000)));
        sent(log.try_send(&p, at(1_700_000_001)));
        assert_eq!(
            serde_json::to_string(&log).unwrap(),
            r#"{"events":[1700000000,1700000001],"revision":2}"#
        );
        let lp = LockoutPolicy::default();
        let text = serde_json::to_string(&lp).unwrap();
        assert_eq!(
            text,
            r#"{"free_failures":5,"base_delay_secs":1,"max_delay_secs":900,"hard_limit":100}"#
        );
        assert_eq!(serde_json::from_str::<LockoutPolicy>(&text).unwrap(), lp);
        let mut l = Lockout::new();
        let _ = l.admit(&lp, at(1_700_000_000)).into_answer();
        let text = serde_json::to_string(&l).unwrap();
        assert_eq!(text, r#"{"failures":1,"last_try":1700000000,"revision":1}"#);
        assert_eq!(serde_json::from_str::<Lockout>(&text).unwrap(), l);
        let bytes = postcard::to_allocvec(&l).unwrap();
        assert_eq!(postcard::from_bytes::<Lockout>(&bytes).unwrap(), l);
    }

    #[test]
    fn a_stored_log_is_checked() {
        let ok = |json: &str| serde_json::from_str::<SendLog>(json).unwrap();
        assert_eq!(ok(r#"{"events":[],"revision":0}"#), SendLog::new());
        let full: Vec<u64> = (0..64).collect();
        let log = ok(&format!(r#"{{"events":{full:?},"revision":64}}"#));
        assert_eq!(times(&log), full);
        let max = u64::from(u32::MAX);
        assert_eq!(
            times(&ok(&format!(
                r#"{{"events":[5,{}],"revision":9}}"#,
                5 + max
            ))),
            [5, 5 + max]
        );

        let too_many: Vec<u64> = (0..65).collect();
        for (json, expect) in [
            (
                format!(r#"{{"events":{too_many:?},"revision":65}}"#),
                "`events` must be from 0 to 64 (given 65)",
            ),
            (
                r#"{"events":[3,2],"revision":2}"#.into(),
                "`events` must not decrease (index 1",
            ),
            (r#"{"events":[1,2,3,3,1],"revision":5}"#.into(), "(index 4"),
            (
                format!(r#"{{"events":[5,{}],"revision":2}}"#, 6 + max),
                "`events` must span at most 4294967295 seconds (given 4294967296)",
            ),
            (
                r#"{"events":[1,2],"revision":1}"#.into(),
                "`revision` must be at least `events` (2) (given 1)",
            ),
            (
                r#"{"events":[1],"revision":1,"x":0}"#.into(),
                "unknown field",
            ),
            (r#"{"events":[1]}"#.into(), "missing field"),
            (r#"{"events":[-1],"revision":1}"#.into(), "invalid value"),
        ] {
            let err = json_err::<SendLog>(&json);
            assert!(err.contains(expect), "{json}: {err}");
        }
    }

    #[test]
    fn stored_policies_and_lockouts_are_checked() {
        for (json, expect) in [
            (
                r#"{"windows":[]}"#,
                "`windows` must be from 1 to 4 (given 0)",
            ),
            (
                r#"{"windows":[{"max":0,"interval_secs":1}]}"#,
                "`max` must be from 1 to 64 (given 0)",
            ),
            (
                r#"{"windows":[{"max":1,"interval_secs":0}]}"#,
                "`interval_secs` must be from 1",
            ),
            (
                r#"{"windows":[{"max":1,"interval_secs":1,"x":1}]}"#,
                "unknown field",
            ),
        ] {
            let err = json_err::<SendPolicy>(json);
            assert!(err.contains(expect), "{json}: {err}");
        }
        let w = r#"{"max":1,"interval_secs":1}"#;
        let five = format!(r#"{{"windows":[{w},{w},{w},{w},{w}]}}"#);
        assert!(json_err::<SendPolicy>(&five).contains("(given 5)"));
        assert!(json_err::<Window>(r#"{"max":65,"interval_secs":1}"#).contains("`max`"));

        assert!(
            json_err::<LockoutPolicy>(
                r#"{"free_failures":5,"base_delay_secs":1,"max_delay_secs":900,"hard_limit":101}"#
            )
            .contains("`hard_limit` must be from 1 to 100 (given 101)")
        );
        for (json, expect) in [
            (
                r#"{"failures":101,"last_try":0,"revision":101}"#,
                "`failures` must be from 0 to 100 (given 101)",
            ),
            (
                r#"{"failures":3,"last_try":0,"revision":2}"#,
                "`revision` must be at least `failures` (3) (given 2)",
            ),
            (r#"{"failures":3,"last_try":0}"#, "missing field"),
        ] {
            let err = json_err::<Lockout>(json);
            assert!(err.contains(expect), "{json}: {err}");
        }
        let l: Lockout =
            serde_json::from_str(r#"{"failures":100,"last_try":0,"revision":100}"#).unwrap();
        assert_eq!(l.check(&LockoutPolicy::default(), at(0)), Admission::Locked);
    }
}

/// SPEC §9.1, §9.2: a stored policy value too wide for its field is out of
/// range with the value given, like any other (it was a type error that
/// named no rule).
#[cfg(feature = "serde")]
#[test]
fn stored_policies_report_wide_values_as_out_of_range() {
    let e = serde_json::from_str::<SendPolicy>(r#"{"windows":[{"max":256,"interval_secs":60}]}"#)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`max` must be from 1 to 64 (given 256)"), "{e}");
    let e =
        serde_json::from_str::<SendPolicy>(r#"{"windows":[{"max":3,"interval_secs":4294967296}]}"#)
            .unwrap_err()
            .to_string();
    assert!(
        e.contains("`interval_secs` must be from 1 to 4294967295 (given 4294967296)"),
        "{e}"
    );
    let e = serde_json::from_str::<LockoutPolicy>(
        r#"{"free_failures":300,"base_delay_secs":1,"max_delay_secs":900,"hard_limit":100}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("`free_failures` must be at most `hard_limit` (100) (given 300)"),
        "{e}"
    );
}
