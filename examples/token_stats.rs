//! Token statistics over 10^6 tokens per alphabet: chi-square per position
//! against the uniform law, beside a deliberately modulo-biased generator.
//!
//! ```sh
//! cargo run --release --example token_stats [-- TOKENS [SEED]]
//! ```

use mfa_support::stats::{self, ALPHA, Counts, p_value};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn report(name: &str, counts: &Counts) -> bool {
    let df = (counts.symbols.len() - 1) as f64;
    let chis = counts.chi_square();
    let ps: Vec<f64> = chis.iter().map(|&c| p_value(c, df)).collect();
    let worst = ps.iter().cloned().fold(1.0, f64::min);
    let max_chi = chis.iter().cloned().fold(0.0, f64::max);
    let pass = worst > ALPHA;
    println!(
        "{name:<34} tokens {:>9}  positions {:>2}  df {:>2}  max chi2 {:>9.1}  min p {:>9.2e}  {}",
        counts.tokens,
        chis.len(),
        df,
        max_chi,
        worst,
        if pass { "uniform" } else { "REJECTED" }
    );
    pass
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20261125);
    println!("seed {seed}; significance {ALPHA:e} per position");
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut ok = true;
    for (alphas, len) in [(false, 6), (false, 20), (true, 8), (true, 20)] {
        let counts = stats::issued(alphas, len, n, &mut rng);
        let name = format!(
            "mfa-core {} len {len}",
            if alphas { "alphanumeric" } else { "numeric" }
        );
        ok &= report(&name, &counts);
    }
    let counts = stats::modulo_biased(n, &mut rng);
    let control_rejected = !report("control: byte % 10, no rejection", &counts);
    println!(
        "{}",
        if ok && control_rejected {
            "result: every mfa-core position uniform; the biased control rejected"
        } else {
            "result: UNEXPECTED"
        }
    );
    std::process::exit(if ok && control_rejected { 0 } else { 1 });
}
