//! Benchmarks: each `mfa-core` operation beside the obvious hand-written
//! alternative, in the same run, with heap allocations counted.
//!
//! ```sh
//! cargo bench --bench mfa
//! ```
//!
//! Read the ratios (ours / baseline) within one run: absolute times on a
//! shared machine are noise, but both sides see the same noise.

use std::fmt::Write as _;
use std::hint::black_box;

use divan::counter::BytesCount;
use divan::{AllocProfiler, Bencher};
use mfa_core::sms::segments;
use mfa_core::{Challenge, Channel, IssueRequest, UnixTime};
use rand::RngExt;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

#[global_allocator]
static ALLOC: AllocProfiler = AllocProfiler::system();

fn main() {
    same_requests_as_issue();
    divan::main();
}

const LENGTHS: [i64; 5] = [4, 6, 8, 12, 20];
const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);
const TO: &str = "+15557788999";

fn request(len: i64, alphas: bool) -> IssueRequest<'static> {
    IssueRequest {
        token_length: Some(len),
        allow_alphas: Some(alphas),
        ..IssueRequest::new(Channel::Sms, TO)
    }
}

use mfa_support::Buf;

/// The RNG requests `Challenge::issue` makes for a token of `len` symbols:
/// 16 + `len` bytes, then, for a numeric token, as many bytes as were
/// rejected (`>= 250`), until none is.
/// (`ALPHAS` is a constant, so for alphanumeric tokens this is exactly
/// `draw_one_request`'s code.)
#[inline(always)]
fn draw_like_issue<const ALPHAS: bool>(rng: &mut ChaCha20Rng, bytes: &mut [u8; 36], len: usize) {
    rng.fill_bytes(&mut bytes[..16 + len]);
    if !ALPHAS {
        let mut rejected = bytes[16..16 + len].iter().filter(|&&b| b >= 250).count();
        while rejected > 0 {
            rng.fill_bytes(&mut bytes[..rejected]);
            rejected = bytes[..rejected].iter().filter(|&&b| b >= 250).count();
        }
    }
}

/// Before any benchmark runs: the floor really draws what `issue` draws.
/// After the same number of calls from the same seed, both RNGs are at the
/// same point of their stream.
fn same_requests_as_issue() {
    for len in LENGTHS {
        for alphas in [false, true] {
            let params = request(len, alphas).validate().unwrap();
            let mut issuing = ChaCha20Rng::seed_from_u64(7);
            let mut drawing = ChaCha20Rng::seed_from_u64(7);
            let mut bytes = [0u8; 36];
            for _ in 0..10_000 {
                let _ = Challenge::issue(&params, &mut issuing, NOW).unwrap();
                if alphas {
                    draw_like_issue::<true>(&mut drawing, &mut bytes, len as usize);
                } else {
                    draw_like_issue::<false>(&mut drawing, &mut bytes, len as usize);
                }
            }
            assert_eq!(issuing.next_u64(), drawing.next_u64(), "len {len}");
        }
    }
}

mod issue {
    use super::*;

    /// `Challenge::issue`: id, token, challenge and delivery.
    #[divan::bench(args = LENGTHS, consts = [false, true])]
    fn mfa_core<const ALPHAS: bool>(b: Bencher, len: i64) {
        let params = request(len, ALPHAS).validate().unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        b.bench_local(|| Challenge::issue(&params, &mut rng, NOW).unwrap());
    }

    /// `Challenge::issue` + rendering the SMS text into a stack buffer.
    #[divan::bench(args = LENGTHS, consts = [false, true])]
    fn mfa_core_and_text<const ALPHAS: bool>(b: Bencher, len: i64) {
        let params = request(len, ALPHAS).validate().unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut buf = Buf::new();
        b.bench_local(|| {
            let (c, d) = Challenge::issue(&params, &mut rng, NOW).unwrap();
            buf.len = 0;
            d.write_text(&mut buf).unwrap();
            black_box((c, buf.len))
        });
    }

    /// Floor: the RNG requests `Challenge::issue` makes, of the same sizes,
    /// from the same RNG, doing nothing with the bytes: 16 + length bytes,
    /// then (numeric tokens) one request for exactly the rejected bytes'
    /// count, until none is rejected. `same_requests_as_issue` (below)
    /// checks that both leave the RNG at the same point.
    #[divan::bench(args = LENGTHS, consts = [false, true])]
    fn draw_same_bytes<const ALPHAS: bool>(b: Bencher, len: i64) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut bytes = [0u8; 36];
        b.bench_local(|| {
            draw_like_issue::<ALPHAS>(&mut rng, &mut bytes, len as usize);
            black_box(bytes)
        });
    }

    /// Floor as it would be if no byte were ever rejected: one request of
    /// 16 + length bytes.
    #[divan::bench(args = LENGTHS, consts = [false, true])]
    fn draw_one_request<const ALPHAS: bool>(b: Bencher, len: i64) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut bytes = [0u8; 36];
        let n = 16 + len as usize;
        b.bench_local(|| {
            rng.fill_bytes(&mut bytes[..n]);
            black_box(bytes)
        });
    }

    /// The obvious alternative to `mfa_core_and_text`: `random_range` per
    /// symbol, `format!` for the id and the text.
    #[divan::bench(args = LENGTHS, consts = [false, true])]
    fn random_range_format<const ALPHAS: bool>(b: Bencher, len: i64) {
        const ALNUM: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        b.bench_local(|| {
            let id = format!("{:032x}", rng.random::<u128>());
            let token: String = (0..len)
                .map(|_| {
                    if ALPHAS {
                        char::from(ALNUM[rng.random_range(0..32usize)])
                    } else {
                        char::from(b'0' + rng.random_range(0..10u8))
                    }
                })
                .collect();
            let text = format!("{} {token}", mfa_core::limits::DEFAULT_SMS_MESSAGE);
            black_box((id, text))
        });
    }
}

mod verify {
    use super::*;

    fn challenge() -> (Challenge, String) {
        let params = request(6, false).validate().unwrap();
        let (c, _) = Challenge::issue(&params, &mut ChaCha20Rng::seed_from_u64(2), NOW).unwrap();
        let right = c.parts().token.expose_secret().to_string();
        (c, right)
    }

    fn wrong(right: &str) -> String {
        right
            .chars()
            .map(|c| if c == '9' { '0' } else { '9' })
            .collect()
    }

    /// `Challenge::verify`: normalisation, constant-time compare, state update.
    #[divan::bench(consts = [true, false])]
    fn mfa_core<const RIGHT: bool>(b: Bencher) {
        let (c, right) = challenge();
        let submitted = if RIGHT { right } else { wrong(&right) };
        b.with_inputs(|| c.clone())
            .bench_local_refs(|c| c.verify(black_box(&submitted), NOW).into_answer());
    }

    /// `Challenge::verify` of the right token typed with a space in the
    /// middle (`123 456`): the general normalisation path, which a
    /// submission of digits alone skips.
    #[divan::bench]
    fn mfa_core_spaced(b: Bencher) {
        let (c, right) = challenge();
        let submitted = format!("{} {}", &right[..3], &right[3..]);
        b.with_inputs(|| c.clone())
            .bench_local_refs(|c| c.verify(black_box(&submitted), NOW).into_answer());
    }

    /// A hand-written verify with the same normalisation (spaces, dashes,
    /// case, O/I/L; ASCII only) and the same state rules, then `==`.
    #[divan::bench(consts = [true, false])]
    fn normalize_then_eq<const RIGHT: bool>(b: Bencher) {
        let (_, right) = challenge();
        let submitted = if RIGHT { right.clone() } else { wrong(&right) };
        b.with_inputs(|| (right.clone(), 0u8))
            .bench_local_refs(|(token, attempts)| {
                if *attempts >= 3 {
                    return None;
                }
                *attempts += 1;
                let typed: String = black_box(submitted.as_str())
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '\t' | '-'))
                    .map(|c| match c.to_ascii_uppercase() {
                        'O' => '0',
                        'I' | 'L' => '1',
                        c => c,
                    })
                    .collect();
                Some(typed == *token)
            });
    }

    /// The obvious alternative: the same state rules around a plain `==`.
    #[divan::bench(consts = [true, false])]
    fn plain_eq<const RIGHT: bool>(b: Bencher) {
        struct Naive {
            token: String,
            attempts: u8,
            max: u8,
            expires: u64,
            done: bool,
        }
        let (_, right) = challenge();
        let submitted = if RIGHT { right.clone() } else { wrong(&right) };
        let naive = || Naive {
            token: right.clone(),
            attempts: 0,
            max: 3,
            expires: NOW.as_secs() + 3600,
            done: false,
        };
        b.with_inputs(naive).bench_local_refs(|n| {
            if n.done || NOW.as_secs() >= n.expires {
                return None;
            }
            n.attempts += 1;
            let ok = black_box(submitted.as_str()) == n.token;
            n.done = ok || n.attempts >= n.max;
            Some(ok)
        });
    }
}

mod segments_bench {
    use super::*;

    fn text(kind: &str, len: usize) -> String {
        let unit = match kind {
            "ascii" => "Your Personal Authorization Code is 123456. ",
            "extension" => "€[]{}^~|\\ ab",
            "ucs2" => "Ваш код подтверждения: 123456. ",
            _ => unreachable!(),
        };
        unit.chars().cycle().take(len).collect()
    }

    const CASES: [(&str, usize); 6] = [
        ("ascii", 160),
        ("ascii", 1600),
        ("extension", 160),
        ("extension", 1600),
        ("ucs2", 160),
        ("ucs2", 1600),
    ];

    fn label((kind, len): (&str, usize)) -> String {
        format!("{kind}-{len}")
    }

    #[divan::bench(args = CASES.map(label))]
    fn mfa_core(b: Bencher, case: &str) {
        let (kind, len) = case.split_once('-').unwrap();
        let t = text(kind, len.parse().unwrap());
        b.counter(BytesCount::of_str(&t))
            .bench_local(|| segments(black_box(&t)));
    }

    /// The obvious alternative: a `chars()` loop over a `match`, then the
    /// parts by a second loop.
    #[divan::bench(args = CASES.map(label))]
    fn chars_match(b: Bencher, case: &str) {
        fn gsm(c: char) -> Option<usize> {
            match c {
                '@'
                | '£'
                | '$'
                | '¥'
                | 'è'
                | 'é'
                | 'ù'
                | 'ì'
                | 'ò'
                | 'Ç'
                | '\n'
                | 'Ø'
                | 'ø'
                | '\r'
                | 'Å'
                | 'å'
                | 'Δ'
                | '_'
                | 'Φ'
                | 'Γ'
                | 'Λ'
                | 'Ω'
                | 'Π'
                | 'Ψ'
                | 'Σ'
                | 'Θ'
                | 'Ξ'
                | 'Æ'
                | 'æ'
                | 'ß'
                | 'É'
                | ' '
                | '!'
                | '"'
                | '#'
                | '¤'
                | '%'
                | '&'
                | '\''
                | '('
                | ')'
                | '*'
                | '+'
                | ','
                | '-'
                | '.'
                | '/'
                | '0'..='9'
                | ':'
                | ';'
                | '<'
                | '='
                | '>'
                | '?'
                | '¡'
                | 'A'..='Z'
                | 'Ä'
                | 'Ö'
                | 'Ñ'
                | 'Ü'
                | '§'
                | '¿'
                | 'a'..='z'
                | 'ä'
                | 'ö'
                | 'ñ'
                | 'ü'
                | 'à' => Some(1),
                '\u{C}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
                _ => None,
            }
        }
        let (kind, len) = case.split_once('-').unwrap();
        let t = text(kind, len.parse().unwrap());
        b.counter(BytesCount::of_str(&t)).bench_local(|| {
            let t = black_box(&t);
            let gsm_units: Option<usize> = t.chars().map(gsm).sum();
            let (units, single, part, cost): (usize, usize, usize, fn(char) -> usize) =
                match gsm_units {
                    Some(u) => (u, 160, 153, |c| gsm(c).unwrap_or(2)),
                    None => (t.encode_utf16().count(), 70, 67, |c| c.len_utf16()),
                };
            let parts = if units <= single {
                1
            } else {
                let (mut parts, mut used) = (1, 0);
                for c in t.chars() {
                    let k = cost(c);
                    if used + k > part {
                        parts += 1;
                        used = 0;
                    }
                    used += k;
                }
                parts
            };
            (units, parts)
        });
    }
}

mod render {
    use super::*;

    /// `Delivery::write_text` into a stack buffer (voice, 8 symbols).
    #[divan::bench]
    fn mfa_core_write_text(b: Bencher) {
        let params = IssueRequest {
            token_length: Some(8),
            ..IssueRequest::new(Channel::Call, TO)
        }
        .validate()
        .unwrap();
        let (_, d) = Challenge::issue(&params, &mut ChaCha20Rng::seed_from_u64(3), NOW).unwrap();
        let mut buf = Buf::new();
        b.bench_local(|| {
            buf.len = 0;
            d.write_text(&mut buf).unwrap();
            buf.len
        });
    }

    /// The obvious alternative: `format!` with a joined `Vec<String>`.
    #[divan::bench]
    fn format_join(b: Bencher) {
        let token = "K7P2QX9A".to_string();
        b.bench_local(|| {
            let spelled: Vec<String> = black_box(&token).chars().map(String::from).collect();
            let mut s = format!(
                "{} {}",
                mfa_core::limits::DEFAULT_CALL_MESSAGE,
                spelled.join(", ")
            );
            s.write_char('.').unwrap();
            s
        });
    }
}
