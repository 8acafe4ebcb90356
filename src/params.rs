//! Request parameters (SPEC §2): the guide's fields, their defaults and
//! their rules.

use core::fmt;

use crate::channel::Channel;
use crate::delivery::{Route, measure, voice_length};
use crate::limits::*;
use crate::phone::PhoneNumber;
use crate::template;
use crate::token::{Alphabet, Token, TokenError};
use crate::violation::{Field, Rule, Violations};

/// A request to issue a challenge, as the host received it: every field
/// optional and unchecked. [`validate`](Self::validate) turns it into
/// [`Params`] or reports every broken rule.
///
/// The fields are the guide's body fields, plus two host-side settings that
/// are not part of the wire body: `max_deliveries` and `token`. Integers
/// are `i64` so that any value a client sends can be reported back as given.
///
/// ```
/// use mfa_core::{Channel, Request};
///
/// let req = Request {
///     from: Some("+15554433222"),
///     message: Some("Here is your code: "),
///     allow_alphas: Some(true),
///     token_length: Some(8),
///     valid_for: Some(7200),
///     max_attempts: Some(4),
///     ..Request::new(Channel::Sms, "+15557788999")
/// };
/// let params = req.validate()?;
/// assert_eq!(params.token_length(), 8);
/// # Ok::<(), mfa_core::Violations>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// SMS (`/mfa/sms`) or voice call (`/mfa/call`).
    pub channel: Channel,
    /// `to`: E.164 destination. Required.
    pub to: Option<&'a str>,
    /// `from`: E.164 origin. Needed for an SMS with a custom message.
    pub from: Option<&'a str>,
    /// `message`: the text before the token, or a template that puts the
    /// token where `{code}` stands (`{{` and `}}` for literal braces,
    /// SPEC §4.10). Default: the channel's
    /// [`default_message`](Channel::default_message).
    pub message: Option<&'a str>,
    /// `token_length`: 4 to 20, default 6 (or the host token's length).
    pub token_length: Option<i64>,
    /// `max_attempts`: 1 to 20 tries, the first included. Default 3.
    pub max_attempts: Option<i64>,
    /// `allow_alphas` (or `allow_alpha`): letters in the token. Default false.
    pub allow_alphas: Option<bool>,
    /// `valid_for`: seconds, 0 to 604800. Default 3600.
    pub valid_for: Option<i64>,
    /// Host-side: deliveries allowed, the first included, 1 to 20. Default 5.
    pub max_deliveries: Option<i64>,
    /// Host-side: use this token instead of drawing one (a custom code, or a
    /// fixed code for a test number). It must use the alphabet that
    /// `allow_alphas` gives and, if `token_length` is set, have that length.
    pub token: Option<&'a str>,
}

impl fmt::Debug for Request<'_> {
    // A host-supplied `token` is the secret: only whether one was given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("channel", &self.channel)
            .field("to", &self.to)
            .field("from", &self.from)
            .field("message", &self.message)
            .field("token_length", &self.token_length)
            .field("max_attempts", &self.max_attempts)
            .field("allow_alphas", &self.allow_alphas)
            .field("valid_for", &self.valid_for)
            .field("max_deliveries", &self.max_deliveries)
            .field("token", &self.token.map(|_| "<redacted>"))
            .finish()
    }
}

impl<'a> Request<'a> {
    /// A request with only `to` set; every other field takes its default.
    pub const fn new(channel: Channel, to: &'a str) -> Self {
        Request {
            channel,
            to: Some(to),
            from: None,
            message: None,
            token_length: None,
            max_attempts: None,
            allow_alphas: None,
            valid_for: None,
            max_deliveries: None,
            token: None,
        }
    }

    /// A request for `channel` with no field set (not even `to`).
    pub const fn empty(channel: Channel) -> Self {
        let mut r = Request::new(channel, "");
        r.to = None;
        r
    }

    /// Checks every field and resolves the defaults.
    ///
    /// On failure the error lists *every* broken rule, in field order:
    /// `to`, `from`, `message`, `token_length`, `max_attempts`, `valid_for`,
    /// `max_deliveries`, `token` (SPEC §2). Whether the message fits is
    /// judged with the token length in effect; if `token_length` is itself
    /// out of range, with the shortest allowed token (4), so a message that
    /// could never fit is still reported.
    ///
    /// The error borrows nothing from the request, so `?` carries it out of
    /// a handler whose body is a local string.
    pub fn validate(&self) -> Result<Params<'a>, Violations> {
        let mut v = Violations::new();
        let to = match self.to {
            Some(text) => phone(&mut v, Field::To, text),
            None => {
                v.push(Field::To, Rule::Required);
                None
            }
        };
        let from = self.from.and_then(|text| phone(&mut v, Field::From, text));
        let alphabet = Alphabet::from_allow_alphas(self.allow_alphas.unwrap_or(false));
        let host_token = self.token.map(|t| Token::new(t, alphabet));
        let token_length = self.token_length(&host_token);
        // A given but malformed `from` is reported under `from`, not again
        // as a missing one.
        let message = check_message(
            &mut v,
            self.channel,
            self.message,
            self.from.is_some(),
            token_length.unwrap_or(TOKEN_LENGTH_MIN),
        );
        if let (Some(given), None) = (self.token_length, token_length) {
            v.push(
                Field::TokenLength,
                range(TOKEN_LENGTH_MIN, TOKEN_LENGTH_MAX, given),
            );
        }
        let max_attempts = int(
            &mut v,
            Field::MaxAttempts,
            self.max_attempts,
            (MAX_ATTEMPTS_MIN, MAX_ATTEMPTS_MAX, MAX_ATTEMPTS_DEFAULT),
        );
        let valid_for = int(
            &mut v,
            Field::ValidFor,
            self.valid_for,
            (VALID_FOR_MIN, VALID_FOR_MAX, VALID_FOR_DEFAULT),
        );
        let max_deliveries = int(
            &mut v,
            Field::MaxDeliveries,
            self.max_deliveries,
            (
                MAX_DELIVERIES_MIN,
                MAX_DELIVERIES_MAX,
                MAX_DELIVERIES_DEFAULT,
            ),
        );
        let token = host_token.and_then(|t| self.check_token(&mut v, t));

        match (to, token_length, max_attempts, valid_for, max_deliveries) {
            (Some(to), Some(token_length), Some(max_attempts), Some(valid_for), Some(md))
                if v.is_empty() =>
            {
                Ok(Params {
                    route: Route {
                        channel: self.channel,
                        to,
                        from,
                    },
                    message,
                    token_length,
                    alphabet,
                    max_attempts,
                    valid_for,
                    max_deliveries: md,
                    token,
                })
            }
            _ => Err(v),
        }
    }

    /// The token length in effect: `token_length` if given and in range
    /// (`None` if out of range), else a valid host token's own length, else
    /// the default.
    fn token_length(&self, host_token: &Option<Result<Token, TokenError>>) -> Option<u8> {
        match (self.token_length, host_token) {
            (Some(n), _) => in_range(n, TOKEN_LENGTH_MIN, TOKEN_LENGTH_MAX),
            (None, Some(Ok(t))) => Some(t.len() as u8),
            (None, _) => Some(TOKEN_LENGTH_DEFAULT),
        }
    }

    /// The host token, or its one violation: its length, its alphabet, or
    /// a mismatch with `token_length` (checked in that order).
    fn check_token(&self, v: &mut Violations, t: Result<Token, TokenError>) -> Option<Token> {
        let rule = match t {
            Err(TokenError::Length { given }) => {
                range(TOKEN_LENGTH_MIN, TOKEN_LENGTH_MAX, given as i64)
            }
            Err(TokenError::Alphabet { position, alphabet }) => {
                Rule::TokenAlphabet { position, alphabet }
            }
            Ok(t) => match self.token_length {
                Some(n) if n != t.len() as i64 => Rule::TokenLengthMismatch {
                    token_length: n,
                    given: t.len(),
                },
                _ => return Some(t),
            },
        };
        v.push(Field::Token, rule);
        None
    }
}

fn phone(v: &mut Violations, field: Field, text: &str) -> Option<PhoneNumber> {
    PhoneNumber::parse(text)
        .map_err(|error| v.push(field, Rule::E164(error)))
        .ok()
}

fn range<T: Into<i64>>(min: T, max: T, given: i64) -> Rule {
    Rule::Range {
        min: min.into(),
        max: max.into(),
        given,
    }
}

fn in_range<T: Into<i64> + TryFrom<i64>>(given: i64, min: T, max: T) -> Option<T> {
    if (min.into()..=max.into()).contains(&given) {
        T::try_from(given).ok()
    } else {
        None
    }
}

/// An integer field: the default if absent, the value if in range, else a
/// `Range` violation and `None`.
fn int<T: Copy + Into<i64> + TryFrom<i64>>(
    v: &mut Violations,
    field: Field,
    given: Option<i64>,
    (min, max, default): (T, T, T),
) -> Option<T> {
    let Some(given) = given else {
        return Some(default);
    };
    let value = in_range(given, min, max);
    if value.is_none() {
        v.push(field, range(min, max, given));
    }
    value
}

/// Checks `message` (or the channel's default) for `channel`: the `from`
/// rule for custom SMS texts (a template is custom), then the template
/// syntax (SPEC §4.10), then the length of the rendered text with a token
/// of `token_len` symbols: an SMS's rendered text must fit one segment; a
/// call's text with the token as written (not spelled out) must be at most
/// 500 characters, the guide's "500 characters including the token" read
/// literally (SPEC §4.5). A malformed template gets no length judgement.
/// Returns the message in effect.
pub(crate) fn check_message<'a>(
    v: &mut Violations,
    channel: Channel,
    message: Option<&'a str>,
    has_from: bool,
    token_len: u8,
) -> &'a str {
    let text = message.unwrap_or(channel.default_message());
    if channel == Channel::Sms && text != DEFAULT_SMS_MESSAGE && !has_from {
        v.push(Field::Message, Rule::FromRequired);
    }
    if let Err(error) = template::check(text) {
        v.push(Field::Message, Rule::Template(error));
        return text;
    }
    match channel {
        Channel::Sms => {
            let info = measure(channel, text, usize::from(token_len)).info();
            let limit = info.encoding.single_limit();
            if info.units > limit {
                v.push(
                    Field::Message,
                    Rule::SmsSegment {
                        encoding: info.encoding,
                        units: info.units,
                        limit,
                    },
                );
            }
        }
        Channel::Call => {
            let chars = voice_length(text, token_len);
            if chars > VOICE_MAX_CHARS {
                v.push(
                    Field::Message,
                    Rule::VoiceLength {
                        chars,
                        limit: VOICE_MAX_CHARS,
                    },
                );
            }
        }
    }
    text
}

/// A validated request with every default resolved. Only
/// [`Request::validate`] makes one, so holding a `Params` means every rule
/// of the contract holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params<'a> {
    pub(crate) route: Route,
    pub(crate) message: &'a str,
    pub(crate) token_length: u8,
    pub(crate) alphabet: Alphabet,
    pub(crate) max_attempts: u8,
    pub(crate) valid_for: u32,
    pub(crate) max_deliveries: u8,
    pub(crate) token: Option<Token>,
}

impl<'a> Params<'a> {
    /// SMS or call.
    pub fn channel(&self) -> Channel {
        self.route.channel
    }
    /// Destination.
    pub fn to(&self) -> PhoneNumber {
        self.route.to
    }
    /// Origin, if given.
    pub fn from(&self) -> Option<PhoneNumber> {
        self.route.from
    }
    /// The message in effect (the channel's default if none was given).
    pub fn message(&self) -> &'a str {
        self.message
    }
    /// Token symbols.
    pub fn token_length(&self) -> u8 {
        self.token_length
    }
    /// Token alphabet.
    pub fn alphabet(&self) -> Alphabet {
        self.alphabet
    }
    /// Verification tries allowed, the first included.
    pub fn max_attempts(&self) -> u8 {
        self.max_attempts
    }
    /// Seconds the challenge stays valid.
    pub fn valid_for(&self) -> u32 {
        self.valid_for
    }
    /// Deliveries allowed, the first included.
    pub fn max_deliveries(&self) -> u8 {
        self.max_deliveries
    }
    /// Whether the host supplied the token.
    pub fn has_host_token(&self) -> bool {
        self.token.is_some()
    }
}
