//! The cost of sealing, without a bench framework: seal and open a typical
//! stored challenge many times and print nanoseconds per operation beside
//! the JSON encoding, for the format sealed now (4, AES-SIV) and the one
//! before it (3, XChaCha20-Poly1305 with a nonce from the OS), in one run.
//!
//!     cargo bench --bench seal

use std::hint::black_box;
use std::time::Instant;

use mfa_core::{Challenge, Channel, IssueRequest, OsRng, UnixTime};
use mfa_server::record::compact;
use mfa_server::seal::{FORMAT, FORMAT_V3, Keyring, Row};

const ROUNDS: u32 = 200_000;

fn time(label: &str, mut f: impl FnMut()) -> f64 {
    for _ in 0..ROUNDS / 10 {
        f(); // warm up
    }
    let start = Instant::now();
    for _ in 0..ROUNDS {
        f();
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(ROUNDS);
    println!("{label:<34} {ns:>8.0} ns");
    ns
}

fn main() {
    let ring = Keyring::parse(&format!("1 {}", "42".repeat(32))).unwrap();
    let params = IssueRequest::new(Channel::Sms, "+15557788999")
        .validate()
        .unwrap();
    let (challenge, _) = Challenge::issue(&params, &mut OsRng, UnixTime::now()).unwrap();
    let id = challenge.parts().id.to_string();
    let row = Row::Challenge {
        id: &id,
        project: "project",
    };
    // The plain text the server seals: the compact record.
    let plain = compact::challenge_to_bytes(&challenge, 1).unwrap();
    let encode = time("compact encode", || {
        black_box(compact::challenge_to_bytes(black_box(&challenge), 1).unwrap());
    });
    let decode = time("compact decode (validated)", || {
        black_box(compact::challenge_from_bytes(&id, black_box(&plain)).unwrap());
    });
    let mut both = Vec::new();
    for (format, label) in [
        (
            FORMAT_V3,
            "format 3 (nonce from the OS + XChaCha20-Poly1305)",
        ),
        (FORMAT, "format 4 (AES-256-SIV)"),
    ] {
        let sealed = ring.seal_as(format, row, &plain).unwrap();
        println!(
            "{label}: {} bytes plain, {} sealed",
            plain.len(),
            sealed.len()
        );
        let seal = time("  seal", || {
            black_box(ring.seal_as(format, row, black_box(&plain)).unwrap());
        });
        let open = time("  open", || {
            black_box(ring.open(row, black_box(&sealed)).unwrap());
        });
        println!(
            "  seal+open {:.0} ns, {:.2}x the encode+decode ({:.0} ns)",
            seal + open,
            (seal + open) / (encode + decode),
            encode + decode,
        );
        both.push(seal + open);
    }
    println!(
        "format 4 / format 3, seal+open time: {:.2}",
        both[1] / both[0]
    );
}
