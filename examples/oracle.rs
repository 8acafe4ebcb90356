//! The test-vector oracle: reads JSON requests, one per line, on stdin and
//! writes one JSON answer line per request on stdout.
//!
//! A request is a vector of `tests/vectors/<family>.json` without its
//! expected part, plus `"family": "<family>"`; the answer is that expected
//! part, or `{"error": "<message>"}` for a bad request (the oracle then
//! goes on with the next line). The protocol is in `tests/vectors/README.md`.
//!
//! ```text
//! $ echo '{"family":"segments","text":"Hi €"}' | cargo run -q --all-features --example oracle
//! {"encoding":"gsm7","units":5,"parts":1}
//! ```
//!
//! Lines are read as bytes: a line that is not UTF-8 gets an error answer
//! too. Output is flushed whenever no further whole line is buffered, so
//! the oracle can be driven in large batches or one line at a time.

use std::io::{BufRead, BufReader, BufWriter, Write};

use mfa_support::oracle;

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut input = BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        let answer = oracle::answer_line_bytes(&line);
        out.write_all(answer.as_bytes())?;
        out.write_all(b"\n")?;
        // Flush when no further whole line is already buffered: batches
        // are written in large blocks, and a driver that sends one line at
        // a time gets its answer before the oracle waits for more.
        if !input.buffer().contains(&b'\n') {
            out.flush()?;
        }
    }
    out.flush()
}
