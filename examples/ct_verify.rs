//! Constant-time evidence for `Challenge::verify`, dudect style: Welch's
//! t-test between the running times of two classes of wrong tries.
//! `verify`: submissions sharing 19 of 20 symbols with the token (left)
//! or none (right). `verify_token`: one submission against a token sharing
//! 19 of its symbols (left) or none (right). `verify_digits`: the same for
//! a numeric token and a submission of digits alone (the path most
//! verifications take). |t| < 5 means no leak was detected at that sample
//! size.
//!
//! Two positive controls run the same classes through leaky compares (a
//! byte loop that stops at the first difference, and `==` on the strings)
//! to show the harness does detect a content-dependent time.
//!
//! ```sh
//! cargo run --release --example ct_verify               # 1,000,000 samples each
//! cargo run --release --example ct_verify -- --filter verify
//! ```

use dudect_bencher::rand::RngExt;
use dudect_bencher::{BenchRng, Class, CtRunner, ctbench_main_with_seeds};
use mfa_core::{Challenge, Channel, IssueRequest, UnixTime};
use rand_core::SeedableRng;
use std::hint::black_box;

const SAMPLES: usize = 1_003_520; // 245 pools of 4096: just over 10^6
const TOKEN: &str = "K7P2QX9AM3HV8RTWZ5NB";
const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

/// Left: all but the last symbol right. Right: every symbol wrong. Both
/// keep the token's pattern of digits and letters, so normalisation (which
/// may branch on what the user typed, never on the token) does the same
/// work for both classes and only the compare against the token differs.
fn submissions() -> (String, String) {
    let shift = |c: char| match c {
        '0'..='8' => char::from(c as u8 + 1),
        '9' => '0',
        'Z' => 'A',
        // Stay inside the alphabet: skip the letters that normalise to digits.
        c => match char::from(c as u8 + 1) {
            'I' => 'J',
            'L' => 'M',
            'O' => 'P',
            'U' => 'V',
            n => n,
        },
    };
    let mut prefix = TOKEN[..19].to_string();
    prefix.push(shift(TOKEN.chars().last().unwrap()));
    let none: String = TOKEN.chars().map(shift).collect();
    assert!(none.chars().zip(TOKEN.chars()).all(|(a, b)| a != b));
    assert_eq!(prefix.len(), 20);
    assert_eq!(none.len(), 20);
    (prefix, none)
}

/// How many inputs each pool holds. Samples go through a pool whose
/// entries are of either class at random, and the pool is drawn afresh for
/// every round: both classes then live at the same spread of memory
/// addresses, so address effects (cache lines, 4K aliasing) cannot pose as
/// a difference between the classes.
const POOL: usize = 4096;

/// Runs `SAMPLES` timings of `f` on inputs from fresh pools of `left` and
/// `right`.
fn run<T: Clone, R>(
    runner: &mut CtRunner,
    rng: &mut BenchRng,
    left: &T,
    right: &T,
    f: impl Fn(&T) -> R,
) {
    for _ in 0..SAMPLES / POOL {
        for (class, input) in pool(rng, left, right) {
            runner.run_one(class, || f(&input));
        }
    }
}

fn pool<T: Clone>(rng: &mut BenchRng, left: &T, right: &T) -> Vec<(Class, T)> {
    (0..POOL)
        .map(|_| {
            if rng.random::<bool>() {
                (Class::Left, left.clone())
            } else {
                (Class::Right, right.clone())
            }
        })
        .collect()
}

fn challenge(token: &str) -> Challenge {
    let params = IssueRequest {
        token: Some(token),
        allow_alphas: Some(true),
        max_attempts: Some(20),
        ..IssueRequest::new(Channel::Sms, "+15557788999")
    }
    .validate()
    .unwrap();
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
    Challenge::issue(&params, &mut rng, NOW).unwrap().0
}

/// Varies what is submitted: the right token's first 19 symbols, or none.
fn verify(runner: &mut CtRunner, rng: &mut BenchRng) {
    let c = challenge(TOKEN);
    let (prefix, none) = submissions();
    run(runner, rng, &prefix, &none, |s| {
        let mut fresh = c.clone();
        fresh.verify(black_box(s), NOW).into_answer()
    });
}

/// Varies the secret: one submission, checked against a challenge whose
/// token shares its first 19 symbols, or one whose token shares none.
fn verify_token(runner: &mut CtRunner, rng: &mut BenchRng) {
    let (prefix, none) = submissions();
    run(runner, rng, &challenge(&prefix), &challenge(&none), |c| {
        let mut fresh = c.clone();
        fresh.verify(black_box(TOKEN), NOW).into_answer()
    });
}

/// As `verify_token` for a numeric token and a submission of digits alone,
/// the path most verifications take (the submission is compared as words,
/// with no per-character normalisation).
fn verify_digits(runner: &mut CtRunner, rng: &mut BenchRng) {
    const DIGITS: &str = "73920584619374028561";
    let shift = |s: &str| -> String {
        s.chars()
            .map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10))
            .collect()
    };
    let mut prefix = DIGITS[..19].to_string();
    prefix.push_str(&shift(&DIGITS[19..]));
    let none = shift(DIGITS);
    run(runner, rng, &challenge(&prefix), &challenge(&none), |c| {
        let mut fresh = c.clone();
        fresh.verify(black_box(DIGITS), NOW).into_answer()
    });
}

/// A/A check: both classes run the very same input, so any |t| here is the
/// harness's own noise floor.
fn same_input(runner: &mut CtRunner, rng: &mut BenchRng) {
    let (prefix, _) = submissions();
    let c = challenge(&prefix);
    run(runner, rng, &c, &c, |c| {
        let mut fresh = c.clone();
        fresh.verify(black_box(TOKEN), NOW).into_answer()
    });
}

fn control_byte_loop(runner: &mut CtRunner, rng: &mut BenchRng) {
    let (prefix, none) = submissions();
    let token = TOKEN.as_bytes();
    run(runner, rng, &prefix, &none, |s| {
        for (a, b) in black_box(s.as_bytes()).iter().zip(token) {
            if black_box(a) != black_box(b) {
                return false;
            }
        }
        true
    });
}

fn control_str_eq(runner: &mut CtRunner, rng: &mut BenchRng) {
    let (prefix, none) = submissions();
    run(runner, rng, &prefix, &none, |s| {
        black_box(s.as_str()) == black_box(TOKEN)
    });
}

ctbench_main_with_seeds!(
    (verify, Some(0x5EED)),
    (verify_token, Some(0x5EED)),
    (verify_digits, Some(0x5EED)),
    (control_byte_loop, Some(0x5EED)),
    (control_str_eq, Some(0x5EED)),
    (same_input, Some(0x5EED))
);
