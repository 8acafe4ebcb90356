//! The JavaScript face of `mfa-core` (wasm-bindgen).
//!
//! Everything that names the core is in `core` (the shared
//! `bindings/core.rs`); this file only turns its plain values into JS
//! values and back. The error classes live in `js/errors.js`, copied next
//! to the generated glue, which imports them (`raw_module`).
//!
//! Numbers: the core's 64-bit values (times, revisions, waits) come out
//! as `number` when they are at most `Number.MAX_SAFE_INTEGER`, else as
//! `bigint`; every time argument takes either.
#![forbid(unsafe_code)]

#[path = "../../core.rs"]
mod core;

use js_sys::{Array, BigInt, Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::core::{
    AttemptData, BadBody, CancelOutcome, ChallengeBox, Channel, Datum, DeliveryData, IssueError,
    LockoutBox, LockoutPolicyBox, ParamsData, Problem, RequestData, ResendOutcome, Response,
    RngSource, SendDecision as SendDecisionData, SendLogBox, SendPolicyBox, Step, VerifyOutcome,
};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** A 64-bit value: a number up to Number.MAX_SAFE_INTEGER, else a bigint. */
export type Int = number | bigint;
/** Unix seconds; omitted: now (Date.now()). */
export type Time = number | bigint;
export type ChannelName = "sms" | "call";
export type StateName = "pending" | "verified" | "exhausted" | "expired" | "canceled";
export type Reason = "already_verified" | "attempts_exhausted" | "expired" | "canceled";
/** Where issuing gets its bytes: omitted, crypto.getRandomValues; for
 * tests, a Uint8Array served in order, or a function (n) => n bytes. */
export type RngSource = Uint8Array | ((n: number) => Uint8Array);
/** The guide's request fields and the host-side ones (SPEC §2). */
export interface RequestInit {
  to?: string;
  channel?: ChannelName;
  from?: string;
  message?: string;
  tokenLength?: Int;
  maxAttempts?: Int;
  allowAlphas?: boolean;
  validFor?: Int;
  /** Host-side: deliveries, 1-20. */
  maxDeliveries?: Int;
  /** Host-side: a code the host chose. */
  token?: string;
}
export interface IssueOptions { now?: Time; rng?: RngSource }
export interface ResendOptions { channel?: ChannelName; message?: string; now?: Time }
export interface HostSettings { maxDeliveries?: Int; token?: string }
/** One broken rule (of a request, a policy, an id or a number). */
export interface Problem {
  field: string;
  rule: string;
  data: Record<string, Int | string>;
  message: string;
}
export interface Issued { challenge: Challenge; delivery: Delivery }
export interface Window { max: number; intervalSecs: number }
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "Int")]
    pub type Int;
    #[wasm_bindgen(typescript_type = "Problem[]")]
    pub type ProblemList;
    #[wasm_bindgen(typescript_type = "Issued")]
    pub type Issued;
    #[wasm_bindgen(typescript_type = "Window[]")]
    pub type WindowList;
    #[wasm_bindgen(typescript_type = "Int[]")]
    pub type IntList;
    #[wasm_bindgen(typescript_type = "Record<string, string>")]
    pub type Headers;
}

#[wasm_bindgen(raw_module = "./errors.js")]
extern "C" {
    /// Builds an instance of one of the package's error classes.
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(class: &str, message: &str, props: &JsValue) -> JsValue;
}

// --- helpers -------------------------------------------------------------------------

const MAX_SAFE: u64 = (1 << 53) - 1;

fn int_value(n: i128) -> JsValue {
    if n.unsigned_abs() <= u128::from(MAX_SAFE) {
        JsValue::from_f64(n as f64)
    } else {
        // Outside every f64-exact range: through the decimal text.
        BigInt::new(&JsValue::from_str(&n.to_string()))
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL)
    }
}

fn int(n: u64) -> Int {
    int_value(i128::from(n)).unchecked_into()
}

fn type_error(msg: &str) -> JsValue {
    js_sys::TypeError::new(msg).into()
}

/// A JS number (a safe integer) or bigint as an integer of type `T`.
fn int_arg<T: TryFrom<i128>>(v: &JsValue, what: &str) -> Result<T, JsValue> {
    let n: Option<i128> = if let Some(f) = v.as_f64() {
        (f.fract() == 0.0 && f.abs() <= MAX_SAFE as f64).then_some(f as i128)
    } else if v.is_bigint() {
        i128::try_from(v.clone()).ok()
    } else {
        None
    };
    n.and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| type_error(&format!("{what} must be an integer in range")))
}

/// Unix seconds: the value given, or now.
fn time_arg(v: &JsValue) -> Result<u64, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok((js_sys::Date::now() / 1000.0).floor() as u64);
    }
    int_arg(v, "a time")
}

fn get(obj: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    if obj.is_undefined() || obj.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    // Interned: the same few keys on every call, decoded to JS once.
    Reflect::get(obj, &JsValue::from_str(wasm_bindgen::intern(key)))
}

fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, JsValue> {
    let v = get(obj, key)?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| type_error(&format!("{key} must be a string")))
}

fn opt_int<T: TryFrom<i128>>(obj: &JsValue, key: &str) -> Result<Option<T>, JsValue> {
    let v = get(obj, key)?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    int_arg(&v, key).map(Some)
}

fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, JsValue> {
    let v = get(obj, key)?;
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_bool()
        .map(Some)
        .ok_or_else(|| type_error(&format!("{key} must be a boolean")))
}

fn channel_arg(v: Option<String>) -> Result<Channel, JsValue> {
    match v {
        None => Ok(Channel::Sms),
        Some(name) => {
            Channel::parse(&name).ok_or_else(|| type_error("channel must be \"sms\" or \"call\""))
        }
    }
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a data property on a plain object cannot fail.
    let _ = Reflect::set(
        obj,
        &JsValue::from_str(wasm_bindgen::intern(key)),
        &value.into(),
    );
}

fn data_object(data: &[(&'static str, Datum)]) -> Object {
    let o = Object::new();
    for (k, v) in data {
        match v {
            Datum::Int(n) => set(&o, k, int_value(*n)),
            Datum::Text(t) => set(&o, k, *t),
        }
    }
    o
}

fn problem_object(p: &Problem) -> Object {
    let o = Object::new();
    set(&o, "field", p.field);
    set(&o, "rule", p.rule);
    set(&o, "data", data_object(&p.data));
    set(&o, "message", p.message.as_str());
    o
}

fn problem_list(ps: &[Problem]) -> ProblemList {
    ps.iter()
        .map(problem_object)
        .collect::<Array>()
        .unchecked_into()
}

fn problem_error(class: &str, p: &Problem) -> JsValue {
    make_error(class, &p.message, &problem_object(p))
}

fn invalid_error(inv: &crate::core::Invalid) -> JsValue {
    let props = Object::new();
    set(&props, "violations", problem_list(&inv.violations));
    set(&props, "response", HttpResponse::from(inv.response.clone()));
    make_error("InvalidRequestError", &inv.message, &props)
}

fn bad_body_error(b: BadBody) -> JsValue {
    let props = Object::new();
    set(&props, "detail", b.detail.as_str());
    set(&props, "response", HttpResponse::from(b.response));
    make_error("BadBodyError", &b.detail, &props)
}

fn record_error(message: String) -> JsValue {
    make_error("InvalidRecordError", &message, &Object::new())
}

/// The bytes of a body: a string (UTF-8) or a Uint8Array.
fn body_bytes(body: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = body.as_string() {
        return Ok(s.into_bytes());
    }
    body.dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .ok_or_else(|| type_error("the body must be a string or a Uint8Array"))
}

// --- wire answers ------------------------------------------------------------------

/// An HTTP answer in the guide's shape.
#[wasm_bindgen]
#[derive(Clone)]
pub struct HttpResponse {
    status: u16,
    body: String,
    retry_after: Option<u64>,
}

impl From<Response> for HttpResponse {
    fn from(r: Response) -> Self {
        HttpResponse {
            status: r.status,
            body: r.body,
            retry_after: r.retry_after,
        }
    }
}

#[wasm_bindgen]
impl HttpResponse {
    /// HTTP status code.
    #[wasm_bindgen(getter)]
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The exact JSON body (compact).
    #[wasm_bindgen(getter)]
    pub fn body(&self) -> String {
        self.body.clone()
    }
    /// Seconds for `Retry-After`, if any.
    #[wasm_bindgen(getter, js_name = retryAfter)]
    pub fn retry_after(&self) -> Option<Int> {
        self.retry_after.map(int)
    }
    /// `Content-Type`, and `Retry-After` when set.
    #[wasm_bindgen(getter)]
    pub fn headers(&self) -> Headers {
        let o = Object::new();
        set(&o, "Content-Type", "application/json");
        if let Some(s) = self.retry_after {
            set(&o, "Retry-After", s.to_string());
        }
        o.unchecked_into()
    }
    /// The body parsed (`JSON.parse`).
    pub fn json(&self) -> Result<JsValue, JsValue> {
        js_sys::JSON::parse(&self.body)
    }
}

// --- requests ------------------------------------------------------------------------

/// A request to issue a challenge, as given; checked by `validate()` or
/// `Challenge.issue()`.
#[wasm_bindgen]
#[derive(Clone)]
pub struct Request(RequestData);

fn opt_i64(v: Option<i64>) -> Option<Int> {
    v.map(|n| int_value(i128::from(n)).unchecked_into())
}

#[wasm_bindgen]
impl Request {
    /// `{ to, channel = "sms", from, message, tokenLength, maxAttempts,
    /// allowAlphas, validFor, maxDeliveries, token }`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: JsValue,
    ) -> Result<Request, JsValue> {
        Ok(Request(RequestData {
            channel: channel_arg(opt_string(&init, "channel")?)?,
            to: opt_string(&init, "to")?,
            from: opt_string(&init, "from")?,
            message: opt_string(&init, "message")?,
            token_length: opt_int(&init, "tokenLength")?,
            max_attempts: opt_int(&init, "maxAttempts")?,
            allow_alphas: opt_bool(&init, "allowAlphas")?,
            valid_for: opt_int(&init, "validFor")?,
            max_deliveries: opt_int(&init, "maxDeliveries")?,
            token: opt_string(&init, "token")?,
        }))
    }

    /// Reads a `POST /mfa/sms` or `/mfa/call` body strictly; throws
    /// `BadBodyError`. `host` adds the host-side settings.
    #[wasm_bindgen(js_name = fromBody)]
    pub fn from_body(
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ChannelName")] channel: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "HostSettings")] host: JsValue,
    ) -> Result<Request, JsValue> {
        let channel = channel_arg(channel.as_string())?;
        let mut r = crate::core::parse_request_body(&body_bytes(&body)?, channel)
            .map_err(bad_body_error)?;
        r.max_deliveries = opt_int(&host, "maxDeliveries")?;
        r.token = opt_string(&host, "token")?;
        Ok(Request(r))
    }

    /// The resolved parameters; throws `InvalidRequestError` listing every
    /// broken rule.
    pub fn validate(&self) -> Result<Params, JsValue> {
        self.0
            .validate()
            .map(Params)
            .map_err(|inv| invalid_error(&inv))
    }

    #[wasm_bindgen(getter, unchecked_return_type = "ChannelName")]
    pub fn channel(&self) -> String {
        self.0.channel.name().into()
    }
    #[wasm_bindgen(getter)]
    pub fn to(&self) -> Option<String> {
        self.0.to.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn from(&self) -> Option<String> {
        self.0.from.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> Option<String> {
        self.0.message.clone()
    }
    #[wasm_bindgen(getter, js_name = tokenLength)]
    pub fn token_length(&self) -> Option<Int> {
        opt_i64(self.0.token_length)
    }
    #[wasm_bindgen(getter, js_name = maxAttempts)]
    pub fn max_attempts(&self) -> Option<Int> {
        opt_i64(self.0.max_attempts)
    }
    #[wasm_bindgen(getter, js_name = allowAlphas)]
    pub fn allow_alphas(&self) -> Option<bool> {
        self.0.allow_alphas
    }
    #[wasm_bindgen(getter, js_name = validFor)]
    pub fn valid_for(&self) -> Option<Int> {
        opt_i64(self.0.valid_for)
    }
    #[wasm_bindgen(getter, js_name = maxDeliveries)]
    pub fn max_deliveries(&self) -> Option<Int> {
        opt_i64(self.0.max_deliveries)
    }
    /// Whether the host supplied the code (not shown).
    #[wasm_bindgen(getter, js_name = hasToken)]
    pub fn has_token(&self) -> bool {
        self.0.token.is_some()
    }
}

/// A valid request with every default filled in.
#[wasm_bindgen]
pub struct Params(ParamsData);

#[wasm_bindgen]
impl Params {
    #[wasm_bindgen(getter, unchecked_return_type = "ChannelName")]
    pub fn channel(&self) -> String {
        self.0.channel.name().into()
    }
    #[wasm_bindgen(getter)]
    pub fn to(&self) -> String {
        self.0.to.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn from(&self) -> Option<String> {
        self.0.from.clone()
    }
    /// The message in effect.
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> String {
        self.0.message.clone()
    }
    #[wasm_bindgen(getter, js_name = tokenLength)]
    pub fn token_length(&self) -> u8 {
        self.0.token_length
    }
    #[wasm_bindgen(getter, js_name = maxAttempts)]
    pub fn max_attempts(&self) -> u8 {
        self.0.max_attempts
    }
    #[wasm_bindgen(getter, js_name = allowAlphas)]
    pub fn allow_alphas(&self) -> bool {
        self.0.allow_alphas
    }
    #[wasm_bindgen(getter, js_name = validFor)]
    pub fn valid_for(&self) -> u32 {
        self.0.valid_for
    }
    #[wasm_bindgen(getter, js_name = maxDeliveries)]
    pub fn max_deliveries(&self) -> u8 {
        self.0.max_deliveries
    }
    #[wasm_bindgen(getter, js_name = hasHostToken)]
    pub fn has_host_token(&self) -> bool {
        self.0.has_host_token
    }
}

// --- segments, deliveries ------------------------------------------------------------------

/// SMS segment arithmetic of a text.
#[wasm_bindgen]
#[derive(Clone, Copy)]
pub struct Segments {
    encoding: &'static str,
    units: usize,
    parts: usize,
}

impl From<crate::core::Segments> for Segments {
    fn from(s: crate::core::Segments) -> Self {
        Segments {
            encoding: s.encoding,
            units: s.units,
            parts: s.parts,
        }
    }
}

#[wasm_bindgen]
impl Segments {
    /// `"gsm7"` or `"ucs2"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"gsm7\" | \"ucs2\"")]
    pub fn encoding(&self) -> String {
        self.encoding.into()
    }
    /// Septets (gsm7) or UTF-16 units (ucs2).
    #[wasm_bindgen(getter)]
    pub fn units(&self) -> usize {
        self.units
    }
    /// Parts the text is sent in.
    #[wasm_bindgen(getter)]
    pub fn parts(&self) -> usize {
        self.parts
    }
}

/// The SMS segment arithmetic of any text (GSM 7-bit or UCS-2).
#[wasm_bindgen]
pub fn segments(text: &str) -> Segments {
    crate::core::segments(text).into()
}

/// What a user typed, normalised (SPEC §3.4); `null` when it matches no code.
#[wasm_bindgen]
pub fn normalize(code: &str) -> Option<String> {
    crate::core::normalize(code)
}

/// The number of `{code}` placeholders in a message (SPEC §4.10); throws
/// `InvalidRequestError` with the one `template_invalid` violation when a
/// brace is neither `{code}`, `{{` nor `}}`.
#[wasm_bindgen(js_name = checkTemplate)]
pub fn check_template(message: &str) -> Result<usize, JsValue> {
    crate::core::check_template(message).map_err(|p| {
        let props = Object::new();
        set(&props, "violations", problem_list(std::slice::from_ref(&p)));
        let response =
            crate::core::error_response(422, "Invalid parameter: message", p.rule, &p.message);
        set(&props, "response", HttpResponse::from(response));
        make_error("InvalidRequestError", &p.message, &props)
    })
}

/// The message a channel uses when none is given.
#[wasm_bindgen(js_name = defaultMessage)]
pub fn default_message(
    #[wasm_bindgen(unchecked_param_type = "ChannelName")] channel: String,
) -> Result<String, JsValue> {
    Ok(channel_arg(Some(channel))?.default_message().into())
}

/// A text to send; `text` holds the code.
#[wasm_bindgen]
pub struct Delivery(DeliveryData);

#[wasm_bindgen]
impl Delivery {
    #[wasm_bindgen(getter, unchecked_return_type = "ChannelName")]
    pub fn channel(&self) -> String {
        self.0.channel.name().into()
    }
    #[wasm_bindgen(getter)]
    pub fn to(&self) -> String {
        self.0.to.clone()
    }
    #[wasm_bindgen(getter)]
    pub fn from(&self) -> Option<String> {
        self.0.from.clone()
    }
    /// The message before the code.
    #[wasm_bindgen(getter)]
    pub fn message(&self) -> String {
        self.0.message.clone()
    }
    /// The whole text to send, code included.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.0.text.clone()
    }
    /// Unicode characters (scalar values) in `text`.
    #[wasm_bindgen(getter)]
    pub fn chars(&self) -> usize {
        self.0.chars
    }
    #[wasm_bindgen(getter)]
    pub fn segments(&self) -> Segments {
        self.0.segments.into()
    }
}

// --- challenges ---------------------------------------------------------------------------

/// The write plan of a call: compare-and-swap on `expectedRevision`,
/// store `record` when `changed`.
struct Plan {
    expected_revision: u64,
    revision: u64,
    after: Option<Written>,
}

enum Written {
    Challenge(Box<ChallengeBox>),
    SendLog(Box<SendLogBox>),
    Lockout(LockoutBox),
}

impl Plan {
    fn of<T>(step: &Step<T>, after: impl FnOnce() -> Written) -> Plan {
        Plan {
            expected_revision: step.expected_revision,
            revision: step.revision,
            after: step.changed().then(after),
        }
    }
    fn unchanged(revision: u64) -> Plan {
        Plan {
            expected_revision: revision,
            revision,
            after: None,
        }
    }
    fn record(&self) -> Option<String> {
        self.after.as_ref().map(|w| match w {
            Written::Challenge(c) => c.to_json(),
            Written::SendLog(l) => l.to_json(),
            Written::Lockout(l) => l.to_json(),
        })
    }
}

macro_rules! plan_getters {
    ($t:ty) => {
        #[wasm_bindgen]
        impl $t {
            /// The revision the call started from: write back only if the
            /// store still holds it.
            #[wasm_bindgen(getter, js_name = expectedRevision)]
            pub fn expected_revision(&self) -> Int {
                int(self.plan.expected_revision)
            }
            /// The revision after the call.
            #[wasm_bindgen(getter)]
            pub fn revision(&self) -> Int {
                int(self.plan.revision)
            }
            /// Whether the state changed and must be written back.
            #[wasm_bindgen(getter)]
            pub fn changed(&self) -> bool {
                self.plan.after.is_some()
            }
            /// The stored JSON to write back, or undefined when unchanged.
            #[wasm_bindgen(getter)]
            pub fn record(&self) -> Option<String> {
                self.plan.record()
            }
        }
    };
}

/// The answer to `Challenge.verify`.
#[wasm_bindgen]
pub struct Verification {
    outcome: VerifyOutcome,
    plan: Plan,
}

plan_getters!(Verification);

#[wasm_bindgen]
impl Verification {
    /// `"verified"`, `"wrong_token"` or `"rejected"`.
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "\"verified\" | \"wrong_token\" | \"rejected\""
    )]
    pub fn kind(&self) -> String {
        self.outcome.kind().into()
    }
    /// Whether the code was right.
    #[wasm_bindgen(getter)]
    pub fn verified(&self) -> bool {
        self.outcome.is_verified()
    }
    /// Tries left after a wrong code.
    #[wasm_bindgen(getter, js_name = attemptsLeft)]
    pub fn attempts_left(&self) -> Option<u8> {
        self.outcome.attempts_left()
    }
    /// Why the challenge refused to compare.
    #[wasm_bindgen(getter, unchecked_return_type = "Reason | undefined")]
    pub fn reason(&self) -> Option<String> {
        self.outcome.reason().map(Into::into)
    }
    /// The guide's answer: 200 `{"success": …}` or 404.
    pub fn response(&self) -> HttpResponse {
        self.outcome.response().into()
    }
}

/// The answer to `Challenge.cancel`.
#[wasm_bindgen]
pub struct Cancellation {
    outcome: CancelOutcome,
    plan: Plan,
}

plan_getters!(Cancellation);

#[wasm_bindgen]
impl Cancellation {
    /// Whether this call canceled the challenge.
    #[wasm_bindgen(getter)]
    pub fn canceled(&self) -> bool {
        self.outcome.is_canceled()
    }
    /// Why not.
    #[wasm_bindgen(getter, unchecked_return_type = "Reason | undefined")]
    pub fn reason(&self) -> Option<String> {
        self.outcome.reason().map(Into::into)
    }
    /// The guide's answer.
    pub fn response(&self) -> HttpResponse {
        self.outcome.response().into()
    }
}

/// The answer to `Challenge.resend`.
#[wasm_bindgen]
pub struct Resend {
    outcome: ResendOutcome,
    plan: Plan,
}

plan_getters!(Resend);

#[wasm_bindgen]
impl Resend {
    /// `"delivered"`, `"rejected"`, `"deliveries_exhausted"` or `"invalid"`.
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "\"delivered\" | \"rejected\" | \"deliveries_exhausted\" | \"invalid\""
    )]
    pub fn kind(&self) -> String {
        self.outcome.kind.into()
    }
    /// The delivery to send, when delivered.
    #[wasm_bindgen(getter)]
    pub fn delivery(&self) -> Option<Delivery> {
        self.outcome.delivery.clone().map(Delivery)
    }
    /// Why the challenge refused (`"rejected"`).
    #[wasm_bindgen(getter, unchecked_return_type = "Reason | undefined")]
    pub fn reason(&self) -> Option<String> {
        self.outcome.reason.map(Into::into)
    }
    /// The delivery cap (`"deliveries_exhausted"`).
    #[wasm_bindgen(getter)]
    pub fn max(&self) -> Option<u8> {
        self.outcome.max
    }
    /// The text's broken rules (`"invalid"`; else empty).
    #[wasm_bindgen(getter)]
    pub fn violations(&self) -> ProblemList {
        match &self.outcome.invalid {
            Some(i) => problem_list(&i.violations),
            None => Array::new().unchecked_into(),
        }
    }
    /// The guide's answer.
    pub fn response(&self) -> HttpResponse {
        self.outcome.response.clone().into()
    }
}

/// Runs `issue` with the RNG the options name.
fn with_rng<T>(rng: &JsValue, run: impl FnOnce(RngSource<'_>) -> T) -> Result<T, JsValue> {
    if rng.is_undefined() || rng.is_null() {
        return Ok(run(RngSource::Os));
    }
    let mut failure: Option<JsValue> = None;
    let out = if let Some(stream) = rng.dyn_ref::<Uint8Array>() {
        let bytes = stream.to_vec();
        let mut pos = 0usize;
        let mut fill = |dst: &mut [u8]| match bytes.get(pos..pos + dst.len()) {
            Some(src) => {
                dst.copy_from_slice(src);
                pos += dst.len();
                true
            }
            None => false,
        };
        run(RngSource::Fill(&mut fill))
    } else if let Some(f) = rng.dyn_ref::<Function>() {
        let mut fill = |dst: &mut [u8]| {
            let got = f
                .call1(&JsValue::UNDEFINED, &JsValue::from(dst.len() as u32))
                .and_then(|b| {
                    b.dyn_into::<Uint8Array>()
                        .map_err(|_| type_error("rng(n) must return a Uint8Array"))
                });
            match got {
                Ok(b) if b.length() as usize == dst.len() => {
                    b.copy_to(dst);
                    true
                }
                Ok(b) => {
                    failure = Some(type_error(&format!(
                        "rng({}) returned {} bytes",
                        dst.len(),
                        b.length()
                    )));
                    false
                }
                Err(e) => {
                    failure = Some(e);
                    false
                }
            }
        };
        run(RngSource::Fill(&mut fill))
    } else {
        return Err(type_error(
            "rng must be a Uint8Array or a function (n) => Uint8Array",
        ));
    };
    match failure {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// A challenge: the record to store under its id.
#[wasm_bindgen]
pub struct Challenge(ChallengeBox);

impl Challenge {
    fn written(&self) -> Written {
        Written::Challenge(Box::new(self.0.clone()))
    }
}

#[wasm_bindgen]
impl Challenge {
    /// Issues a challenge: `{ challenge, delivery }`. Store the challenge
    /// (`toJson()`), then send `delivery.text`. Throws
    /// `InvalidRequestError` or `RandomSourceError`.
    pub fn issue(
        request: &Request,
        #[wasm_bindgen(unchecked_optional_param_type = "IssueOptions")] options: JsValue,
    ) -> Result<Issued, JsValue> {
        let now = time_arg(&get(&options, "now")?)?;
        let rng = get(&options, "rng")?;
        match with_rng(&rng, |src| crate::core::issue(&request.0, src, now))? {
            Ok((c, d)) => {
                let o = Object::new();
                set(&o, "challenge", Challenge(c));
                set(&o, "delivery", Delivery(d));
                Ok(o.unchecked_into())
            }
            Err(IssueError::Invalid(inv)) => Err(invalid_error(&inv)),
            Err(IssueError::Rng) => Err(make_error(
                "RandomSourceError",
                "the random source failed",
                &Object::new(),
            )),
        }
    }

    /// Reads a stored record, checking every rule; throws
    /// `InvalidRecordError`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(text: &str) -> Result<Challenge, JsValue> {
        ChallengeBox::from_json(text)
            .map(Challenge)
            .map_err(record_error)
    }

    /// The stored record (versioned JSON, SPEC §8).
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// Compares what the user typed (spaces, dashes and case are fine).
    pub fn verify(
        &mut self,
        code: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "Time")] now: JsValue,
    ) -> Result<Verification, JsValue> {
        let step = self.0.verify(code, time_arg(&now)?);
        Ok(Verification {
            plan: Plan::of(&step, || self.written()),
            outcome: step.outcome,
        })
    }

    /// Cancels the challenge.
    pub fn cancel(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "Time")] now: JsValue,
    ) -> Result<Cancellation, JsValue> {
        let step = self.0.cancel(time_arg(&now)?);
        Ok(Cancellation {
            plan: Plan::of(&step, || self.written()),
            outcome: step.outcome,
        })
    }

    /// Sends the same code again: `{ channel = the latest, message = that
    /// channel's default, now }`.
    pub fn resend(
        &mut self,
        #[wasm_bindgen(unchecked_optional_param_type = "ResendOptions")] options: JsValue,
    ) -> Result<Resend, JsValue> {
        let channel = match opt_string(&options, "channel")? {
            Some(c) => channel_arg(Some(c))?,
            None => self.0.channel(),
        };
        let message = opt_string(&options, "message")?;
        let now = time_arg(&get(&options, "now")?)?;
        let step = self.0.resend(channel, message.as_deref(), now);
        Ok(Resend {
            plan: Plan::of(&step, || self.written()),
            outcome: step.outcome,
        })
    }

    /// The state at `now`, recording nothing.
    #[wasm_bindgen(js_name = stateAt, unchecked_return_type = "StateName")]
    pub fn state_at(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "Time")] now: JsValue,
    ) -> Result<String, JsValue> {
        Ok(self.0.state_at(time_arg(&now)?).into())
    }

    /// The code itself: only to deliver it again or in tests.
    #[wasm_bindgen(js_name = exposeToken)]
    pub fn expose_token(&self) -> String {
        self.0.expose_token()
    }

    /// The guide's 200 answer to the issue (or a delivered resend).
    #[wasm_bindgen(js_name = issuedResponse)]
    pub fn issued_response(&self) -> HttpResponse {
        self.0.issued_response().into()
    }

    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.0.id()
    }
    #[wasm_bindgen(getter, unchecked_return_type = "ChannelName")]
    pub fn channel(&self) -> String {
        self.0.channel().name().into()
    }
    #[wasm_bindgen(getter)]
    pub fn to(&self) -> String {
        self.0.to()
    }
    #[wasm_bindgen(getter)]
    pub fn from(&self) -> Option<String> {
        self.0.from()
    }
    #[wasm_bindgen(getter, js_name = allowAlphas)]
    pub fn allow_alphas(&self) -> bool {
        self.0.allow_alphas()
    }
    #[wasm_bindgen(getter, js_name = issuedAt)]
    pub fn issued_at(&self) -> Int {
        int(self.0.issued_at())
    }
    #[wasm_bindgen(getter, js_name = validFor)]
    pub fn valid_for(&self) -> u32 {
        self.0.valid_for()
    }
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Int {
        int(self.0.expires_at())
    }
    #[wasm_bindgen(getter, js_name = maxAttempts)]
    pub fn max_attempts(&self) -> u8 {
        self.0.max_attempts()
    }
    #[wasm_bindgen(getter, js_name = attemptsUsed)]
    pub fn attempts_used(&self) -> u8 {
        self.0.attempts_used()
    }
    #[wasm_bindgen(getter, js_name = attemptsLeft)]
    pub fn attempts_left(&self) -> u8 {
        self.0.attempts_left()
    }
    #[wasm_bindgen(getter, js_name = maxDeliveries)]
    pub fn max_deliveries(&self) -> u8 {
        self.0.max_deliveries()
    }
    #[wasm_bindgen(getter)]
    pub fn deliveries(&self) -> u8 {
        self.0.deliveries()
    }
    /// The recorded state.
    #[wasm_bindgen(getter, unchecked_return_type = "StateName")]
    pub fn state(&self) -> String {
        self.0.state().into()
    }
    #[wasm_bindgen(getter, js_name = isTerminal)]
    pub fn is_terminal(&self) -> bool {
        self.0.is_terminal()
    }
    /// The compare-and-swap token: raised by one on every change.
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> Int {
        int(self.0.revision())
    }
    /// Whether both hold the same record.
    pub fn equals(&self, other: &Challenge) -> bool {
        self.0 == other.0
    }
}

// --- the guide's wire format --------------------------------------------------------------

/// Reads a `POST /mfa/{id}/verify` body strictly; returns the code typed.
/// Throws `BadBodyError`.
#[wasm_bindgen(js_name = parseVerifyBody)]
pub fn parse_verify_body(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
) -> Result<String, JsValue> {
    crate::core::parse_verify_body(&body_bytes(&body)?).map_err(bad_body_error)
}

/// 404 for a challenge that refused (`reason`).
#[wasm_bindgen(js_name = closedResponse)]
pub fn closed_response(
    #[wasm_bindgen(unchecked_param_type = "Reason")] reason: &str,
) -> Result<HttpResponse, JsValue> {
    crate::core::closed_response(reason)
        .map(Into::into)
        .ok_or_else(|| type_error("unknown reason"))
}

/// 404 for an unknown id.
#[wasm_bindgen(js_name = notFoundResponse)]
pub fn not_found_response() -> HttpResponse {
    crate::core::not_found_response().into()
}

/// 429 when every delivery has been made.
#[wasm_bindgen(js_name = deliveriesExhaustedResponse)]
pub fn deliveries_exhausted_response(max: u8) -> HttpResponse {
    crate::core::deliveries_exhausted_response(max).into()
}

/// 429 with `Retry-After` for a refused send.
#[wasm_bindgen(js_name = rateLimitedResponse)]
pub fn rate_limited_response(
    #[wasm_bindgen(unchecked_param_type = "Time")] retry_after: JsValue,
) -> Result<HttpResponse, JsValue> {
    Ok(crate::core::rate_limited_response(int_arg(&retry_after, "retryAfter")?).into())
}

/// 429 for a subject that must wait (`retryAfter`) or is locked (omitted).
#[wasm_bindgen(js_name = lockedResponse)]
pub fn locked_response(
    #[wasm_bindgen(unchecked_optional_param_type = "Time")] retry_after: JsValue,
) -> Result<HttpResponse, JsValue> {
    let secs = if retry_after.is_undefined() || retry_after.is_null() {
        None
    } else {
        Some(int_arg(&retry_after, "retryAfter")?)
    };
    Ok(crate::core::locked_response(secs).into())
}

/// A host's own error (401, 500, 502, …) in the guide's error shape.
#[wasm_bindgen(js_name = errorResponse)]
pub fn error_response(status: u16, title: &str, code: &str, detail: &str) -> HttpResponse {
    crate::core::error_response(status, title, code, detail).into()
}

// --- ids and numbers ---------------------------------------------------------------------

/// A challenge id (UUID v4).
#[wasm_bindgen]
pub struct ChallengeId {
    canonical: String,
    raw: [u8; 16],
}

fn make_id(r: Result<crate::core::IdData, Problem>) -> Result<ChallengeId, JsValue> {
    r.map(|id| ChallengeId {
        canonical: id.canonical,
        raw: id.bytes,
    })
    .map_err(|p| problem_error("InvalidIdError", &p))
}

#[wasm_bindgen]
impl ChallengeId {
    /// Parses the hyphenated form (SPEC §6.3); throws `InvalidIdError`.
    pub fn parse(text: &str) -> Result<ChallengeId, JsValue> {
        make_id(crate::core::parse_id(text))
    }
    /// From the 16 bytes (SPEC §6.4); throws `InvalidIdError`.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(bytes: &[u8]) -> Result<ChallengeId, JsValue> {
        let b: [u8; 16] = bytes
            .try_into()
            .map_err(|_| type_error("an id is 16 bytes"))?;
        make_id(crate::core::id_from_bytes(b))
    }
    /// The 16 bytes.
    #[wasm_bindgen(getter)]
    pub fn bytes(&self) -> Vec<u8> {
        self.raw.to_vec()
    }
    /// The canonical text.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_string_js(&self) -> String {
        self.canonical.clone()
    }
}

/// The ITU-T country calling code of an E.164 number, or `null` for a
/// spare or reserved one; throws `InvalidPhoneError` if not E.164.
#[wasm_bindgen(js_name = countryCode)]
pub fn country_code(number: &str) -> Result<Option<u16>, JsValue> {
    crate::core::country_code(number).map_err(|p| problem_error("InvalidPhoneError", &p))
}

// --- abuse control -------------------------------------------------------------------------

/// Send limits: up to four sliding windows.
#[wasm_bindgen]
pub struct SendPolicy(SendPolicyBox);

#[wasm_bindgen]
impl SendPolicy {
    /// `[{ max, intervalSecs }, …]`; omitted: 1 per 30 s, 5 per hour, 10
    /// per day. Throws `InvalidPolicyError` naming the first broken rule.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_optional_param_type = "{ max: Int; intervalSecs: Int }[]")]
        windows: JsValue,
    ) -> Result<SendPolicy, JsValue> {
        if windows.is_undefined() || windows.is_null() {
            return Ok(SendPolicy(SendPolicyBox::default()));
        }
        let list: Array = windows
            .dyn_into()
            .map_err(|_| type_error("windows must be an array"))?;
        let mut ws = Vec::new();
        for w in list.iter() {
            let max = int_arg::<u64>(&get(&w, "max")?, "max")?;
            let interval = int_arg::<u64>(&get(&w, "intervalSecs")?, "intervalSecs")?;
            ws.push((max, interval));
        }
        SendPolicyBox::new(&ws)
            .map(SendPolicy)
            .map_err(|p| problem_error("InvalidPolicyError", &p))
    }
    /// The windows.
    #[wasm_bindgen(getter)]
    pub fn windows(&self) -> WindowList {
        self.0
            .windows()
            .into_iter()
            .map(|(max, interval)| {
                let o = Object::new();
                set(&o, "max", max);
                set(&o, "intervalSecs", interval);
                o
            })
            .collect::<Array>()
            .unchecked_into()
    }
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
    /// Throws `InvalidRecordError`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(text: &str) -> Result<SendPolicy, JsValue> {
        SendPolicyBox::from_json(text)
            .map(SendPolicy)
            .map_err(record_error)
    }
}

/// A send decision.
#[wasm_bindgen]
pub struct SendDecision {
    outcome: SendDecisionData,
    plan: Plan,
}

plan_getters!(SendDecision);

#[wasm_bindgen]
impl SendDecision {
    #[wasm_bindgen(getter)]
    pub fn allowed(&self) -> bool {
        self.outcome.retry_after.is_none()
    }
    /// Seconds to wait when refused.
    #[wasm_bindgen(getter, js_name = retryAfter)]
    pub fn retry_after(&self) -> Option<Int> {
        self.outcome.retry_after.map(int)
    }
    /// The 429 when refused.
    pub fn response(&self) -> Option<HttpResponse> {
        self.outcome.response().map(Into::into)
    }
}

/// The sends of one key: store it (`toJson()`) beside the key.
#[wasm_bindgen]
pub struct SendLog(SendLogBox);

#[wasm_bindgen]
impl SendLog {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> SendLog {
        SendLog(SendLogBox::default())
    }
    /// Would a send at `now` be allowed? Changes nothing.
    pub fn check(
        &self,
        policy: &SendPolicy,
        #[wasm_bindgen(unchecked_optional_param_type = "Time")] now: JsValue,
    ) -> Result<SendDecision, JsValue> {
        Ok(SendDecision {
            outcome: self.0.check(&policy.0, time_arg(&now)?),
            plan: Plan::unchanged(self.0.revision()),
        })
    }
    /// Decides on a send at `now`, recording it when allowed.
    #[wasm_bindgen(js_name = trySend)]
    pub fn try_send(
        &mut self,
        policy: &SendPolicy,
        #[wasm_bindgen(unchecked_optional_param_type = "Time")] now: JsValue,
    ) -> Result<SendDecision, JsValue> {
        let step = self.0.try_send(&policy.0, time_arg(&now)?);
        Ok(SendDecision {
            plan: Plan::of(&step, || Written::SendLog(Box::new(self.0))),
            outcome: step.outcome,
        })
    }
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> Int {
        int(self.0.revision())
    }
    /// Kept send times, oldest first.
    #[wasm_bindgen(getter)]
    pub fn events(&self) -> IntList {
        self.0
            .events()
            .into_iter()
            .map(int)
            .collect::<Array>()
            .unchecked_into()
    }
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
    /// Throws `InvalidRecordError`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(text: &str) -> Result<SendLog, JsValue> {
        SendLogBox::from_json(text)
            .map(SendLog)
            .map_err(record_error)
    }
}

/// Failed-try lockout policy.
#[wasm_bindgen]
pub struct LockoutPolicy(LockoutPolicyBox);

#[wasm_bindgen]
impl LockoutPolicy {
    /// `{ freeFailures = 5, baseDelaySecs = 1, maxDelaySecs = 900,
    /// hardLimit = 100 }`. Throws `InvalidPolicyError`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(
            unchecked_optional_param_type = "{ freeFailures?: Int; baseDelaySecs?: Int; maxDelaySecs?: Int; hardLimit?: Int }"
        )]
        init: JsValue,
    ) -> Result<LockoutPolicy, JsValue> {
        let d = LockoutPolicyBox::default();
        let free = opt_int(&init, "freeFailures")?.unwrap_or(u64::from(d.free_failures()));
        let base = opt_int(&init, "baseDelaySecs")?.unwrap_or(u64::from(d.base_delay_secs()));
        let max = opt_int(&init, "maxDelaySecs")?.unwrap_or(u64::from(d.max_delay_secs()));
        let hard = opt_int(&init, "hardLimit")?.unwrap_or(u64::from(d.hard_limit()));
        LockoutPolicyBox::new(free, base, max, hard)
            .map(LockoutPolicy)
            .map_err(|p| problem_error("InvalidPolicyError", &p))
    }
    #[wasm_bindgen(getter, js_name = freeFailures)]
    pub fn free_failures(&self) -> u8 {
        self.0.free_failures()
    }
    #[wasm_bindgen(getter, js_name = baseDelaySecs)]
    pub fn base_delay_secs(&self) -> u32 {
        self.0.base_delay_secs()
    }
    #[wasm_bindgen(getter, js_name = maxDelaySecs)]
    pub fn max_delay_secs(&self) -> u32 {
        self.0.max_delay_secs()
    }
    #[wasm_bindgen(getter, js_name = hardLimit)]
    pub fn hard_limit(&self) -> u8 {
        self.0.hard_limit()
    }
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
    /// Throws `InvalidRecordError`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(text: &str) -> Result<LockoutPolicy, JsValue> {
        LockoutPolicyBox::from_json(text)
            .map(LockoutPolicy)
            .map_err(record_error)
    }
}

/// May the subject try a code now?
#[wasm_bindgen]
pub struct Attempt {
    outcome: AttemptData,
    plan: Plan,
}

plan_getters!(Attempt);

#[wasm_bindgen]
impl Attempt {
    /// `"allowed"`, `"wait"` or `"locked"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"allowed\" | \"wait\" | \"locked\"")]
    pub fn kind(&self) -> String {
        self.outcome.kind().into()
    }
    #[wasm_bindgen(getter)]
    pub fn allowed(&self) -> bool {
        self.outcome.kind() == "allowed"
    }
    /// Seconds to wait (`"wait"`).
    #[wasm_bindgen(getter)]
    pub fn secs(&self) -> Option<Int> {
        self.outcome.secs().map(int)
    }
    /// The 429 when not allowed.
    pub fn response(&self) -> Option<HttpResponse> {
        self.outcome.response().map(Into::into)
    }
}

/// What `Lockout.reset` changed.
#[wasm_bindgen]
pub struct Change {
    plan: Plan,
}

plan_getters!(Change);

/// The failed tries of one subject: store it (`toJson()`) beside it.
#[wasm_bindgen]
pub struct Lockout(LockoutBox);

#[wasm_bindgen]
impl Lockout {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Lockout {
        Lockout(LockoutBox::default())
    }
    /// Would a try at `now` be allowed? Changes nothing.
    pub fn check(
        &self,
        policy: &LockoutPolicy,
        #[wasm_bindgen(unchecked_optional_param_type = "Time")] now: JsValue,
    ) -> Result<Attempt, JsValue> {
        Ok(Attempt {
            outcome: self.0.check(&policy.0, time_arg(&now)?),
            plan: Plan::unchanged(self.0.revision()),
        })
    }
    /// Decides on a try at `now`; an allowed try counts as a failure
    /// before the code is compared: call `reset()` if it was right.
    #[wasm_bindgen(js_name = admit)]
    pub fn admit(
        &mut self,
        policy: &LockoutPolicy,
        #[wasm_bindgen(unchecked_optional_param_type = "Time")] now: JsValue,
    ) -> Result<Attempt, JsValue> {
        let step = self.0.admit(&policy.0, time_arg(&now)?);
        Ok(Attempt {
            plan: Plan::of(&step, || Written::Lockout(self.0)),
            outcome: step.outcome,
        })
    }
    /// Clears the failures (a right code, or the host lifting a lock).
    pub fn reset(&mut self) -> Change {
        let step = self.0.reset();
        Change {
            plan: Plan::of(&step, || Written::Lockout(self.0)),
        }
    }
    #[wasm_bindgen(getter)]
    pub fn failures(&self) -> u8 {
        self.0.failures()
    }
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> Int {
        int(self.0.revision())
    }
    #[wasm_bindgen(js_name = toJson)]
    pub fn to_json(&self) -> String {
        self.0.to_json()
    }
    /// Throws `InvalidRecordError`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(text: &str) -> Result<Lockout, JsValue> {
        LockoutBox::from_json(text)
            .map(Lockout)
            .map_err(record_error)
    }
}
