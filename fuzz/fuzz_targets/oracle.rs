//! The vector oracle's request parser and dispatcher
//! (`support/src/oracle.rs`, the `oracle` example): arbitrary bytes, read as
//! lines, never panic and get exactly one answer per line, each one line of
//! JSON holding an object (the expected part of a vector, or `{"error"}`).
#![no_main]

use libfuzzer_sys::fuzz_target;

use mfa_support::oracle;

fuzz_target!(|data: &[u8]| {
    let answers = oracle::answer_lines(data);
    // Lines end at `\n`; text after the last `\n` is a line too.
    let lines = data.split(|&b| b == b'\n').count()
        - usize::from(data.last() == Some(&b'\n') || data.is_empty());
    assert_eq!(answers.len(), lines);
    for a in &answers {
        assert!(!a.contains('\n'), "{a}");
        let v: serde_json::Value = serde_json::from_str(a).expect("an answer is JSON");
        assert!(v.is_object(), "{a}");
    }
});
