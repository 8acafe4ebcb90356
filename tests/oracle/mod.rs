//! The oracle: the per-family logic behind the test vectors, shared by the
//! vector generators (`tests/vectors.rs`, and `tests/vector_templates.rs`
//! for `templates`), the oracle binary
//! (`examples/oracle.rs`) and its fuzz target (`fuzz/fuzz_targets/oracle.rs`).
//!
//! A **request** is a vector of `tests/vectors/<family>.json` without its
//! expected part, plus `"family": "<family>"`; the **answer** is that
//! expected part ([`answer`]). [`merge`] puts a request and its answer back
//! together into the vector, [`split`] takes a vector apart. The generator
//! builds every vector as `merge(request, answer(request))`, so each vector
//! file is a transcript of the oracle.
//!
//! Nothing here panics on request data: a bad request (not JSON, unknown
//! family, a missing or ill-typed field, a request the crate refuses where
//! the family needs it accepted) is an `Err` with a message, which
//! [`answer_line`] writes as `{"error": "<message>"}`.
#![allow(dead_code)]

use mfa_core::sms::segments;
use mfa_core::throttle::{
    Attempt, LimitError, LimitRule, Lockout, LockoutPolicy, SendLog, SendPolicy, Window,
};
use mfa_core::wire::{HttpResponse, RequestBody, VerifyBody};
use mfa_core::{
    Alphabet, Challenge, ChallengeId, Channel, Closed, IdError, Normalized, PhoneError,
    PhoneNumber, Request, ResendError, Rule, UnixTime, Verification, Violations, check_template,
};
use serde_json::{Map, Value, json};

/// Every family, in the order of the vector files.
pub const FAMILIES: [&str; 14] = [
    "tokens",
    "params",
    "render",
    "segments",
    "normalize",
    "traces",
    "wire",
    "bodies",
    "ids",
    "stored",
    "limits",
    "lockout",
    "calling_codes",
    "templates",
];

/// The number every request-building family issues to.
pub const TO: &str = "+15557788999";

pub type Answer = Result<Value, String>;

/// One request line in, one answer line out (without the newline). Never
/// panics; a bad request gets `{"error": "<message>"}`.
pub fn answer_line(line: &str) -> String {
    let out = match serde_json::from_str::<Value>(line) {
        Ok(v) => answer(&v).unwrap_or_else(|e| json!({ "error": e })),
        Err(e) => json!({ "error": format!("not JSON: {e}") }),
    };
    out.to_string()
}

/// One request line as bytes (without its `\n`; a trailing `\r` is
/// dropped) in, one answer line out: a line that is not UTF-8 is a bad
/// request too.
pub fn answer_line_bytes(line: &[u8]) -> String {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    match core::str::from_utf8(line) {
        Ok(text) => answer_line(text),
        Err(e) => json!({ "error": format!("not UTF-8: {e}") }).to_string(),
    }
}

/// Answers every line of `input`, as the oracle binary does: lines end at
/// `\n`, and text after the last `\n` is a line too.
pub fn answer_lines(input: &[u8]) -> Vec<String> {
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.into_iter().map(answer_line_bytes).collect()
}

/// The expected part of the vector `request` stands for.
pub fn answer(request: &Value) -> Answer {
    if !request.is_object() {
        return Err("a request must be a JSON object".into());
    }
    match str_field(request, "family")? {
        "tokens" => tokens(request),
        "params" => params(request),
        "render" => render(request),
        "segments" => segments_answer(request),
        "normalize" => normalize(request),
        "traces" => traces(request),
        "wire" => wire(request),
        "bodies" => bodies(request),
        "ids" => ids(request),
        "stored" => stored(request),
        "limits" => limits(request),
        "lockout" => lockout(request),
        "calling_codes" => calling_codes(request),
        "templates" => templates(request),
        other => Err(format!("unknown family {other:?}")),
    }
}

// --- request fields -----------------------------------------------------------------

fn field<'a>(v: &'a Value, key: &str) -> Result<&'a Value, String> {
    v.get(key).ok_or_else(|| format!("missing field `{key}`"))
}

fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    field(v, key)?
        .as_str()
        .ok_or_else(|| format!("field `{key}`: must be a string"))
}

/// Absent and `null` are `None`.
fn opt_str<'a>(v: &'a Value, key: &str) -> Result<Option<&'a str>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => x
            .as_str()
            .map(Some)
            .ok_or_else(|| format!("field `{key}`: must be a string or null")),
    }
}

fn u64_field(v: &Value, key: &str) -> Result<u64, String> {
    field(v, key)?
        .as_u64()
        .ok_or_else(|| format!("field `{key}`: must be an integer from 0 to 2^64-1"))
}

fn int_field<T: TryFrom<u64>>(v: &Value, key: &str) -> Result<T, String> {
    let n = u64_field(v, key)?;
    T::try_from(n).map_err(|_| {
        format!(
            "field `{key}`: {n} does not fit in {} bits",
            8 * size_of::<T>()
        )
    })
}

fn i64_field(v: &Value, key: &str) -> Result<i64, String> {
    field(v, key)?
        .as_i64()
        .ok_or_else(|| format!("field `{key}`: must be a 64-bit signed integer"))
}

fn array_field<'a>(v: &'a Value, key: &str) -> Result<&'a [Value], String> {
    field(v, key)?
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("field `{key}`: must be an array"))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err("hex: odd length".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("hex: not a hex byte at offset {i}"))
        })
        .collect()
}

pub fn channel_of(v: &Value) -> Result<Channel, String> {
    match v.as_str() {
        Some("sms") => Ok(Channel::Sms),
        Some("call") => Ok(Channel::Call),
        _ => Err("channel: must be \"sms\" or \"call\"".into()),
    }
}

// --- an RNG that serves given bytes --------------------------------------------------

#[path = "../common/stream_rng.rs"]
mod stream_rng;
pub use stream_rng::StreamRng;

// --- shapes shared by several families -------------------------------------------------

fn alphabet_name(a: Alphabet) -> &'static str {
    if a.allows_alphas() {
        "alphanumeric"
    } else {
        "numeric"
    }
}

/// The figures a violation carries (SPEC §2.6, informative; SPEC §2.2 for
/// the E.164 error kind, which a port must identify).
fn rule_data(rule: &Rule) -> Result<Option<Value>, String> {
    Ok(Some(match *rule {
        Rule::Required | Rule::FromRequired => return Ok(None),
        Rule::Range { min, max, given } => json!({"min": min, "max": max, "given": given}),
        Rule::E164(e) => match e {
            PhoneError::MissingPlus => json!({"kind": "missing_plus"}),
            PhoneError::NotADigit { at } => json!({"kind": "not_a_digit", "at": at}),
            PhoneError::TooShort { digits } => json!({"kind": "too_short", "digits": digits}),
            PhoneError::TooLong { digits } => json!({"kind": "too_long", "digits": digits}),
            PhoneError::LeadingZero => json!({"kind": "leading_zero"}),
            other => return Err(format!("E.164 error {other:?} has no vector shape")),
        },
        Rule::SmsSegment {
            encoding,
            units,
            limit,
        } => json!({"encoding": encoding.name(), "units": units, "limit": limit}),
        Rule::VoiceLength { chars, limit } => json!({"chars": chars, "limit": limit}),
        Rule::Template(e) => json!({"kind": e.kind(), "position": e.position()}),
        Rule::TokenAlphabet { position, alphabet } => {
            json!({"position": position, "alphabet": alphabet_name(alphabet)})
        }
        Rule::TokenLengthMismatch {
            token_length,
            given,
        } => json!({"token_length": token_length, "given": given}),
        ref other => return Err(format!("rule {other:?} has no vector shape")),
    }))
}

pub fn violations_json(v: &Violations) -> Result<Value, String> {
    let mut out = Vec::new();
    for x in v.iter() {
        let mut m = Map::new();
        m.insert("field".into(), json!(x.field.name()));
        m.insert("code".into(), json!(x.rule.code()));
        if let Some(d) = rule_data(&x.rule)? {
            m.insert("data".into(), d);
        }
        out.push(Value::Object(m));
    }
    Ok(Value::Array(out))
}

pub fn verification_json(v: &Verification) -> Value {
    match v {
        Verification::Verified => json!({"kind": "verified"}),
        Verification::WrongToken { attempts_left } => {
            json!({"kind": "wrong_token", "attempts_left": attempts_left})
        }
        Verification::Rejected(r) => json!({"kind": "rejected", "reason": r.code()}),
    }
}

/// A request from a vector: `channel`, the wire `body`, and `host`-side
/// settings (`max_deliveries`, `token`).
pub struct Req {
    pub channel: Channel,
    pub body: RequestBody,
    pub max_deliveries: Option<i64>,
    pub token: Option<String>,
}

impl Req {
    pub fn from_json(v: &Value) -> Result<Req, String> {
        let body = serde_json::from_value(field(v, "body")?.clone())
            .map_err(|e| format!("field `body`: {e}"))?;
        let host = v.get("host").unwrap_or(&Value::Null);
        let max_deliveries = match host.get("max_deliveries") {
            None | Some(Value::Null) => None,
            Some(_) => Some(i64_field(host, "max_deliveries")?),
        };
        Ok(Req {
            channel: channel_of(field(v, "channel")?)?,
            body,
            max_deliveries,
            token: opt_str(host, "token")?.map(String::from),
        })
    }

    pub fn request(&self) -> Request<'_> {
        Request {
            max_deliveries: self.max_deliveries,
            token: self.token.as_deref(),
            ..self.body.to_request(self.channel)
        }
    }
}

fn must_validate<'a>(r: &Request<'a>) -> Result<mfa_core::Params<'a>, String> {
    r.validate().map_err(|v| match violations_json(&v) {
        Ok(j) => format!("the request is invalid: {j}"),
        Err(e) => e,
    })
}

// --- tokens ---------------------------------------------------------------------------

/// `{alphabet, token_length, host_token?, rng}` → `{requests, id, token}`.
fn tokens(v: &Value) -> Answer {
    let alphas = match str_field(v, "alphabet")? {
        "numeric" => false,
        "alphanumeric" => true,
        _ => return Err("field `alphabet`: must be \"numeric\" or \"alphanumeric\"".into()),
    };
    let host = opt_str(v, "host_token")?;
    let token_length = match host {
        Some(_) => None,
        None => Some(i64_field(v, "token_length")?),
    };
    let stream = unhex(str_field(v, "rng")?)?;
    let req = Request {
        token_length,
        allow_alphas: Some(alphas),
        token: host,
        ..Request::new(Channel::Sms, TO)
    };
    let params = must_validate(&req)?;
    let mut rng = StreamRng::new(&stream);
    let (c, _) = Challenge::issue(&params, &mut rng, UnixTime::from_secs(0))
        .map_err(|e| format!("rng: {e} (the stream is too short)"))?;
    Ok(json!({
        "requests": rng.requests,
        "id": c.parts().id.to_string(),
        "token": c.parts().token.expose_secret(),
    }))
}

// --- params ---------------------------------------------------------------------------

/// `{channel, body, host}` → `{result}`.
fn params(v: &Value) -> Answer {
    Ok(json!({ "result": params_result(&Req::from_json(v)?)? }))
}

/// The `result` of a params vector.
pub fn params_result(r: &Req) -> Answer {
    Ok(match r.request().validate() {
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
        Err(e) => json!({"violations": violations_json(&e)?}),
    })
}

// --- render ---------------------------------------------------------------------------

/// The `from` every render request uses.
pub const RENDER_FROM: &str = "+15554433222";

/// `{channel, message, token}` → `{text, separator, voice_length, chars,
/// encoding, units, parts}`.
fn render(v: &Value) -> Answer {
    let ch = channel_of(field(v, "channel")?)?;
    let message = opt_str(v, "message")?;
    let token = str_field(v, "token")?;
    let alphas = token.bytes().any(|b| b.is_ascii_alphabetic());
    let req = Request {
        from: Some(RENDER_FROM),
        message,
        allow_alphas: Some(alphas),
        token: Some(token),
        ..Request::new(ch, TO)
    };
    let p = must_validate(&req)?;
    let (_, d) = Challenge::issue(&p, &mut StreamRng::new(&[0; 16]), UnixTime::from_secs(0))
        .map_err(|e| format!("rng: {e}"))?;
    let s = d.segments();
    let m = message.unwrap_or(ch.default_message());
    if check_template(m) != Ok(0) {
        return Err("field `message`: a {code} placeholder belongs to the templates family".into());
    }
    // The literal text (SPEC §4.10): a valid message without a
    // placeholder holds braces only as `{{` and `}}`.
    let literal = m.replace("{{", "{").replace("}}", "}");
    let m = literal.as_str();
    // A valid token is 4 to 20 ASCII symbols.
    let spelled = match ch {
        Channel::Sms => token.chars().count(),
        Channel::Call => 3 * token.len() - 1,
    };
    let separator = d
        .chars()
        .checked_sub(m.chars().count() + spelled)
        .filter(|&s| s <= 1)
        .ok_or("the delivery text is not message, separator, token")?;
    Ok(json!({
        "text": d.text(),
        "separator": separator == 1,
        "voice_length": m.chars().count() + separator + token.len(),
        "chars": d.chars(),
        "encoding": s.encoding.name(),
        "units": s.units,
        "parts": s.parts,
    }))
}

// --- segments, normalize ------------------------------------------------------------------

/// `{text}` → `{encoding, units, parts}`.
fn segments_answer(v: &Value) -> Answer {
    let s = segments(str_field(v, "text")?);
    Ok(json!({"encoding": s.encoding.name(), "units": s.units, "parts": s.parts}))
}

/// `{input}` → `{normalized}`.
fn normalize(v: &Value) -> Answer {
    let n = Normalized::new(str_field(v, "input")?);
    Ok(json!({"normalized": n.as_ref().map(|n| n.as_str())}))
}

// --- traces -----------------------------------------------------------------------------

fn snapshot(c: &Challenge, at: UnixTime) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("state".into(), json!(c.parts().state.name()));
    m.insert("status".into(), json!(c.state_at(at).name()));
    m.insert("revision".into(), json!(c.revision()));
    m.insert("attempts_used".into(), json!(c.parts().attempts_used));
    m.insert("deliveries".into(), json!(c.parts().deliveries));
    m.insert("channel".into(), json!(c.parts().channel.name()));
    m.insert("issued_at".into(), json!(c.parts().issued_at.as_secs()));
    m
}

/// Runs one trace step from its JSON input; returns its outcome.
pub fn perform(c: &mut Challenge, step: &Value) -> Answer {
    let now = UnixTime::from_secs(u64_field(step, "at")?);
    Ok(match str_field(step, "op")? {
        "verify" => verification_json(&c.verify(str_field(step, "token")?, now)),
        "cancel" => match c.cancel(now) {
            Ok(()) => json!({"kind": "canceled"}),
            Err(r) => json!({"kind": "rejected", "reason": r.code()}),
        },
        "resend" => {
            let ch = channel_of(field(step, "channel")?)?;
            match c.resend(ch, opt_str(step, "message")?, now) {
                Ok(d) => {
                    json!({"kind": "delivered", "channel": d.channel().name(), "text": d.text()})
                }
                Err(ResendError::Closed(r)) => json!({"kind": "rejected", "reason": r.code()}),
                Err(ResendError::DeliveriesExhausted { max }) => {
                    json!({"kind": "deliveries_exhausted", "max": max})
                }
                Err(ResendError::Invalid(x)) => {
                    json!({"kind": "invalid", "violations": violations_json(&x)?})
                }
                Err(e) => return Err(format!("resend: {e}")),
            }
        }
        "status" => json!({"kind": "status", "state": c.state_at(now).name()}),
        op => return Err(format!("unknown op {op:?}")),
    })
}

/// The challenge after a step at `at`, with the step's outcome.
pub fn after(c: &Challenge, at: u64, outcome: Value) -> Value {
    let mut s = snapshot(c, UnixTime::from_secs(at));
    s.insert("outcome".into(), outcome);
    Value::Object(s)
}

/// `{channel, body, host, issued_at, rng, steps: [{op, at, ...}]}` →
/// `{id, token, first_delivery, steps: [{after}]}`.
fn traces(v: &Value) -> Answer {
    let r = Req::from_json(v)?;
    let req = r.request();
    let params = must_validate(&req)?;
    let stream = unhex(str_field(v, "rng")?)?;
    let at = UnixTime::from_secs(u64_field(v, "issued_at")?);
    let (mut c, d) = Challenge::issue(&params, &mut StreamRng::new(&stream), at)
        .map_err(|e| format!("rng: {e} (the stream is too short)"))?;
    let mut steps = Vec::new();
    for step in array_field(v, "steps")? {
        let outcome = perform(&mut c, step)?;
        steps.push(json!({"after": after(&c, u64_field(step, "at")?, outcome)}));
    }
    Ok(json!({
        "id": c.parts().id.to_string(),
        "token": c.parts().token.expose_secret(),
        "first_delivery": d.text(),
        "steps": steps,
    }))
}

// --- wire -------------------------------------------------------------------------------

fn closed_of(code: &str) -> Result<Closed, String> {
    [
        Closed::AlreadyVerified,
        Closed::AttemptsExhausted,
        Closed::Expired,
        Closed::Canceled,
    ]
    .into_iter()
    .find(|c| c.code() == code)
    .ok_or_else(|| format!("unknown reason {code:?}"))
}

/// `{outcome}` → `{status, body}`.
fn wire(v: &Value) -> Answer {
    let o = field(v, "outcome")?;
    let r = match str_field(o, "kind")? {
        "verified" => HttpResponse::verification(&Verification::Verified),
        "wrong_token" => HttpResponse::verification(&Verification::WrongToken {
            attempts_left: int_field(o, "attempts_left")?,
        }),
        "rejected" => {
            HttpResponse::verification(&Verification::Rejected(closed_of(str_field(o, "reason")?)?))
        }
        "unknown_id" => HttpResponse::not_found(),
        "issued" | "resent" => {
            // Issue to `to` on `channel` from an RNG that serves the id's
            // own 16 bytes (already of version 4, variant 10) and a host
            // token, so the challenge has exactly that id. A resend that
            // delivered is answered like an issue, with the resend's
            // channel (now the challenge's).
            let id =
                ChallengeId::parse(str_field(o, "id")?).map_err(|e| format!("field `id`: {e}"))?;
            let ch = channel_of(field(o, "channel")?)?;
            let req = Request {
                token: Some("000000"),
                ..Request::new(ch, str_field(o, "to")?)
            };
            let p = must_validate(&req)?;
            let (c, _) = Challenge::issue(
                &p,
                &mut StreamRng::new(id.as_bytes()),
                UnixTime::from_secs(0),
            )
            .map_err(|e| format!("rng: {e}"))?;
            if str_field(o, "kind")? == "resent" {
                HttpResponse::resent(&c)
            } else {
                HttpResponse::issued(&c)
            }
        }
        "resend_rejected" => {
            HttpResponse::resend_refused(&ResendError::Closed(closed_of(str_field(o, "reason")?)?))
        }
        "deliveries_exhausted" => HttpResponse::resend_refused(&ResendError::DeliveriesExhausted {
            max: int_field(o, "max")?,
        }),
        "resend_invalid" => {
            // A challenge issued by SMS without `from`, resent on
            // `channel` with `message`.
            let p = must_validate(&Request::new(Channel::Sms, TO))?;
            let (mut c, _) =
                Challenge::issue(&p, &mut StreamRng::new(&[0xAB; 32]), UnixTime::from_secs(0))
                    .map_err(|e| format!("rng: {e}"))?;
            let ch = channel_of(field(o, "channel")?)?;
            match c.resend(ch, opt_str(o, "message")?, UnixTime::from_secs(0)) {
                Err(e @ ResendError::Invalid(_)) => HttpResponse::resend_refused(&e),
                _ => return Err("the resend is not refused as invalid".into()),
            }
        }
        "canceled" => HttpResponse::cancel(&Ok(())),
        "cancel_rejected" => HttpResponse::cancel(&Err(closed_of(str_field(o, "reason")?)?)),
        "invalid" => {
            let ch = channel_of(field(o, "channel")?)?;
            let b: RequestBody = serde_json::from_value(field(o, "body")?.clone())
                .map_err(|e| format!("field `body`: {e}"))?;
            match b.to_request(ch).validate() {
                Ok(_) => return Err("the body is valid: no invalid answer".into()),
                Err(violations) => HttpResponse::invalid(&violations),
            }
        }
        "bad_body" => match serde_json::from_str::<RequestBody>(str_field(o, "json")?) {
            Ok(_) => return Err("the body reads: no bad-body answer".into()),
            Err(e) => HttpResponse::bad_body(&e),
        },
        other => return Err(format!("unknown outcome kind {other:?}")),
    };
    let body = serde_json::to_value(&r.body).map_err(|e| e.to_string())?;
    // The exact bytes (SPEC §7.5), for answers without a `detail`, whose
    // wording is free.
    if body.get("errors").is_some() {
        return Ok(json!({"status": r.status, "body": body}));
    }
    let text = serde_json::to_string(&r.body).map_err(|e| e.to_string())?;
    Ok(json!({"status": r.status, "body": body, "text": text}))
}

// --- bodies -------------------------------------------------------------------------------

/// Parses a body as the crate does: `Ok(parsed fields)` or `Err(the 422)`.
pub fn parse_body(endpoint: &str, text: &str) -> Result<Result<Value, HttpResponse>, String> {
    Ok(match endpoint {
        "request" => match serde_json::from_str::<RequestBody>(text) {
            Ok(b) => Ok(serde_json::to_value(&b).map_err(|e| e.to_string())?),
            Err(e) => Err(HttpResponse::bad_body(&e)),
        },
        "verify" => serde_json::from_str::<VerifyBody>(text)
            .map(|b| json!({"token": b.token}))
            .map_err(|e| HttpResponse::bad_body(&e)),
        other => return Err(format!("unknown endpoint {other:?}")),
    })
}

/// The one error entry of a 422.
pub fn entry(r: &HttpResponse) -> Answer {
    let body = serde_json::to_value(&r.body).map_err(|e| e.to_string())?;
    match body
        .get("errors")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([e]) => Ok(e.clone()),
        _ => Err("a bad body has exactly one error entry".into()),
    }
}

/// `{endpoint, json}` → `{result}`.
///
/// What a refused body's `detail` must and must not hold
/// (`detail_names`, `detail_must_not_contain`, SPEC §7.8) is the vector's
/// claim, not something the crate reports: the request carries it in
/// `result.bad_body`, the oracle checks its own detail against it and
/// echoes it (`null` and `[]` when not given).
fn bodies(v: &Value) -> Answer {
    let claim = v.pointer("/result/bad_body");
    let names = match claim.and_then(|c| c.get("detail_names")) {
        None | Some(Value::Null) => None,
        Some(n) => Some(
            n.as_str()
                .ok_or("`detail_names`: must be a string or null")?,
        ),
    };
    let must_not = match claim.and_then(|c| c.get("detail_must_not_contain")) {
        None => Vec::new(),
        Some(list) => list
            .as_array()
            .and_then(|l| l.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or("`detail_must_not_contain`: must be an array of strings")?,
    };
    let result = match parse_body(str_field(v, "endpoint")?, str_field(v, "json")?)? {
        Ok(parsed) => {
            if claim.is_some() {
                return Err("the body reads, but the request expects a bad body".into());
            }
            json!({"ok": parsed})
        }
        Err(r) => {
            let e = entry(&r)?;
            let detail = e["detail"].as_str().unwrap_or_default();
            if let Some(n) = names.filter(|n| !detail.contains(n)) {
                return Err(format!("the detail does not name {n:?}"));
            }
            if let Some(s) = must_not.iter().find(|s| detail.contains(*s)) {
                return Err(format!("the detail contains {s:?}"));
            }
            let mut m = Map::new();
            m.insert("status".into(), json!(r.status));
            m.insert("title".into(), e["title"].clone());
            m.insert("code".into(), e["code"].clone());
            m.insert("detail_names".into(), json!(names));
            m.insert("detail_must_not_contain".into(), json!(must_not));
            json!({"bad_body": m})
        }
    };
    Ok(json!({ "result": result }))
}

// --- ids ------------------------------------------------------------------------------------

fn id_error_json(e: IdError) -> Answer {
    Ok(match e {
        IdError::Length { given } => json!({"kind": "length", "given": given}),
        IdError::Hyphen { at } => json!({"kind": "hyphen", "at": at}),
        IdError::NotHex { at } => json!({"kind": "not_hex", "at": at}),
        IdError::Version => json!({"kind": "version"}),
        IdError::Variant => json!({"kind": "variant"}),
        other => return Err(format!("id error {other:?} has no vector shape")),
    })
}

pub fn id_result(r: Result<ChallengeId, IdError>) -> Answer {
    Ok(match r {
        Ok(id) => json!({"ok": {"canonical": id.to_string(), "bytes": hex(id.as_bytes())}}),
        Err(e) => json!({"error": id_error_json(e)?}),
    })
}

/// `{text}` or `{bytes}` → `{result}`.
fn ids(v: &Value) -> Answer {
    let result = match (opt_str(v, "text")?, opt_str(v, "bytes")?) {
        (Some(t), None) => id_result(ChallengeId::parse(t))?,
        (None, Some(b)) => {
            let arr: [u8; 16] = unhex(b)?
                .try_into()
                .map_err(|_| "field `bytes`: must be 16 bytes")?;
            id_result(ChallengeId::from_bytes(arr))?
        }
        _ => return Err("give exactly one of `text` and `bytes`".into()),
    };
    Ok(json!({ "result": result }))
}

// --- stored ----------------------------------------------------------------------------------

/// `{json}` → `{result}`: `{"ok": {"written"}}` or `{"refused": {"field",
/// "rule"}}`. Which rule a refused record breaks is the vector's claim
/// (`result.refused` in the request), not something the crate reports:
/// the oracle checks that the record is refused and echoes the claim
/// (`null`s when not given). That a read error never holds the token is
/// checked by the `replay_stored` test, not here.
fn stored(v: &Value) -> Answer {
    let text = str_field(v, "json")?;
    let claim = v.pointer("/result/refused");
    let result = match serde_json::from_str::<Challenge>(text) {
        Ok(c) => {
            if claim.is_some() {
                return Err("the record reads, but the request expects it refused".into());
            }
            let written = serde_json::to_string(&c).map_err(|e| e.to_string())?;
            json!({"ok": {"written": written}})
        }
        Err(_) => {
            let (f, r) = match claim {
                None => (Value::Null, Value::Null),
                Some(c) => (field(c, "field")?.clone(), field(c, "rule")?.clone()),
            };
            json!({"refused": {"field": f, "rule": r}})
        }
    };
    Ok(json!({ "result": result }))
}

// --- limits ------------------------------------------------------------------------------------

/// A policy error: `{field, rule, data}`.
pub fn limit_error_json(e: &LimitError) -> Answer {
    let data = match e.rule {
        LimitRule::Range { min, max, given } => json!({"min": min, "max": max, "given": given}),
        LimitRule::AtLeast {
            other,
            bound,
            given,
        }
        | LimitRule::AtMost {
            other,
            bound,
            given,
        } => json!({"other": other.name(), "bound": bound, "given": given}),
        LimitRule::Unordered { index } => json!({ "index": index }),
        LimitRule::Span { max, given } => json!({"max": max, "given": given}),
        other => return Err(format!("limit rule {other:?} has no vector shape")),
    };
    Ok(json!({"field": e.field.name(), "rule": e.rule.code(), "data": data}))
}

/// The send policy of a request, or the answer that it is invalid.
fn send_policy(v: &Value) -> Result<Result<SendPolicy, Value>, String> {
    let p = field(v, "policy")?;
    let mut windows = Vec::new();
    for w in array_field(p, "windows")? {
        match Window::try_new(u64_field(w, "max")?, u64_field(w, "interval_secs")?) {
            Ok(w) => windows.push(w),
            Err(e) => return Ok(Err(limit_error_json(&e)?)),
        }
    }
    Ok(match SendPolicy::new(&windows) {
        Ok(p) => Ok(p),
        Err(e) => Err(limit_error_json(&e)?),
    })
}

/// `{policy: {windows: [{max, interval_secs}]}, steps: [{op: "send" |
/// "check", at}]}` → `{steps: [{after: {decision, retry_after?,
/// revision, events}}]}`, or `{invalid_policy}`.
fn limits(v: &Value) -> Answer {
    let policy = match send_policy(v)? {
        Ok(p) => p,
        Err(e) => return Ok(json!({ "invalid_policy": e })),
    };
    let mut log = SendLog::new();
    let mut steps = Vec::new();
    for step in array_field(v, "steps")? {
        let now = UnixTime::from_secs(u64_field(step, "at")?);
        let decision = match str_field(step, "op")? {
            "send" => log.try_send(&policy, now),
            "check" => log.check(&policy, now),
            op => return Err(format!("unknown op {op:?}")),
        };
        // The log's stored form after the step: its kept times (SPEC §9.1).
        let events: Vec<u64> = log.events().map(UnixTime::as_secs).collect();
        let after = match decision {
            Ok(()) => json!({"decision": "allowed", "revision": log.revision(), "events": events}),
            Err(r) => json!({
                "decision": "refused",
                "retry_after": r.secs(),
                "revision": log.revision(),
                "events": events,
            }),
        };
        steps.push(json!({ "after": after }));
    }
    Ok(json!({ "steps": steps }))
}

// --- lockout -----------------------------------------------------------------------------------

/// `{policy: {free_failures, base_delay_secs, max_delay_secs, hard_limit},
/// steps: [{op: "try" | "check", at} | {op: "success" | "reset"}]}` →
/// `{steps: [{after: {answer?, secs?, failures, revision}}]}`, or
/// `{invalid_policy}`.
fn lockout(v: &Value) -> Answer {
    let p = field(v, "policy")?;
    let policy = match LockoutPolicy::try_new(
        u64_field(p, "free_failures")?,
        u64_field(p, "base_delay_secs")?,
        u64_field(p, "max_delay_secs")?,
        u64_field(p, "hard_limit")?,
    ) {
        Ok(p) => p,
        Err(e) => return Ok(json!({ "invalid_policy": limit_error_json(&e)? })),
    };
    let mut state = Lockout::new();
    let mut steps = Vec::new();
    for step in array_field(v, "steps")? {
        let attempt = match str_field(step, "op")? {
            "try" => Some(state.try_verify(&policy, UnixTime::from_secs(u64_field(step, "at")?))),
            "check" => Some(state.check(&policy, UnixTime::from_secs(u64_field(step, "at")?))),
            "success" | "reset" => {
                state.reset();
                None
            }
            op => return Err(format!("unknown op {op:?}")),
        };
        let mut m = Map::new();
        match attempt {
            None => {}
            Some(Attempt::Allowed) => {
                m.insert("answer".into(), json!("allowed"));
            }
            Some(Attempt::Wait { secs }) => {
                m.insert("answer".into(), json!("wait"));
                m.insert("secs".into(), json!(secs));
            }
            Some(Attempt::Locked) => {
                m.insert("answer".into(), json!("locked"));
            }
        }
        m.insert("failures".into(), json!(state.failures()));
        m.insert("revision".into(), json!(state.revision()));
        steps.push(json!({ "after": m }));
    }
    Ok(json!({ "steps": steps }))
}

// --- calling codes -----------------------------------------------------------------------------

/// `{number}` → `{country_code}` (`null` for a spare or reserved code).
fn calling_codes(v: &Value) -> Answer {
    let n = PhoneNumber::parse(str_field(v, "number")?)
        .map_err(|e| format!("field `number`: not E.164: {e}"))?;
    Ok(json!({ "country_code": n.country_code() }))
}

// --- templates ------------------------------------------------------------------------------

/// `{channel, body, host}` → `{result}`: `{"ok": {placeholders, text,
/// voice_length, chars, encoding, units, parts}}` for a valid request
/// (which must give `host.token`, so that the text is fixed), else
/// `{"violations": [...]}` as in params.
fn templates(v: &Value) -> Answer {
    let r = Req::from_json(v)?;
    let req = r.request();
    let p = match req.validate() {
        Ok(p) => p,
        Err(e) => return Ok(json!({"result": {"violations": violations_json(&e)?}})),
    };
    let token = r
        .token
        .as_deref()
        .ok_or("a valid templates request gives `host.token`, so that the text is fixed")?;
    let (_, d) = Challenge::issue(&p, &mut StreamRng::new(&[0; 16]), UnixTime::from_secs(0))
        .map_err(|e| format!("rng: {e}"))?;
    let m = p.message();
    let k = check_template(m).map_err(|e| format!("a valid message with a template error: {e}"))?;
    let s = d.segments();
    // The voice length (SPEC §4.5, §4.10) counts the token as written, so
    // on a call the spelled form's extra characters come off: each symbol
    // after the first adds ", " and the token ends in "." when it ends the
    // text (without a placeholder, or with one at the end).
    let l = token.len();
    let spelled_extra = match (d.channel(), k) {
        (Channel::Sms, _) => 0,
        (Channel::Call, 0) => 2 * l - 1,
        (Channel::Call, k) => k * (2 * l - 2) + usize::from(m.ends_with("{code}")),
    };
    Ok(json!({"result": {"ok": {
        "placeholders": k,
        "text": d.text(),
        "voice_length": d.chars() - spelled_extra,
        "chars": d.chars(),
        "encoding": s.encoding.name(),
        "units": s.units,
        "parts": s.parts,
    }}}))
}

// --- vectors = request + answer ------------------------------------------------------------

/// The vector of a request (without `family`) and its answer: the
/// request's keys the answer lacks, in order, then the answer's keys in
/// order; a key in both is merged the same way (objects key by key, arrays
/// element by element), and elsewhere the answer wins.
pub fn merge(request: &Value, answer: &Value) -> Value {
    match (request, answer) {
        (Value::Object(r), Value::Object(a)) => {
            let mut m = Map::new();
            for (k, x) in r {
                if k != "family" && !a.contains_key(k) {
                    m.insert(k.clone(), x.clone());
                }
            }
            for (k, x) in a {
                let merged = match r.get(k) {
                    Some(rx) => merge(rx, x),
                    None => x.clone(),
                };
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (Value::Array(r), Value::Array(a)) if r.len() == a.len() => {
            Value::Array(r.iter().zip(a).map(|(rx, ax)| merge(rx, ax)).collect())
        }
        _ => answer.clone(),
    }
}

/// `v` without the keys in `drop`.
fn without(v: &Value, drop: &[&str]) -> Map<String, Value> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, x)| (k.clone(), x.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Each step of `steps` without `after`.
fn steps_without_after(v: &Value) -> Value {
    Value::Array(
        v.get("steps")
            .and_then(Value::as_array)
            .map(|s| {
                s.iter()
                    .map(|x| Value::Object(without(x, &["after"])))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The request a vector of `family` stands for: `family`, then the
/// vector's input keys.
pub fn split(family: &str, vector: &Value) -> Value {
    let expected: &[&str] = match family {
        "tokens" => &["requests", "id", "token"],
        "params" | "bodies" | "ids" | "stored" => &["result"],
        "render" => &[
            "text",
            "separator",
            "voice_length",
            "chars",
            "encoding",
            "units",
            "parts",
        ],
        "segments" => &["encoding", "units", "parts"],
        "normalize" => &["normalized"],
        "traces" => &["id", "token", "first_delivery"],
        "wire" => &["status", "body", "text"],
        "limits" | "lockout" => &["invalid_policy"],
        "calling_codes" => &["country_code"],
        "templates" => &["result"],
        _ => &[],
    };
    let mut m = Map::new();
    m.insert("family".into(), json!(family));
    m.extend(without(vector, expected));
    if matches!(family, "traces" | "limits" | "lockout") {
        m.insert("steps".into(), steps_without_after(vector));
    }
    // The claims the crate does not decide stay in the request.
    if family == "bodies" {
        if let Some(bad) = vector.pointer("/result/bad_body") {
            let keep = ["detail_names", "detail_must_not_contain"];
            let claim: Map<String, Value> = without(bad, &[])
                .into_iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .collect();
            m.insert("result".into(), json!({ "bad_body": claim }));
        }
    }
    if family == "stored" {
        if let Some(claim) = vector.pointer("/result/refused") {
            m.insert("result".into(), json!({ "refused": claim }));
        }
    }
    m.into()
}
