//! `render.json`: delivery text, separator and voice length (SPEC §4.1-§4.5).

use super::*;

pub(super) fn render_vectors() -> Vec<Value> {
    let cases: Vec<(Channel, Option<String>, &str)> = vec![
        (Channel::Sms, None, "123456"),
        (Channel::Call, None, "123456"),
        (Channel::Sms, Some("Here is your code: ".into()), "K7P2QX9A"),
        (
            Channel::Call,
            Some("Here is your code: ".into()),
            "K7P2QX9A",
        ),
        (Channel::Sms, Some("".into()), "0000"),
        (Channel::Call, Some("".into()), "0000"),
        (Channel::Sms, Some("Code:\n".into()), "4321"),
        (Channel::Sms, Some("Code:\t".into()), "4321"),
        (Channel::Call, Some("Code\u{3000}".into()), "4321"),
        (Channel::Sms, Some("Code\u{A0}".into()), "4321"),
        (Channel::Sms, Some("Ihr Code für München:".into()), "98765"),
        (Channel::Sms, Some("Votre code est ç".into()), "98765"),
        (Channel::Sms, Some("Код подтверждения:".into()), "55555"),
        (Channel::Sms, Some("確認コード".into()), "246810"),
        (
            Channel::Sms,
            Some("Code [ok] {{x}} €5 ~ ^ | \\".into()),
            "13579",
        ),
        (Channel::Sms, Some("Code 😀".into()), "13579"),
        (
            Channel::Call,
            Some("Your code, spelled:".into()),
            "ABCDEFGHJKMNPQRSTVWX",
        ),
        (Channel::Sms, Some("x".repeat(139)), "12345678901234567890"),
        (Channel::Call, Some("y".repeat(440)), "12345678901234567890"),
        (Channel::Sms, Some("ж".repeat(63)), "123456"),
    ];
    // "Ends in white space" is the Unicode White_Space property exactly
    // (SPEC §4.2): U+001C..U+001F, U+180E, U+200B and U+FEFF are not in it,
    // whatever a runtime's `isspace` says; U+0085, U+00A0, U+3000 are.
    let mut cases = cases;
    for c in [
        '\u{9}', '\u{A}', '\u{B}', '\u{C}', '\u{D}', '\u{1C}', '\u{1D}', '\u{1E}', '\u{1F}', ' ',
        '\u{85}', '\u{A0}', '\u{1680}', '\u{180E}', '\u{2000}', '\u{2007}', '\u{200A}', '\u{200B}',
        '\u{2028}', '\u{2029}', '\u{202F}', '\u{205F}', '\u{3000}', '\u{FEFF}',
    ] {
        cases.push((Channel::Sms, Some(format!("Code{c}")), "4321"));
    }
    for c in ['\u{1F}', '\u{85}', '\u{A0}', '\u{FEFF}'] {
        cases.push((Channel::Call, Some(format!("Code{c}")), "4321"));
    }
    let mut seen = Vec::new();
    cases.retain(|c| {
        let new = !seen.contains(c);
        seen.push(c.clone());
        new
    });
    cases
        .into_iter()
        .map(|(ch, message, token)| {
            let name = match message.as_deref() {
                None => format!("{}: default message", ch.name()),
                Some(m) => match m.chars().last() {
                    Some(c)
                        if c.is_whitespace()
                            || c.is_control()
                            || matches!(c, '\u{180E}' | '\u{200B}' | '\u{FEFF}') =>
                    {
                        let kind = if c.is_whitespace() {
                            "white space, no separator"
                        } else {
                            "not white space, separator"
                        };
                        format!(
                            "{}: message {m:?} ends in U+{:04X} ({kind})",
                            ch.name(),
                            c as u32
                        )
                    }
                    _ if m.chars().count() <= 30 => format!("{}: message {m:?}", ch.name()),
                    _ => format!("{}: message of {} chars", ch.name(), m.chars().count()),
                },
            };
            vector(
                "render",
                json!({"name": name, "channel": ch.name(), "message": message, "token": token}),
            )
        })
        .collect()
}
