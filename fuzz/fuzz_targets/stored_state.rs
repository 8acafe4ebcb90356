//! Stored-state deserialization: arbitrary bytes never panic, and anything
//! accepted is a sound challenge that round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_core::Challenge;
use mfa_core_fuzz::assert_sound;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = postcard::from_bytes::<Challenge>(data) {
        assert_sound(&c);
        let again = postcard::to_allocvec(&c).unwrap();
        assert_eq!(postcard::from_bytes::<Challenge>(&again).unwrap(), c);
    }
    if let Ok(c) = serde_json::from_slice::<Challenge>(data) {
        assert_sound(&c);
        let again = serde_json::to_vec(&c).unwrap();
        assert_eq!(serde_json::from_slice::<Challenge>(&again).unwrap(), c);
    }
});
