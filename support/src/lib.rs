//! What `mfa-core`'s tests, benches, examples and fuzz targets share (not
//! published): one crate in place of files each target included with
//! `#[path = ...]`.
//!
//! - [`Buf`]: a stack buffer for `Delivery::write_text` without a heap
//!   (`tests/no_alloc.rs`, `benches/mfa.rs`);
//! - [`assert_sound`]: every invariant of SPEC §5 checkable from outside
//!   a challenge (`tests/store.rs`, the fuzz targets);
//! - [`stats`]: chi-square goodness of fit for token symbols
//!   (`tests/token_stats.rs`, `examples/token_stats.rs`);
//! - [`StreamRng`]: an RNG that serves a given byte stream (the tests, the
//!   oracle);
//! - `oracle` (feature `oracle`): the logic behind the test vectors
//!   (`tests/vectors/`, `examples/oracle.rs`, the `oracle` fuzz target).

mod buf;
#[cfg(feature = "oracle")]
pub mod oracle;
mod sound;
pub mod stats;
mod stream_rng;

pub use buf::Buf;
pub use sound::assert_sound;
pub use stream_rng::{Exhausted, StreamRng};
