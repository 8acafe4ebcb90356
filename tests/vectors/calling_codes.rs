//! `calling_codes.json`: E.164 number to country calling code (SPEC §9.3).

use super::*;

pub(super) fn calling_code_vectors() -> Vec<Value> {
    let mut out = Vec::new();
    // Every prefix of 1 to 3 digits, as a number of 11 digits: kept when it
    // is itself the assigned code (every assigned code once) or when no
    // code matches (every spare or reserved code). The prefixes a shorter
    // code already decides (1x, 7x, 44x, ...) are left out here.
    for c in 1..=999u32 {
        let digits = c.to_string();
        let number = format!("+{digits}{}", &"5551234567"[..10 - digits.len()]);
        let v = vector("calling_codes", json!({"name": "", "number": number}));
        let (kind, keep) = match v["country_code"].as_u64() {
            Some(x) if x == u64::from(c) => ("assigned", true),
            Some(_) => ("", false),
            None => ("spare or reserved", digits.len() == 3 || c < 10),
        };
        if keep {
            let name = format!("{kind} {}-digit code {c}", digits.len());
            out.push(vector(
                "calling_codes",
                json!({"name": name, "number": number}),
            ));
        }
    }
    for (name, number) in [
        ("NANP: the United States", "+15557788999"),
        ("NANP: the Dominican Republic is 1 too", "+18095551234"),
        ("NANP: Guam is 1, not spare 671", "+16715551234"),
        ("NANP: American Samoa is 1, not spare 684", "+16845551234"),
        ("NANP: the shortest number", "+12"),
        ("NANP: the longest number", "+199999999999999"),
        ("+7: Russia", "+74951234567"),
        ("+7: Kazakhstan", "+77011234567"),
        ("a 2-digit number that is a 2-digit code", "+20"),
        ("a 2-digit number shorter than its 3-digit code", "+21"),
        ("a 2-digit number under 3-digit codes only", "+23"),
        ("a 3-digit number that is a 3-digit code", "+234"),
        ("a 2-digit number under a spare 2-digit prefix", "+28"),
        ("a 2-digit number: 88", "+88"),
        ("a 2-digit number: 99", "+99"),
        ("a 15-digit number", "+998901234567890"),
        ("international freephone", "+80012345678"),
        ("GMSS satellite", "+8816212345678"),
        ("international networks 882", "+882123456"),
        ("international networks 883", "+883123456"),
        ("Palestine 970", "+970591234567"),
        ("Vatican 379", "+3791234567"),
        ("Kosovo 383", "+38344123456"),
        ("OCHA 888, returned to spare", "+8881234567"),
        ("shared cost 808, reserved", "+8081234567"),
        ("maritime 875, reserved", "+8751234567"),
        ("999, reserved", "+9991234567"),
    ] {
        out.push(vector(
            "calling_codes",
            json!({"name": name, "number": number}),
        ));
    }
    out
}

#[test]
fn replay_calling_codes() {
    let mut codes = std::collections::BTreeSet::new();
    for v in load("calling_codes.json") {
        let n: mfa_core::PhoneNumber = v["number"].as_str().unwrap().parse().unwrap();
        assert_eq!(json!(n.country_code()), v["country_code"], "{}", v["name"]);
        codes.extend(n.country_code());
    }
    // Every assigned code appears.
    assert_eq!(codes.len(), 216);
}
