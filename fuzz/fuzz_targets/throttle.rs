//! Send limits and lockout: arbitrary policies, clocks (steps back, jumps,
//! the ends of time) and stored states never panic; every decision equals
//! a plain log model; no window ever holds more than `max` new events; and
//! any stored log that deserializes is sound and keeps that guarantee.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use mfa_core::UnixTime;
use mfa_core::throttle::{Admission, Lockout, LockoutPolicy, SendLog, SendPolicy, Window};

#[derive(Arbitrary, Debug)]
struct Input {
    windows: Vec<(u8, u32)>,
    lockout: (u8, u32, u32, u8),
    start: u64,
    steps: Vec<Step>,
}

#[derive(Arbitrary, Debug)]
enum Step {
    Forward(u16),
    Back(u16),
    Jump(i64),
    Send,
    Try,
    Reset,
}

/// Every allowed event; the limiter's rule, counted by brute force.
struct Model {
    events: Vec<u64>,
}

impl Model {
    fn allows(&self, windows: &[Window], now: u64) -> Option<u64> {
        let t = self.events.last().map_or(now, |&n| n.max(now));
        let ok = windows.iter().all(|w| {
            let inside = self
                .events
                .iter()
                .filter(|&&e| u128::from(e) + u128::from(w.interval_secs()) > u128::from(t))
                .count();
            inside < usize::from(w.max())
        });
        ok.then_some(t)
    }
}

fn times(log: &SendLog) -> Vec<u64> {
    log.events().map(UnixTime::as_secs).collect()
}

fn sound(log: &SendLog) {
    let t = times(log);
    assert!(t.len() <= 64);
    assert!(t.windows(2).all(|p| p[0] <= p[1]));
    if let (Some(a), Some(b)) = (t.first(), t.last()) {
        assert!(b - a <= u64::from(u32::MAX));
    }
    assert!(log.revision() >= t.len() as u64);
    let json: SendLog = serde_json::from_str(&serde_json::to_string(log).unwrap()).unwrap();
    assert_eq!(&json, log);
    let bin: SendLog = postcard::from_bytes(&postcard::to_allocvec(log).unwrap()).unwrap();
    assert_eq!(&bin, log);
}

fn run(input: Input, mut log: SendLog) {
    let windows: Vec<Window> = input
        .windows
        .iter()
        .filter_map(|&(m, s)| Window::new(m, s).ok())
        .collect();
    let Ok(policy) = SendPolicy::new(&windows) else {
        return;
    };
    let (free, base, cap, hard) = input.lockout;
    let lockout = LockoutPolicy::new(free, base, cap, hard).unwrap_or_default();
    let mut tries = Lockout::new();

    let mut model = Model {
        events: times(&log),
    };
    // Events the limiter allowed in this run, to check the guarantee on.
    let mut new_events = Vec::new();
    let mut now = input.start;
    for step in input.steps {
        match step {
            Step::Forward(d) => now = now.saturating_add(u64::from(d)),
            Step::Back(d) => now = now.saturating_sub(u64::from(d)),
            Step::Jump(d) => now = now.saturating_add_signed(d),
            Step::Send => {
                let before = log;
                let step = log.try_send(&policy, UnixTime::from_secs(now));
                // A write exactly when allowed, from the revision before.
                assert_eq!(
                    step.write().map(|w| (w.expected(), w.revision())),
                    step.answer()
                        .is_allowed()
                        .then_some((before.revision(), log.revision()))
                );
                let expected = model.allows(policy.windows(), now);
                match step.into_answer() {
                    Admission::Allowed => {
                        let t = expected.expect("allowed, but the model refuses");
                        assert_eq!(log.newest(), Some(UnixTime::from_secs(t)));
                        // Fewer than `max` events were in (t - interval, t].
                        for w in policy.windows() {
                            let inside = model
                                .events
                                .iter()
                                .filter(|&&e| {
                                    u128::from(e) + u128::from(w.interval_secs()) > u128::from(t)
                                })
                                .count();
                            assert!(inside < usize::from(w.max()));
                        }
                        model.events.push(t);
                        new_events.push(t);
                        assert_eq!(log.revision(), before.revision() + 1);
                    }
                    Admission::Locked => panic!("a send log never locks"),
                    Admission::Wait { secs } => {
                        assert!(expected.is_none(), "refused, but the model allows");
                        assert_eq!(log, before);
                        assert!(secs > 0);
                        // Exact unless it saturated.
                        if let (Some(then), true) = (now.checked_add(secs), secs < u64::MAX) {
                            assert!(model.allows(policy.windows(), then).is_some());
                            assert!(model.allows(policy.windows(), then - 1).is_none());
                        }
                    }
                }
            }
            Step::Try => {
                let before = tries;
                let step = tries.admit(&lockout, UnixTime::from_secs(now));
                assert_eq!(step.write().is_some(), step.answer().is_allowed());
                match step.into_answer() {
                    Admission::Allowed => assert_eq!(tries.failures(), before.failures() + 1),
                    Admission::Wait { secs } => {
                        assert!(secs > 0);
                        assert_eq!(tries, before);
                        // Exact unless it saturated.
                        if let (Some(then), true) = (now.checked_add(secs), secs < u64::MAX) {
                            let at = UnixTime::from_secs(then);
                            assert_eq!(tries.check(&lockout, at), Admission::Allowed);
                        }
                    }
                    Admission::Locked => {
                        assert!(tries.failures() >= lockout.hard_limit());
                        assert_eq!(tries, before);
                    }
                }
                assert!(tries.failures() <= lockout.hard_limit());
            }
            Step::Reset => {
                let before = tries;
                let step = tries.reset();
                assert_eq!(step.write().is_some(), before.failures() > 0);
            }
        }
    }
    sound(&log);
    // The guarantee on this run's events: each ends a window holding at
    // most `max` of them.
    for (i, &t) in new_events.iter().enumerate() {
        for w in policy.windows() {
            let inside = new_events[..=i]
                .iter()
                .filter(|&&e| u128::from(e) + u128::from(w.interval_secs()) > u128::from(t))
                .count();
            assert!(inside <= usize::from(w.max()));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(rest)) {
            run(input, SendLog::new());
        }
        return;
    }
    // A stored state, then a run from it: "<json>\n<arbitrary bytes>".
    let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
    let (json, tail) = rest.split_at(split);
    if let Ok(l) = serde_json::from_slice::<Lockout>(json) {
        let json_again = serde_json::to_vec(&l).unwrap();
        assert_eq!(serde_json::from_slice::<Lockout>(&json_again).unwrap(), l);
    }
    let _ = serde_json::from_slice::<SendPolicy>(json);
    let _ = serde_json::from_slice::<LockoutPolicy>(json);
    if let Ok(log) = serde_json::from_slice::<SendLog>(json) {
        sound(&log);
        if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(tail)) {
            run(input, log);
        }
    }
    if let Ok(log) = postcard::from_bytes::<SendLog>(rest) {
        sound(&log);
    }
});
