//! The bindings' only window onto `mfa-core`.
//!
//! Both bindings (`bindings/python`, `bindings/wasm`) include this one file
//! (`#[path = "../../core.rs"] mod core;`). Every `use mfa_core::…` and
//! every call into a method that changes state (`Challenge::verify`,
//! `cancel`, `resend`, `SendLog::try_send`, `Lockout::admit`,
//! `reset`) is here and nowhere else, so a change to the core's API is an
//! edit to this file alone. What it hands out is plain, owned Rust
//! (strings, integers, `&'static str` codes) or a newtype around a core
//! value, never a core type by name.
//!
//! Each call that may change a stored value returns a [`Step`]: its
//! outcome, the revision read before the call and the revision after, so
//! that a host can write the new state back with a compare-and-swap on the
//! revision it read (SPEC §5.10).

use mfa_core::sms::{SegmentInfo, segments as core_segments};
use mfa_core::throttle::{
    Admission, LimitError, LimitRule, Lockout, LockoutPolicy, SendLog, SendPolicy, Window,
};
use mfa_core::wire::{HttpResponse, RequestBody, VerifyBody};
use mfa_core::{
    Challenge, ChallengeId, Channel as CoreChannel, Closed, Delivery, IdError,
    IssueRequest as CoreRequest, Normalized, OsRng, PhoneError, PhoneNumber, ResendError, Rule,
    UnixTime, Verification, Violations, check_template as core_check_template,
};
use rand_core::{TryCryptoRng, TryRng};

// --- plain data -------------------------------------------------------------------

/// One figure of an error's data: an integer or a fixed word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datum {
    /// Wide enough for every `i64` and `u64` the core reports.
    Int(i128),
    /// A name such as an encoding, an alphabet or an E.164 error kind.
    Text(&'static str),
}

/// Named figures, in the order the vectors give them.
pub type Data = Vec<(&'static str, Datum)>;

/// A refusal that names a field and a rule, with the rule's figures: a
/// request violation, a limiter policy error, an id or a phone number
/// that does not parse. `message` is the core's text, which never holds a
/// submitted code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The field's wire name (`to`, `token_length`, `max`, `id`, …).
    pub field: &'static str,
    /// The rule's code (`out_of_range`, `invalid_e164`, `not_hex`, …).
    pub rule: &'static str,
    /// The figures the rule reports (may be empty).
    pub data: Data,
    /// Human-readable text.
    pub message: String,
}

fn int(n: impl Into<i128>) -> Datum {
    Datum::Int(n.into())
}

fn usize_int(n: usize) -> Datum {
    Datum::Int(n as i128)
}

/// The two delivery channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Channel {
    /// A text message.
    #[default]
    Sms,
    /// A voice call that reads the code out.
    Call,
}

impl Channel {
    /// `"sms"` or `"call"`.
    pub fn parse(name: &str) -> Option<Channel> {
        match name {
            "sms" => Some(Channel::Sms),
            "call" => Some(Channel::Call),
            _ => None,
        }
    }

    /// The wire name.
    pub fn name(self) -> &'static str {
        self.core().name()
    }

    /// The message a delivery on this channel uses when none is given.
    pub fn default_message(self) -> &'static str {
        self.core().default_message()
    }

    fn core(self) -> CoreChannel {
        match self {
            Channel::Sms => CoreChannel::Sms,
            Channel::Call => CoreChannel::Call,
        }
    }

    fn from_core(c: CoreChannel) -> Channel {
        match c {
            CoreChannel::Sms => Channel::Sms,
            CoreChannel::Call => Channel::Call,
        }
    }
}

/// An HTTP answer in the guide's shape: status, the exact JSON body, and
/// the `Retry-After` seconds of a 429.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The body, compact JSON (SPEC §7.5).
    pub body: String,
    /// Seconds for a `Retry-After` header, if any.
    pub retry_after: Option<u64>,
}

impl From<HttpResponse> for Response {
    fn from(r: HttpResponse) -> Response {
        Response {
            status: r.status,
            // The body types serialise to JSON without fail.
            body: serde_json::to_string(&r.body).unwrap_or_default(),
            retry_after: r.retry_after,
        }
    }
}

/// What a state-changing call did, and the revisions a host needs to write
/// the result back: compare-and-swap on `expected_revision`, store
/// `revision` (SPEC §5.10).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step<T> {
    /// The call's answer.
    pub outcome: T,
    /// The revision of the value the call started from.
    pub expected_revision: u64,
    /// The revision after the call.
    pub revision: u64,
    /// Whether the value changed and must be written back before answering
    /// (the core's [`mfa_core::Step::write`] is `Some`).
    write: bool,
}

impl<T> Step<T> {
    /// The core's step, its answer mapped by `outcome`; `read` is the
    /// revision of the value the call was made on (both revisions when the
    /// step asks for no write).
    fn from_core<A>(step: mfa_core::Step<A>, read: u64, outcome: impl FnOnce(A) -> T) -> Self {
        let (answer, write) = step.into_parts();
        Step::planned(outcome(answer), write, read)
    }

    /// `outcome` with the core's write plan `write`, made on a value of
    /// revision `read`.
    fn planned(outcome: T, write: Option<mfa_core::Swap>, read: u64) -> Self {
        let (expected_revision, revision) =
            write.map_or((read, read), |swap| (swap.expected(), swap.revision()));
        Step {
            outcome,
            expected_revision,
            revision,
            write: write.is_some(),
        }
    }

    /// Whether the value changed and must be written back before answering.
    pub fn changed(&self) -> bool {
        self.write
    }
}

// --- parameters ---------------------------------------------------------------------

/// A request to issue a challenge: the guide's fields and the host-side
/// ones, as given (nothing checked yet).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RequestData {
    /// The channel the first delivery goes by.
    pub channel: Channel,
    /// Recipient, E.164.
    pub to: Option<String>,
    /// Sender, E.164.
    pub from: Option<String>,
    /// Text before the code.
    pub message: Option<String>,
    /// Code length, 4–20.
    pub token_length: Option<i64>,
    /// Tries, 1–20.
    pub max_attempts: Option<i64>,
    /// Letters in the code.
    pub allow_alphas: Option<bool>,
    /// Seconds, 0–604800.
    pub valid_for: Option<i64>,
    /// Host-side: deliveries, 1–20.
    pub max_deliveries: Option<i64>,
    /// Host-side: a code the host chose.
    pub token: Option<String>,
}

/// A request with every rule met and the defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamsData {
    /// The channel of the first delivery.
    pub channel: Channel,
    /// Recipient.
    pub to: String,
    /// Sender, if given.
    pub from: Option<String>,
    /// The message in effect (the channel's default if none was given).
    pub message: String,
    /// Code length.
    pub token_length: u8,
    /// Tries.
    pub max_attempts: u8,
    /// Letters in the code.
    pub allow_alphas: bool,
    /// Seconds.
    pub valid_for: u32,
    /// Deliveries.
    pub max_deliveries: u8,
    /// Whether the host supplied the code.
    pub has_host_token: bool,
}

/// Every rule a request breaks, and the guide's 422 answer for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// One entry per broken rule, in the contract's field order.
    pub violations: Vec<Problem>,
    /// All of them as one line.
    pub message: String,
    /// The 422 answer.
    pub response: Response,
}

impl Invalid {
    fn new(v: &Violations) -> Invalid {
        Invalid {
            violations: v
                .iter()
                .map(|x| Problem {
                    field: x.field.name(),
                    rule: x.rule.code(),
                    data: rule_data(&x.rule),
                    message: x.to_string(),
                })
                .collect(),
            message: v.to_string(),
            response: HttpResponse::invalid(v).into(),
        }
    }
}

fn phone_data(e: PhoneError) -> Data {
    let mut d = vec![("kind", Datum::Text(e.code()))];
    match e {
        PhoneError::NotADigit { at } => d.push(("at", usize_int(at))),
        PhoneError::TooShort { digits } | PhoneError::TooLong { digits } => {
            d.push(("digits", usize_int(digits)))
        }
        _ => {}
    }
    d
}

fn rule_data(rule: &Rule) -> Data {
    match *rule {
        Rule::Range { min, max, given } => {
            vec![("min", int(min)), ("max", int(max)), ("given", int(given))]
        }
        Rule::E164(e) => phone_data(e),
        Rule::SmsSegment {
            encoding,
            units,
            limit,
        } => vec![
            ("encoding", Datum::Text(encoding.name())),
            ("units", usize_int(units)),
            ("limit", usize_int(limit)),
        ],
        Rule::VoiceLength { chars, limit } => {
            vec![("chars", usize_int(chars)), ("limit", usize_int(limit))]
        }
        Rule::Template(e) => vec![
            ("kind", Datum::Text(e.kind())),
            ("position", usize_int(e.position())),
        ],
        Rule::TokenAlphabet { position, alphabet } => vec![
            ("position", usize_int(position)),
            (
                "alphabet",
                Datum::Text(if alphabet.allows_alphas() {
                    "alphanumeric"
                } else {
                    "numeric"
                }),
            ),
        ],
        Rule::TokenLengthMismatch {
            token_length,
            given,
        } => vec![
            ("token_length", int(token_length)),
            ("given", usize_int(given)),
        ],
        // `required`, `from_required`, and rules a later core adds.
        _ => Vec::new(),
    }
}

impl RequestData {
    fn core(&self) -> CoreRequest<'_> {
        CoreRequest {
            channel: self.channel.core(),
            to: self.to.as_deref(),
            from: self.from.as_deref(),
            message: self.message.as_deref(),
            token_length: self.token_length,
            max_attempts: self.max_attempts,
            allow_alphas: self.allow_alphas,
            valid_for: self.valid_for,
            max_deliveries: self.max_deliveries,
            token: self.token.as_deref(),
        }
    }

    /// The resolved parameters, or every broken rule.
    pub fn validate(&self) -> Result<ParamsData, Invalid> {
        let p = self.core().validate().map_err(|v| Invalid::new(&v))?;
        Ok(ParamsData {
            channel: Channel::from_core(p.channel()),
            to: p.to().as_str().to_owned(),
            from: p.from().map(|f| f.as_str().to_owned()),
            message: p.message().to_owned(),
            token_length: p.token_length(),
            max_attempts: p.max_attempts(),
            allow_alphas: p.alphabet().allows_alphas(),
            valid_for: p.valid_for(),
            max_deliveries: p.max_deliveries(),
            has_host_token: p.has_host_token(),
        })
    }
}

// --- randomness ---------------------------------------------------------------------

/// Where issuing gets its bytes.
pub enum RngSource<'a> {
    /// The operating system's (or, in a browser, `crypto.getRandomValues`).
    Os,
    /// A host-given source: fills the slice, or says it failed. For tests
    /// (fixed streams, the vectors) or a host's own CSPRNG.
    Fill(&'a mut dyn FnMut(&mut [u8]) -> bool),
}

#[derive(Debug)]
struct SourceFailed;

impl core::fmt::Display for SourceFailed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the random source failed")
    }
}

impl core::error::Error for SourceFailed {}

struct FillRng<'a, 'b>(&'a mut (dyn FnMut(&mut [u8]) -> bool + 'b));

impl TryRng for FillRng<'_, '_> {
    type Error = SourceFailed;
    fn try_next_u32(&mut self) -> Result<u32, SourceFailed> {
        let mut b = [0; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, SourceFailed> {
        let mut b = [0; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), SourceFailed> {
        if (self.0)(dst) {
            Ok(())
        } else {
            Err(SourceFailed)
        }
    }
}

// The host vouches for its source: the binding documents that it must be
// cryptographic outside tests.
impl TryCryptoRng for FillRng<'_, '_> {}

// --- challenges ---------------------------------------------------------------------

/// Why a challenge was not issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssueError {
    /// The request breaks rules.
    Invalid(Invalid),
    /// The random source failed.
    Rng,
}

/// SMS segment arithmetic of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segments {
    /// `"gsm7"` or `"ucs2"`.
    pub encoding: &'static str,
    /// Septets or UTF-16 units.
    pub units: usize,
    /// Parts the text is sent in.
    pub parts: usize,
}

impl From<SegmentInfo> for Segments {
    fn from(s: SegmentInfo) -> Segments {
        Segments {
            encoding: s.encoding.name(),
            units: s.units,
            parts: s.parts,
        }
    }
}

/// The segment arithmetic of any text (SPEC §4.8, §4.9).
pub fn segments(text: &str) -> Segments {
    core_segments(text).into()
}

/// The `{code}` placeholders of a message (SPEC §4.10), or its first
/// template error (`template_invalid` on `message`, with `kind` and the
/// character `position`).
pub fn check_template(message: &str) -> Result<usize, Problem> {
    core_check_template(message).map_err(|e| Problem {
        field: "message",
        rule: "template_invalid",
        data: vec![
            ("kind", Datum::Text(e.kind())),
            ("position", usize_int(e.position())),
        ],
        message: e.to_string(),
    })
}

/// What a user typed, normalised (SPEC §3.4), or `None` when it can
/// match no code.
pub fn normalize(input: &str) -> Option<String> {
    Normalized::new(input).map(|n| n.as_str().to_owned())
}

/// A text to send: where, how, and the text itself (which holds the code).
#[derive(Clone, PartialEq, Eq)]
pub struct DeliveryData {
    /// Channel.
    pub channel: Channel,
    /// Recipient.
    pub to: String,
    /// Sender, if any.
    pub from: Option<String>,
    /// The message before the code.
    pub message: String,
    /// The whole text, code included.
    pub text: String,
    /// Unicode scalar values in `text`.
    pub chars: usize,
    /// Segment arithmetic of `text`.
    pub segments: Segments,
}

impl From<Delivery<'_>> for DeliveryData {
    fn from(d: Delivery<'_>) -> DeliveryData {
        DeliveryData {
            channel: Channel::from_core(d.channel()),
            to: d.to().as_str().to_owned(),
            from: d.from().map(|f| f.as_str().to_owned()),
            message: d.message().to_owned(),
            text: d.text(),
            chars: d.chars(),
            segments: d.segments().into(),
        }
    }
}

/// Issues a challenge at `now` (Unix seconds): the challenge to store
/// first, and the delivery to send after.
pub fn issue(
    request: &RequestData,
    rng: RngSource<'_>,
    now: u64,
) -> Result<(ChallengeBox, DeliveryData), IssueError> {
    let core = request.core();
    let params = core
        .validate()
        .map_err(|v| IssueError::Invalid(Invalid::new(&v)))?;
    let now = UnixTime::from_secs(now);
    let issued = match rng {
        RngSource::Os => Challenge::issue(&params, &mut OsRng, now),
        RngSource::Fill(f) => Challenge::issue(&params, &mut FillRng(f), now),
    };
    let (c, d) = issued.map_err(|_| IssueError::Rng)?;
    Ok((ChallengeBox(c), d.into()))
}

/// Why a challenge refused a call: `already_verified`,
/// `attempts_exhausted`, `expired` or `canceled`.
pub type Reason = &'static str;

fn closed_of(code: &str) -> Option<Closed> {
    [
        Closed::AlreadyVerified,
        Closed::AttemptsExhausted,
        Closed::Expired,
        Closed::Canceled,
    ]
    .into_iter()
    .find(|c| c.code() == code)
}

/// The answer to a verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyOutcome(Verification);

impl VerifyOutcome {
    /// `"verified"`, `"wrong_token"` or `"rejected"`.
    pub fn kind(&self) -> &'static str {
        match self.0 {
            Verification::Verified => "verified",
            Verification::WrongToken { .. } => "wrong_token",
            Verification::Rejected(_) => "rejected",
        }
    }
    /// Whether the code was right.
    pub fn is_verified(&self) -> bool {
        self.0.is_verified()
    }
    /// Tries left after a wrong code.
    pub fn attempts_left(&self) -> Option<u8> {
        match self.0 {
            Verification::WrongToken { attempts_left } => Some(attempts_left),
            _ => None,
        }
    }
    /// Why the challenge refused to compare.
    pub fn reason(&self) -> Option<Reason> {
        match self.0 {
            Verification::Rejected(r) => Some(r.code()),
            _ => None,
        }
    }
    /// The guide's answer (200 with `success`, or 404).
    pub fn response(&self) -> Response {
        HttpResponse::verification(&self.0).into()
    }
}

/// The answer to a cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelOutcome(Result<(), Closed>);

impl CancelOutcome {
    /// Whether the challenge is now canceled by this call.
    pub fn is_canceled(&self) -> bool {
        self.0.is_ok()
    }
    /// Why not.
    pub fn reason(&self) -> Option<Reason> {
        self.0.err().map(Closed::code)
    }
    /// The guide's answer.
    pub fn response(&self) -> Response {
        HttpResponse::cancel(&self.0).into()
    }
}

/// The answer to a resend.
#[derive(Clone, PartialEq, Eq)]
pub struct ResendOutcome {
    /// `"delivered"`, `"rejected"`, `"deliveries_exhausted"` or `"invalid"`.
    pub kind: &'static str,
    /// The new delivery, when delivered.
    pub delivery: Option<DeliveryData>,
    /// Why the challenge refused (`"rejected"`).
    pub reason: Option<Reason>,
    /// The delivery cap (`"deliveries_exhausted"`).
    pub max: Option<u8>,
    /// The text's broken rules (`"invalid"`).
    pub invalid: Option<Invalid>,
    /// The guide's answer.
    pub response: Response,
}

/// A challenge: the record a host stores under its id.
#[derive(Clone, PartialEq, Eq)]
pub struct ChallengeBox(Challenge);

impl ChallengeBox {
    /// The id, canonical text.
    pub fn id(&self) -> String {
        self.0.parts().id.to_string()
    }
    /// The channel of the latest delivery.
    pub fn channel(&self) -> Channel {
        Channel::from_core(self.0.parts().channel)
    }
    /// Recipient.
    pub fn to(&self) -> String {
        self.0.parts().to.as_str().to_owned()
    }
    /// Sender.
    pub fn from(&self) -> Option<String> {
        self.0.parts().from.map(|f| f.as_str().to_owned())
    }
    /// The code itself: only to deliver it or to test.
    pub fn expose_token(&self) -> String {
        self.0.parts().token.expose_secret().to_owned()
    }
    /// Letters in the code.
    pub fn allow_alphas(&self) -> bool {
        self.0.parts().alphabet.allows_alphas()
    }
    /// Issue time, Unix seconds.
    pub fn issued_at(&self) -> u64 {
        self.0.parts().issued_at.as_secs()
    }
    /// Window, seconds.
    pub fn valid_for(&self) -> u32 {
        self.0.parts().valid_for
    }
    /// Tries allowed.
    pub fn max_attempts(&self) -> u8 {
        self.0.parts().max_attempts
    }
    /// Tries made.
    pub fn attempts_used(&self) -> u8 {
        self.0.parts().attempts_used
    }
    /// Tries left (0 once terminal).
    pub fn attempts_left(&self) -> u8 {
        self.0.attempts_left()
    }
    /// Deliveries allowed.
    pub fn max_deliveries(&self) -> u8 {
        self.0.parts().max_deliveries
    }
    /// Deliveries made.
    pub fn deliveries(&self) -> u8 {
        self.0.parts().deliveries
    }
    /// The recorded state's name.
    pub fn state(&self) -> &'static str {
        self.0.parts().state.name()
    }
    /// The state at `now`, recording nothing.
    pub fn state_at(&self, now: u64) -> &'static str {
        self.0.state_at(UnixTime::from_secs(now)).name()
    }
    /// Whether the recorded state is final.
    pub fn is_terminal(&self) -> bool {
        self.0.parts().state.is_terminal()
    }
    /// The compare-and-swap token.
    pub fn revision(&self) -> u64 {
        self.0.revision()
    }
    /// End of the window, Unix seconds (saturating).
    pub fn expires_at(&self) -> u64 {
        self.0.expires_at().as_secs()
    }

    /// Compares what the user typed, at `now`.
    pub fn verify(&mut self, code: &str, now: u64) -> Step<VerifyOutcome> {
        let read = self.0.revision();
        let step = self.0.verify(code, UnixTime::from_secs(now));
        Step::from_core(step, read, VerifyOutcome)
    }

    /// Cancels at `now`.
    pub fn cancel(&mut self, now: u64) -> Step<CancelOutcome> {
        let read = self.0.revision();
        let step = self.0.cancel(UnixTime::from_secs(now));
        Step::from_core(step, read, CancelOutcome)
    }

    /// Sends the same code again, on `channel`, with `message` (`None`:
    /// the channel's default).
    pub fn resend(
        &mut self,
        channel: Channel,
        message: Option<&str>,
        now: u64,
    ) -> Step<ResendOutcome> {
        let read = self.0.revision();
        let step = self
            .0
            .resend(channel.core(), message, UnixTime::from_secs(now));
        let (result, write) = step.into_parts();
        let result = result.map(DeliveryData::from);
        let c = &self.0;
        let outcome = {
            let mut out = ResendOutcome {
                kind: "delivered",
                delivery: None,
                reason: None,
                max: None,
                invalid: None,
                response: Response {
                    status: 0,
                    body: String::new(),
                    retry_after: None,
                },
            };
            match result {
                Ok(d) => {
                    out.delivery = Some(d);
                    out.response = HttpResponse::resent(c).into();
                }
                Err(e) => {
                    out.response = HttpResponse::resend_refused(&e).into();
                    match e {
                        ResendError::Closed(r) => {
                            out.kind = "rejected";
                            out.reason = Some(r.code());
                        }
                        ResendError::DeliveriesExhausted { max } => {
                            out.kind = "deliveries_exhausted";
                            out.max = Some(max);
                        }
                        ResendError::Invalid(v) => {
                            out.kind = "invalid";
                            out.invalid = Some(Invalid::new(&v));
                        }
                        _ => out.kind = "refused",
                    }
                }
            }
            out
        };
        Step::planned(outcome, write, read)
    }

    /// The stored record: versioned JSON (SPEC §8).
    pub fn to_json(&self) -> String {
        // A challenge always serialises.
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    /// Reads a stored record, checking every rule (SPEC §8.3). The error
    /// names the field or rule and never holds the code.
    pub fn from_json(text: &str) -> Result<ChallengeBox, String> {
        serde_json::from_str(text)
            .map(ChallengeBox)
            .map_err(|e| e.to_string())
    }

    /// The guide's answer to the issue (200, `id, success, to, channel`).
    pub fn issued_response(&self) -> Response {
        HttpResponse::issued(&self.0).into()
    }
}

// --- the guide's wire format --------------------------------------------------------

/// A body that does not read: the reason and the 422 answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadBody {
    /// What is wrong (never the submitted code).
    pub detail: String,
    /// The 422 answer.
    pub response: Response,
}

fn bad_body(e: &serde_json::Error) -> BadBody {
    BadBody {
        detail: e.to_string(),
        response: HttpResponse::bad_body(e).into(),
    }
}

/// Reads a `POST /mfa/sms` or `/mfa/call` body strictly (SPEC §7.2).
pub fn parse_request_body(text: &[u8], channel: Channel) -> Result<RequestData, BadBody> {
    let b: RequestBody = serde_json::from_slice(text).map_err(|e| bad_body(&e))?;
    Ok(RequestData {
        channel,
        to: b.to,
        from: b.from,
        message: b.message,
        token_length: b.token_length,
        max_attempts: b.max_attempts,
        allow_alphas: b.allow_alphas,
        valid_for: b.valid_for,
        max_deliveries: None,
        token: None,
    })
}

/// Reads a `POST /mfa/{id}/verify` body strictly (SPEC §7.3): the code.
pub fn parse_verify_body(text: &[u8]) -> Result<String, BadBody> {
    serde_json::from_slice::<VerifyBody>(text)
        .map(|b| b.token)
        .map_err(|e| bad_body(&e))
}

/// 404 for a challenge that refused (`reason` as in [`Reason`]); `None`
/// for an unknown reason.
pub fn closed_response(reason: &str) -> Option<Response> {
    closed_of(reason).map(|c| HttpResponse::closed(c).into())
}

/// 404 for an unknown id.
pub fn not_found_response() -> Response {
    HttpResponse::not_found().into()
}

/// 429 when every delivery has been made.
pub fn deliveries_exhausted_response(max: u8) -> Response {
    HttpResponse::deliveries_exhausted(max).into()
}

/// 429 with `Retry-After` for a refused send.
pub fn rate_limited_response(retry_after: u64) -> Response {
    HttpResponse::rate_limited(retry_after).into()
}

/// 429 for a subject that must wait (`Some`) or is locked (`None`).
pub fn locked_response(retry_after: Option<u64>) -> Response {
    HttpResponse::locked(retry_after).into()
}

/// A host's own error answer (401, 500, 502, …) in the guide's shape.
pub fn error_response(status: u16, title: &str, code: &str, detail: &str) -> Response {
    HttpResponse::error(status, title, code, detail).into()
}

// --- ids and numbers ------------------------------------------------------------------

/// A challenge id: canonical text and its 16 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdData {
    /// Lower-case, hyphenated.
    pub canonical: String,
    /// The UUID's bytes.
    pub bytes: [u8; 16],
}

fn id_result(r: Result<ChallengeId, IdError>) -> Result<IdData, Problem> {
    match r {
        Ok(id) => Ok(IdData {
            canonical: id.to_string(),
            bytes: *id.as_bytes(),
        }),
        Err(e) => {
            let (rule, data) = match e {
                IdError::Length { given } => ("length", vec![("given", usize_int(given))]),
                IdError::Hyphen { at } => ("hyphen", vec![("at", usize_int(at))]),
                IdError::NotHex { at } => ("not_hex", vec![("at", usize_int(at))]),
                IdError::Version => ("version", Vec::new()),
                IdError::Variant => ("variant", Vec::new()),
                _ => ("invalid", Vec::new()),
            };
            Err(Problem {
                field: "id",
                rule,
                data,
                message: e.to_string(),
            })
        }
    }
}

/// Parses an id's text (SPEC §6.3).
pub fn parse_id(text: &str) -> Result<IdData, Problem> {
    id_result(ChallengeId::parse(text))
}

/// An id from its 16 bytes (SPEC §6.4).
pub fn id_from_bytes(bytes: [u8; 16]) -> Result<IdData, Problem> {
    id_result(ChallengeId::from_bytes(bytes))
}

/// The country calling code of an E.164 number (`None`: spare or
/// reserved), SPEC §9.3; an error when it is not E.164.
pub fn country_code(number: &str) -> Result<Option<u16>, Problem> {
    PhoneNumber::parse(number)
        .map(|n| n.country_code())
        .map_err(|e| Problem {
            field: "number",
            rule: "invalid_e164",
            data: phone_data(e),
            message: e.to_string(),
        })
}

// --- abuse control --------------------------------------------------------------------

fn limit_problem(e: &LimitError) -> Problem {
    let data = match e.rule {
        LimitRule::Range { min, max, given } => {
            vec![("min", int(min)), ("max", int(max)), ("given", int(given))]
        }
        LimitRule::AtLeast {
            other,
            bound,
            given,
        }
        | LimitRule::AtMost {
            other,
            bound,
            given,
        } => vec![
            ("other", Datum::Text(other.name())),
            ("bound", int(bound)),
            ("given", int(given)),
        ],
        LimitRule::Unordered { index } => vec![("index", usize_int(index))],
        LimitRule::Span { max, given } => vec![("max", int(max)), ("given", int(given))],
        _ => Vec::new(),
    };
    Problem {
        field: e.field.name(),
        rule: e.rule.code(),
        data,
        message: e.to_string(),
    }
}

/// Send limits: up to four sliding windows (SPEC §9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SendPolicyBox(SendPolicy);

impl SendPolicyBox {
    /// A policy of `(max, interval_secs)` windows; the first broken rule.
    pub fn new(windows: &[(u64, u64)]) -> Result<SendPolicyBox, Problem> {
        let mut ws = Vec::with_capacity(windows.len());
        for &(max, interval) in windows {
            ws.push(Window::try_new(max, interval).map_err(|e| limit_problem(&e))?);
        }
        SendPolicy::new(&ws)
            .map(SendPolicyBox)
            .map_err(|e| limit_problem(&e))
    }
    /// `(max, interval_secs)` of each window.
    pub fn windows(&self) -> Vec<(u8, u32)> {
        self.0
            .windows()
            .iter()
            .map(|w| (w.max(), w.interval_secs()))
            .collect()
    }
    /// Stored form.
    pub fn to_json(self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
    /// Reads the stored form, checking the rules.
    pub fn from_json(text: &str) -> Result<SendPolicyBox, String> {
        serde_json::from_str(text)
            .map(SendPolicyBox)
            .map_err(|e| e.to_string())
    }
}

/// A send decision: allowed, or the seconds to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendDecision {
    /// `None` when allowed.
    pub retry_after: Option<u64>,
}

impl SendDecision {
    /// The 429 for a refusal; `None` when allowed.
    pub fn response(&self) -> Option<Response> {
        self.retry_after.map(rate_limited_response)
    }
}

/// The sends of one key (a number, an account, an address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SendLogBox(SendLog);

impl SendLogBox {
    /// Would a send at `now` be allowed? Changes nothing.
    pub fn check(&self, policy: &SendPolicyBox, now: u64) -> SendDecision {
        SendDecision {
            retry_after: self
                .0
                .check(&policy.0, UnixTime::from_secs(now))
                .retry_after(),
        }
    }
    /// Decides on a send at `now` and records it when allowed.
    pub fn try_send(&mut self, policy: &SendPolicyBox, now: u64) -> Step<SendDecision> {
        let read = self.0.revision();
        let step = self.0.try_send(&policy.0, UnixTime::from_secs(now));
        Step::from_core(step, read, |a| SendDecision {
            retry_after: a.retry_after(),
        })
    }
    /// Allowed sends so far.
    pub fn revision(&self) -> u64 {
        self.0.revision()
    }
    /// Kept event times, oldest first.
    pub fn events(&self) -> Vec<u64> {
        self.0.events().map(UnixTime::as_secs).collect()
    }
    /// Stored form.
    pub fn to_json(self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
    /// Reads the stored form, checking the rules.
    pub fn from_json(text: &str) -> Result<SendLogBox, String> {
        serde_json::from_str(text)
            .map(SendLogBox)
            .map_err(|e| e.to_string())
    }
}

/// Failed-try lockout policy (SPEC §9.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LockoutPolicyBox(LockoutPolicy);

impl LockoutPolicyBox {
    /// A policy; the first broken rule.
    pub fn new(
        free_failures: u64,
        base_delay_secs: u64,
        max_delay_secs: u64,
        hard_limit: u64,
    ) -> Result<LockoutPolicyBox, Problem> {
        LockoutPolicy::try_new(free_failures, base_delay_secs, max_delay_secs, hard_limit)
            .map(LockoutPolicyBox)
            .map_err(|e| limit_problem(&e))
    }
    /// Failures without a wait.
    pub fn free_failures(&self) -> u8 {
        self.0.free_failures()
    }
    /// First wait, seconds.
    pub fn base_delay_secs(&self) -> u32 {
        self.0.base_delay_secs()
    }
    /// Longest wait, seconds.
    pub fn max_delay_secs(&self) -> u32 {
        self.0.max_delay_secs()
    }
    /// Failures that lock.
    pub fn hard_limit(&self) -> u8 {
        self.0.hard_limit()
    }
    /// Stored form.
    pub fn to_json(self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
    /// Reads the stored form, checking the rules.
    pub fn from_json(text: &str) -> Result<LockoutPolicyBox, String> {
        serde_json::from_str(text)
            .map(LockoutPolicyBox)
            .map_err(|e| e.to_string())
    }
}

/// May a subject try a code now?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptData(Admission);

impl AttemptData {
    /// `"allowed"`, `"wait"` or `"locked"`.
    pub fn kind(&self) -> &'static str {
        match self.0 {
            Admission::Allowed => "allowed",
            Admission::Wait { .. } => "wait",
            Admission::Locked => "locked",
        }
    }
    /// Seconds to wait (`"wait"`).
    pub fn secs(&self) -> Option<u64> {
        match self.0 {
            Admission::Wait { secs } => Some(secs),
            _ => None,
        }
    }
    /// The 429 when not allowed.
    pub fn response(&self) -> Option<Response> {
        match self.0 {
            Admission::Allowed => None,
            Admission::Wait { secs } => Some(locked_response(Some(secs))),
            Admission::Locked => Some(locked_response(None)),
        }
    }
}

/// The failed tries of one subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LockoutBox(Lockout);

impl LockoutBox {
    /// Would a try at `now` be allowed? Changes nothing.
    pub fn check(&self, policy: &LockoutPolicyBox, now: u64) -> AttemptData {
        AttemptData(self.0.check(&policy.0, UnixTime::from_secs(now)))
    }
    /// Decides on a try at `now`; an allowed try counts as a failure until
    /// [`reset`](Self::reset).
    pub fn admit(&mut self, policy: &LockoutPolicyBox, now: u64) -> Step<AttemptData> {
        let read = self.0.revision();
        let step = self.0.admit(&policy.0, UnixTime::from_secs(now));
        Step::from_core(step, read, AttemptData)
    }
    /// Clears the failures (a right code, or a host lifting a lock).
    pub fn reset(&mut self) -> Step<()> {
        let read = self.0.revision();
        let step = self.0.reset();
        Step::from_core(step, read, |()| ())
    }
    /// Consecutive failures.
    pub fn failures(&self) -> u8 {
        self.0.failures()
    }
    /// Changes so far.
    pub fn revision(&self) -> u64 {
        self.0.revision()
    }
    /// Stored form.
    pub fn to_json(self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
    /// Reads the stored form, checking the rules.
    pub fn from_json(text: &str) -> Result<LockoutBox, String> {
        serde_json::from_str(text)
            .map(LockoutBox)
            .map_err(|e| e.to_string())
    }
}
