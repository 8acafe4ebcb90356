//! Errors that are not about parameters (those are in `violation`).

use core::fmt;

/// The host's random number generator reported a failure; nothing was
/// issued and no state changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngError;

impl fmt::Display for RngError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the random number generator failed")
    }
}

impl core::error::Error for RngError {}
