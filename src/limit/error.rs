//! Why a policy or a stored state was refused: which field, which rule.

use core::fmt;

/// A policy or state field, by its name in code and in the stored format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitField {
    /// `max`: events a [`Window`](super::Window) allows.
    Max,
    /// `interval_secs`: a [`Window`](super::Window)'s length.
    IntervalSecs,
    /// `windows`: the windows of a [`SendPolicy`](super::SendPolicy).
    Windows,
    /// `free_failures` of a [`LockoutPolicy`](super::LockoutPolicy).
    FreeFailures,
    /// `base_delay_secs` of a [`LockoutPolicy`](super::LockoutPolicy).
    BaseDelaySecs,
    /// `max_delay_secs` of a [`LockoutPolicy`](super::LockoutPolicy).
    MaxDelaySecs,
    /// `hard_limit` of a [`LockoutPolicy`](super::LockoutPolicy).
    HardLimit,
    /// `events`: the times a stored [`SendLog`](super::SendLog) holds.
    Events,
    /// `failures`: a stored [`Lockout`](super::Lockout)'s count.
    Failures,
    /// `revision` of a stored state.
    Revision,
}

impl LimitField {
    /// The field's name.
    pub const fn name(self) -> &'static str {
        match self {
            LimitField::Max => "max",
            LimitField::IntervalSecs => "interval_secs",
            LimitField::Windows => "windows",
            LimitField::FreeFailures => "free_failures",
            LimitField::BaseDelaySecs => "base_delay_secs",
            LimitField::MaxDelaySecs => "max_delay_secs",
            LimitField::HardLimit => "hard_limit",
            LimitField::Events => "events",
            LimitField::Failures => "failures",
            LimitField::Revision => "revision",
        }
    }
}

impl fmt::Display for LimitField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rule a field broke, with what was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitRule {
    /// The value (for `windows` and `events`: their count) must lie in
    /// `min..=max`.
    Range {
        /// Smallest allowed value.
        min: u64,
        /// Largest allowed value.
        max: u64,
        /// The value given.
        given: u64,
    },
    /// The value must be at least another field's value.
    AtLeast {
        /// The other field.
        other: LimitField,
        /// Its value.
        bound: u64,
        /// The value given.
        given: u64,
    },
    /// The value must be at most another field's value.
    AtMost {
        /// The other field.
        other: LimitField,
        /// Its value.
        bound: u64,
        /// The value given.
        given: u64,
    },
    /// Stored event times must not decrease; the one at `index` (from 0)
    /// is earlier than the one before it.
    Unordered {
        /// Position of the first out-of-order time.
        index: usize,
    },
    /// Stored event times may span at most `max` seconds (newest minus
    /// oldest).
    Span {
        /// The longest span allowed, `u32::MAX`.
        max: u64,
        /// The span given.
        given: u64,
    },
}

impl LimitRule {
    /// A short, stable, machine-readable name of the rule.
    pub const fn code(&self) -> &'static str {
        match self {
            LimitRule::Range { .. } => "out_of_range",
            LimitRule::AtLeast { .. } => "below_other",
            LimitRule::AtMost { .. } => "above_other",
            LimitRule::Unordered { .. } => "unordered",
            LimitRule::Span { .. } => "span_too_long",
        }
    }
}

impl fmt::Display for LimitRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LimitRule::Range { min, max, given } => {
                write!(f, "must be from {min} to {max} (given {given})")
            }
            LimitRule::AtLeast {
                other,
                bound,
                given,
            } => write!(f, "must be at least `{other}` ({bound}) (given {given})"),
            LimitRule::AtMost {
                other,
                bound,
                given,
            } => write!(f, "must be at most `{other}` ({bound}) (given {given})"),
            LimitRule::Unordered { index } => {
                write!(
                    f,
                    "must not decrease (index {index} is earlier than the one before)"
                )
            }
            LimitRule::Span { max, given } => {
                write!(f, "must span at most {max} seconds (given {given})")
            }
        }
    }
}

/// A policy or stored state that breaks a rule. Nothing was built and no
/// state changed.
///
/// ```
/// use mfa_core::limit::{LimitError, LimitField, LimitRule, Window};
///
/// assert_eq!(
///     Window::new(0, 60),
///     Err(LimitError {
///         field: LimitField::Max,
///         rule: LimitRule::Range { min: 1, max: 64, given: 0 },
///     })
/// );
/// assert_eq!(
///     Window::new(65, 60).unwrap_err().to_string(),
///     "`max` must be from 1 to 64 (given 65)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LimitError {
    /// The field.
    pub field: LimitField,
    /// The rule it broke, with what was given.
    pub rule: LimitRule,
}

impl LimitError {
    pub(crate) const fn range(field: LimitField, min: u64, max: u64, given: u64) -> Self {
        LimitError {
            field,
            rule: LimitRule::Range { min, max, given },
        }
    }

    /// Checks `min <= given <= max`.
    pub(crate) const fn check_range(
        field: LimitField,
        min: u64,
        max: u64,
        given: u64,
    ) -> Result<(), Self> {
        if given < min || given > max {
            return Err(Self::range(field, min, max, given));
        }
        Ok(())
    }
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.field, self.rule)
    }
}

impl core::error::Error for LimitError {}
