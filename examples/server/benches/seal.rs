//! The cost of sealing, without a bench framework: seal and open a typical
//! stored challenge many times and print nanoseconds per operation beside
//! the JSON encoding the server does anyway.
//!
//!     cargo bench --bench seal

use std::hint::black_box;
use std::time::Instant;

use mfa_core::{Challenge, Channel, IssueRequest, OsRng, UnixTime};
use mfa_server::seal::{Keyring, Row};

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
    let plain = serde_json::to_vec(&challenge).unwrap();
    let sealed = ring.seal(row, &plain).unwrap();
    println!(
        "record: {} bytes JSON, {} bytes sealed",
        plain.len(),
        sealed.len()
    );

    let encode = time("serde_json encode", || {
        black_box(serde_json::to_vec(black_box(&challenge)).unwrap());
    });
    let decode = time("serde_json decode (validated)", || {
        black_box(serde_json::from_slice::<Challenge>(black_box(&plain)).unwrap());
    });
    let seal = time("seal (nonce from the OS + AEAD)", || {
        black_box(ring.seal(row, black_box(&plain)).unwrap());
    });
    let open = time("open (AEAD)", || {
        black_box(ring.open(row, black_box(&sealed)).unwrap());
    });
    println!(
        "seal+open {:.0} ns vs encode+decode {:.0} ns: sealing adds {:.2}x the record handling",
        seal + open,
        encode + decode,
        (seal + open) / (encode + decode)
    );
}
