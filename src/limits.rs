//! Every number and default text of the contract, in one place, one
//! constant per field.
//!
//! A field's allowed values are a [`Bounds`] (`min..=max`), or a
//! [`Setting`] when the field also has a default. Validation, rendering,
//! the throttle, the docs and the tests all read these constants; nothing
//! else in the crate spells a limit out.
//!
//! ```
//! use mfa_core::limits;
//! assert_eq!(
//!     (limits::TOKEN_LENGTH.min, limits::TOKEN_LENGTH.max, limits::TOKEN_LENGTH.default),
//!     (4, 20, 6)
//! );
//! assert!(limits::VALID_FOR.contains(604_800) && !limits::VALID_FOR.contains(604_801));
//! assert_eq!(limits::SMS_GSM7.single, 160);
//! ```
//!
//! | constant | field | values | default |
//! |---|---|---|---|
//! | [`TOKEN_LENGTH`] | `token_length` | 4–20 | 6 |
//! | [`MAX_ATTEMPTS`] | `max_attempts` | 1–20 | 3 |
//! | [`VALID_FOR`] | `valid_for`, seconds | 0–604 800 | 3600 |
//! | [`MAX_DELIVERIES`] | `max_deliveries`, the first included | 1–20 | 5 |
//! | [`E164_DIGITS`] | digits after the `+` of a number | 2–15 | |
//! | [`SMS_GSM7`], [`SMS_UCS2`] | units in one SMS segment, in each part of a longer one | 160, 153; 70, 67 | |
//! | [`VOICE_MAX_CHARS`] | characters in a rendered voice text | ≤ 500 | |
//! | [`WINDOW_MAX`] | `max` of a [`Window`](crate::throttle::Window) | 1–64 | |
//! | [`WINDOW_INTERVAL_SECS`] | `interval_secs` of a window | 1 – `u32::MAX` | |
//! | [`WINDOWS`] | windows in a [`SendPolicy`](crate::throttle::SendPolicy) | 1–4 | |
//! | [`HARD_LIMIT`] | `hard_limit` of a [`LockoutPolicy`](crate::throttle::LockoutPolicy) | 1–100 | 100 |
//! | [`FREE_FAILURES`] | `free_failures`, and at most `hard_limit` | 0–100 | 5 |
//! | [`BASE_DELAY_SECS`] | `base_delay_secs` | 1–86 400 | 1 |
//! | [`MAX_DELAY_SECS`] | `max_delay_secs`, and at least `base_delay_secs` | 1–86 400 | 900 |

/// The values a field allows: `min..=max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Bounds<T> {
    /// The smallest allowed value.
    pub min: T,
    /// The largest allowed value.
    pub max: T,
}

impl<T: PartialOrd> Bounds<T> {
    /// Whether `min <= value <= max`.
    pub fn contains(&self, value: T) -> bool {
        self.min <= value && value <= self.max
    }
}

/// The values a field allows (`min..=max`), and the value it takes when
/// none is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Setting<T> {
    /// The smallest allowed value.
    pub min: T,
    /// The largest allowed value.
    pub max: T,
    /// The value when none is given.
    pub default: T,
}

impl<T: PartialOrd> Setting<T> {
    /// Whether `min <= value <= max`.
    pub fn contains(&self, value: T) -> bool {
        self.min <= value && value <= self.max
    }
}

/// The size of an SMS segment in one encoding, in its units (GSM 7-bit
/// septets, UTF-16 code units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SegmentSize {
    /// Units in a message sent as one segment.
    pub single: usize,
    /// Units in each part of a message sent in several.
    pub part: usize,
}

// --- a challenge's parameters (SPEC §2) ---------------------------------------

/// `token_length`: 4 to 20 symbols, 6 when the request gives none.
pub const TOKEN_LENGTH: Setting<u8> = Setting {
    min: 4,
    max: 20,
    default: 6,
};

/// `max_attempts`: 1 to 20 verification tries, 3 when the request gives
/// none.
pub const MAX_ATTEMPTS: Setting<u8> = Setting {
    min: 1,
    max: 20,
    default: 3,
};

/// `valid_for`, in seconds: 0 (expired at once) to seven days, one hour
/// when the request gives none.
pub const VALID_FOR: Setting<u32> = Setting {
    min: 0,
    max: 604_800,
    default: 3600,
};

/// `max_deliveries` (the first one included): 1 to 20, 5 when the request
/// gives none.
pub const MAX_DELIVERIES: Setting<u8> = Setting {
    min: 1,
    max: 20,
    default: 5,
};

/// Digits after the `+` of an E.164 number: 2 to 15.
pub const E164_DIGITS: Bounds<usize> = Bounds { min: 2, max: 15 };

// --- delivery text (SPEC §4) --------------------------------------------------

/// GSM 7-bit septets in one SMS segment (160) and in each part of a
/// multi-part SMS (153).
pub const SMS_GSM7: SegmentSize = SegmentSize {
    single: 160,
    part: 153,
};

/// UTF-16 code units in one UCS-2 SMS segment (70) and in each part of a
/// multi-part one (67).
pub const SMS_UCS2: SegmentSize = SegmentSize {
    single: 70,
    part: 67,
};

/// Most characters (Unicode scalar values) in a rendered voice text.
pub const VOICE_MAX_CHARS: usize = 500;

/// The message of an SMS challenge when the request gives none. It is the
/// only text that may go out without a `from` number.
pub const DEFAULT_SMS_MESSAGE: &str = "Your Personal Authorization Code is:";
/// The message of a voice challenge when the request gives none.
pub const DEFAULT_CALL_MESSAGE: &str = "Your Personal Authorization Code is";

// --- abuse control (SPEC §9) --------------------------------------------------

/// `max` of a [`Window`](crate::throttle::Window): 1 to 64 events; the
/// [`SendLog`](crate::throttle::SendLog) keeps the times of the 64 most
/// recent allowed events.
pub const WINDOW_MAX: Bounds<u8> = Bounds { min: 1, max: 64 };

/// `interval_secs` of a [`Window`](crate::throttle::Window): 1 s to
/// `u32::MAX` s (about 136 years). Every event a valid window can still
/// count then lies within `u32::MAX` seconds of the newest one, so the log
/// stores `u32` offsets.
pub const WINDOW_INTERVAL_SECS: Bounds<u32> = Bounds {
    min: 1,
    max: u32::MAX,
};

/// Windows in a [`SendPolicy`](crate::throttle::SendPolicy): 1 to 4.
pub const WINDOWS: Bounds<usize> = Bounds { min: 1, max: 4 };

/// `hard_limit` of a [`LockoutPolicy`](crate::throttle::LockoutPolicy),
/// the failures at which a subject is locked: 1 to 100 (NIST SP 800-63B
/// §5.2.2 caps consecutive failed attempts on one account at 100), 100 by
/// default.
pub const HARD_LIMIT: Setting<u8> = Setting {
    min: 1,
    max: 100,
    default: 100,
};

/// `free_failures` of a lockout policy, the failures that cost no wait: 0
/// to 100 and at most the policy's `hard_limit`; 5 by default.
pub const FREE_FAILURES: Setting<u8> = Setting {
    min: 0,
    max: 100,
    default: 5,
};

/// `base_delay_secs` of a lockout policy, the first wait: 1 s to one day
/// (anything longer is a lock, which `hard_limit` already gives), 1 s by
/// default.
pub const BASE_DELAY_SECS: Setting<u32> = Setting {
    min: 1,
    max: 86_400,
    default: 1,
};

/// `max_delay_secs` of a lockout policy, the longest wait: 1 s to one day
/// and at least `base_delay_secs`, 15 minutes by default.
pub const MAX_DELAY_SECS: Setting<u32> = Setting {
    min: 1,
    max: 86_400,
    default: 900,
};
