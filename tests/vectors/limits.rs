//! `limits.json`: send-limit policies and the sliding-window decision (SPEC §9.1).

use super::*;

pub(super) fn windows(ws: &[(u64, u64)]) -> Value {
    let ws: Vec<Value> = ws
        .iter()
        .map(|&(max, interval)| json!({"max": max, "interval_secs": interval}))
        .collect();
    json!({ "windows": ws })
}

pub(super) fn send(at: u64) -> Value {
    json!({"op": "send", "at": at})
}

pub(super) fn check(at: u64) -> Value {
    json!({"op": "check", "at": at})
}

/// Random clock steps: mostly small forward, some back, some huge jumps.
pub(super) fn clock_steps(rng: &mut ChaCha20Rng, start: u64, n: usize) -> Vec<u64> {
    let mut t = start;
    (0..n)
        .map(|_| {
            let r = rng.next_u32();
            t = match r % 16 {
                0 => t.saturating_sub(u64::from(rng.next_u32() % 5000)),
                1 => t.saturating_add(u64::from(rng.next_u32())),
                2 => t,
                _ => t.saturating_add(u64::from(rng.next_u32() % 200)),
            };
            t
        })
        .collect()
}

pub(super) fn limit_vectors() -> Vec<Value> {
    let t0 = 1_700_000_000u64;
    let max = u64::from(u32::MAX);
    let default = [(1, 30), (5, 3600), (10, 86_400)];
    let mut cases: Vec<(String, Value, Vec<Value>)> = vec![
        (
            "the default policy: 1 per 30 s, 5 per hour, 10 per day".into(),
            windows(&default),
            vec![
                send(t0),
                send(t0 + 1),
                check(t0 + 29),
                send(t0 + 30),
                send(t0 + 60),
                send(t0 + 90),
                send(t0 + 120),
                send(t0 + 150),
                check(t0 + 3599),
                send(t0 + 3600),
                send(t0 + 3630),
                send(t0 + 3660),
                send(t0 + 3690),
                send(t0 + 3720),
                send(t0 + 7200),
                check(t0 + 86_399),
                send(t0 + 86_400),
            ],
        ),
        (
            "3 per minute and 10 per hour: the wait counts to the oldest leaving".into(),
            windows(&[(3, 60), (10, 3600)]),
            vec![
                send(t0),
                send(t0 + 1),
                send(t0 + 2),
                send(t0 + 10),
                check(t0 + 59),
                send(t0 + 60),
                send(t0 + 61),
            ],
        ),
        (
            "half-open interval: allowed exactly interval seconds later".into(),
            windows(&[(1, 10)]),
            vec![
                send(t0),
                send(t0 + 9),
                send(t0 + 10),
                check(t0 + 19),
                check(t0 + 20),
            ],
        ),
        (
            "no burst of 2 max - 1 across a window edge (token bucket would allow it)".into(),
            windows(&[(5, 60)]),
            vec![
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 59),
                send(t0 + 60),
                send(t0 + 118),
                send(t0 + 119),
                send(t0 + 119),
            ],
        ),
        (
            "refusals record nothing and raise no revision".into(),
            windows(&[(2, 60)]),
            vec![
                send(t0),
                send(t0),
                send(t0 + 1),
                send(t0 + 2),
                send(t0 + 30),
                send(t0 + 59),
                send(t0 + 60),
            ],
        ),
        (
            "clock steps back: evaluated at the newest time, wait counted from now".into(),
            windows(&[(2, 60)]),
            vec![
                send(t0 + 100),
                send(t0 + 110),
                send(t0),
                check(t0 + 50),
                check(t0 + 159),
                send(t0 + 160),
                send(t0 + 100),
            ],
        ),
        (
            "clock steps back: an allowed event is recorded at the newest time".into(),
            windows(&[(2, 60)]),
            vec![send(t0 + 100), send(t0), check(t0 + 159), send(t0 + 160)],
        ),
        (
            "the longest window: u32::MAX seconds, and jumps past it".into(),
            windows(&[(2, max)]),
            vec![
                send(5),
                send(6),
                check(4 + max),
                send(5 + max),
                check(5 + max),
                send(6 + max),
                send(10 * max),
                send(10 * max + 1),
            ],
        ),
        (
            "forgetting: a time exactly 2^32-1 s older than the newest is kept".into(),
            windows(&[(64, 1)]),
            vec![send(6), send(6 + max), send(6 + max)],
        ),
        (
            "forgetting: exactly 2^32-1 s older is kept while an older time is dropped".into(),
            windows(&[(64, 1)]),
            vec![
                send(5),
                send(6),
                send(5 + max),
                send(6 + max),
                send(7 + max),
            ],
        ),
        (
            "forgetting: 2^32 s older than the newest is forgotten".into(),
            windows(&[(64, 1)]),
            vec![send(6), send(7 + max), check(7 + max)],
        ),
        (
            "forgetting: only a recorded event forgets; a check or a refusal keeps the log".into(),
            windows(&[(1, 10)]),
            vec![send(6), check(7 + max), send(7 + max), send(8 + max)],
        ),
        (
            "the end of time: waits saturate at 2^64-1".into(),
            windows(&[(1, max)]),
            vec![
                send(u64::MAX),
                check(u64::MAX),
                check(0),
                send(0),
                send(u64::MAX - 1),
            ],
        ),
        (
            "time 0".into(),
            windows(&[(1, 1)]),
            vec![send(0), send(0), send(1), check(1), check(2)],
        ),
        (
            "64 in one second".into(),
            windows(&[(64, 1)]),
            (0..66).map(|_| send(t0)).chain([send(t0 + 1)]).collect(),
        ),
        (
            "the log keeps the 64 newest: 64 per 100 s".into(),
            windows(&[(64, 100)]),
            (0..64)
                .map(|i| send(t0 + i))
                .chain([
                    send(t0 + 64),
                    send(t0 + 99),
                    send(t0 + 100),
                    send(t0 + 101),
                    send(t0 + 102),
                ])
                .collect(),
        ),
        (
            "four windows: the wait is the largest over them".into(),
            windows(&[(1, 10), (2, 100), (3, 1000), (4, 10_000)]),
            vec![
                send(t0),
                send(t0 + 5),
                send(t0 + 10),
                send(t0 + 20),
                send(t0 + 100),
                send(t0 + 110),
                send(t0 + 1000),
                send(t0 + 1010),
                send(t0 + 1100),
                send(t0 + 2000),
                send(t0 + 10_000),
            ],
        ),
        (
            "a redundant window is harmless".into(),
            windows(&[(5, 60), (3, 60)]),
            vec![send(t0), send(t0), send(t0), send(t0), send(t0 + 60)],
        ),
        (
            "check changes nothing".into(),
            windows(&[(1, 30)]),
            vec![
                check(t0),
                check(t0),
                send(t0),
                check(t0),
                check(t0 + 30),
                send(t0 + 30),
            ],
        ),
    ];
    // Seeded random policies and clocks.
    let mut rng = ChaCha20Rng::seed_from_u64(0x11A1);
    for k in 0..12 {
        let n = 1 + (rng.next_u32() % 4) as usize;
        let ws: Vec<(u64, u64)> = (0..n)
            .map(|_| {
                let m = 1 + u64::from(rng.next_u32() % 8);
                let i = match rng.next_u32() % 4 {
                    0 => 1 + u64::from(rng.next_u32() % 10),
                    1 => 1 + u64::from(rng.next_u32() % 600),
                    2 => 1 + u64::from(rng.next_u32() % 100_000),
                    _ => u64::from(rng.next_u32().max(1)),
                };
                (m, i)
            })
            .collect();
        let start = if k % 4 == 3 { u64::MAX - 1000 } else { t0 };
        let steps = clock_steps(&mut rng, start, 40)
            .into_iter()
            .map(|t| {
                if rng.next_u32() % 5 == 0 {
                    check(t)
                } else {
                    send(t)
                }
            })
            .collect();
        cases.push((format!("random #{k}"), windows(&ws), steps));
    }
    // Policies that are refused (SPEC §9), each field and rule.
    for (name, policy) in [
        ("max 0", windows(&[(0, 60)])),
        ("max 65", windows(&[(65, 60)])),
        ("max 255", windows(&[(255, 60)])),
        (
            "max 256: wider than 8 bits, still out_of_range with the value given",
            windows(&[(256, 60)]),
        ),
        ("max 2^64-1", windows(&[(u64::MAX, 60)])),
        (
            "interval_secs 2^32: wider than 32 bits, out_of_range",
            windows(&[(3, 1 << 32)]),
        ),
        ("interval_secs 0", windows(&[(3, 0)])),
        ("max 0 and interval_secs 0: max first", windows(&[(0, 0)])),
        ("the second window is bad", windows(&[(3, 60), (1, 0)])),
        ("no window", windows(&[])),
        (
            "five windows",
            windows(&[(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]),
        ),
        (
            "five windows, one bad: the window first",
            windows(&[(1, 1), (2, 2), (3, 3), (4, 4), (0, 5)]),
        ),
    ] {
        cases.push((format!("refused policy: {name}"), policy, Vec::new()));
    }
    for (name, policy) in [
        ("max 64, interval_secs u32::MAX", windows(&[(64, max)])),
        ("max 1, interval_secs 1", windows(&[(1, 1)])),
        ("four windows", windows(&[(1, 1), (1, 1), (1, 1), (1, 1)])),
    ] {
        cases.push((
            format!("policy at the bounds: {name}"),
            policy,
            vec![send(t0), send(t0)],
        ));
    }
    cases
        .into_iter()
        .map(|(name, policy, steps)| {
            vector(
                "limits",
                json!({"name": name, "policy": policy, "steps": steps}),
            )
        })
        .collect()
}

#[test]
fn replay_limits() {
    use mfa_core::throttle::{Admission, SendLog, SendPolicy, Window};
    let mut refused = 0;
    for v in load("limits.json") {
        let name = &v["name"];
        // The stored form reads exactly the valid policies.
        let read = serde_json::from_value::<SendPolicy>(v["policy"].clone());
        let windows: Result<Vec<Window>, _> = v["policy"]["windows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                let (max, interval) = (
                    w["max"].as_u64().unwrap(),
                    w["interval_secs"].as_u64().unwrap(),
                );
                let wide = Window::try_new(max, interval);
                // Where the values fit the narrow API, it agrees.
                if let (Ok(m), Ok(i)) = (u8::try_from(max), u32::try_from(interval)) {
                    assert_eq!(Window::new(m, i), wide, "{name}");
                }
                wide
            })
            .collect();
        match (
            windows.and_then(|w| SendPolicy::new(&w)),
            &v["invalid_policy"],
        ) {
            (Err(e), want) if want.is_object() => {
                assert!(read.is_err(), "{name}");
                assert_eq!(oracle::limit_error_json(&e).unwrap(), *want, "{name}");
                assert!(v["steps"].as_array().unwrap().is_empty(), "{name}");
                refused += 1;
            }
            (Ok(policy), Value::Null) => {
                assert_eq!(read.unwrap(), policy, "{name}");
                let mut log = SendLog::new();
                for s in v["steps"].as_array().unwrap() {
                    let now = UnixTime::from_secs(s["at"].as_u64().unwrap());
                    let decision = match s["op"].as_str().unwrap() {
                        "send" => log.try_send(&policy, now).into_answer(),
                        "check" => log.check(&policy, now),
                        op => panic!("{name}: op {op}"),
                    };
                    let want = &s["after"];
                    assert_eq!(json!(log.revision()), want["revision"], "{name}: {s}");
                    let kept: Vec<u64> = log.events().map(UnixTime::as_secs).collect();
                    assert_eq!(json!(kept), want["events"], "{name}: {s}");
                    match decision {
                        Admission::Allowed => {
                            assert_eq!(want["decision"], "allowed", "{name}: {s}")
                        }
                        Admission::Wait { secs } => {
                            assert_eq!(want["decision"], "refused", "{name}: {s}");
                            assert_eq!(json!(secs), want["retry_after"], "{name}: {s}");
                        }
                        Admission::Locked => panic!("{name}: a send log answered `locked`"),
                    }
                }
            }
            (got, _) => panic!("{name}: {got:?}"),
        }
    }
    assert!(refused >= 8);
}
