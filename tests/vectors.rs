//! Language-neutral test vectors (`tests/vectors/*.json`).
//!
//! `generate()` builds every vector from the crate itself. The test
//! `vectors_are_current` fails if the committed files differ from what it
//! builds; run with `MFA_WRITE_VECTORS=1` to rewrite them. The `replay_*`
//! tests then read the files as a port would and check the crate against
//! them from their inputs alone.
#![cfg(feature = "serde")]

mod common;
use common::ByteRng;

use mfa_core::sms::segments;
use mfa_core::wire::{HttpResponse, RequestBody};
use mfa_core::{
    Challenge, Channel, Closed, Normalized, Request, ResendError, UnixTime, Verification,
    Violations,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn channel_name(c: Channel) -> &'static str {
    c.name()
}

fn channel_of(v: &Value) -> Channel {
    match v.as_str().unwrap() {
        "sms" => Channel::Sms,
        "call" => Channel::Call,
        other => panic!("channel {other}"),
    }
}

fn violations_json(v: &Violations) -> Value {
    Value::Array(
        v.iter()
            .map(|x| json!({"field": x.field.name(), "code": x.rule.code()}))
            .collect(),
    )
}

fn verification_json(v: &Verification) -> Value {
    match v {
        Verification::Verified => json!({"kind": "verified"}),
        Verification::WrongToken { attempts_left } => {
            json!({"kind": "wrong_token", "attempts_left": attempts_left})
        }
        Verification::Rejected(r) => json!({"kind": "rejected", "reason": r.code()}),
    }
}

/// A request from a vector: `channel`, the wire `body`, and `host`-side
/// settings.
struct Req {
    channel: Channel,
    body: RequestBody,
    max_deliveries: Option<i64>,
    token: Option<String>,
}

impl Req {
    fn from_json(v: &Value) -> Req {
        Req {
            channel: channel_of(&v["channel"]),
            body: serde_json::from_value(v["body"].clone()).unwrap(),
            max_deliveries: v["host"]["max_deliveries"].as_i64(),
            token: v["host"]["token"].as_str().map(String::from),
        }
    }

    fn request(&self) -> Request<'_> {
        Request {
            max_deliveries: self.max_deliveries,
            token: self.token.as_deref(),
            ..self.body.to_request(self.channel)
        }
    }
}

fn req_json(channel: Channel, body: Value, host: Value) -> Value {
    json!({"channel": channel_name(channel), "body": body, "host": host})
}

fn file(schema: &str, description: &str, vectors: Vec<Value>) -> Value {
    json!({"schema": schema, "description": description, "vectors": vectors})
}

// --- tokens -----------------------------------------------------------------

/// Issues `req` from a byte stream; returns (bytes consumed, requests, challenge).
fn issue_from(req: &Request<'_>, stream: &[u8]) -> (Vec<u8>, Vec<usize>, Challenge) {
    let params = req.validate().unwrap();
    let mut r = ByteRng::new(stream);
    let (c, _) = Challenge::issue(&params, &mut r, UnixTime::from_secs(0)).unwrap();
    (stream[..r.used()].to_vec(), r.requests.clone(), c)
}

fn token_vectors() -> Vec<Value> {
    let mut out = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(0x7E57);
    let mut add = |name: String, alphas: bool, len: i64, stream: Vec<u8>| {
        let body = json!({"to": "+15557788999", "token_length": len, "allow_alphas": alphas});
        let r = Req::from_json(&req_json(Channel::Sms, body, json!({})));
        let (used, requests, c) = issue_from(&r.request(), &stream);
        out.push(json!({
            "name": name,
            "alphabet": if alphas { "alphanumeric" } else { "numeric" },
            "token_length": len,
            "rng": hex(&used),
            "requests": requests,
            "id": c.parts().id.to_string(),
            "token": c.parts().token.expose_secret(),
        }));
    };
    for alphas in [false, true] {
        for len in 4..=20i64 {
            for k in 0..2 {
                let mut stream = vec![0u8; 16 + 3 * 20];
                rng.fill_bytes(&mut stream);
                add(format!("random {len} #{k}"), alphas, len, stream);
            }
        }
    }
    // Streams that hit the numeric rejection step (bytes 250..=255).
    let crafted: &[(&str, i64, &[u8])] = &[
        (
            "every reject byte once",
            6,
            &[250, 251, 252, 253, 254, 255, 0, 1, 2, 3, 4, 5],
        ),
        ("boundary bytes 249 and 250", 4, &[249, 250, 9, 10, 19]),
        ("reject in each refill", 4, &[255, 1, 2, 3, 255, 255, 4]),
        ("reject at the end", 5, &[10, 20, 30, 40, 250, 249]),
        ("all 0xff then digits", 4, &[255, 255, 255, 255, 0, 0, 0, 0]),
        (
            "max length with rejects",
            20,
            &[
                250, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 251, 19, 20,
            ],
        ),
    ];
    for &(name, len, bytes) in crafted {
        let mut stream = vec![0x5Au8; 16];
        stream.extend_from_slice(bytes);
        add(name.to_string(), false, len, stream.clone());
    }
    // The alphanumeric alphabet never rejects: high bytes map by `% 32`.
    let mut stream = vec![0xA5u8; 16];
    stream.extend(224u8..=255);
    add("alphanumeric high bytes".into(), true, 20, stream);
    // A host token consumes only the id bytes.
    let body = json!({"to": "+15557788999"});
    let r = Req::from_json(&req_json(Channel::Sms, body, json!({"token": "271828"})));
    let (used, requests, c) = issue_from(&r.request(), &[0x11; 40]);
    out.push(json!({
        "name": "host token: id bytes only",
        "alphabet": "numeric",
        "token_length": 6,
        "host_token": "271828",
        "rng": hex(&used),
        "requests": requests,
        "id": c.parts().id.to_string(),
        "token": c.parts().token.expose_secret(),
    }));
    out
}

// --- parameters -------------------------------------------------------------

fn param_vectors() -> Vec<Value> {
    let to = "+15557788999";
    let mut cases: Vec<(&str, Channel, Value, Value)> = vec![
        ("defaults sms", Channel::Sms, json!({"to": to}), json!({})),
        ("defaults call", Channel::Call, json!({"to": to}), json!({})),
        (
            "the guide's long example",
            Channel::Sms,
            json!({
            "to": to, "from": "+5554433222", "message": "Here is your code: ",
            "allow_alphas": true, "token_length": 8, "valid_for": 7200, "max_attempts": 4}),
            json!({}),
        ),
        ("missing to", Channel::Sms, json!({}), json!({})),
        (
            "custom sms message needs from",
            Channel::Sms,
            json!({"to": to, "message": "Code:"}),
            json!({}),
        ),
        (
            "default sms message spelled out needs no from",
            Channel::Sms,
            json!({"to": to, "message": "Your Personal Authorization Code is:"}),
            json!({}),
        ),
        (
            "call default text on sms is custom",
            Channel::Sms,
            json!({"to": to, "message": "Your Personal Authorization Code is"}),
            json!({}),
        ),
        (
            "custom call message needs no from",
            Channel::Call,
            json!({"to": to, "message": "Code:"}),
            json!({}),
        ),
        (
            "bad from is not also a missing from",
            Channel::Sms,
            json!({"to": to, "from": "555", "message": "Hi"}),
            json!({}),
        ),
        (
            "everything wrong",
            Channel::Sms,
            json!({
            "to": "+1", "from": "+0", "message": "€".repeat(80), "token_length": 3,
            "max_attempts": 0, "valid_for": 604801}),
            json!({"max_deliveries": 0, "token": "12A"}),
        ),
        (
            "host token sets the length",
            Channel::Sms,
            json!({"to": to}),
            json!({"token": "1234"}),
        ),
        (
            "host token length mismatch",
            Channel::Sms,
            json!({"to": to, "token_length": 6}),
            json!({"token": "12345"}),
        ),
        (
            "host token lower case refused",
            Channel::Sms,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "abcd"}),
        ),
        (
            "host token with a confusable letter",
            Channel::Sms,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "ABCI"}),
        ),
        (
            "host token alphanumeric",
            Channel::Call,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "K7P2"}),
        ),
    ];
    for (field, lo, hi) in [
        ("token_length", 4i64, 20i64),
        ("max_attempts", 1, 20),
        ("valid_for", 0, 604_800),
    ] {
        for v in [lo - 1, lo, hi, hi + 1] {
            let name: &'static str = Box::leak(format!("{field} = {v}").into_boxed_str());
            cases.push((name, Channel::Sms, json!({"to": to, field: v}), json!({})));
        }
    }
    for v in [0i64, 1, 20, 21] {
        let name: &'static str = Box::leak(format!("max_deliveries = {v}").into_boxed_str());
        cases.push((
            name,
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": v}),
        ));
    }
    for (n, ok) in [
        ("+12", true),
        ("+123456789012345", true),
        ("+1234567890123456", false),
        ("+1", false),
        ("+0123", false),
        ("1555", false),
        ("+1 555", false),
        ("+١٥٥٥", false),
        ("", false),
    ] {
        let name: &'static str =
            Box::leak(format!("to {n:?} ({})", if ok { "ok" } else { "bad" }).into_boxed_str());
        cases.push((name, Channel::Call, json!({"to": n}), json!({})));
        let name: &'static str = Box::leak(format!("from {n:?}").into_boxed_str());
        cases.push((name, Channel::Call, json!({"to": to, "from": n}), json!({})));
    }
    // Message length boundaries: SMS (GSM 7-bit and UCS-2) and voice.
    let from = "+15554433222";
    for (name, ch, msg, len) in [
        ("sms gsm 160", Channel::Sms, "a".repeat(153), 6),
        ("sms gsm 161", Channel::Sms, "a".repeat(154), 6),
        (
            "sms gsm trailing space 160",
            Channel::Sms,
            format!("{} ", "a".repeat(153)),
            6,
        ),
        (
            "sms gsm extension at 160",
            Channel::Sms,
            format!("{}€", "a".repeat(151)),
            6,
        ),
        (
            "sms gsm extension at 161",
            Channel::Sms,
            format!("{}€", "a".repeat(152)),
            6,
        ),
        (
            "sms gsm 20-char token 160",
            Channel::Sms,
            "a".repeat(139),
            20,
        ),
        ("sms ucs2 70", Channel::Sms, "ж".repeat(63), 6),
        ("sms ucs2 71", Channel::Sms, "ж".repeat(64), 6),
        (
            "sms ucs2 surrogate pair at 70",
            Channel::Sms,
            format!("{}😀", "ж".repeat(61)),
            6,
        ),
        (
            "sms ucs2 surrogate pair at 71",
            Channel::Sms,
            format!("{}😀", "ж".repeat(62)),
            6,
        ),
        (
            "sms ç forces ucs2",
            Channel::Sms,
            format!("{}ç", "a".repeat(63)),
            6,
        ),
        (
            "sms Ç stays gsm",
            Channel::Sms,
            format!("{}Ç", "a".repeat(152)),
            6,
        ),
        ("voice 500", Channel::Call, "a".repeat(482), 6),
        ("voice 501", Channel::Call, "a".repeat(483), 6),
        (
            "voice 20-char token 500",
            Channel::Call,
            "a".repeat(440),
            20,
        ),
        (
            "voice 20-char token 501",
            Channel::Call,
            "a".repeat(441),
            20,
        ),
        (
            "voice counts characters not bytes",
            Channel::Call,
            "€".repeat(482),
            6,
        ),
        (
            "message judged with 4 when token_length is bad",
            Channel::Sms,
            "a".repeat(156),
            99,
        ),
    ] {
        let name: &'static str = Box::leak(name.to_string().into_boxed_str());
        cases.push((
            name,
            ch,
            json!({"to": to, "from": from, "message": msg, "token_length": len}),
            json!({}),
        ));
    }
    cases
        .into_iter()
        .map(|(name, ch, body, host)| {
            let v = req_json(ch, body, host);
            let r = Req::from_json(&v);
            let result = match r.request().validate() {
                Ok(p) => json!({"ok": {
                    "to": p.to().as_str(),
                    "from": p.from().map(|f| f.as_str().to_string()),
                    "message": p.message(),
                    "token_length": p.token_length(),
                    "max_attempts": p.max_attempts(),
                    "allow_alphas": p.alphabet().allows_alphas(),
                    "valid_for": p.valid_for(),
                    "max_deliveries": p.max_deliveries(),
                }}),
                Err(e) => json!({"violations": violations_json(&e)}),
            };
            let mut m = v.as_object().unwrap().clone();
            m.insert("name".into(), json!(name));
            m.insert("result".into(), result);
            Value::Object(m)
        })
        .collect()
}

// --- rendering ---------------------------------------------------------------

fn render_vectors() -> Vec<Value> {
    let from = "+15554433222";
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
            Some("Code [ok] {x} €5 ~ ^ | \\".into()),
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
    cases
        .into_iter()
        .map(|(ch, message, token)| {
            let alphas = token.bytes().any(|b| b.is_ascii_alphabetic());
            let req = Request {
                from: Some(from),
                message: message.as_deref(),
                allow_alphas: Some(alphas),
                token: Some(token),
                ..Request::new(ch, "+15557788999")
            };
            let p = req.validate().unwrap();
            let (_, d) =
                Challenge::issue(&p, &mut ByteRng::new(&[0; 16]), UnixTime::from_secs(0)).unwrap();
            let s = d.segments();
            json!({
                "channel": ch.name(),
                "message": message,
                "token": token,
                "text": d.text(),
                "chars": d.chars(),
                "encoding": s.encoding.name(),
                "units": s.units,
                "parts": s.parts,
            })
        })
        .collect()
}

// --- segments -----------------------------------------------------------------

fn segment_vectors() -> Vec<Value> {
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
        .map(|t| {
            let s = segments(&t);
            json!({"text": t, "encoding": s.encoding.name(), "units": s.units, "parts": s.parts})
        })
        .collect()
}

// --- normalisation ---------------------------------------------------------------

fn normalize_vectors() -> Vec<Value> {
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
        .map(|s| {
            let n = Normalized::new(&s);
            json!({"input": s, "normalized": n.as_ref().map(|n| n.as_str())})
        })
        .collect()
}

// --- state-machine traces ------------------------------------------------------

#[derive(Clone)]
enum Step {
    Verify(u64, &'static str),
    VerifyRight(u64),
    Cancel(u64),
    Resend(u64, Channel, Option<&'static str>),
    Status(u64),
}

fn snapshot(c: &Challenge, at: UnixTime) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("state".into(), json!(c.parts().state.name()));
    m.insert("status".into(), json!(c.state_at(at).name()));
    m.insert("revision".into(), json!(c.revision()));
    m.insert("attempts_used".into(), json!(c.parts().attempts_used));
    m.insert("deliveries".into(), json!(c.parts().deliveries));
    m.insert("channel".into(), json!(c.parts().channel.name()));
    m
}

/// The JSON input of one step (what a port reads).
fn step_input(step: &Step, right: &str) -> Value {
    match step {
        Step::Verify(at, typed) => json!({"op": "verify", "at": at, "token": typed}),
        Step::VerifyRight(at) => json!({"op": "verify", "at": at, "token": right}),
        Step::Cancel(at) => json!({"op": "cancel", "at": at}),
        Step::Resend(at, ch, msg) => {
            json!({"op": "resend", "at": at, "channel": ch.name(), "message": msg})
        }
        Step::Status(at) => json!({"op": "status", "at": at}),
    }
}

/// Runs one step from its JSON input; returns its outcome. The generator
/// and the replay both go through here.
fn perform(c: &mut Challenge, step: &Value) -> Value {
    let now = UnixTime::from_secs(step["at"].as_u64().unwrap());
    match step["op"].as_str().unwrap() {
        "verify" => verification_json(&c.verify(step["token"].as_str().unwrap(), now)),
        "cancel" => match c.cancel(now) {
            Ok(()) => json!({"kind": "canceled"}),
            Err(r) => json!({"kind": "rejected", "reason": r.code()}),
        },
        "resend" => match c.resend(channel_of(&step["channel"]), step["message"].as_str(), now) {
            Ok(d) => json!({"kind": "delivered", "channel": d.channel().name(), "text": d.text()}),
            Err(ResendError::Closed(r)) => json!({"kind": "rejected", "reason": r.code()}),
            Err(ResendError::DeliveriesExhausted { max }) => {
                json!({"kind": "deliveries_exhausted", "max": max})
            }
            Err(ResendError::Invalid(x)) => {
                json!({"kind": "invalid", "violations": violations_json(&x)})
            }
            Err(e) => panic!("{e}"),
        },
        "status" => json!({"kind": "status", "state": c.state_at(now).name()}),
        op => panic!("op {op}"),
    }
}

/// The challenge after a step, with the step's outcome.
fn after(c: &Challenge, step: &Value, outcome: Value) -> Value {
    let mut s = snapshot(c, UnixTime::from_secs(step["at"].as_u64().unwrap()));
    s.insert("outcome".into(), outcome);
    Value::Object(s)
}

fn trace_vectors() -> Vec<Value> {
    use Step::*;
    let t0 = 1_700_000_000u64;
    let to = "+15557788999";
    let traces: Vec<(&str, Channel, Value, Value, Vec<Step>)> = vec![
        (
            "right first time",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![VerifyRight(t0 + 5), VerifyRight(t0 + 6)],
        ),
        (
            "wrong, then right",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Verify(t0, "000000"), VerifyRight(t0 + 1)],
        ),
        (
            "wrong until exhausted",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Verify(t0, "1"),
                Verify(t0, "12.34"),
                Verify(t0, "999999"),
                VerifyRight(t0),
                Status(t0),
            ],
        ),
        (
            "the guide's long example",
            Channel::Sms,
            json!({"to": to, "from": "+5554433222", "message": "Here is your code: ",
            "allow_alphas": true, "token_length": 8, "valid_for": 7200, "max_attempts": 4}),
            json!({}),
            vec![
                Verify(t0 + 10, "AAAAAAAA"),
                Verify(t0 + 20, "aaaa-aaaa"),
                VerifyRight(t0 + 7199),
                VerifyRight(t0 + 7200),
            ],
        ),
        (
            "expired",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({}),
            vec![
                Status(t0 + 59),
                Status(t0 + 60),
                VerifyRight(t0 + 60),
                VerifyRight(t0),
                Status(t0),
            ],
        ),
        (
            "valid_for 0",
            Channel::Call,
            json!({"to": to, "valid_for": 0}),
            json!({}),
            vec![Status(t0), VerifyRight(t0)],
        ),
        (
            "clock goes backwards",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({}),
            vec![Status(t0 - 86400), Verify(0, "000000"), VerifyRight(t0 - 1)],
        ),
        (
            "cancel",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Cancel(t0 + 1),
                VerifyRight(t0 + 2),
                Cancel(t0 + 3),
                Resend(t0 + 4, Channel::Sms, None),
            ],
        ),
        (
            "cancel past the window records expiry",
            Channel::Sms,
            json!({"to": to, "valid_for": 10}),
            json!({}),
            vec![Cancel(t0 + 10), Status(t0)],
        ),
        (
            "resend on voice then sms",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0 + 30, Channel::Call, None),
                Resend(t0 + 60, Channel::Sms, None),
                VerifyRight(t0 + 90),
            ],
        ),
        (
            "resend cap",
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": 2}),
            vec![
                Resend(t0, Channel::Sms, None),
                Resend(t0, Channel::Sms, None),
                VerifyRight(t0),
            ],
        ),
        (
            "resend custom sms text without from",
            Channel::Call,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, Some("Code:")),
                Resend(t0, Channel::Sms, None),
            ],
        ),
        (
            "resend text too long for sms",
            Channel::Call,
            json!({"to": to, "from": "+15554433222"}),
            json!({}),
            vec![
                Resend(
                    t0,
                    Channel::Sms,
                    Some(
                        "This text is long enough for a call but it is far too long to fit in a single SMS segment together with the token that follows it, so it is refused.",
                    ),
                ),
                Resend(
                    t0,
                    Channel::Call,
                    Some(
                        "This text is long enough for a call but it is far too long to fit in a single SMS segment together with the token that follows it, so it is refused.",
                    ),
                ),
            ],
        ),
        (
            "resend after exhaustion",
            Channel::Sms,
            json!({"to": to, "max_attempts": 1}),
            json!({}),
            vec![
                Verify(t0, "0000"),
                Resend(t0, Channel::Call, None),
                Cancel(t0),
            ],
        ),
        (
            "one attempt, right",
            Channel::Call,
            json!({"to": to, "max_attempts": 1}),
            json!({}),
            vec![VerifyRight(t0), Verify(t0, "0000")],
        ),
        (
            "normalised submissions",
            Channel::Sms,
            json!({"to": to, "max_attempts": 5}),
            json!({"token": "0110"}),
            vec![
                Verify(t0, "0111"),
                Verify(t0, "٠١١"),
                VerifyRight(t0),
                Verify(t0, "O1I0"),
            ],
        ),
        (
            "normalised right answer",
            Channel::Sms,
            json!({"to": to}),
            json!({"token": "0110"}),
            vec![Verify(t0, " o-l-I-O ")],
        ),
        (
            "alphanumeric case-insensitive",
            Channel::Sms,
            json!({"to": to, "allow_alphas": true}),
            json!({"token": "K7P2QX"}),
            vec![Verify(t0, "k7p2 qx")],
        ),
        (
            "end of time saturates",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Status(u64::MAX - 1), VerifyRight(u64::MAX - 1)],
        ),
        (
            "twenty attempts",
            Channel::Sms,
            json!({"to": to, "max_attempts": 20}),
            json!({}),
            (0..20).map(|i| Verify(t0 + i, "0000")).collect(),
        ),
    ];
    let mut rng = ChaCha20Rng::seed_from_u64(0x7ACE);
    traces
        .into_iter()
        .map(|(name, ch, body, host, steps)| {
            let v = req_json(ch, body, host);
            let r = Req::from_json(&v);
            let req = r.request();
            let params = req.validate().unwrap();
            let mut stream = vec![0u8; 16 + 60];
            rng.fill_bytes(&mut stream);
            let issued_at = if name == "end of time saturates" {
                u64::MAX - 10
            } else {
                t0
            };
            let mut br = ByteRng::new(&stream);
            let (mut c, d) =
                Challenge::issue(&params, &mut br, UnixTime::from_secs(issued_at)).unwrap();
            let right = c.parts().token.expose_secret().to_string();
            let mut out_steps = Vec::new();
            for step in &steps {
                let mut input = step_input(step, &right);
                let outcome = perform(&mut c, &input);
                let state = after(&c, &input, outcome);
                input.as_object_mut().unwrap().insert("after".into(), state);
                out_steps.push(input);
            }
            let mut m = v.as_object().unwrap().clone();
            m.insert("name".into(), json!(name));
            m.insert("issued_at".into(), json!(issued_at));
            m.insert("rng".into(), json!(hex(&stream[..br.used()])));
            m.insert("id".into(), json!(c.parts().id.to_string()));
            m.insert("token".into(), json!(right));
            m.insert("first_delivery".into(), json!(d.text()));
            m.insert("steps".into(), Value::Array(out_steps));
            Value::Object(m)
        })
        .collect()
}

// --- wire -------------------------------------------------------------------------

fn wire_vectors() -> Vec<Value> {
    let mut out = Vec::new();
    let mut push = |outcome: Value, r: HttpResponse| {
        out.push(json!({"outcome": outcome, "status": r.status, "body": serde_json::to_value(&r.body).unwrap()}));
    };
    for v in [
        Verification::Verified,
        Verification::WrongToken { attempts_left: 2 },
        Verification::WrongToken { attempts_left: 0 },
        Verification::Rejected(Closed::AlreadyVerified),
        Verification::Rejected(Closed::AttemptsExhausted),
        Verification::Rejected(Closed::Expired),
        Verification::Rejected(Closed::Canceled),
    ] {
        push(verification_json(&v), HttpResponse::verification(&v));
    }
    push(json!({"kind": "unknown_id"}), HttpResponse::not_found());
    for ch in [Channel::Sms, Channel::Call] {
        let p = Request::new(ch, "+15557788999").validate().unwrap();
        let (c, _) =
            Challenge::issue(&p, &mut ByteRng::new(&[0xAB; 32]), UnixTime::from_secs(0)).unwrap();
        push(
            json!({"kind": "issued", "id": c.parts().id.to_string(), "to": "+15557788999", "channel": ch.name()}),
            HttpResponse::issued(&c),
        );
    }
    for body in [
        json!({"to": "555"}),
        json!({"to": "+15557788999", "token_length": 3, "max_attempts": 21, "valid_for": -1}),
        json!({"to": "+15557788999", "message": "Code:"}),
        json!({}),
    ] {
        let b: RequestBody = serde_json::from_value(body.clone()).unwrap();
        let v = b.to_request(Channel::Sms).validate().unwrap_err();
        push(
            json!({"kind": "invalid", "channel": "sms", "body": body}),
            HttpResponse::invalid(&v),
        );
    }
    for body in [
        r#"{"to":"+15557788999","colour":"red"}"#,
        r#"{"to":15557788999}"#,
        r#"{"to":"+1","to":"+2"}"#,
    ] {
        let e = serde_json::from_str::<RequestBody>(body).unwrap_err();
        push(
            json!({"kind": "bad_body", "json": body}),
            HttpResponse::bad_body(&e),
        );
    }
    out
}

// --- files ----------------------------------------------------------------------

fn generate() -> Vec<(&'static str, Value)> {
    vec![
        (
            "tokens.json",
            file(
                "mfa-core/tokens/1",
                "RNG byte stream -> challenge id and token",
                token_vectors(),
            ),
        ),
        (
            "params.json",
            file(
                "mfa-core/params/1",
                "request -> resolved parameters or every violation",
                param_vectors(),
            ),
        ),
        (
            "render.json",
            file(
                "mfa-core/render/1",
                "parameters + token -> delivery text and its measures",
                render_vectors(),
            ),
        ),
        (
            "segments.json",
            file(
                "mfa-core/segments/1",
                "text -> SMS encoding, units, parts",
                segment_vectors(),
            ),
        ),
        (
            "normalize.json",
            file(
                "mfa-core/normalize/1",
                "submitted text -> normalised symbols, or null for a wrong token",
                normalize_vectors(),
            ),
        ),
        (
            "traces.json",
            file(
                "mfa-core/traces/1",
                "issue, then calls at given times -> outcome and state after each",
                trace_vectors(),
            ),
        ),
        (
            "wire.json",
            file(
                "mfa-core/wire/1",
                "outcome -> HTTP status and JSON body",
                wire_vectors(),
            ),
        ),
    ]
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap();
    s.push('\n');
    s
}

#[test]
fn vectors_are_current() {
    let write = std::env::var_os("MFA_WRITE_VECTORS").is_some();
    let mut total = 0;
    let mut stale = Vec::new();
    for (name, v) in generate() {
        total += v["vectors"].as_array().unwrap().len();
        let path = format!("{DIR}/{name}");
        let text = pretty(&v);
        if write {
            std::fs::create_dir_all(DIR).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the generator produces: rerun with MFA_WRITE_VECTORS=1 and review the diff"
    );
    assert!(total >= 500, "only {total} vectors");
}

fn load(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}/{name}")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

#[test]
fn replay_tokens() {
    for v in load("tokens.json") {
        let mut body = json!({"to": "+15557788999", "token_length": v["token_length"], "allow_alphas": v["alphabet"] == "alphanumeric"});
        let host = match v["host_token"].as_str() {
            Some(t) => {
                body.as_object_mut().unwrap().remove("token_length");
                json!({"token": t})
            }
            None => json!({}),
        };
        let r = Req::from_json(&req_json(Channel::Sms, body, host));
        let rng = unhex(v["rng"].as_str().unwrap());
        let (used, requests, c) = issue_from(&r.request(), &rng);
        assert_eq!(
            used.len(),
            rng.len(),
            "{}: every byte is consumed",
            v["name"]
        );
        assert_eq!(json!(requests), v["requests"], "{}", v["name"]);
        assert_eq!(c.parts().id.to_string(), v["id"].as_str().unwrap());
        assert_eq!(
            c.parts().token.expose_secret(),
            v["token"].as_str().unwrap()
        );
    }
}

#[test]
fn replay_segments_and_normalisation() {
    for v in load("segments.json") {
        let s = segments(v["text"].as_str().unwrap());
        assert_eq!(json!(s.encoding.name()), v["encoding"]);
        assert_eq!(json!(s.units), v["units"]);
        assert_eq!(json!(s.parts), v["parts"]);
    }
    for v in load("normalize.json") {
        let n = Normalized::new(v["input"].as_str().unwrap());
        assert_eq!(json!(n.as_ref().map(|n| n.as_str())), v["normalized"]);
    }
}

#[test]
fn replay_traces() {
    for v in load("traces.json") {
        let r = Req::from_json(&v);
        let params = r.request().validate().unwrap();
        let rng = unhex(v["rng"].as_str().unwrap());
        let at = UnixTime::from_secs(v["issued_at"].as_u64().unwrap());
        let (mut c, d) = Challenge::issue(&params, &mut ByteRng::new(&rng), at).unwrap();
        assert_eq!(
            c.parts().token.expose_secret(),
            v["token"].as_str().unwrap()
        );
        assert_eq!(d.text(), v["first_delivery"].as_str().unwrap());
        for step in v["steps"].as_array().unwrap() {
            let outcome = perform(&mut c, step);
            assert_eq!(
                after(&c, step, outcome),
                step["after"],
                "{}: {step}",
                v["name"]
            );
        }
    }
}
