//! Every invariant of SPEC §5 that can be checked from outside a challenge.
//! Shared by the tests (`tests/store.rs`) and the fuzz targets.

use mfa_core::{Challenge, State};

/// Panics if `c` breaks a rule no challenge may break.
pub fn assert_sound(c: &Challenge) {
    assert!((1..=20).contains(&c.max_attempts()));
    assert!(c.attempts_used() <= c.max_attempts());
    assert!((1..=20).contains(&c.max_deliveries()));
    assert!((1..=c.max_deliveries()).contains(&c.deliveries()));
    assert!(c.valid_for() <= 604_800);
    let t = c.token().expose_secret();
    assert!((4..=20).contains(&t.len()));
    assert!(t.bytes().all(|b| c.alphabet().contains(b)));
    match c.state() {
        State::Pending | State::Expired | State::Canceled => {
            assert!(c.attempts_used() < c.max_attempts())
        }
        State::Exhausted => assert_eq!(c.attempts_used(), c.max_attempts()),
        State::Verified => assert!(c.attempts_used() >= 1),
    }
    assert!(Challenge::from_parts(c.to_parts()).is_ok());
}
