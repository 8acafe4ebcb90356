//! `lockout.json`: lockout policies, waits and locks (SPEC §9.2).

use super::*;

pub(super) fn lockout_policy(free: u64, base: u64, max: u64, hard: u64) -> Value {
    json!({"free_failures": free, "base_delay_secs": base, "max_delay_secs": max, "hard_limit": hard})
}

pub(super) fn try_at(at: u64) -> Value {
    json!({"op": "try", "at": at})
}

pub(super) fn check_at(at: u64) -> Value {
    json!({"op": "check", "at": at})
}

pub(super) fn success() -> Value {
    json!({"op": "success"})
}

pub(super) fn lockout_vectors() -> Vec<Value> {
    use mfa_core::throttle::LockoutPolicy;
    let t0 = 1_700_000_000u64;
    let defaults = lockout_policy(5, 1, 900, 100);
    // Tries that each come exactly when allowed, with a refused one a
    // second early: the doubling sequence up to the cap.
    let doubling = |p: LockoutPolicy, n: u8| -> Vec<Value> {
        let mut t = t0;
        let mut out = Vec::new();
        for f in 0..n {
            let d = u64::from(p.delay_after(f).unwrap_or(0));
            if d > 0 {
                out.push(try_at(t + d - 1));
                t += d;
            }
            out.push(try_at(t));
        }
        out.push(check_at(t));
        out
    };
    let mut cases: Vec<(String, Value, Vec<Value>)> = vec![
        (
            "defaults: 5 free, then 1 s, 2 s ...".into(),
            defaults.clone(),
            vec![
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0 + 1),
                check_at(t0 + 1),
                check_at(t0 + 3),
                success(),
                check_at(t0 + 3),
                try_at(t0 + 3),
            ],
        ),
        (
            "defaults: doubling to the 15-minute cap".into(),
            defaults.clone(),
            doubling(LockoutPolicy::default(), 20),
        ),
        (
            "3 free, 30 s doubling to an hour, locked at 20".into(),
            lockout_policy(3, 30, 3600, 20),
            doubling(LockoutPolicy::new(3, 30, 3600, 20).unwrap(), 20)
                .into_iter()
                .chain([check_at(u64::MAX), success(), try_at(t0)])
                .collect(),
        ),
        (
            "locked at the hard limit until reset".into(),
            lockout_policy(0, 1, 1, 3),
            vec![
                try_at(t0),
                try_at(t0),
                try_at(t0 + 1),
                try_at(t0 + 2),
                try_at(t0 + 100),
                check_at(t0 + 1_000_000),
                json!({"op": "reset"}),
                try_at(t0 + 100),
            ],
        ),
        (
            "a reset keeps the last-try time: a clock behind it still evaluates at it".into(),
            lockout_policy(0, 10, 100, 5),
            vec![
                try_at(1000),
                json!({"op": "reset"}),
                try_at(500),
                check_at(505),
                check_at(1009),
                check_at(1010),
                success(),
                check_at(0),
                try_at(0),
                check_at(0),
            ],
        ),
        (
            "free_failures = hard_limit: no waits, then locked".into(),
            lockout_policy(3, 1, 1, 3),
            vec![
                try_at(t0),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                check_at(t0 + 10),
            ],
        ),
        (
            "hard_limit 1".into(),
            lockout_policy(0, 1, 1, 1),
            vec![
                check_at(t0),
                try_at(t0),
                try_at(t0 + 10),
                success(),
                try_at(t0),
            ],
        ),
        (
            "clock steps back: the wait grows by the step".into(),
            lockout_policy(1, 60, 60, 10),
            vec![
                try_at(t0 + 100),
                try_at(t0 + 100),
                try_at(t0),
                check_at(t0 + 159),
                try_at(t0 + 160),
                try_at(t0 + 200),
            ],
        ),
        (
            "clock steps back: a free try is recorded at the last try".into(),
            lockout_policy(1, 60, 60, 10),
            vec![
                try_at(t0 + 100),
                try_at(t0),
                check_at(t0 + 159),
                try_at(t0 + 160),
            ],
        ),
        (
            "success resets; a success with nothing to clear changes nothing".into(),
            lockout_policy(2, 5, 10, 10),
            vec![
                success(),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                success(),
                success(),
                try_at(t0),
                try_at(t0),
                try_at(t0),
                check_at(t0),
            ],
        ),
        (
            "the end of time: waits saturate".into(),
            lockout_policy(0, 86_400, 86_400, 100),
            vec![
                try_at(u64::MAX),
                try_at(u64::MAX),
                check_at(u64::MAX - 1),
                check_at(0),
                try_at(0),
            ],
        ),
        (
            "base 3, cap 7: 3, 6, 7, 7".into(),
            lockout_policy(0, 3, 7, 100),
            doubling(LockoutPolicy::new(0, 3, 7, 100).unwrap(), 5),
        ),
        (
            "the longest delays: a day from the first failure, 100 failures".into(),
            lockout_policy(0, 86_400, 86_400, 100),
            doubling(LockoutPolicy::new(0, 86_400, 86_400, 100).unwrap(), 100)
                .into_iter()
                .chain([try_at(u64::MAX)])
                .collect(),
        ),
    ];
    let mut rng = ChaCha20Rng::seed_from_u64(0x10C0);
    for k in 0..8 {
        let hard = 1 + u64::from(rng.next_u32() % 12);
        let free = u64::from(rng.next_u32()) % (hard + 1);
        let base = 1 + u64::from(rng.next_u32() % 100);
        let cap = base + u64::from(rng.next_u32() % 1000);
        let start = if k % 4 == 3 { u64::MAX - 10_000 } else { t0 };
        let steps = clock_steps(&mut rng, start, 40)
            .into_iter()
            .map(|t| match rng.next_u32() % 10 {
                0 => success(),
                1 | 2 => check_at(t),
                _ => try_at(t),
            })
            .collect();
        cases.push((
            format!("random #{k}"),
            lockout_policy(free, base, cap, hard),
            steps,
        ));
    }
    // Policies that are refused (SPEC §9), each field and rule, in the
    // order they are checked.
    for (name, p) in [
        ("hard_limit 0", lockout_policy(0, 1, 1, 0)),
        ("hard_limit 101", lockout_policy(5, 1, 900, 101)),
        ("hard_limit 255", lockout_policy(5, 1, 900, 255)),
        (
            "free_failures above hard_limit",
            lockout_policy(6, 1, 900, 5),
        ),
        ("base_delay_secs 0", lockout_policy(5, 0, 900, 100)),
        (
            "base_delay_secs 86401",
            lockout_policy(5, 86_401, 86_401, 100),
        ),
        ("max_delay_secs 0", lockout_policy(5, 1, 0, 100)),
        ("max_delay_secs 86401", lockout_policy(5, 1, 86_401, 100)),
        (
            "max_delay_secs below base_delay_secs",
            lockout_policy(5, 60, 59, 100),
        ),
        (
            "hard_limit 256: wider than 8 bits, out_of_range with the value given",
            lockout_policy(5, 1, 900, 256),
        ),
        (
            "free_failures 256: above hard_limit with the value given",
            lockout_policy(256, 1, 900, 100),
        ),
        ("base_delay_secs 2^32", lockout_policy(5, 1 << 32, 900, 100)),
        ("max_delay_secs 2^64-1", lockout_policy(5, 1, u64::MAX, 100)),
        ("hard_limit checked first", lockout_policy(200, 0, 0, 0)),
        (
            "free_failures before the delays",
            lockout_policy(101, 0, 0, 100),
        ),
        (
            "base_delay_secs before max_delay_secs",
            lockout_policy(5, 0, 0, 100),
        ),
        (
            "max_delay_secs range before below base",
            lockout_policy(5, 10, 0, 100),
        ),
    ] {
        cases.push((format!("refused policy: {name}"), p, Vec::new()));
    }
    for (name, p) in [
        ("hard_limit 100, free 100", lockout_policy(100, 1, 1, 100)),
        ("delays of a day", lockout_policy(0, 86_400, 86_400, 1)),
        ("free 0, hard 1, delays 1", lockout_policy(0, 1, 1, 1)),
    ] {
        cases.push((
            format!("policy at the bounds: {name}"),
            p,
            vec![try_at(t0), check_at(t0)],
        ));
    }
    cases
        .into_iter()
        .map(|(name, policy, steps)| {
            vector(
                "lockout",
                json!({"name": name, "policy": policy, "steps": steps}),
            )
        })
        .collect()
}

#[test]
fn replay_lockout() {
    use mfa_core::throttle::{Admission, Lockout, LockoutPolicy};
    for v in load("lockout.json") {
        let name = &v["name"];
        let p = &v["policy"];
        let int = |k: &str| p[k].as_u64().unwrap();
        let read = serde_json::from_value::<LockoutPolicy>(p.clone());
        let made = LockoutPolicy::try_new(
            int("free_failures"),
            int("base_delay_secs"),
            int("max_delay_secs"),
            int("hard_limit"),
        );
        // Where the values fit the narrow API, it agrees.
        if let (Ok(f), Ok(b), Ok(m), Ok(h)) = (
            u8::try_from(int("free_failures")),
            u32::try_from(int("base_delay_secs")),
            u32::try_from(int("max_delay_secs")),
            u8::try_from(int("hard_limit")),
        ) {
            assert_eq!(LockoutPolicy::new(f, b, m, h), made, "{name}");
        }
        match (made, &v["invalid_policy"]) {
            (Err(e), want) if want.is_object() => {
                assert!(read.is_err(), "{name}");
                assert_eq!(oracle::limit_error_json(&e).unwrap(), *want, "{name}");
            }
            (Ok(policy), Value::Null) => {
                assert_eq!(read.unwrap(), policy, "{name}");
                let mut state = Lockout::new();
                for s in v["steps"].as_array().unwrap() {
                    let at = || UnixTime::from_secs(s["at"].as_u64().unwrap());
                    let attempt = match s["op"].as_str().unwrap() {
                        "try" => Some(state.admit(&policy, at()).into_answer()),
                        "check" => Some(state.check(&policy, at())),
                        "success" | "reset" => {
                            let _ = state.reset();
                            None
                        }
                        op => panic!("{name}: op {op}"),
                    };
                    let want = &s["after"];
                    let (answer, secs) = match attempt {
                        None => (Value::Null, Value::Null),
                        Some(Admission::Allowed) => (json!("allowed"), Value::Null),
                        Some(Admission::Wait { secs }) => (json!("wait"), json!(secs)),
                        Some(Admission::Locked) => (json!("locked"), Value::Null),
                    };
                    assert_eq!(want["answer"], answer, "{name}: {s}");
                    assert_eq!(want["secs"], secs, "{name}: {s}");
                    assert_eq!(json!(state.failures()), want["failures"], "{name}: {s}");
                    assert_eq!(json!(state.revision()), want["revision"], "{name}: {s}");
                }
            }
            (got, _) => panic!("{name}: {got:?}"),
        }
    }
}
