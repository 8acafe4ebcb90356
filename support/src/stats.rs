//! Chi-square goodness of fit for token symbols, shared by the CI-sized
//! test (`tests/token_stats.rs`) and the full run (`examples/token_stats.rs`).

use mfa_core::{Alphabet, Challenge, Channel, IssueRequest, UnixTime};
use rand_chacha::ChaCha20Rng;
use rand_core::Rng;

/// Counts the symbols of `n` tokens that `Challenge::issue` draws from `rng`.
pub fn issued(alphas: bool, len: i64, n: u64, rng: &mut ChaCha20Rng) -> Counts {
    let symbols: &'static [u8] = if alphas {
        Alphabet::Alphanumeric.symbols()
    } else {
        Alphabet::Numeric.symbols()
    };
    let params = IssueRequest {
        allow_alphas: Some(alphas),
        token_length: Some(len),
        ..IssueRequest::new(Channel::Sms, "+15557788999")
    }
    .validate()
    .unwrap();
    let mut counts = Counts::new(symbols, len as usize);
    for _ in 0..n {
        let (c, _) = Challenge::issue(&params, rng, UnixTime::from_secs(0)).unwrap();
        counts.add(c.parts().token.expose_secret());
    }
    counts
}

/// Counts `n` six-digit tokens from the classic mistake, `byte % 10` with
/// no rejection (it favours 0-5): the control the tests must reject.
pub fn modulo_biased(n: u64, rng: &mut ChaCha20Rng) -> Counts {
    let mut counts = Counts::new(Alphabet::Numeric.symbols(), 6);
    let mut buf = [0u8; 6];
    for _ in 0..n {
        rng.fill_bytes(&mut buf);
        let t: String = buf.iter().map(|b| char::from(b'0' + b % 10)).collect();
        counts.add(&t);
    }
    counts
}

/// Per-position symbol counts for tokens of one length and alphabet.
pub struct Counts {
    pub symbols: &'static [u8],
    pub per_position: Vec<Vec<u64>>,
    pub tokens: u64,
}

impl Counts {
    pub fn new(symbols: &'static [u8], len: usize) -> Self {
        Counts {
            symbols,
            per_position: vec![vec![0; symbols.len()]; len],
            tokens: 0,
        }
    }

    /// Adds one token; panics on a symbol outside the alphabet.
    pub fn add(&mut self, token: &str) {
        assert_eq!(token.len(), self.per_position.len());
        for (pos, b) in token.bytes().enumerate() {
            let i = self
                .symbols
                .iter()
                .position(|&s| s == b)
                .expect("symbol outside the alphabet");
            self.per_position[pos][i] += 1;
        }
        self.tokens += 1;
    }

    /// Chi-square statistic of each position against the uniform law.
    pub fn chi_square(&self) -> Vec<f64> {
        let k = self.symbols.len() as f64;
        let expected = self.tokens as f64 / k;
        self.per_position
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&o| (o as f64 - expected).powi(2) / expected)
                    .sum()
            })
            .collect()
    }
}

/// P(X > x) for X chi-square distributed with `df` degrees of freedom:
/// the regularized upper incomplete gamma function Q(df/2, x/2), by its
/// power series (exact to double precision in the range used here).
pub fn p_value(x: f64, df: f64) -> f64 {
    let a = df / 2.0;
    let x = x / 2.0;
    if x <= 0.0 {
        return 1.0;
    }
    let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, 1.0);
    while term > sum * 1e-17 {
        term *= x / (a + n);
        sum += term;
        n += 1.0;
    }
    let lower = sum * (-x + a * x.ln() - ln_gamma(a)).exp();
    (1.0 - lower).max(0.0)
}

/// ln Γ(a) for a > 0 (Lanczos, g = 7, n = 9).
fn ln_gamma(a: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = a - 1.0;
    let t = x + 7.5;
    let mut s = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        s += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + s.ln()
}

/// The significance level of the tests: a uniform source fails one
/// position with probability 1e-4.
pub const ALPHA: f64 = 1e-4;
