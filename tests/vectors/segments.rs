//! `segments.json`: SMS encoding, units and parts (SPEC §4.6-§4.9).

use super::*;

pub(super) fn segment_vectors() -> Vec<Value> {
    let mut texts: Vec<String> = Vec::new();
    // Every character of the GSM 7-bit tables, and the characters next to them.
    let table = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    assert_eq!(table.chars().count(), 127);
    texts.extend(table.chars().map(String::from));
    texts.extend("\u{C}^{}\\[~]|€".chars().map(String::from));
    texts.extend(
        [
            "\u{1B}", "`", "\t", "\u{7F}", "ç", "Ã", "ÿ", "¢", "\u{A0}", "ж", "€€", "😀", "\u{0}",
            "\u{80}",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    texts.push(String::new());
    let a = |n: usize| "a".repeat(n);
    let zh = |n: usize| "ж".repeat(n);
    for n in [
        1, 152, 153, 154, 159, 160, 161, 305, 306, 307, 459, 460, 1600,
    ] {
        texts.push(a(n));
    }
    for n in [69, 70, 71, 133, 134, 135, 201, 202] {
        texts.push(zh(n));
    }
    for n in [79, 80, 81, 153] {
        texts.push("€".repeat(n));
    }
    for n in [34, 35, 36, 67] {
        texts.push("😀".repeat(n));
    }
    // Extension characters and surrogate pairs right at part boundaries.
    texts.push(format!("{}€{}", a(152), a(10)));
    texts.push(format!("{}€{}", a(152), a(151)));
    texts.push(format!("{}€{}", a(152), a(152)));
    texts.push(format!("{}€{}", a(151), a(153)));
    texts.push(format!("{}[{}]{}", a(158), a(150), a(2)));
    texts.push(format!("{}😀{}", zh(66), zh(65)));
    texts.push(format!("{}😀{}", zh(66), zh(66)));
    texts.push(format!("{}😀{}", zh(65), zh(67)));
    texts.push(format!("{}ж", a(159)));
    texts.push(format!("{}ж", "€".repeat(69)));
    texts.push(format!("{}\u{1B}", a(69)));
    // Seeded random mixes.
    let pool: Vec<char> = "aZ0 .€[|ÇçжΩ😀\n\u{1B}`".chars().collect();
    let mut rng = ChaCha20Rng::seed_from_u64(0x5E6);
    for _ in 0..60 {
        let len = (rng.next_u32() % 400) as usize;
        let s: String = (0..len)
            .map(|_| pool[(rng.next_u32() as usize) % pool.len()])
            .collect();
        texts.push(s);
    }
    // Mostly-GSM random texts (one foreign character at most).
    for k in 0..30 {
        let len = 150 + (rng.next_u32() % 200) as usize;
        let mut s: String = (0..len)
            .map(|_| ['a', '€', 'b', '^'][(rng.next_u32() % 4) as usize])
            .collect();
        if k % 3 == 0 {
            s.push('😀');
        }
        texts.push(s);
    }
    texts
        .into_iter()
        .map(|t| vector("segments", json!({ "text": t })))
        .collect()
}

#[test]
fn replay_segments() {
    for v in load("segments.json") {
        let s = segments(v["text"].as_str().unwrap());
        assert_eq!(json!(s.encoding.name()), v["encoding"]);
        assert_eq!(json!(s.units), v["units"]);
        assert_eq!(json!(s.parts), v["parts"]);
    }
}
