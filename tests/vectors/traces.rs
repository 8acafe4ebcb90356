//! `traces.json`: the state machine, step by step (SPEC §5).

use super::*;

#[derive(Clone)]
pub(super) enum Step {
    Verify(u64, &'static str),
    VerifyRight(u64),
    Cancel(u64),
    Resend(u64, Channel, Option<&'static str>),
    Status(u64),
}

/// The JSON input of one step (what a port reads).
pub(super) fn step_input(step: &Step, right: &str) -> Value {
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

pub(super) fn trace_vectors() -> Vec<Value> {
    use Step::*;
    let t0 = 1_700_000_000u64;
    let to = "+15557788999";
    let a = |n: usize| -> &'static str { Box::leak("a".repeat(n).into_boxed_str()) };
    let (a139, a140, a153, a154, a493, a494) = (a(139), a(140), a(153), a(154), a(493), a(494));
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
            "resend refused: text too long for sms, fine for a call",
            Channel::Call,
            json!({"to": to, "from": "+15554433222"}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, Some(a154)),
                Resend(t0 + 1, Channel::Sms, Some(a153)),
                Resend(t0 + 2, Channel::Call, Some(a154)),
            ],
        ),
        (
            "resend refused: voice text too long",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0, Channel::Call, Some(a494)),
                Resend(t0 + 1, Channel::Call, Some(a493)),
            ],
        ),
        (
            "resend refused: custom sms text without from and too long",
            Channel::Call,
            json!({"to": to}),
            json!({}),
            vec![Resend(t0, Channel::Sms, Some(a154)), Status(t0)],
        ),
        (
            "resend judges the text with the challenge's token length",
            Channel::Sms,
            json!({"to": to, "from": "+15554433222", "token_length": 20}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, Some(a140)),
                Resend(t0, Channel::Sms, Some(a139)),
            ],
        ),
        (
            "resend order: deliveries exhausted before invalid text",
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": 1}),
            vec![Resend(t0, Channel::Sms, Some(a154)), Status(t0)],
        ),
        (
            "resend order: canceled before deliveries exhausted and invalid text",
            Channel::Sms,
            json!({"to": to}),
            json!({"max_deliveries": 1}),
            vec![Cancel(t0), Resend(t0 + 1, Channel::Sms, Some(a154))],
        ),
        (
            "resend order: expiry before deliveries exhausted and invalid text",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({"max_deliveries": 1}),
            vec![
                Resend(t0 + 60, Channel::Sms, Some(a154)),
                Resend(t0 + 1, Channel::Sms, Some(a154)),
            ],
        ),
        (
            "resend keeps the attempts and the window",
            Channel::Sms,
            json!({"to": to, "max_attempts": 2}),
            json!({}),
            vec![
                Verify(t0 + 10, "000000"),
                Resend(t0 + 3500, Channel::Call, None),
                Status(t0 + 3599),
                Status(t0 + 3600),
                VerifyRight(t0 + 3600),
            ],
        ),
        (
            "resend with no message after a custom call message: sms default, no from needed",
            Channel::Call,
            json!({"to": to, "message": "Custom call text:"}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, None),
                Resend(t0, Channel::Call, None),
            ],
        ),
        (
            "resend with no message after a custom sms message",
            Channel::Sms,
            json!({"to": to, "from": "+15554433222", "message": "Here is your code: "}),
            json!({}),
            vec![
                Resend(t0, Channel::Sms, None),
                Resend(
                    t0,
                    Channel::Sms,
                    Some("Your Personal Authorization Code is:"),
                ),
            ],
        ),
        (
            "resend message ending in U+001F gets a separator",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Resend(t0, Channel::Call, Some("Code\u{1F}")),
                Resend(t0, Channel::Call, Some("Code\u{85}")),
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
            "issued at 2^64-11",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Status(u64::MAX),
                Status(u64::MAX - 10 - 3599),
                Status(u64::MAX - 10 - 3600),
                Status(0),
                Verify(u64::MAX, "000000"),
                VerifyRight(u64::MAX - 1),
            ],
        ),
        (
            "issued at 2^64-11, verified 3599 seconds before issue",
            Channel::Call,
            json!({"to": to}),
            json!({}),
            vec![VerifyRight(u64::MAX - 10 - 3599), Status(u64::MAX)],
        ),
        (
            "issued at 2^64-10: 2^64-3610 is exactly valid_for away",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![
                Status(u64::MAX - 3609),
                Status(u64::MAX - 3608),
                Status(u64::MAX),
                VerifyRight(u64::MAX - 3609),
            ],
        ),
        (
            "issued at 2^64-11, clock 3600 behind records expiry",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Cancel(u64::MAX - 3610), Status(u64::MAX - 10)],
        ),
        (
            "issued at 2^64-1 with the longest window",
            Channel::Sms,
            json!({"to": to, "valid_for": 604_800}),
            json!({}),
            vec![
                Status(u64::MAX - 604_799),
                Status(u64::MAX - 604_800),
                Status(0),
                Resend(u64::MAX, Channel::Call, None),
                VerifyRight(u64::MAX - 604_799),
            ],
        ),
        (
            "issued at 100, clock at 0 is inside the window",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Status(0), VerifyRight(0)],
        ),
        (
            "issued at 0, clock at 2^64-1 is expired",
            Channel::Sms,
            json!({"to": to}),
            json!({}),
            vec![Status(3599), Status(u64::MAX), Cancel(u64::MAX), Status(0)],
        ),
        (
            "clock behind by exactly valid_for",
            Channel::Sms,
            json!({"to": to, "valid_for": 60}),
            json!({}),
            vec![Status(t0 - 59), Verify(t0 - 60, "000000"), Status(t0)],
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
    let issued_at_of = |name: &str| {
        if name.starts_with("issued at 2^64-11") {
            u64::MAX - 10
        } else if name.starts_with("issued at 2^64-10:") {
            u64::MAX - 9
        } else if name.starts_with("issued at 2^64-1 ") {
            u64::MAX
        } else if name.starts_with("issued at 100") {
            100
        } else if name.starts_with("issued at 0") {
            0
        } else {
            t0
        }
    };
    traces
        .into_iter()
        .map(|(name, ch, body, host, steps)| {
            let v = req_json(ch, body, host);
            let params = Req::from_json(&v).unwrap();
            let params = params.request();
            let params = params.validate().unwrap();
            let mut stream = vec![0u8; 16 + 60];
            rng.fill_bytes(&mut stream);
            let issued_at = issued_at_of(name);
            // The stream is cut to the bytes issuing consumes; the right
            // token is needed to write the steps that type it.
            let mut br = StreamRng::new(&stream);
            let (c, _) =
                Challenge::issue(&params, &mut br, UnixTime::from_secs(issued_at)).unwrap();
            let right = c.parts().token.expose_secret().to_string();
            let mut m = Map::new();
            m.insert("name".into(), json!(name));
            m.extend(v.as_object().unwrap().clone());
            m.insert("issued_at".into(), json!(issued_at));
            m.insert("rng".into(), json!(hex(&stream[..br.used()])));
            let inputs = steps.iter().map(|s| step_input(s, &right)).collect();
            m.insert("steps".into(), Value::Array(inputs));
            vector("traces", Value::Object(m))
        })
        .collect()
}

#[test]
fn replay_traces() {
    for v in load("traces.json") {
        let r = Req::from_json(&v).unwrap();
        let params = r.request().validate().unwrap();
        let rng = unhex(v["rng"].as_str().unwrap());
        let at = UnixTime::from_secs(v["issued_at"].as_u64().unwrap());
        let (mut c, d) = Challenge::issue(&params, &mut StreamRng::new(&rng), at).unwrap();
        assert_eq!(
            c.parts().token.expose_secret(),
            v["token"].as_str().unwrap()
        );
        assert_eq!(d.text(), v["first_delivery"].as_str().unwrap());
        for step in v["steps"].as_array().unwrap() {
            let outcome = oracle::perform(&mut c, step).unwrap();
            assert_eq!(
                oracle::after(&c, step["at"].as_u64().unwrap(), outcome),
                step["after"],
                "{}: {step}",
                v["name"]
            );
        }
    }
}
