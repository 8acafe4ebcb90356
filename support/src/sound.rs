//! Every invariant of SPEC §5 that can be checked from outside a challenge.
//! Shared by the tests (`tests/store.rs`) and the fuzz targets.

use mfa_core::{Challenge, ChallengeState};

/// Panics if `c` breaks a rule no challenge may break.
pub fn assert_sound(c: &Challenge) {
    assert!((1..=20).contains(&c.parts().max_attempts));
    assert!(c.parts().attempts_used <= c.parts().max_attempts);
    assert!((1..=20).contains(&c.parts().max_deliveries));
    assert!((1..=c.parts().max_deliveries).contains(&c.parts().deliveries));
    assert!(c.parts().valid_for <= 604_800);
    let t = c.parts().token.expose_secret();
    assert!((4..=20).contains(&t.len()));
    assert!(t.bytes().all(|b| c.parts().alphabet.contains(b)));
    match c.parts().state {
        ChallengeState::Pending | ChallengeState::Expired | ChallengeState::Canceled => {
            assert!(c.parts().attempts_used < c.parts().max_attempts)
        }
        ChallengeState::Exhausted => assert_eq!(c.parts().attempts_used, c.parts().max_attempts),
        ChallengeState::Verified => assert!(c.parts().attempts_used >= 1),
    }
    assert!(Challenge::from_parts(c.parts().clone()).is_ok());
}
