//! Id parsing: never panics; whatever parses prints back as the same UUID
//! in lower case, and is version 4.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_core::ChallengeId;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        if let Ok(id) = ChallengeId::parse(text) {
            let printed = id.to_string();
            assert_eq!(printed, text.to_ascii_lowercase());
            assert_eq!(&printed[14..15], "4");
            assert_eq!(ChallengeId::parse(&printed), Ok(id));
        }
    }
    if let Ok(b) = <[u8; 16]>::try_from(data) {
        if let Ok(id) = ChallengeId::from_bytes(b) {
            assert_eq!(id.as_bytes(), &b);
            assert_eq!(ChallengeId::parse(&id.to_string()), Ok(id));
        }
    }
});
