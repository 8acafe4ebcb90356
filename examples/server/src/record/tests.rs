use super::*;

#[test]
fn note_replaces_forgets_expired_and_caps() {
    let t = UnixTime::from_secs(1_000);
    let mut r = LockRecord::default();
    r.note("a", 1, t.add_secs(10), t);
    r.note("b", 1, t.add_secs(20), t);
    r.note("a", 2, t.add_secs(10), t);
    assert_eq!(
        (r.seen("a"), r.seen("b"), r.seen("c")),
        (Some(2), Some(1), None)
    );
    assert_eq!(r.seen.len(), 2);
    // `a` expires at +10: forgotten by a note at +10.
    r.note("c", 1, t.add_secs(30), t.add_secs(10));
    assert_eq!(r.seen("a"), None);
    for i in 0..100u64 {
        r.note(&format!("x{i}"), 1, t.add_secs(1_000 + i), t.add_secs(10));
    }
    assert_eq!(r.seen.len(), SEEN_MAX);
    // The ones closest to expiry went first.
    assert_eq!(r.seen("x99"), Some(1));
    assert_eq!(r.seen("b"), None);
}

#[test]
fn kept_while_a_challenge_may_live_or_a_week_after_a_failure() {
    let t = UnixTime::from_secs(1_000);
    let mut r = LockRecord::default();
    assert_eq!(r.keep_until(t), t);
    r.note("a", 1, t.add_secs(3_600), t);
    assert_eq!(r.keep_until(t), t.add_secs(3_600 + KEEP_MARGIN_SECS));
    let policy = mfa_core::throttle::LockoutPolicy::default();
    let _ = r.lockout.admit(&policy, t);
    assert_eq!(r.keep_until(t), t.add_secs(LOCKOUT_KEEP_SECS));
}
