//! `normalize.json`: normalising a submitted code (SPEC §3.4, §3.5).

use super::*;

pub(super) fn normalize_vectors() -> Vec<Value> {
    let mut inputs: Vec<String> = [
        "123456",
        " 123 456 ",
        "123-456",
        "\t1\t2-3 4",
        "abcd",
        "aBcD",
        "O0o0",
        "IiLl",
        "oOiIlL",
        "٠١٢٣٤٥٦٧٨٩",
        "۰۱۲۳۴۵۶۷۸۹",
        "०१२३४५६७८९",
        "০১২৩৪৫৬৭৮৯",
        "๐๑๒๓๔๕๖๗๘๙",
        "０１２３４５６７８９",
        "𝟎𝟏𝟐𝟑",
        "𝟘𝟙𝟚𝟛",
        "𝟶𝟷𝟸𝟹",
        "፩፪፫፬",
        "①②③④",
        "½234",
        "12٣4",
        "k7p2-qx9a",
        "K7P2 QX9A",
        "12345678901234567890",
        "1234-5678-9012-3456-7890",
        "123456789012345678901",
        "",
        "   ",
        "---",
        "123",
        "1 2 3",
        "123.456",
        "123_456",
        "12\n34",
        "12\r34",
        "12\u{A0}34",
        "12\u{3000}34",
        "12\u{200B}34",
        // The voice spelling typed back as written (SPEC §3.4).
        "7, 9, 8, 2, 7, 7.",
        "1, 2, 3, 4",
        "1234u",
        "UUUU",
        "ＡＢＣＤ",
        "1234é",
        "12\u{0}34",
        "+1234",
        "1234!",
        "\u{11F50}\u{11F51}\u{11F52}\u{11F53}",
        "\u{1E4F1}\u{1E4F2}\u{1E4F3}\u{1E4F4}",
        "\u{116D0}\u{116DA}\u{116D9}\u{116E3}",
        "\u{65F}\u{660}\u{669}\u{66A}",
        "ⅠⅡⅢⅣ",
        "𝍠𝍡𝍢𝍣",
        "꘠꘡꘢꘣",
        "߀߁߂߃",
        "០១២៣",
        "᠐᠑᠒᠓",
        "၀၁၂၃",
        "႐႑႒႓",
        "𑁦𑁧𑁨𑁩",
        "a-b-c-d-e-f-g-h-j-k",
        "ABCDEFGHJKMNPQRSTVWXYZ",
        "ilo0ILO0",
        "l1I1",
        "0O0o",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Every Nd run's zero and nine, in a 4-symbol submission.
    let zeros: Vec<u32> = (0u32..0x110000)
        .filter_map(char::from_u32)
        .filter(|&c| {
            c != '0'
                && Normalized::new(&format!("{c}000"))
                    .map(|n| n.as_str() == "0000")
                    .unwrap_or(false)
        })
        .map(|c| c as u32)
        .collect();
    for z in zeros {
        let zero = char::from_u32(z).unwrap();
        let nine = char::from_u32(z + 9).unwrap();
        inputs.push(format!("{zero}{nine}{zero}{nine}"));
    }
    inputs
        .into_iter()
        .map(|s| vector("normalize", json!({ "input": s })))
        .collect()
}

#[test]
fn replay_normalisation() {
    for v in load("normalize.json") {
        let n = Normalized::new(v["input"].as_str().unwrap());
        assert_eq!(json!(n.as_ref().map(|n| n.as_str())), v["normalized"]);
    }
}
