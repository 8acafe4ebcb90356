//! Delivery text (SPEC §4): what the host sends by SMS or reads out on a
//! call.

use core::fmt;

use crate::channel::Channel;
use crate::limits::TOKEN_LENGTH_MAX;
use crate::phone::PhoneNumber;
use crate::sms::{SegmentCounter, SegmentInfo};
use crate::template::{self, Piece, Pieces};
use crate::token::Token;

/// Writes the rendered text (SPEC §4.1, §4.10). A message with a `{code}`
/// placeholder is a template: its text, with `{{` and `}}` written as one
/// brace, and the token wherever `{code}` stands. Any other message: its
/// text (braces unescaped the same way), then one space unless it is empty
/// or ends in white space (Unicode `White_Space`), then the token. On a
/// call the token is spelled one symbol at a time: `1, 2, 3, 4.`, the final
/// `.` left out where a placeholder has template text after it.
pub(crate) fn render_into<W: fmt::Write>(
    w: &mut W,
    channel: Channel,
    message: &str,
    token: &str,
) -> fmt::Result {
    if template::has_placeholder(message) {
        let mut pieces = Pieces::new(message).peekable();
        while let Some(piece) = pieces.next() {
            match piece {
                Piece::Text(t) => w.write_str(t)?,
                Piece::Code => write_token(w, channel, token, pieces.peek().is_none())?,
            }
        }
        return Ok(());
    }
    for piece in Pieces::new(message) {
        if let Piece::Text(t) = piece {
            w.write_str(t)?;
        }
    }
    if needs_separator(message) {
        w.write_char(' ')?;
    }
    write_token(w, channel, token, true)
}

/// The token as sent: as is for SMS; spelled for a call, ending in `.`
/// when `last` (nothing follows it in the text).
fn write_token<W: fmt::Write>(w: &mut W, channel: Channel, token: &str, last: bool) -> fmt::Result {
    match channel {
        Channel::Sms => w.write_str(token),
        Channel::Call => {
            // "1, 2, 3." built on the stack, then written at once: each
            // symbol fills three bytes ("1, "), and the last ", " becomes
            // "." or nothing (a token has at least one symbol; one of more
            // than 20 would be cut, never overrun the buffer).
            let mut spelled = [b' '; 3 * TOKEN_LENGTH_MAX as usize];
            let mut n = 0usize;
            for (three, b) in spelled.chunks_exact_mut(3).zip(token.bytes()) {
                three[0] = b;
                three[1] = b',';
                n += 3;
            }
            let Some(n) = n.checked_sub(2) else {
                return Ok(());
            };
            spelled[n] = b'.';
            let end = if last { n + 1 } else { n };
            // Token symbols and the punctuation are ASCII.
            w.write_str(core::str::from_utf8(&spelled[..end]).map_err(|_| fmt::Error)?)
        }
    }
}

/// Whether a space goes between the message and the token: unless the
/// message is empty or ends in white space (Unicode `White_Space`, which is
/// what `char::is_whitespace` tests). An escaped brace is a brace, so the
/// message as given and its text as sent end alike.
fn needs_separator(message: &str) -> bool {
    message
        .chars()
        .next_back()
        .is_some_and(|c| !c.is_whitespace())
}

/// The length a call's text is held to (SPEC §4.5, §4.10): the text as
/// sent (braces unescaped), plus the token as written, `len` symbols, once
/// per `{code}` placeholder or, without one, after the separator; in
/// characters (Unicode scalar values). The spelled-out form a speech engine
/// reads is longer; the guide's limit counts the token itself.
pub(crate) fn voice_length(message: &str, len: u8) -> usize {
    let (mut chars, mut codes) = (0usize, 0usize);
    for piece in Pieces::new(message) {
        match piece {
            Piece::Text(t) => chars += t.chars().count(),
            Piece::Code => codes += 1,
        }
    }
    let tokens = match codes {
        0 => usize::from(needs_separator(message)) + usize::from(len),
        n => n * usize::from(len),
    };
    chars + tokens
}

/// Measures the text `render_into` would write for a token of `len`
/// symbols. Every token symbol is an ASCII letter or digit, which costs the
/// same in every measure, so a placeholder token gives the exact figures.
pub(crate) fn measure(channel: Channel, message: &str, len: usize) -> SegmentCounter {
    const PLACEHOLDER: &str = "00000000000000000000";
    let mut counter = SegmentCounter::default();
    // Writing into the counter cannot fail.
    let _ = render_into(
        &mut counter,
        channel,
        message,
        &PLACEHOLDER[..len.min(PLACEHOLDER.len())],
    );
    counter
}

/// Where a text goes: the channel, the destination and the origin. Shared
/// by validated parameters and deliveries; a challenge keeps the same
/// three in its public record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) channel: Channel,
    pub(crate) to: PhoneNumber,
    pub(crate) from: Option<PhoneNumber>,
}

/// One delivery to make: where to, from what number, over which channel,
/// and the text. The host hands it to its SMS gateway or voice service.
///
/// # Security
///
/// The text holds the token. `Delivery` has no `Display`; its `Debug` output
/// leaves the token out. Get the text with [`write_text`](Self::write_text)
/// (no allocation) or `text()` (feature `alloc`), and send it
/// without logging it.
#[derive(Clone)]
#[must_use = "a delivery is the text to send; dropping it sends nothing"]
pub struct Delivery<'m> {
    pub(crate) route: Route,
    pub(crate) message: &'m str,
    pub(crate) token: Token,
}

impl<'m> Delivery<'m> {
    /// SMS or call.
    pub fn channel(&self) -> Channel {
        self.route.channel
    }

    /// The number to send to or call.
    pub fn to(&self) -> PhoneNumber {
        self.route.to
    }

    /// The number to send or call from, if the request gave one.
    pub fn from(&self) -> Option<PhoneNumber> {
        self.route.from
    }

    /// The message as given: the text before the token or, when it holds
    /// a `{code}` placeholder, the template (SPEC §4.10).
    pub fn message(&self) -> &'m str {
        self.message
    }

    /// Writes the full text into `w`: message, separator and token, or the
    /// template with the token in place of each `{code}` (SPEC §4.10).
    pub fn write_text<W: fmt::Write>(&self, w: &mut W) -> fmt::Result {
        render_into(
            w,
            self.route.channel,
            self.message,
            self.token.expose_secret(),
        )
    }

    /// The full text as a `String` (feature `alloc`).
    #[cfg(feature = "alloc")]
    pub fn text(&self) -> alloc::string::String {
        let mut s = alloc::string::String::new();
        // Writing into a String cannot fail.
        let _ = self.write_text(&mut s);
        s
    }

    /// Characters (Unicode scalar values) of the full text.
    pub fn chars(&self) -> usize {
        measure(self.route.channel, self.message, self.token.len()).chars()
    }

    /// SMS segment arithmetic of the full text. For an SMS this is always
    /// one segment (issuing and resending check it).
    pub fn segments(&self) -> SegmentInfo {
        measure(self.route.channel, self.message, self.token.len()).info()
    }
}

impl fmt::Debug for Delivery<'_> {
    // The token is the secret: its own `Debug` prints only its length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("channel", &self.route.channel)
            .field("to", &self.route.to)
            .field("from", &self.route.from)
            .field("message", &self.message)
            .field("token", &self.token)
            .finish()
    }
}
