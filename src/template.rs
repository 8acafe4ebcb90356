//! Message templates (SPEC §4.10): `{code}` in `message` puts the code
//! where it stands; `{{` and `}}` are literal braces; any other brace is
//! refused ([`TemplateError`]). A message without `{code}` keeps the guide's
//! form: its text, a separator, then the code.

use core::fmt;

/// The placeholder that stands for the code.
pub(crate) const PLACEHOLDER: &str = "{code}";

/// Why `message` is not a valid template: the first brace, in text order,
/// that is neither part of `{{`, `}}` nor `{code}`. A message that holds a
/// brace for itself writes it twice.
///
/// `position` is the zero-based character (Unicode scalar value) position
/// of that brace in the message as given. Like every violation, it holds no
/// text from the message.
///
/// ```
/// use mfa_core::{Channel, Field, Request, Rule, TemplateError};
///
/// let req = Request {
///     from: Some("+15554433222"),
///     message: Some("Your code is {Code}"),
///     ..Request::new(Channel::Sms, "+15557788999")
/// };
/// let v = req.validate().unwrap_err();
/// let bad = v.of(Field::Message).next().unwrap();
/// assert_eq!(bad.rule, Rule::Template(TemplateError::UnknownPlaceholder { position: 13 }));
/// assert_eq!(bad.rule.code(), "template_invalid");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TemplateError {
    /// A `{` that does not start `{{` or `{code}`, with a `}` after it
    /// before any other `{`: `{Code}`, `{ code }`, `{token}`, `{}`.
    UnknownPlaceholder {
        /// Character position of the `{`.
        position: usize,
    },
    /// A `{` that does not start `{{` or `{code}`, with no `}` after it
    /// before the next `{` or the end.
    LoneOpenBrace {
        /// Character position of the `{`.
        position: usize,
    },
    /// A `}` that neither ends `{code}` nor starts `}}`.
    LoneCloseBrace {
        /// Character position of the `}`.
        position: usize,
    },
}

impl TemplateError {
    /// `"unknown_placeholder"`, `"lone_open_brace"` or `"lone_close_brace"`:
    /// stable names for logs and test vectors.
    pub const fn kind(self) -> &'static str {
        match self {
            TemplateError::UnknownPlaceholder { .. } => "unknown_placeholder",
            TemplateError::LoneOpenBrace { .. } => "lone_open_brace",
            TemplateError::LoneCloseBrace { .. } => "lone_close_brace",
        }
    }

    /// Zero-based character position of the offending brace.
    pub const fn position(self) -> usize {
        match self {
            TemplateError::UnknownPlaceholder { position }
            | TemplateError::LoneOpenBrace { position }
            | TemplateError::LoneCloseBrace { position } => position,
        }
    }
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            TemplateError::UnknownPlaceholder { .. } => "starts an unknown placeholder",
            TemplateError::LoneOpenBrace { .. } => "is a `{` that nothing closes",
            TemplateError::LoneCloseBrace { .. } => "is a `}` that closes nothing",
        };
        write!(
            f,
            "character {} {what} (the only placeholder is `{{code}}`; write `{{{{` and `}}}}` for literal braces)",
            self.position()
        )
    }
}

/// One piece of a message: literal text, or the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Text as it is sent (`{{` has become `{`, `}}` has become `}`).
    Text(&'a str),
    /// `{code}`.
    Code,
}

/// The pieces of a message, in order, as slices of it (no allocation).
/// Total on any text: a brace [`check`] would refuse comes out as literal
/// text, but only checked messages are ever rendered.
#[derive(Clone, Debug)]
pub(crate) struct Pieces<'a> {
    rest: &'a str,
}

impl<'a> Pieces<'a> {
    pub(crate) fn new(message: &'a str) -> Self {
        Pieces { rest: message }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        let rest = self.rest;
        let first = rest.as_bytes().first()?;
        let (piece, used) = match first {
            b'{' | b'}' if rest.as_bytes().get(1) == Some(first) => (Piece::Text(&rest[..1]), 2),
            b'{' if rest.starts_with(PLACEHOLDER) => (Piece::Code, PLACEHOLDER.len()),
            b'{' | b'}' => (Piece::Text(&rest[..1]), 1),
            _ => {
                let end = rest.find(['{', '}']).unwrap_or(rest.len());
                (Piece::Text(&rest[..end]), end)
            }
        };
        // Braces are ASCII, so every cut is on a character boundary.
        self.rest = &rest[used..];
        Some(piece)
    }
}

/// Checks the template syntax of `message`: the number of `{code}`
/// placeholders, or the first brace that is wrong.
pub(crate) fn check(message: &str) -> Result<usize, TemplateError> {
    let b = message.as_bytes();
    let mut codes = 0;
    let mut i = 0;
    while let Some(at) = b[i..].iter().position(|&c| c == b'{' || c == b'}') {
        i += at;
        let rest = &b[i..];
        if rest.get(1) == Some(&rest[0]) {
            i += 2;
        } else if rest.starts_with(PLACEHOLDER.as_bytes()) {
            codes += 1;
            i += PLACEHOLDER.len();
        } else {
            // Braces are ASCII: `i` is a character boundary.
            let position = message[..i].chars().count();
            return Err(if rest[0] == b'}' {
                TemplateError::LoneCloseBrace { position }
            } else {
                let after = &rest[1..];
                match after.iter().position(|&c| c == b'{' || c == b'}') {
                    Some(k) if after[k] == b'}' => TemplateError::UnknownPlaceholder { position },
                    _ => TemplateError::LoneOpenBrace { position },
                }
            });
        }
    }
    Ok(codes)
}

/// Checks the template syntax of `message` (SPEC §4.10) and counts its
/// `{code}` placeholders; validation does the same for every `message`.
/// For a host that keeps a template in its own configuration and wants it
/// refused at start-up rather than at the first request.
///
/// ```
/// use mfa_core::{TemplateError, check_template};
///
/// assert_eq!(check_template("Your code is {code}"), Ok(1));
/// assert_eq!(check_template("Your code is"), Ok(0));
/// assert_eq!(check_template("Use {{code}} as {code}, again {code}"), Ok(2));
/// assert_eq!(
///     check_template("Your code is {code"),
///     Err(TemplateError::LoneOpenBrace { position: 13 })
/// );
/// ```
pub fn check_template(message: &str) -> Result<usize, TemplateError> {
    check(message)
}

/// Whether `message` holds a `{code}` placeholder (read as [`Pieces`]).
pub(crate) fn has_placeholder(message: &str) -> bool {
    Pieces::new(message).any(|p| p == Piece::Code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(m: &str) -> Result<usize, (&'static str, usize)> {
        check(m).map_err(|e| (e.kind(), e.position()))
    }

    #[test]
    fn syntax() {
        assert_eq!(kinds(""), Ok(0));
        assert_eq!(kinds("Your code is"), Ok(0));
        assert_eq!(kinds("{code}"), Ok(1));
        assert_eq!(kinds("{code} and {code}"), Ok(2));
        assert_eq!(kinds("{{code}}"), Ok(0));
        assert_eq!(kinds("{{{code}}}"), Ok(1));
        assert_eq!(kinds("{Code}"), Err(("unknown_placeholder", 0)));
        assert_eq!(kinds("ж{}"), Err(("unknown_placeholder", 1)));
        assert_eq!(kinds("a { {code}"), Err(("lone_open_brace", 2)));
        assert_eq!(kinds("{code"), Err(("lone_open_brace", 0)));
        assert_eq!(kinds("{code}}"), Err(("lone_close_brace", 6)));
        assert_eq!(kinds("}}}"), Err(("lone_close_brace", 2)));
    }

    #[test]
    fn pieces() {
        assert!(Pieces::new("a{{b}}{code}ж{code}").eq([
            Piece::Text("a"),
            Piece::Text("{"),
            Piece::Text("b"),
            Piece::Text("}"),
            Piece::Code,
            Piece::Text("ж"),
            Piece::Code
        ]));
        // Unchecked text: a lone brace is literal.
        assert!(Pieces::new("}x{").eq([Piece::Text("}"), Piece::Text("x"), Piece::Text("{")]));
    }
}
