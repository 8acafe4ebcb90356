//! Token statistics, CI-sized: chi-square per position for both alphabets
//! over 200,000 tokens, and a modulo-biased generator that the same test
//! rejects. Seeded, so the result is the same on every run. The full run
//! (10^6 tokens): `cargo run --release --example token_stats`.

use mfa_support::stats::{self, ALPHA, Counts, p_value};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const N: u64 = 200_000;

fn sample(alphas: bool, len: i64, seed: u64) -> Counts {
    stats::issued(alphas, len, N, &mut ChaCha20Rng::seed_from_u64(seed))
}

fn assert_uniform(counts: &Counts) {
    let df = (counts.symbols.len() - 1) as f64;
    for (pos, chi) in counts.chi_square().iter().enumerate() {
        let p = p_value(*chi, df);
        assert!(
            p > ALPHA,
            "position {pos}: chi-square {chi:.1}, p = {p:.2e}"
        );
    }
}

#[test]
fn numeric_tokens_are_uniform_at_every_position() {
    assert_uniform(&sample(false, 6, 11));
}

#[test]
fn alphanumeric_tokens_are_uniform_at_every_position() {
    assert_uniform(&sample(true, 8, 12));
}

#[test]
fn the_test_rejects_a_modulo_biased_generator() {
    let counts = stats::modulo_biased(N, &mut ChaCha20Rng::seed_from_u64(13));
    for chi in counts.chi_square() {
        let p = p_value(chi, 9.0);
        assert!(
            p < ALPHA,
            "the biased generator passed: chi-square {chi:.1}, p = {p:.2e}"
        );
    }
}

#[test]
fn p_values_match_published_quantiles() {
    // Chi-square tables: df 9 at 27.877 has upper tail 0.001, at 16.919 0.05;
    // df 31 at 44.985 has 0.05; df 2 at x has exactly e^(-x/2).
    for (x, df, p) in [
        (27.877, 9.0, 1e-3),
        (16.919, 9.0, 0.05),
        (44.985, 31.0, 0.05),
        (33.72, 9.0, 1e-4),
    ] {
        let got = p_value(x, df);
        assert!(
            (got - p).abs() / p < 0.01,
            "p_value({x}, {df}) = {got}, want {p}"
        );
    }
    assert!((p_value(3.0, 2.0) - (-1.5f64).exp()).abs() < 1e-12);
    assert_eq!(p_value(0.0, 9.0), 1.0);
}
