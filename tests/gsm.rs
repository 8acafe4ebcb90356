//! GSM 7-bit default alphabet (3GPP TS 23.038 §6.2.1), character by
//! character, and the segment arithmetic at its boundaries.

use mfa_core::sms::{Encoding, SegmentInfo, gsm7_septets, segments};

/// The basic table in code order, 0x00 to 0x7F, written out from the
/// standard. 0x1B is the escape to the extension table (no character).
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The default extension table: (code after the escape, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'), // form feed
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

#[test]
fn every_basic_table_character_costs_one_septet() {
    for (code, &c) in BASIC.iter().enumerate() {
        if code == 0x1B {
            continue;
        }
        assert_eq!(gsm7_septets(c), Some(1), "basic 0x{code:02X} {c:?}");
        let s = segments(&c.to_string());
        assert_eq!(
            (s.encoding, s.units, s.parts),
            (Encoding::Gsm7, 1, 1),
            "{c:?}"
        );
    }
}

#[test]
fn every_extension_character_costs_two_septets() {
    for &(code, c) in EXTENSION.iter() {
        assert_eq!(gsm7_septets(c), Some(2), "extension 0x{code:02X} {c:?}");
        let s = segments(&c.to_string());
        assert_eq!((s.encoding, s.units), (Encoding::Gsm7, 2), "{c:?}");
    }
}

#[test]
fn nothing_else_in_the_first_planes_is_gsm() {
    let mut known: Vec<char> = BASIC.iter().copied().filter(|&c| c != '\u{1B}').collect();
    known.extend(EXTENSION.iter().map(|&(_, c)| c));
    assert_eq!(known.len(), 137);
    for cp in 0..0x3_0000u32 {
        let Some(c) = char::from_u32(cp) else {
            continue;
        };
        if !known.contains(&c) {
            assert_eq!(gsm7_septets(c), None, "U+{cp:04X} should not be GSM 7-bit");
        }
    }
    for cp in [0x10FFFFu32, 0xE0041, 0x1F600] {
        assert_eq!(gsm7_septets(char::from_u32(cp).unwrap()), None);
    }
}

#[test]
fn settled_points() {
    assert_eq!(gsm7_septets('Ç'), Some(1));
    assert_eq!(gsm7_septets('ç'), None);
    // A literal ESC is not a character of the alphabet: the text is UCS-2.
    assert_eq!(segments("a\u{1B}b").encoding, Encoding::Ucs2);
    assert_eq!(segments("a\u{1B}b").units, 3);
    let e = segments("");
    assert_eq!((e.encoding, e.units, e.parts), (Encoding::Gsm7, 0, 1));
    // '`' and TAB are ASCII but not GSM 7-bit.
    assert_eq!(segments("`").encoding, Encoding::Ucs2);
    assert_eq!(segments("a\tb").encoding, Encoding::Ucs2);
    assert_eq!(segments("\u{7F}").encoding, Encoding::Ucs2);
}

fn info(s: &str) -> (Encoding, usize, usize) {
    let SegmentInfo {
        encoding,
        units,
        parts,
    } = segments(s);
    (encoding, units, parts)
}

#[test]
fn gsm_single_and_multi_part_boundaries() {
    assert_eq!(info(&"a".repeat(160)), (Encoding::Gsm7, 160, 1));
    assert_eq!(info(&"a".repeat(161)), (Encoding::Gsm7, 161, 2));
    assert_eq!(info(&"a".repeat(306)), (Encoding::Gsm7, 306, 2));
    assert_eq!(info(&"a".repeat(307)), (Encoding::Gsm7, 307, 3));
    assert_eq!(info(&"a".repeat(459)), (Encoding::Gsm7, 459, 3));
    assert_eq!(info(&"a".repeat(460)), (Encoding::Gsm7, 460, 4));
    // Extension characters in a single segment: 80 × 2 = 160.
    assert_eq!(info(&"€".repeat(80)), (Encoding::Gsm7, 160, 1));
    assert_eq!(info(&"€".repeat(81)), (Encoding::Gsm7, 162, 2));
    assert_eq!(
        info(&format!("{}[", "a".repeat(158))),
        (Encoding::Gsm7, 160, 1)
    );
    assert_eq!(
        info(&format!("{}[", "a".repeat(159))),
        (Encoding::Gsm7, 161, 2)
    );
}

#[test]
fn an_extension_character_is_never_split_between_parts() {
    // 152 septets, then '€' at septets 153-154: it cannot straddle the
    // 153-septet part boundary, so it opens part 2.
    let s = format!("{}€{}", "a".repeat(152), "a".repeat(10));
    assert_eq!(info(&s), (Encoding::Gsm7, 164, 2));
    // 152 + 2 + 151 = 305 fits in two parts only if the '€' was not split:
    // part 1 = 152, part 2 = 2 + 151 = 153.
    let s = format!("{}€{}", "a".repeat(152), "a".repeat(151));
    assert_eq!(info(&s), (Encoding::Gsm7, 305, 2));
    // One more septet: part 3.
    let s = format!("{}€{}", "a".repeat(152), "a".repeat(152));
    assert_eq!(info(&s), (Encoding::Gsm7, 306, 3));
    // Without the split rule, 306 septets would be exactly two parts.
    assert_eq!(info(&"a".repeat(306)).2, 2);
    // An extension character that ends exactly on the boundary stays.
    let s = format!("{}€{}", "a".repeat(151), "a".repeat(153));
    assert_eq!(info(&s), (Encoding::Gsm7, 306, 2));
}

#[test]
fn ucs2_single_and_multi_part_boundaries() {
    assert_eq!(info(&"ж".repeat(70)), (Encoding::Ucs2, 70, 1));
    assert_eq!(info(&"ж".repeat(71)), (Encoding::Ucs2, 71, 2));
    assert_eq!(info(&"ж".repeat(134)), (Encoding::Ucs2, 134, 2));
    assert_eq!(info(&"ж".repeat(135)), (Encoding::Ucs2, 135, 3));
    // One non-GSM character turns a GSM text into UCS-2: 159 + 1 units.
    assert_eq!(
        info(&format!("{}ж", "a".repeat(159))),
        (Encoding::Ucs2, 160, 3)
    );
    // Extension characters cost one unit in UCS-2.
    assert_eq!(
        info(&format!("{}ж", "€".repeat(69))),
        (Encoding::Ucs2, 70, 1)
    );
}

#[test]
fn a_surrogate_pair_is_never_split_between_parts() {
    assert_eq!(info(&"😀".repeat(35)), (Encoding::Ucs2, 70, 1));
    assert_eq!(info(&"😀".repeat(36)), (Encoding::Ucs2, 72, 2));
    // 66 units, then a pair at units 67-68: it opens part 2.
    let s = format!("{}😀{}", "ж".repeat(66), "ж".repeat(65));
    assert_eq!(info(&s), (Encoding::Ucs2, 133, 2));
    let s = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
    assert_eq!(info(&s), (Encoding::Ucs2, 134, 3));
    // A pair ending exactly on the boundary stays in part 1.
    let s = format!("{}😀{}", "ж".repeat(65), "ж".repeat(67));
    assert_eq!(info(&s), (Encoding::Ucs2, 134, 2));
    // 33 pairs + 1 = 67 units only if part 1 held 33 pairs (66 units).
    assert_eq!(info(&"😀".repeat(67)), (Encoding::Ucs2, 134, 3));
}

/// A slow, obviously-correct reference: list every character's cost, then
/// pack the list.
fn reference(s: &str) -> (Encoding, usize, usize) {
    let gsm: Option<Vec<usize>> = s
        .chars()
        .map(|c| {
            if let Some(i) = BASIC.iter().position(|&b| b == c) {
                (i != 0x1B).then_some(1)
            } else {
                EXTENSION.iter().any(|&(_, e)| e == c).then_some(2)
            }
        })
        .collect();
    let (enc, costs, single, part) = match gsm {
        Some(costs) => (Encoding::Gsm7, costs, 160, 153),
        None => (
            Encoding::Ucs2,
            s.chars().map(char::len_utf16).collect(),
            70,
            67,
        ),
    };
    let units: usize = costs.iter().sum();
    if units <= single {
        return (enc, units, 1);
    }
    let mut parts = vec![0usize];
    for c in costs {
        if parts.last().unwrap() + c > part {
            parts.push(0);
        }
        *parts.last_mut().unwrap() += c;
    }
    (enc, units, parts.len())
}

proptest::proptest! {
    #[test]
    fn segments_agree_with_the_reference(
        s in proptest::string::string_regex("[a-z€\\[ж😀Ç\n]{0,400}").unwrap()
    ) {
        proptest::prop_assert_eq!(info(&s), reference(&s));
    }

    #[test]
    fn segments_agree_with_the_reference_on_any_text(s in "\\PC{0,400}") {
        proptest::prop_assert_eq!(info(&s), reference(&s));
    }
}

#[test]
fn a_long_voice_text_measures_like_the_same_text() {
    // A voice text may be far over one SMS segment; its measure (counted
    // piece by piece while rendering) must match `segments` on the text.
    use mfa_core::{Challenge, Channel, IssueRequest, UnixTime};
    use rand_core::SeedableRng;
    for message in [
        // 288 + 1 + 17 ("1, 2, 3, 4, 5, 6.") = 306 septets: exactly 2 parts.
        "a".repeat(288),
        // 116 + 1 + 17 = 134 units: exactly 2 UCS-2 parts.
        "ж".repeat(116),
        "a".repeat(300),
        format!("{}€{}", "a".repeat(151), "b".repeat(300)),
        format!("{}€€{}", "a".repeat(152), "€".repeat(100)),
        "ж".repeat(200),
        format!("{}😀{}", "ж".repeat(66), "ж".repeat(200)),
        "😀".repeat(150),
    ] {
        let params = IssueRequest {
            message: Some(&message),
            ..IssueRequest::new(Channel::Call, "+15557788999")
        }
        .validate()
        .unwrap();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let (_, d) = Challenge::issue(&params, &mut rng, UnixTime::from_secs(0)).unwrap();
        // `write_text` rather than `text`, which needs the `alloc` feature.
        let mut text = String::new();
        d.write_text(&mut text).unwrap();
        assert!(segments(&text).parts > 1);
        assert_eq!(d.segments(), segments(&text), "{message:?}");
        assert_eq!(info(&text), reference(&text));
    }
}
