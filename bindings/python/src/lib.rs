//! `mfa_core._native`: the Python face of `mfa-core`.
//!
//! Everything that names the core is in `core` (the shared
//! `bindings/core.rs`); this file only turns its plain values into Python
//! objects and back. The Python package `mfa_core` (in `python/`)
//! re-exports these classes and defines the exception classes
//! (`mfa_core._errors`), which this module raises.
#![forbid(unsafe_code)]

#[path = "../../core.rs"]
mod core;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::core::{
    AttemptData, BadBody, CancelOutcome, ChallengeBox, Channel, Datum, DeliveryData, IssueError,
    LockoutBox, LockoutPolicyBox, ParamsData, Problem, RequestData, ResendOutcome, Response,
    RngSource, Segments as SegmentsData, SendDecision, SendLogBox, SendPolicyBox, Step,
    VerifyOutcome,
};

// --- helpers -----------------------------------------------------------------------------

/// Unix seconds now, or the time given.
fn now_or(now: Option<u64>) -> u64 {
    now.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

fn channel_arg(name: &str) -> PyResult<Channel> {
    Channel::parse(name).ok_or_else(|| PyValueError::new_err("channel must be \"sms\" or \"call\""))
}

/// An exception class of `mfa_core._errors`, called with `args`.
fn error<'py>(py: Python<'py>, class: &str, args: Bound<'py, PyTuple>) -> PyErr {
    static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let made = ERRORS
        .get_or_try_init(py, || py.import("mfa_core._errors").map(Bound::unbind))
        .and_then(|m| m.bind(py).getattr(class))
        .and_then(|cls| cls.call1(args));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

fn data_dict<'py>(py: Python<'py>, data: &[(&'static str, Datum)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in data {
        match v {
            Datum::Int(n) => d.set_item(k, n)?,
            Datum::Text(t) => d.set_item(k, t)?,
        }
    }
    Ok(d)
}

/// `(message, field, rule, data)`, the arguments of the field errors.
fn problem_args<'py>(py: Python<'py>, p: &Problem) -> PyResult<Bound<'py, PyTuple>> {
    (p.message.as_str(), p.field, p.rule, data_dict(py, &p.data)?).into_pyobject(py)
}

fn problem_error(py: Python<'_>, class: &str, p: &Problem) -> PyErr {
    match problem_args(py, p) {
        Ok(args) => error(py, class, args),
        Err(e) => e,
    }
}

fn invalid_error(py: Python<'_>, inv: &crate::core::Invalid) -> PyErr {
    let made = (|| -> PyResult<Bound<'_, PyTuple>> {
        let list = PyList::empty(py);
        for v in &inv.violations {
            list.append(Violation::from_problem(py, v)?)?;
        }
        (
            inv.message.as_str(),
            list,
            HttpResponse::from(inv.response.clone()),
        )
            .into_pyobject(py)
    })();
    match made {
        Ok(args) => error(py, "InvalidRequest", args),
        Err(e) => e,
    }
}

fn bad_body_error(py: Python<'_>, b: BadBody) -> PyErr {
    match (b.detail, HttpResponse::from(b.response)).into_pyobject(py) {
        Ok(args) => error(py, "BadBody", args),
        Err(e) => e,
    }
}

fn record_error(py: Python<'_>, message: String) -> PyErr {
    match (message,).into_pyobject(py) {
        Ok(args) => error(py, "InvalidRecord", args),
        Err(e) => e,
    }
}

/// Bytes from `str` (UTF-8) or any bytes-like object.
fn body_bytes(body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = body.extract::<String>() {
        return Ok(s.into_bytes());
    }
    body.extract::<Vec<u8>>()
        .map_err(|_| PyTypeError::new_err("the body must be str or bytes"))
}

// --- wire answers ------------------------------------------------------------------------

/// An HTTP answer in the guide's shape.
#[pyclass(module = "mfa_core", frozen)]
#[derive(Clone)]
pub struct HttpResponse {
    /// HTTP status code.
    #[pyo3(get)]
    status: u16,
    /// The exact JSON body text.
    #[pyo3(get)]
    body: String,
    /// Seconds for `Retry-After`, or None.
    #[pyo3(get)]
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

#[pymethods]
impl HttpResponse {
    /// Headers to send: `Content-Type`, and `Retry-After` when set.
    #[getter]
    fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![("Content-Type", "application/json".to_owned())];
        if let Some(s) = self.retry_after {
            h.push(("Retry-After", s.to_string()));
        }
        h
    }

    /// The body parsed with `json.loads`.
    fn json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?
            .call_method1("loads", (self.body.as_str(),))
    }

    fn __repr__(&self) -> String {
        format!("HttpResponse(status={}, body={:?})", self.status, self.body)
    }
}

// --- requests ------------------------------------------------------------------------------

/// One broken rule of a request.
#[pyclass(module = "mfa_core", frozen)]
pub struct Violation {
    /// The field's wire name.
    #[pyo3(get)]
    field: &'static str,
    /// The rule's code.
    #[pyo3(get)]
    rule: &'static str,
    /// The rule's figures.
    #[pyo3(get)]
    data: Py<PyDict>,
    /// Human-readable text (never a submitted value).
    #[pyo3(get)]
    message: String,
}

impl Violation {
    fn from_problem(py: Python<'_>, p: &Problem) -> PyResult<Violation> {
        Ok(Violation {
            field: p.field,
            rule: p.rule,
            data: data_dict(py, &p.data)?.unbind(),
            message: p.message.clone(),
        })
    }
}

#[pymethods]
impl Violation {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Violation(field={:?}, rule={:?}, data={})",
            self.field,
            self.rule,
            self.data.bind(py).repr()?
        ))
    }
    fn __str__(&self) -> &str {
        &self.message
    }
}

/// A request to issue a challenge, as given; nothing is checked until
/// `validate()` or `Challenge.issue()`.
#[pyclass(module = "mfa_core", frozen)]
#[derive(Clone)]
pub struct Request(RequestData);

#[pymethods]
impl Request {
    #[new]
    #[pyo3(signature = (to=None, channel="sms", *, from_=None, message=None, token_length=None,
        max_attempts=None, allow_alphas=None, valid_for=None, max_deliveries=None, token=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        to: Option<String>,
        channel: &str,
        from_: Option<String>,
        message: Option<String>,
        token_length: Option<i64>,
        max_attempts: Option<i64>,
        allow_alphas: Option<bool>,
        valid_for: Option<i64>,
        max_deliveries: Option<i64>,
        token: Option<String>,
    ) -> PyResult<Request> {
        Ok(Request(RequestData {
            channel: channel_arg(channel)?,
            to,
            from: from_,
            message,
            token_length,
            max_attempts,
            allow_alphas,
            valid_for,
            max_deliveries,
            token,
        }))
    }

    #[getter]
    fn channel(&self) -> &'static str {
        self.0.channel.name()
    }
    #[getter]
    fn to(&self) -> Option<&str> {
        self.0.to.as_deref()
    }
    #[getter]
    fn from_(&self) -> Option<&str> {
        self.0.from.as_deref()
    }
    #[getter]
    fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    #[getter]
    fn token_length(&self) -> Option<i64> {
        self.0.token_length
    }
    #[getter]
    fn max_attempts(&self) -> Option<i64> {
        self.0.max_attempts
    }
    #[getter]
    fn allow_alphas(&self) -> Option<bool> {
        self.0.allow_alphas
    }
    #[getter]
    fn valid_for(&self) -> Option<i64> {
        self.0.valid_for
    }
    #[getter]
    fn max_deliveries(&self) -> Option<i64> {
        self.0.max_deliveries
    }
    /// Whether the host supplied the code (the code itself is not shown).
    #[getter]
    fn has_token(&self) -> bool {
        self.0.token.is_some()
    }

    /// The resolved parameters; raises `InvalidRequest` listing every
    /// broken rule.
    fn validate(&self, py: Python<'_>) -> PyResult<Params> {
        self.0
            .validate()
            .map(Params)
            .map_err(|inv| invalid_error(py, &inv))
    }

    fn __repr__(&self) -> String {
        format!(
            "Request(to={:?}, channel={:?}, has_token={})",
            self.0.to,
            self.0.channel.name(),
            self.0.token.is_some()
        )
    }
}

/// A valid request with every default filled in.
#[pyclass(module = "mfa_core", frozen)]
pub struct Params(ParamsData);

#[pymethods]
impl Params {
    #[getter]
    fn channel(&self) -> &'static str {
        self.0.channel.name()
    }
    #[getter]
    fn to(&self) -> &str {
        &self.0.to
    }
    #[getter]
    fn from_(&self) -> Option<&str> {
        self.0.from.as_deref()
    }
    /// The message in effect.
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    #[getter]
    fn token_length(&self) -> u8 {
        self.0.token_length
    }
    #[getter]
    fn max_attempts(&self) -> u8 {
        self.0.max_attempts
    }
    #[getter]
    fn allow_alphas(&self) -> bool {
        self.0.allow_alphas
    }
    #[getter]
    fn valid_for(&self) -> u32 {
        self.0.valid_for
    }
    #[getter]
    fn max_deliveries(&self) -> u8 {
        self.0.max_deliveries
    }
    #[getter]
    fn has_host_token(&self) -> bool {
        self.0.has_host_token
    }
    fn __repr__(&self) -> String {
        format!(
            "Params(channel={:?}, to={:?}, token_length={}, max_attempts={}, valid_for={})",
            self.0.channel.name(),
            self.0.to,
            self.0.token_length,
            self.0.max_attempts,
            self.0.valid_for
        )
    }
}

// --- deliveries, segments ------------------------------------------------------------------

/// SMS segment arithmetic of a text.
#[pyclass(module = "mfa_core", frozen, eq)]
#[derive(PartialEq)]
pub struct Segments {
    /// `"gsm7"` or `"ucs2"`.
    #[pyo3(get)]
    encoding: &'static str,
    /// Septets (gsm7) or UTF-16 units (ucs2).
    #[pyo3(get)]
    units: usize,
    /// Parts the text is sent in.
    #[pyo3(get)]
    parts: usize,
}

impl From<SegmentsData> for Segments {
    fn from(s: SegmentsData) -> Self {
        Segments {
            encoding: s.encoding,
            units: s.units,
            parts: s.parts,
        }
    }
}

#[pymethods]
impl Segments {
    fn __repr__(&self) -> String {
        format!(
            "Segments(encoding={:?}, units={}, parts={})",
            self.encoding, self.units, self.parts
        )
    }
}

/// The segment arithmetic of any text (GSM 7-bit or UCS-2; SPEC §4.8–4.9).
#[pyfunction]
fn segments(text: &str) -> Segments {
    crate::core::segments(text).into()
}

/// What a user typed, normalised (SPEC §3.4); None when it matches no code.
#[pyfunction]
fn normalize(code: &str) -> Option<String> {
    crate::core::normalize(code)
}

/// The number of `{code}` placeholders in a message (SPEC §4.10); raises
/// `InvalidRequest` with the one `template_invalid` violation when a brace
/// is neither `{code}`, `{{` nor `}}`.
#[pyfunction]
fn check_template(py: Python<'_>, message: &str) -> PyResult<usize> {
    crate::core::check_template(message).map_err(|p| {
        let made = (|| -> PyResult<Bound<'_, PyTuple>> {
            let list = PyList::empty(py);
            list.append(Violation::from_problem(py, &p)?)?;
            let response = HttpResponse::from(crate::core::error_response(
                422,
                "Invalid parameter: message",
                p.rule,
                &p.message,
            ));
            (p.message.as_str(), list, response).into_pyobject(py)
        })();
        match made {
            Ok(args) => error(py, "InvalidRequest", args),
            Err(e) => e,
        }
    })
}

/// A text to send. `text` holds the code; `repr()` does not.
#[pyclass(module = "mfa_core", frozen)]
pub struct Delivery(DeliveryData);

#[pymethods]
impl Delivery {
    #[getter]
    fn channel(&self) -> &'static str {
        self.0.channel.name()
    }
    #[getter]
    fn to(&self) -> &str {
        &self.0.to
    }
    #[getter]
    fn from_(&self) -> Option<&str> {
        self.0.from.as_deref()
    }
    /// The message before the code.
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    /// The whole text to send, code included.
    #[getter]
    fn text(&self) -> &str {
        &self.0.text
    }
    /// Unicode characters in `text`.
    #[getter]
    fn chars(&self) -> usize {
        self.0.chars
    }
    #[getter]
    fn segments(&self) -> Segments {
        self.0.segments.into()
    }
    fn __repr__(&self) -> String {
        format!(
            "Delivery(channel={:?}, to={:?}, chars={})",
            self.0.channel.name(),
            self.0.to,
            self.0.chars
        )
    }
}

// --- challenges ------------------------------------------------------------------------------

/// The write plan of a call: compare-and-swap on `expected_revision`,
/// store `record` (the JSON after the call) when `changed`.
struct Plan {
    expected_revision: u64,
    revision: u64,
    /// The value after the call, when it changed; serialised on demand.
    after: Option<Written>,
}

enum Written {
    Challenge(ChallengeBox),
    SendLog(SendLogBox),
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

/// A `#[pymethods]` block with the plan's getters (the same on every
/// outcome class) before the class's own methods. One block per class:
/// PyO3 takes one without its `multiple-pymethods` feature.
macro_rules! plan_class {
    (impl $t:ty { $($body:tt)* }) => {
        #[pymethods]
        impl $t {
            /// The revision the call started from: write back only if the
            /// store still holds it.
            #[getter]
            fn expected_revision(&self) -> u64 {
                self.plan.expected_revision
            }
            /// The revision after the call.
            #[getter]
            fn revision(&self) -> u64 {
                self.plan.revision
            }
            /// Whether the state changed and must be written back.
            #[getter]
            fn changed(&self) -> bool {
                self.plan.after.is_some()
            }
            /// The stored JSON to write back, or None when unchanged.
            #[getter]
            fn record(&self) -> Option<String> {
                self.plan.record()
            }
            $($body)*
        }
    };
}

/// The answer to `Challenge.verify`.
#[pyclass(module = "mfa_core", frozen)]
pub struct Verification {
    outcome: VerifyOutcome,
    plan: Plan,
}

plan_class! {
impl Verification {
    /// `"verified"`, `"wrong_token"` or `"rejected"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.outcome.kind()
    }
    /// Whether the code was right.
    #[getter]
    fn verified(&self) -> bool {
        self.outcome.is_verified()
    }
    /// Tries left after a wrong code, else None.
    #[getter]
    fn attempts_left(&self) -> Option<u8> {
        self.outcome.attempts_left()
    }
    /// Why the challenge refused to compare, else None.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.outcome.reason()
    }
    /// The guide's answer: 200 `{"success": …}` or 404.
    fn response(&self) -> HttpResponse {
        self.outcome.response().into()
    }
    fn __repr__(&self) -> String {
        format!(
            "Verification(kind={:?}, revision={})",
            self.outcome.kind(),
            self.plan.revision
        )
    }
}
}

/// The answer to `Challenge.cancel`.
#[pyclass(module = "mfa_core", frozen)]
pub struct Cancellation {
    outcome: CancelOutcome,
    plan: Plan,
}

plan_class! {
impl Cancellation {
    /// Whether this call canceled the challenge.
    #[getter]
    fn canceled(&self) -> bool {
        self.outcome.is_canceled()
    }
    /// Why not, else None.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.outcome.reason()
    }
    /// The guide's answer.
    fn response(&self) -> HttpResponse {
        self.outcome.response().into()
    }
    fn __repr__(&self) -> String {
        format!(
            "Cancellation(canceled={}, reason={:?})",
            self.outcome.is_canceled(),
            self.outcome.reason()
        )
    }
}
}

/// The answer to `Challenge.resend`.
#[pyclass(module = "mfa_core", frozen)]
pub struct Resend {
    outcome: ResendOutcome,
    plan: Plan,
}

plan_class! {
impl Resend {
    /// `"delivered"`, `"rejected"`, `"deliveries_exhausted"` or `"invalid"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.outcome.kind
    }
    /// The delivery to send, when delivered.
    #[getter]
    fn delivery(&self) -> Option<Delivery> {
        self.outcome.delivery.clone().map(Delivery)
    }
    /// Why the challenge refused, for `"rejected"`.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.outcome.reason
    }
    /// The delivery cap, for `"deliveries_exhausted"`.
    #[getter]
    fn max(&self) -> Option<u8> {
        self.outcome.max
    }
    /// The text's broken rules, for `"invalid"` (else an empty list).
    #[getter]
    fn violations(&self, py: Python<'_>) -> PyResult<Vec<Violation>> {
        self.outcome
            .invalid
            .iter()
            .flat_map(|i| &i.violations)
            .map(|p| Violation::from_problem(py, p))
            .collect()
    }
    /// The guide's answer.
    fn response(&self) -> HttpResponse {
        self.outcome.response.clone().into()
    }
    fn __repr__(&self) -> String {
        format!("Resend(kind={:?})", self.outcome.kind)
    }
}
}

/// Where issuing gets its bytes: the OS, a fixed stream, or a callable.
fn with_rng<T>(
    py: Python<'_>,
    rng: Option<&Bound<'_, PyAny>>,
    run: impl FnOnce(RngSource<'_>) -> T,
) -> PyResult<T> {
    let Some(rng) = rng.filter(|r| !r.is_none()) else {
        return Ok(run(RngSource::Os));
    };
    let mut failure: Option<PyErr> = None;
    let out = if let Ok(stream) = rng.cast::<PyBytes>() {
        // A fixed stream, served in order across requests.
        let bytes = stream.as_bytes();
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
    } else if rng.is_callable() {
        let mut fill = |dst: &mut [u8]| {
            let got = rng.call1((dst.len(),)).and_then(|b| b.extract::<Vec<u8>>());
            match got {
                Ok(b) if b.len() == dst.len() => {
                    dst.copy_from_slice(&b);
                    true
                }
                Ok(b) => {
                    failure = Some(PyValueError::new_err(format!(
                        "rng({}) returned {} bytes",
                        dst.len(),
                        b.len()
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
        return Err(PyTypeError::new_err(
            "rng must be None, bytes, or a callable taking n and returning n bytes",
        ));
    };
    let _ = py;
    match failure {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// A challenge: the record to store under its id. Issue with
/// `Challenge.issue`, read back with `Challenge.from_json`.
#[pyclass(module = "mfa_core")]
pub struct Challenge(ChallengeBox);

impl Challenge {
    fn written(&self) -> Written {
        Written::Challenge(self.0.clone())
    }
}

#[pymethods]
impl Challenge {
    /// Issues a challenge for `request` at `now` (Unix seconds; default
    /// the system clock). `rng`: None for the OS's random source; for
    /// tests, `bytes` served in order or a callable `rng(n) -> bytes`.
    /// Returns `(challenge, delivery)`: store the challenge, then send.
    #[staticmethod]
    #[pyo3(signature = (request, now=None, rng=None))]
    fn issue(
        py: Python<'_>,
        request: &Request,
        now: Option<u64>,
        rng: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Challenge, Delivery)> {
        let now = now_or(now);
        match with_rng(py, rng, |src| crate::core::issue(&request.0, src, now))? {
            Ok((c, d)) => Ok((Challenge(c), Delivery(d))),
            Err(IssueError::Invalid(inv)) => Err(invalid_error(py, &inv)),
            Err(IssueError::Rng) => Err(error(
                py,
                "RandomSourceError",
                ("the random source failed",).into_pyobject(py)?,
            )),
        }
    }

    /// Reads a stored record, checking every rule; raises `InvalidRecord`.
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Challenge> {
        ChallengeBox::from_json(text)
            .map(Challenge)
            .map_err(|m| record_error(py, m))
    }

    /// The stored record (versioned JSON, SPEC §8).
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// Compares what the user typed (spaces, dashes and case are fine).
    #[pyo3(signature = (code, now=None))]
    fn verify(&mut self, code: &str, now: Option<u64>) -> Verification {
        let step = self.0.verify(code, now_or(now));
        Verification {
            plan: Plan::of(&step, || self.written()),
            outcome: step.outcome,
        }
    }

    /// Cancels the challenge.
    #[pyo3(signature = (now=None))]
    fn cancel(&mut self, now: Option<u64>) -> Cancellation {
        let step = self.0.cancel(now_or(now));
        Cancellation {
            plan: Plan::of(&step, || self.written()),
            outcome: step.outcome,
        }
    }

    /// Sends the same code again on `channel` (default: the latest
    /// channel) with `message` (default: that channel's).
    #[pyo3(signature = (channel=None, message=None, now=None))]
    fn resend(
        &mut self,
        channel: Option<&str>,
        message: Option<&str>,
        now: Option<u64>,
    ) -> PyResult<Resend> {
        let channel = match channel {
            Some(c) => channel_arg(c)?,
            None => self.0.channel(),
        };
        let step = self.0.resend(channel, message, now_or(now));
        Ok(Resend {
            plan: Plan::of(&step, || self.written()),
            outcome: step.outcome,
        })
    }

    /// The state at `now`, recording nothing.
    #[pyo3(signature = (now=None))]
    fn state_at(&self, now: Option<u64>) -> &'static str {
        self.0.state_at(now_or(now))
    }

    /// The code itself: only to deliver it again or in tests.
    fn expose_token(&self) -> String {
        self.0.expose_token()
    }

    #[getter]
    fn id(&self) -> String {
        self.0.id()
    }
    #[getter]
    fn channel(&self) -> &'static str {
        self.0.channel().name()
    }
    #[getter]
    fn to(&self) -> String {
        self.0.to()
    }
    #[getter]
    fn from_(&self) -> Option<String> {
        self.0.from()
    }
    #[getter]
    fn allow_alphas(&self) -> bool {
        self.0.allow_alphas()
    }
    #[getter]
    fn issued_at(&self) -> u64 {
        self.0.issued_at()
    }
    #[getter]
    fn valid_for(&self) -> u32 {
        self.0.valid_for()
    }
    #[getter]
    fn expires_at(&self) -> u64 {
        self.0.expires_at()
    }
    #[getter]
    fn max_attempts(&self) -> u8 {
        self.0.max_attempts()
    }
    #[getter]
    fn attempts_used(&self) -> u8 {
        self.0.attempts_used()
    }
    #[getter]
    fn attempts_left(&self) -> u8 {
        self.0.attempts_left()
    }
    #[getter]
    fn max_deliveries(&self) -> u8 {
        self.0.max_deliveries()
    }
    #[getter]
    fn deliveries(&self) -> u8 {
        self.0.deliveries()
    }
    /// The recorded state: `pending`, `verified`, `exhausted`, `expired`,
    /// `canceled`.
    #[getter]
    fn state(&self) -> &'static str {
        self.0.state()
    }
    #[getter]
    fn is_terminal(&self) -> bool {
        self.0.is_terminal()
    }
    /// The compare-and-swap token: raised by one on every change.
    #[getter]
    fn revision(&self) -> u64 {
        self.0.revision()
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Challenge>()
            .is_ok_and(|o| o.borrow().0 == self.0)
    }
    fn __repr__(&self) -> String {
        format!(
            "Challenge(id={:?}, channel={:?}, state={:?}, revision={})",
            self.0.id(),
            self.0.channel().name(),
            self.0.state(),
            self.0.revision()
        )
    }
}

// --- wire functions ----------------------------------------------------------------------------

/// Reads a `POST /mfa/sms` or `/mfa/call` body strictly; raises `BadBody`.
/// `max_deliveries` and `token` are host-side settings added to it.
#[pyfunction]
#[pyo3(signature = (body, channel="sms", *, max_deliveries=None, token=None))]
fn parse_request_body(
    py: Python<'_>,
    body: &Bound<'_, PyAny>,
    channel: &str,
    max_deliveries: Option<i64>,
    token: Option<String>,
) -> PyResult<Request> {
    let channel = channel_arg(channel)?;
    let mut r = crate::core::parse_request_body(&body_bytes(body)?, channel)
        .map_err(|b| bad_body_error(py, b))?;
    r.max_deliveries = max_deliveries;
    r.token = token;
    Ok(Request(r))
}

/// Reads a `POST /mfa/{id}/verify` body strictly; returns the code typed.
#[pyfunction]
fn parse_verify_body(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<String> {
    crate::core::parse_verify_body(&body_bytes(body)?).map_err(|b| bad_body_error(py, b))
}

/// 200 `{"id","success","to","channel"}` for an issued (or resent) challenge.
#[pyfunction]
fn issued_response(challenge: PyRef<'_, Challenge>) -> HttpResponse {
    challenge.0.issued_response().into()
}

/// 404 for a challenge that refused: `already_verified`,
/// `attempts_exhausted`, `expired`, `canceled`.
#[pyfunction]
fn closed_response(reason: &str) -> PyResult<HttpResponse> {
    crate::core::closed_response(reason)
        .map(Into::into)
        .ok_or_else(|| PyValueError::new_err("unknown reason"))
}

/// 404 for an unknown id.
#[pyfunction]
fn not_found_response() -> HttpResponse {
    crate::core::not_found_response().into()
}

/// 429 when every delivery has been made.
#[pyfunction]
fn deliveries_exhausted_response(max: u8) -> HttpResponse {
    crate::core::deliveries_exhausted_response(max).into()
}

/// 429 with `Retry-After` for a refused send.
#[pyfunction]
fn rate_limited_response(retry_after: u64) -> HttpResponse {
    crate::core::rate_limited_response(retry_after).into()
}

/// 429 for a subject that must wait (`retry_after`) or is locked (None).
#[pyfunction]
#[pyo3(signature = (retry_after=None))]
fn locked_response(retry_after: Option<u64>) -> HttpResponse {
    crate::core::locked_response(retry_after).into()
}

/// A host's own error (401, 500, 502, …) in the guide's error shape.
#[pyfunction]
fn error_response(status: u16, title: &str, code: &str, detail: &str) -> HttpResponse {
    crate::core::error_response(status, title, code, detail).into()
}

// --- ids, numbers --------------------------------------------------------------------------------

/// A challenge id (UUID v4).
#[pyclass(module = "mfa_core", frozen, eq, hash)]
#[derive(PartialEq, Eq, Hash)]
pub struct ChallengeId {
    canonical: String,
    raw: [u8; 16],
}

impl ChallengeId {
    fn make(py: Python<'_>, r: Result<crate::core::IdData, Problem>) -> PyResult<ChallengeId> {
        r.map(|id| ChallengeId {
            canonical: id.canonical,
            raw: id.bytes,
        })
        .map_err(|p| problem_error(py, "InvalidId", &p))
    }
}

#[pymethods]
impl ChallengeId {
    /// Parses the hyphenated form (SPEC §6.3); raises `InvalidId`.
    #[staticmethod]
    fn parse(py: Python<'_>, text: &str) -> PyResult<ChallengeId> {
        Self::make(py, crate::core::parse_id(text))
    }
    /// From the 16 bytes (SPEC §6.4); raises `InvalidId`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<ChallengeId> {
        let b: [u8; 16] = data
            .try_into()
            .map_err(|_| PyValueError::new_err("an id is 16 bytes"))?;
        Self::make(py, crate::core::id_from_bytes(b))
    }
    /// The 16 bytes.
    #[getter]
    fn bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.raw)
    }
    fn __str__(&self) -> &str {
        &self.canonical
    }
    fn __repr__(&self) -> String {
        format!("ChallengeId({:?})", self.canonical)
    }
}

/// The ITU-T country calling code of an E.164 number, or None for a
/// spare or reserved one; raises `InvalidPhone` if it is not E.164.
#[pyfunction]
fn country_code(py: Python<'_>, number: &str) -> PyResult<Option<u16>> {
    crate::core::country_code(number).map_err(|p| problem_error(py, "InvalidPhone", &p))
}

// --- abuse control -----------------------------------------------------------------------------------

/// Send limits: up to four sliding windows of `(max, interval_secs)`.
#[pyclass(module = "mfa_core", frozen)]
pub struct SendPolicy(SendPolicyBox);

#[pymethods]
impl SendPolicy {
    /// Default: 1 send per 30 s, 5 per hour, 10 per day. Raises
    /// `InvalidPolicy` naming the first broken rule.
    #[new]
    #[pyo3(signature = (windows=None))]
    fn new(py: Python<'_>, windows: Option<Vec<(u64, u64)>>) -> PyResult<SendPolicy> {
        match windows {
            None => Ok(SendPolicy(SendPolicyBox::default())),
            Some(w) => SendPolicyBox::new(&w)
                .map(SendPolicy)
                .map_err(|p| problem_error(py, "InvalidPolicy", &p)),
        }
    }
    /// `(max, interval_secs)` of each window.
    #[getter]
    fn windows(&self) -> Vec<(u8, u32)> {
        self.0.windows()
    }
    fn to_json(&self) -> String {
        self.0.to_json()
    }
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<SendPolicy> {
        SendPolicyBox::from_json(text)
            .map(SendPolicy)
            .map_err(|m| record_error(py, m))
    }
    fn __repr__(&self) -> String {
        format!("SendPolicy({:?})", self.0.windows())
    }
}

/// A send decision (from `SendLog.check` or `try_send`).
#[pyclass(module = "mfa_core", name = "SendDecision", frozen)]
pub struct SendDecisionPy {
    outcome: SendDecision,
    plan: Plan,
}

plan_class! {
impl SendDecisionPy {
    #[getter]
    fn allowed(&self) -> bool {
        self.outcome.retry_after.is_none()
    }
    /// Seconds to wait when refused, else None.
    #[getter]
    fn retry_after(&self) -> Option<u64> {
        self.outcome.retry_after
    }
    /// The 429 when refused, else None.
    fn response(&self) -> Option<HttpResponse> {
        self.outcome.response().map(Into::into)
    }
    fn __repr__(&self) -> String {
        format!(
            "SendDecision(allowed={}, retry_after={:?})",
            self.outcome.retry_after.is_none(),
            self.outcome.retry_after
        )
    }
}
}

/// The sends of one key: store it (JSON) beside the key.
#[pyclass(module = "mfa_core")]
pub struct SendLog(SendLogBox);

#[pymethods]
impl SendLog {
    #[new]
    fn new() -> SendLog {
        SendLog(SendLogBox::default())
    }
    /// Would a send at `now` be allowed? Changes nothing.
    #[pyo3(signature = (policy, now=None))]
    fn check(&self, policy: &SendPolicy, now: Option<u64>) -> SendDecisionPy {
        SendDecisionPy {
            outcome: self.0.check(&policy.0, now_or(now)),
            plan: Plan::unchanged(self.0.revision()),
        }
    }
    /// Decides on a send at `now`, recording it when allowed.
    #[pyo3(signature = (policy, now=None))]
    fn try_send(&mut self, policy: &SendPolicy, now: Option<u64>) -> SendDecisionPy {
        let step = self.0.try_send(&policy.0, now_or(now));
        SendDecisionPy {
            plan: Plan::of(&step, || Written::SendLog(self.0)),
            outcome: step.outcome,
        }
    }
    #[getter]
    fn revision(&self) -> u64 {
        self.0.revision()
    }
    /// Kept send times, oldest first.
    #[getter]
    fn events(&self) -> Vec<u64> {
        self.0.events()
    }
    fn to_json(&self) -> String {
        self.0.to_json()
    }
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<SendLog> {
        SendLogBox::from_json(text)
            .map(SendLog)
            .map_err(|m| record_error(py, m))
    }
    fn __repr__(&self) -> String {
        format!(
            "SendLog(revision={}, events={})",
            self.0.revision(),
            self.0.events().len()
        )
    }
}

/// Failed-try lockout policy.
#[pyclass(module = "mfa_core", frozen)]
pub struct LockoutPolicy(LockoutPolicyBox);

#[pymethods]
impl LockoutPolicy {
    /// Raises `InvalidPolicy` naming the first broken rule.
    #[new]
    #[pyo3(signature = (free_failures=5, base_delay_secs=1, max_delay_secs=900, hard_limit=100))]
    fn new(
        py: Python<'_>,
        free_failures: u64,
        base_delay_secs: u64,
        max_delay_secs: u64,
        hard_limit: u64,
    ) -> PyResult<LockoutPolicy> {
        LockoutPolicyBox::new(free_failures, base_delay_secs, max_delay_secs, hard_limit)
            .map(LockoutPolicy)
            .map_err(|p| problem_error(py, "InvalidPolicy", &p))
    }
    #[getter]
    fn free_failures(&self) -> u8 {
        self.0.free_failures()
    }
    #[getter]
    fn base_delay_secs(&self) -> u32 {
        self.0.base_delay_secs()
    }
    #[getter]
    fn max_delay_secs(&self) -> u32 {
        self.0.max_delay_secs()
    }
    #[getter]
    fn hard_limit(&self) -> u8 {
        self.0.hard_limit()
    }
    fn to_json(&self) -> String {
        self.0.to_json()
    }
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<LockoutPolicy> {
        LockoutPolicyBox::from_json(text)
            .map(LockoutPolicy)
            .map_err(|m| record_error(py, m))
    }
    fn __repr__(&self) -> String {
        format!(
            "LockoutPolicy(free_failures={}, base_delay_secs={}, max_delay_secs={}, hard_limit={})",
            self.0.free_failures(),
            self.0.base_delay_secs(),
            self.0.max_delay_secs(),
            self.0.hard_limit()
        )
    }
}

/// May the subject try a code now?
#[pyclass(module = "mfa_core", frozen)]
pub struct Attempt {
    outcome: AttemptData,
    plan: Plan,
}

plan_class! {
impl Attempt {
    /// `"allowed"`, `"wait"` or `"locked"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.outcome.kind()
    }
    #[getter]
    fn allowed(&self) -> bool {
        self.outcome.kind() == "allowed"
    }
    /// Seconds to wait, for `"wait"`.
    #[getter]
    fn secs(&self) -> Option<u64> {
        self.outcome.secs()
    }
    /// The 429 when not allowed, else None.
    fn response(&self) -> Option<HttpResponse> {
        self.outcome.response().map(Into::into)
    }
    fn __repr__(&self) -> String {
        format!(
            "Attempt(kind={:?}, secs={:?})",
            self.outcome.kind(),
            self.outcome.secs()
        )
    }
}
}

/// What `Lockout.reset` changed.
#[pyclass(module = "mfa_core", frozen)]
pub struct Change {
    plan: Plan,
}

plan_class! {
impl Change {
    fn __repr__(&self) -> String {
        format!("Change(revision={})", self.plan.revision)
    }
}
}

/// The failed tries of one subject: store it (JSON) beside the subject.
#[pyclass(module = "mfa_core")]
pub struct Lockout(LockoutBox);

#[pymethods]
impl Lockout {
    #[new]
    fn new() -> Lockout {
        Lockout(LockoutBox::default())
    }
    /// Would a try at `now` be allowed? Changes nothing.
    #[pyo3(signature = (policy, now=None))]
    fn check(&self, policy: &LockoutPolicy, now: Option<u64>) -> Attempt {
        Attempt {
            outcome: self.0.check(&policy.0, now_or(now)),
            plan: Plan::unchanged(self.0.revision()),
        }
    }
    /// Decides on a try at `now`; an allowed try is counted as a failure
    /// before the code is compared: call `reset()` if it was right.
    #[pyo3(signature = (policy, now=None))]
    fn admit(&mut self, policy: &LockoutPolicy, now: Option<u64>) -> Attempt {
        let step = self.0.admit(&policy.0, now_or(now));
        Attempt {
            plan: Plan::of(&step, || Written::Lockout(self.0)),
            outcome: step.outcome,
        }
    }
    /// Clears the failures (a right code, or the host lifting a lock).
    fn reset(&mut self) -> Change {
        let step = self.0.reset();
        Change {
            plan: Plan::of(&step, || Written::Lockout(self.0)),
        }
    }
    #[getter]
    fn failures(&self) -> u8 {
        self.0.failures()
    }
    #[getter]
    fn revision(&self) -> u64 {
        self.0.revision()
    }
    fn to_json(&self) -> String {
        self.0.to_json()
    }
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Lockout> {
        LockoutBox::from_json(text)
            .map(Lockout)
            .map_err(|m| record_error(py, m))
    }
    fn __repr__(&self) -> String {
        format!(
            "Lockout(failures={}, revision={})",
            self.0.failures(),
            self.0.revision()
        )
    }
}

/// The native module; `mfa_core/__init__.py` re-exports it.
#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<HttpResponse>()?;
    m.add_class::<Violation>()?;
    m.add_class::<Request>()?;
    m.add_class::<Params>()?;
    m.add_class::<Segments>()?;
    m.add_class::<Delivery>()?;
    m.add_class::<Verification>()?;
    m.add_class::<Cancellation>()?;
    m.add_class::<Resend>()?;
    m.add_class::<Challenge>()?;
    m.add_class::<ChallengeId>()?;
    m.add_class::<SendPolicy>()?;
    m.add_class::<SendDecisionPy>()?;
    m.add_class::<SendLog>()?;
    m.add_class::<LockoutPolicy>()?;
    m.add_class::<Attempt>()?;
    m.add_class::<Change>()?;
    m.add_class::<Lockout>()?;
    m.add_function(wrap_pyfunction!(segments, m)?)?;
    m.add_function(wrap_pyfunction!(normalize, m)?)?;
    m.add_function(wrap_pyfunction!(check_template, m)?)?;
    m.add_function(wrap_pyfunction!(country_code, m)?)?;
    m.add_function(wrap_pyfunction!(parse_request_body, m)?)?;
    m.add_function(wrap_pyfunction!(parse_verify_body, m)?)?;
    m.add_function(wrap_pyfunction!(issued_response, m)?)?;
    m.add_function(wrap_pyfunction!(closed_response, m)?)?;
    m.add_function(wrap_pyfunction!(not_found_response, m)?)?;
    m.add_function(wrap_pyfunction!(deliveries_exhausted_response, m)?)?;
    m.add_function(wrap_pyfunction!(rate_limited_response, m)?)?;
    m.add_function(wrap_pyfunction!(locked_response, m)?)?;
    m.add_function(wrap_pyfunction!(error_response, m)?)?;
    m.add("DEFAULT_SMS_MESSAGE", Channel::Sms.default_message())?;
    m.add("DEFAULT_CALL_MESSAGE", Channel::Call.default_message())?;
    Ok(())
}
