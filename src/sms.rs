//! SMS segment arithmetic for any text (SPEC §4): which encoding it needs,
//! how many units it costs and into how many parts it is cut.
//!
//! The GSM 7-bit default alphabet is 3GPP TS 23.038 §6.2.1: the basic table
//! (127 characters; its code 0x1B is the escape to the extension table, not a
//! character) and the default extension table (10 characters, 2 septets each:
//! the escape plus the code). National language shift tables are not used.
//! A text with any other character is sent as UCS-2 and costs one UTF-16 code
//! unit per character of the Basic Multilingual Plane, two per character
//! outside it.

use crate::limits::{SMS_GSM7, SMS_UCS2};

/// The encoding an SMS text is sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GSM 7-bit default alphabet (with its extension table); units are septets.
    Gsm7,
    /// UCS-2 (UTF-16 as carriers send it today); units are UTF-16 code units.
    Ucs2,
}

impl Encoding {
    /// Units that fit in a text sent as a single segment (160 or 70).
    pub const fn single_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => SMS_GSM7.single,
            Encoding::Ucs2 => SMS_UCS2.single,
        }
    }

    /// Units that fit in each part of a multi-part text (153 or 67).
    pub const fn part_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => SMS_GSM7.part,
            Encoding::Ucs2 => SMS_UCS2.part,
        }
    }

    /// `"gsm7"` or `"ucs2"`: stable names for logs and test vectors.
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        }
    }

    /// The unit name: `"septets"` or `"UTF-16 code units"`.
    pub const fn unit_name(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "septets",
            Encoding::Ucs2 => "UTF-16 code units",
        }
    }

    /// What `c` costs in this encoding, or `None` if GSM 7-bit cannot carry it.
    fn cost(self, c: char) -> Option<usize> {
        match self {
            Encoding::Gsm7 => gsm7_septets(c).map(usize::from),
            Encoding::Ucs2 => Some(c.len_utf16()),
        }
    }
}

/// The segment arithmetic of one text.
///
/// # Examples
///
/// ```
/// use mfa_core::sms::{Encoding, segments};
///
/// let s = segments("Your code is 123456");
/// assert_eq!((s.encoding, s.units, s.parts), (Encoding::Gsm7, 19, 1));
/// // '€' is in the extension table: 2 septets.
/// assert_eq!(segments("5€").units, 3);
/// // 'ç' is not GSM 7-bit (only 'Ç' is): the whole text becomes UCS-2.
/// assert_eq!(segments("ça").encoding, Encoding::Ucs2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SegmentInfo {
    /// GSM 7-bit if every character is in the default alphabet, else UCS-2.
    pub encoding: Encoding,
    /// Septets (GSM 7-bit) or UTF-16 code units (UCS-2) of the whole text.
    pub units: usize,
    /// Segments the text is sent in: 1 when it fits a single segment (the
    /// empty text too), else the number of parts of 153 septets or 67 code
    /// units, filled in order, where an extension character's two septets
    /// and a surrogate pair's two units always stay in the same part.
    pub parts: usize,
}

/// Septets that `c` costs in the GSM 7-bit default alphabet: `Some(1)` for
/// the basic table, `Some(2)` for the extension table, `None` if it has no
/// GSM 7-bit code (such a text must go as UCS-2).
///
/// ```
/// use mfa_core::sms::gsm7_septets;
/// assert_eq!(gsm7_septets('Ç'), Some(1));
/// assert_eq!(gsm7_septets('ç'), None);
/// assert_eq!(gsm7_septets('€'), Some(2));
/// assert_eq!(gsm7_septets('\u{1B}'), None); // the escape itself is no character
/// ```
pub fn gsm7_septets(c: char) -> Option<u8> {
    let cp = c as u32;
    if cp < 0x80 {
        match ASCII_SEPTETS[cp as usize] {
            0 => None,
            n => Some(n),
        }
    } else {
        match c {
            // Basic table, outside ASCII.
            '£' | '¥' | 'è' | 'é' | 'ù' | 'ì' | 'ò' | 'Ç' | 'Ø' | 'ø' | 'Å' | 'å' | 'Δ' | 'Φ'
            | 'Γ' | 'Λ' | 'Ω' | 'Π' | 'Ψ' | 'Σ' | 'Θ' | 'Ξ' | 'Æ' | 'æ' | 'ß' | 'É' | '¤' | '¡'
            | 'Ä' | 'Ö' | 'Ñ' | 'Ü' | '§' | '¿' | 'ä' | 'ö' | 'ñ' | 'ü' | 'à' => Some(1),
            // Extension table, outside ASCII.
            '€' => Some(2),
            _ => None,
        }
    }
}

/// GSM 7-bit cost of each ASCII code point: 0 = not in the alphabet.
static ASCII_SEPTETS: [u8; 128] = ascii_septets();

const fn ascii_septets() -> [u8; 128] {
    let mut t = [0u8; 128];
    // Printable ASCII is in the basic table except '`' and the characters
    // that the extension table carries.
    let mut c = 0x20;
    while c < 0x7F {
        t[c] = 1;
        c += 1;
    }
    t[b'`' as usize] = 0;
    let ext = b"^{}\\[~]|";
    let mut i = 0;
    while i < ext.len() {
        t[ext[i] as usize] = 2;
        i += 1;
    }
    // Controls: LF and CR are basic; form feed is in the extension table.
    t[b'\n' as usize] = 1;
    t[b'\r' as usize] = 1;
    t[0x0C] = 2;
    t
}

/// The segment arithmetic of `text` (see [`SegmentInfo`]).
///
/// Runs in one pass over the text, plus a second pass only for a text too
/// long for one segment. Never allocates, never panics.
pub fn segments(text: &str) -> SegmentInfo {
    let bytes = text.as_bytes();
    // Fast path: the pure-ASCII prefix is costed from a table.
    let mut septets = 0usize;
    let mut gsm = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b >= 0x80 {
            break;
        }
        let cost = ASCII_SEPTETS[usize::from(b)];
        gsm &= cost != 0;
        septets += usize::from(cost);
        i += 1;
    }
    // ASCII bytes are one character and one UTF-16 unit each.
    let mut chars = i;
    let mut utf16 = i;
    for c in text[i..].chars() {
        chars += 1;
        utf16 += c.len_utf16();
        if gsm {
            match gsm7_septets(c) {
                Some(n) => septets += usize::from(n),
                None => gsm = false,
            }
        }
    }
    let (encoding, units) = if gsm {
        (Encoding::Gsm7, septets)
    } else {
        (Encoding::Ucs2, utf16)
    };
    let parts = if units <= encoding.single_limit() {
        1
    } else if units == chars {
        // Every character costs one unit: nothing can straddle a boundary.
        units.div_ceil(encoding.part_limit())
    } else {
        count_parts(text, encoding)
    };
    SegmentInfo {
        encoding,
        units,
        parts,
    }
}

/// Parts of `part_limit` units, filled greedily in order, never splitting
/// one character's units.
fn count_parts(text: &str, encoding: Encoding) -> usize {
    let cap = encoding.part_limit();
    let mut parts = 1;
    let mut used = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let cost = if b < 0x80 {
            i += 1;
            match encoding {
                Encoding::Gsm7 => usize::from(ASCII_SEPTETS[usize::from(b)]),
                Encoding::Ucs2 => 1,
            }
        } else {
            let Some(c) = text[i..].chars().next() else {
                break;
            };
            i += c.len_utf8();
            // Only called once the encoding is known to carry every character.
            encoding.cost(c).unwrap_or(2)
        };
        if used + cost > cap {
            parts += 1;
            used = 0;
        }
        used += cost;
    }
    parts
}

/// Segment arithmetic fed one piece at a time (a `fmt::Write` sink), for
/// texts that exist only as pieces, such as a rendered delivery. It keeps
/// both encodings' part counts as it goes, since the encoding is known only
/// at the end. Gives the same answer as [`segments`] on the joined text.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SegmentCounter {
    non_gsm: bool,
    chars: usize,
    septets: usize,
    gsm_parts: usize,
    gsm_used: usize,
    utf16: usize,
    ucs_parts: usize,
    ucs_used: usize,
}

impl SegmentCounter {
    pub(crate) fn push(&mut self, c: char) {
        fn fill(parts: &mut usize, used: &mut usize, cap: usize, cost: usize) {
            if *parts == 0 || *used + cost > cap {
                *parts += 1;
                *used = 0;
            }
            *used += cost;
        }
        self.chars += 1;
        let units = c.len_utf16();
        self.utf16 += units;
        fill(
            &mut self.ucs_parts,
            &mut self.ucs_used,
            SMS_UCS2.part,
            units,
        );
        if !self.non_gsm {
            match gsm7_septets(c) {
                Some(n) => {
                    let n = usize::from(n);
                    self.septets += n;
                    fill(&mut self.gsm_parts, &mut self.gsm_used, SMS_GSM7.part, n);
                }
                None => self.non_gsm = true,
            }
        }
    }

    /// Characters (Unicode scalar values) pushed so far.
    pub(crate) fn chars(&self) -> usize {
        self.chars
    }

    pub(crate) fn info(&self) -> SegmentInfo {
        let (encoding, units, parts) = if self.non_gsm {
            (Encoding::Ucs2, self.utf16, self.ucs_parts)
        } else {
            (Encoding::Gsm7, self.septets, self.gsm_parts)
        };
        let parts = if units <= encoding.single_limit() {
            1
        } else {
            parts
        };
        SegmentInfo {
            encoding,
            units,
            parts,
        }
    }
}

impl core::fmt::Write for SegmentCounter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        s.chars().for_each(|c| self.push(c));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_table_matches_char_function_counts() {
        let basic = (0u8..128)
            .filter(|&b| ASCII_SEPTETS[b as usize] == 1)
            .count();
        let ext = (0u8..128)
            .filter(|&b| ASCII_SEPTETS[b as usize] == 2)
            .count();
        // 88 basic-table characters are ASCII; 9 of the 10 extension ones.
        assert_eq!((basic, ext), (88, 9));
    }

    #[test]
    fn empty_text_is_one_gsm_segment() {
        let s = segments("");
        assert_eq!((s.encoding, s.units, s.parts), (Encoding::Gsm7, 0, 1));
    }
}
