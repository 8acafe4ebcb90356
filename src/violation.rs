//! Parameter violations: which field, which rule, what was given.

use core::fmt;

use crate::phone::PhoneError;
use crate::sms::Encoding;
use crate::template::TemplateError;
use crate::token::Alphabet;

/// A request field, by its wire name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// `to`: the destination number.
    To,
    /// `from`: the origin number.
    From,
    /// `message`: the text before the token.
    Message,
    /// `token_length`.
    TokenLength,
    /// `max_attempts`.
    MaxAttempts,
    /// `valid_for`.
    ValidFor,
    /// `max_deliveries` (a host-side setting; not in the guide's body).
    MaxDeliveries,
    /// `token` (a host-supplied code; not in the guide's body).
    Token,
}

impl Field {
    /// The field's wire name.
    pub const fn name(self) -> &'static str {
        match self {
            Field::To => "to",
            Field::From => "from",
            Field::Message => "message",
            Field::TokenLength => "token_length",
            Field::MaxAttempts => "max_attempts",
            Field::ValidFor => "valid_for",
            Field::MaxDeliveries => "max_deliveries",
            Field::Token => "token",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rule a field broke. It holds numbers (limits, lengths, positions)
/// but never a text the client sent: not a token, and not a phone number
/// either (personal data, and errors end up in logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The field must be present.
    Required,
    /// The value must lie in `min..=max`.
    Range {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
        /// The value given (for a host token: its length).
        given: i64,
    },
    /// The text is not an E.164 number; `error` says which part of the
    /// format is broken first.
    E164(PhoneError),
    /// An SMS with a message other than the default needs a `from` number:
    /// only the default text may go over the shared registered route.
    FromRequired,
    /// `message` is not a valid template: a brace that is neither part of
    /// `{{`, `}}` nor the `{code}` placeholder (SPEC §4.10).
    Template(TemplateError),
    /// The rendered SMS text (message, separator, token, or the template
    /// with the token in place) does not fit one segment.
    SmsSegment {
        /// The encoding the text needs.
        encoding: Encoding,
        /// Units of the rendered text in that encoding.
        units: usize,
        /// Units one segment holds (160 or 70).
        limit: usize,
    },
    /// The voice text is longer than 500 characters: the message, the
    /// separator and the token as written (not spelled out), or the
    /// template's text with the token as written at each placeholder.
    VoiceLength {
        /// The voice length (SPEC §4.5): characters (Unicode scalar values)
        /// of the text with the token as written.
        chars: usize,
        /// The limit (500).
        limit: usize,
    },
    /// A host-supplied token has a character outside its alphabet.
    TokenAlphabet {
        /// Zero-based character position of the first one.
        position: usize,
        /// The alphabet required (from `allow_alphas`).
        alphabet: Alphabet,
    },
    /// A host-supplied token's length differs from `token_length`.
    TokenLengthMismatch {
        /// The `token_length` asked for.
        token_length: i64,
        /// The token's length.
        given: usize,
    },
}

impl Rule {
    /// A short, stable, machine-readable name of the rule.
    pub const fn code(&self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::Range { .. } => "out_of_range",
            Rule::E164(_) => "invalid_e164",
            Rule::FromRequired => "from_required",
            Rule::Template(_) => "template_invalid",
            Rule::SmsSegment { .. } => "sms_too_long",
            Rule::VoiceLength { .. } => "voice_too_long",
            Rule::TokenAlphabet { .. } => "invalid_alphabet",
            Rule::TokenLengthMismatch { .. } => "length_mismatch",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Rule::Required => f.write_str("is required"),
            Rule::Range { min, max, given } => {
                write!(f, "must be from {min} to {max} (given {given})")
            }
            Rule::E164(error) => write!(f, "must be an E.164 number: {error}"),
            Rule::FromRequired => f.write_str(
                "needs a `from` number: an SMS with a custom message cannot use the shared route",
            ),
            Rule::Template(error) => write!(f, "must be a valid template: {error}"),
            Rule::SmsSegment {
                encoding,
                units,
                limit,
            } => write!(
                f,
                "must fit one SMS segment with the token: the text needs {} {} ({}), one segment holds {limit}",
                units,
                encoding.unit_name(),
                encoding.name(),
            ),
            Rule::VoiceLength { chars, limit } => write!(
                f,
                "must be at most {limit} characters with the token (is {chars})"
            ),
            Rule::TokenAlphabet { position, alphabet } => {
                write!(f, "character {position} is not in the {alphabet} alphabet")
            }
            Rule::TokenLengthMismatch {
                token_length,
                given,
            } => write!(
                f,
                "has {given} characters but token_length is {token_length}"
            ),
        }
    }
}

/// One broken rule of one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The field, by wire name.
    pub field: Field,
    /// The rule.
    pub rule: Rule,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.rule)
    }
}

/// The most violations one request can have: one per field, and two on
/// `message` (`from_required`, then a template or length rule).
const MAX_VIOLATIONS: usize = 9;

/// Every rule a request broke, in field order. Never empty when returned as
/// an error. Stored inline (no allocation) and borrows nothing, so it
/// travels with `?` into `Box<dyn Error>` from any handler.
///
/// `Display` lists them all, separated by `; `.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violations {
    items: [Option<Violation>; MAX_VIOLATIONS],
    len: usize,
}

impl Violations {
    pub(crate) const fn new() -> Self {
        Violations {
            items: [None; MAX_VIOLATIONS],
            len: 0,
        }
    }

    pub(crate) fn push(&mut self, field: Field, rule: Rule) {
        // MAX_VIOLATIONS is above what the validators can produce; a push
        // past it would be a bug, and is dropped rather than panicking.
        debug_assert!(self.len < MAX_VIOLATIONS);
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = Some(Violation { field, rule });
            self.len += 1;
        }
    }

    /// How many rules were broken.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The violations, in field order.
    pub fn iter(&self) -> impl Iterator<Item = &Violation> + '_ {
        self.items[..self.len].iter().flatten()
    }

    /// The violations of one field.
    pub fn of(&self, field: Field) -> impl Iterator<Item = &Violation> + '_ {
        self.iter().filter(move |v| v.field == field)
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            fmt::Display::fmt(v, f)?;
        }
        Ok(())
    }
}

impl core::error::Error for Violations {}
