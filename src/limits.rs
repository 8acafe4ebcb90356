//! Every number and default text of the contract, in one place.
//!
//! Validation, rendering, the docs and the tests all read these constants;
//! nothing else in the crate spells a limit out.

/// Shortest token a challenge may use (`token_length`).
pub const TOKEN_LENGTH_MIN: u8 = 4;
/// Longest token a challenge may use (`token_length`).
pub const TOKEN_LENGTH_MAX: u8 = 20;
/// `token_length` when the request gives none.
pub const TOKEN_LENGTH_DEFAULT: u8 = 6;

/// Fewest verification tries a challenge may allow (`max_attempts`).
pub const MAX_ATTEMPTS_MIN: u8 = 1;
/// Most verification tries a challenge may allow (`max_attempts`).
pub const MAX_ATTEMPTS_MAX: u8 = 20;
/// `max_attempts` when the request gives none.
pub const MAX_ATTEMPTS_DEFAULT: u8 = 3;

/// Shortest validity window, in seconds (`valid_for`): expired at once.
pub const VALID_FOR_MIN: u32 = 0;
/// Longest validity window, in seconds (`valid_for`): seven days.
pub const VALID_FOR_MAX: u32 = 604_800;
/// `valid_for` when the request gives none: one hour.
pub const VALID_FOR_DEFAULT: u32 = 3600;

/// Fewest deliveries (first one included) a challenge may allow.
pub const MAX_DELIVERIES_MIN: u8 = 1;
/// Most deliveries (first one included) a challenge may allow.
pub const MAX_DELIVERIES_MAX: u8 = 20;
/// Deliveries allowed (first one included) when the request gives none.
pub const MAX_DELIVERIES_DEFAULT: u8 = 5;

/// Fewest digits after the `+` of an E.164 number.
pub const E164_DIGITS_MIN: usize = 2;
/// Most digits after the `+` of an E.164 number.
pub const E164_DIGITS_MAX: usize = 15;

/// Septets in one GSM 7-bit SMS segment.
pub const SMS_GSM7_SINGLE: usize = 160;
/// Septets in each part of a multi-part GSM 7-bit SMS.
pub const SMS_GSM7_PART: usize = 153;
/// UTF-16 code units in one UCS-2 SMS segment.
pub const SMS_UCS2_SINGLE: usize = 70;
/// UTF-16 code units in each part of a multi-part UCS-2 SMS.
pub const SMS_UCS2_PART: usize = 67;

/// Most characters (Unicode scalar values) in a rendered voice text.
pub const VOICE_MAX_CHARS: usize = 500;

/// The message of an SMS challenge when the request gives none. It is the
/// only text that may go out without a `from` number.
pub const DEFAULT_SMS_MESSAGE: &str = "Your Personal Authorization Code is:";
/// The message of a voice challenge when the request gives none.
pub const DEFAULT_CALL_MESSAGE: &str = "Your Personal Authorization Code is";
