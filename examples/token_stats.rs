//! Token statistics over 10^6 tokens per alphabet: chi-square per position
//! against the uniform law, beside a deliberately modulo-biased generator.
//!
//! ```sh
//! cargo run --release --example token_stats [-- TOKENS [SEED]]
//! ```

#[path = "../tests/common/stats.rs"]
mod stats;

use mfa_core::{ALPHANUMERIC_SYMBOLS, Challenge, Channel, NUMERIC_SYMBOLS, Request, UnixTime};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use stats::{ALPHA, Counts, p_value};

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
    let now = UnixTime::from_secs(0);
    let mut ok = true;
    for (alphas, len) in [(false, 6), (false, 20), (true, 8), (true, 20)] {
        let symbols: &'static [u8] = if alphas {
            ALPHANUMERIC_SYMBOLS
        } else {
            NUMERIC_SYMBOLS
        };
        let params = Request {
            allow_alphas: Some(alphas),
            token_length: Some(len),
            ..Request::new(Channel::Sms, "+15557788999")
        }
        .validate()
        .unwrap();
        let mut counts = Counts::new(symbols, len as usize);
        for _ in 0..n {
            let (c, _) = Challenge::issue(&params, &mut rng, now).unwrap();
            counts.add(c.token().expose_secret());
        }
        let name = format!(
            "mfa-core {} len {len}",
            if alphas { "alphanumeric" } else { "numeric" }
        );
        ok &= report(&name, &counts);
    }
    // Control: `byte % 10` with no rejection.
    let mut counts = Counts::new(NUMERIC_SYMBOLS, 6);
    let mut buf = [0u8; 6];
    for _ in 0..n {
        rng.fill_bytes(&mut buf);
        let t: String = buf.iter().map(|b| char::from(b'0' + b % 10)).collect();
        counts.add(&t);
    }
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
