//! `ids.json`: id parsing, text and 16-byte forms (SPEC §6.3, §6.4).

use super::*;

pub(super) fn id_vectors() -> Vec<Value> {
    const ID: &str = "8630cc54-f6b2-45dd-b73b-cce28eb668d8";
    let with = |at: usize, s: &str| format!("{}{s}{}", &ID[..at], &ID[at + 1..]);
    let texts: Vec<(&str, String)> = vec![
        ("lower case", ID.into()),
        ("upper case", ID.to_uppercase()),
        ("mixed case", "8630Cc54-F6b2-45dD-B73b-cCe28Eb668D8".into()),
        (
            "all zero but version and variant",
            "00000000-0000-4000-8000-000000000000".into(),
        ),
        (
            "all f but version and variant",
            "ffffffff-ffff-4fff-bfff-ffffffffffff".into(),
        ),
        ("variant digit 8", with(19, "8")),
        ("variant digit 9", with(19, "9")),
        ("variant digit a", with(19, "a")),
        ("variant digit B", with(19, "B")),
        ("empty", String::new()),
        ("35 characters", ID[..35].into()),
        ("37 characters", format!("{ID}0")),
        ("braces", format!("{{{ID}}}")),
        ("urn:uuid: prefix", format!("urn:uuid:{ID}")),
        ("no hyphens", ID.replace('-', "")),
        ("leading space", format!(" {ID}")),
        ("trailing newline", format!("{ID}\n")),
        ("space instead of a hyphen", with(8, " ")),
        ("space instead of a digit", with(0, " ")),
        (
            "hyphen moved left",
            format!("{}-{}{}", &ID[..7], &ID[7..8], &ID[9..]),
        ),
        ("underscore for a hyphen", with(23, "_")),
        ("hex digit where a hyphen goes", with(13, "0")),
        ("g at offset 0", with(0, "g")),
        (
            "not hex at 3 before a bad hyphen at 8",
            format!("{}x{}0{}", &ID[..3], &ID[4..8], &ID[9..]),
        ),
        ("not hex at the last offset", with(35, "z")),
        (
            "non-ASCII: two bytes for two hex digits",
            format!("{}é", &ID[..34]),
        ),
        ("non-ASCII: adds a byte", format!("{}é", &ID[..35])),
        ("fullwidth digit: three bytes", format!("{}３", &ID[..33])),
        ("version 1", with(14, "1")),
        ("version 7", with(14, "7")),
        ("version 0", with(14, "0")),
        ("version f", with(14, "f")),
        ("nil UUID", "00000000-0000-0000-0000-000000000000".into()),
        ("max UUID", "ffffffff-ffff-ffff-ffff-ffffffffffff".into()),
        ("variant 0 (digit 0)", with(19, "0")),
        ("variant 0 (digit 7)", with(19, "7")),
        ("variant 110 (digit c)", with(19, "c")),
        ("variant 111 (digit F)", with(19, "F")),
        (
            "version checked before variant",
            format!("{}1{}c{}", &ID[..14], &ID[15..19], &ID[20..]),
        ),
    ];
    let mut out: Vec<Value> = texts
        .into_iter()
        .map(|(name, text)| vector("ids", json!({"name": name, "text": text})))
        .collect();
    // The 16-byte form (SPEC §6.4).
    let base = unhex("8630cc54f6b245ddb73bcce28eb668d8");
    let bytes = |i: usize, b: u8| {
        let mut v = base.clone();
        v[i] = b;
        v
    };
    for (name, b) in [
        ("bytes: canonical", base.clone()),
        ("bytes: version 1", bytes(6, 0x15)),
        ("bytes: variant 0", bytes(8, 0x37)),
        ("bytes: variant 110", bytes(8, 0xC7)),
        ("bytes: version before variant", {
            let mut v = bytes(6, 0xF5);
            v[8] = 0x00;
            v
        }),
    ] {
        out.push(vector("ids", json!({"name": name, "bytes": hex(&b)})));
    }
    out
}

#[test]
fn replay_ids() {
    for v in load("ids.json") {
        let got = match (v["text"].as_str(), v["bytes"].as_str()) {
            (Some(t), None) => oracle::id_result(ChallengeId::parse(t)),
            (None, Some(b)) => {
                oracle::id_result(ChallengeId::from_bytes(unhex(b).try_into().unwrap()))
            }
            _ => panic!("{}: text or bytes", v["name"]),
        };
        assert_eq!(got.unwrap(), v["result"], "{}", v["name"]);
    }
}
