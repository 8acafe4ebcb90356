//! Segment counting, cross-checked against a slow, obviously-correct
//! reference written here from 3GPP TS 23.038.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_core::sms::{Encoding, segments};

const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const EXTENSION: &str = "\u{C}^{}\\[~]|€";

fn reference(text: &str) -> (Encoding, usize, usize) {
    let gsm: Option<Vec<usize>> = text
        .chars()
        .map(|c| {
            if BASIC.contains(c) {
                Some(1)
            } else if EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .collect();
    let (encoding, costs, single, part) = match gsm {
        Some(costs) => (Encoding::Gsm7, costs, 160, 153),
        None => (
            Encoding::Ucs2,
            text.chars().map(|c| c.len_utf16()).collect(),
            70,
            67,
        ),
    };
    let units: usize = costs.iter().sum();
    if units <= single {
        return (encoding, units, 1);
    }
    let mut parts: Vec<usize> = vec![0];
    for c in costs {
        if parts[parts.len() - 1] + c > part {
            parts.push(0);
        }
        let last = parts.len() - 1;
        parts[last] += c;
    }
    (encoding, units, parts.len())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let s = segments(&text);
    assert_eq!((s.encoding, s.units, s.parts), reference(&text), "{text:?}");
});
