//! Language-neutral test vectors (`tests/vectors/*.json`): the harness.
//!
//! Each family has its module beside its file (`tokens.rs` builds and
//! replays `tokens.json`, and so on); this harness holds what spans them.
//! `generate()` builds every vector from the crate itself, through the
//! oracle (`support/src/oracle.rs`, also the `oracle` example): each vector
//! is a request plus `oracle::answer(request)`, so every file is a
//! transcript of the oracle. The test `vectors_are_current` fails if the
//! committed files differ from what it builds; run with
//! `MFA_WRITE_VECTORS=1` to rewrite them. The `replay_*` tests then read the
//! files as a port would and check the crate against them from their inputs
//! alone, and `files_are_oracle_transcripts` feeds every file's requests
//! through the oracle.
#![cfg(feature = "serde")]

use mfa_support::oracle;
use oracle::StreamRng;
use oracle::{FAMILIES, Req, hex, merge, split};

use mfa_core::sms::segments;
use mfa_core::wire::HttpResponse;
use mfa_core::{Challenge, ChallengeId, Channel, IssueRequest, Normalized, UnixTime};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

mod bodies;
mod calling_codes;
mod ids;
mod limits;
mod lockout;
mod normalize;
mod params;
mod render;
mod segments;
mod stored;
mod tokens;
mod traces;
mod wire;

use self::{
    bodies::*, calling_codes::*, ids::*, limits::*, lockout::*, normalize::*, params::*, render::*,
    segments::*, stored::*, tokens::*, traces::*, wire::*,
};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");

fn unhex(s: &str) -> Vec<u8> {
    oracle::unhex(s).unwrap()
}

fn channel_name(c: Channel) -> &'static str {
    c.name()
}

fn req_json(channel: Channel, body: Value, host: Value) -> Value {
    json!({"channel": channel_name(channel), "body": body, "host": host})
}

fn file(schema: &str, description: &str, vectors: Vec<Value>) -> Value {
    json!({"schema": schema, "description": description, "vectors": vectors})
}

/// `request` (a vector's inputs, without `family`) with the oracle's
/// answer: the vector.
fn vector(family: &str, request: Value) -> Value {
    let mut r = Map::new();
    r.insert("family".into(), json!(family));
    r.extend(request.as_object().expect("a request is an object").clone());
    let r = Value::Object(r);
    match oracle::answer(&r) {
        Ok(a) => merge(&r, &a),
        Err(e) => panic!("{family}: {e}: {r}"),
    }
}

fn generate() -> Vec<(&'static str, Value)> {
    vec![
        (
            "tokens.json",
            file(
                "mfa-core/tokens/1",
                "RNG byte stream -> challenge id and token",
                token_vectors(),
            ),
        ),
        (
            "params.json",
            file(
                "mfa-core/params/1",
                "request -> resolved parameters or every violation",
                param_vectors(),
            ),
        ),
        (
            "render.json",
            file(
                "mfa-core/render/1",
                "parameters + token -> delivery text and its measures",
                render_vectors(),
            ),
        ),
        (
            "segments.json",
            file(
                "mfa-core/segments/1",
                "text -> SMS encoding, units, parts",
                segment_vectors(),
            ),
        ),
        (
            "normalize.json",
            file(
                "mfa-core/normalize/1",
                "submitted text -> normalised symbols, or null for a wrong token",
                normalize_vectors(),
            ),
        ),
        (
            "traces.json",
            file(
                "mfa-core/traces/1",
                "issue, then calls at given times -> outcome and state after each",
                trace_vectors(),
            ),
        ),
        (
            "wire.json",
            file(
                "mfa-core/wire/1",
                "outcome -> HTTP status and JSON body",
                wire_vectors(),
            ),
        ),
        (
            "bodies.json",
            file(
                "mfa-core/bodies/1",
                "raw request or verify body -> parsed fields, or the 422 bad-body answer",
                body_vectors(),
            ),
        ),
        (
            "ids.json",
            file(
                "mfa-core/ids/1",
                "id text or 16 bytes -> canonical id, or the parse error",
                id_vectors(),
            ),
        ),
        (
            "stored.json",
            file(
                "mfa-core/stored/1",
                "stored record (JSON text) -> accepted and written back, or refused",
                stored_vectors(),
            ),
        ),
        (
            "limits.json",
            file(
                "mfa-core/limits/1",
                "send policy + events at given times -> allowed or refused with the wait, and the revision",
                limit_vectors(),
            ),
        ),
        (
            "lockout.json",
            file(
                "mfa-core/lockout/1",
                "lockout policy + tries, successes and checks at given times -> allowed, wait or locked, and the failures",
                lockout_vectors(),
            ),
        ),
        (
            "calling_codes.json",
            file(
                "mfa-core/calling_codes/1",
                "E.164 number -> ITU-T country calling code, or null",
                calling_code_vectors(),
            ),
        ),
    ]
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap();
    s.push('\n');
    s
}

#[test]
fn vectors_are_current() {
    let write = std::env::var_os("MFA_WRITE_VECTORS").is_some();
    let mut total = 0;
    let mut stale = Vec::new();
    for (name, v) in generate() {
        total += v["vectors"].as_array().unwrap().len();
        let path = format!("{DIR}/{name}");
        let text = pretty(&v);
        if write {
            std::fs::create_dir_all(DIR).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the generator produces: rerun with MFA_WRITE_VECTORS=1 and review the diff"
    );
    assert!(total >= 700, "only {total} vectors");
}

fn load(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DIR}/{name}")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

/// The README's table lists every file with its current number of vectors.
#[test]
fn readme_counts_are_current() {
    let readme = std::fs::read_to_string(format!("{DIR}/README.md")).unwrap();
    let mut total = 0;
    for (name, v) in generate() {
        let n = v["vectors"].as_array().unwrap().len();
        total += n;
        let row = format!("| `{name}` | {n} |");
        assert!(readme.contains(&row), "README.md lacks the row {row}");
    }
    // `templates.json` is generated by `tests/vector_templates.rs`, which
    // checks that it is current: counted from the file.
    let n = load("templates.json").len();
    total += n;
    let row = format!("| `templates.json` | {n} |");
    assert!(readme.contains(&row), "README.md lacks the row {row}");
    let row = format!("| total | {total} |");
    assert!(readme.contains(&row), "README.md lacks the row {row}");
}

/// Every file is a transcript of the oracle: the requests of its vectors
/// (`split`), answered by the oracle and merged back, give the file again,
/// byte for byte (so key order counts).
#[test]
fn files_are_oracle_transcripts() {
    let mut total = 0;
    for family in FAMILIES {
        let path = format!("{DIR}/{family}.json");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut doc: Value = serde_json::from_str(&text).unwrap();
        let vectors: Vec<Value> = doc["vectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                let request = split(family, v);
                let line = oracle::answer_line(&request.to_string());
                let answer: Value = serde_json::from_str(&line).unwrap();
                assert!(
                    answer.get("error").is_none(),
                    "{family}: {request} -> {line}"
                );
                total += 1;
                merge(&request, &answer)
            })
            .collect();
        doc["vectors"] = Value::Array(vectors);
        assert!(
            pretty(&doc) == text,
            "{family}.json is not the oracle's transcript"
        );
    }
    assert!(total >= 700, "only {total} vectors");
}

/// The built oracle binary (`target/<profile>/examples/oracle`), next to
/// this test's own executable (`target/<profile>/deps/vectors-…`).
/// `cargo test --all-features` builds it with the examples.
fn oracle_binary() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let bin = profile_dir
        .join("examples")
        .join(format!("oracle{}", std::env::consts::EXE_SUFFIX));
    bin.is_file().then_some(bin)
}

/// Runs the oracle binary on `input`; without a built binary, through
/// `cargo run` once.
fn run_oracle(input: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = match oracle_binary() {
        Some(bin) => Command::new(bin),
        None => {
            let mut c = Command::new(env!("CARGO"));
            c.args(["run", "--quiet", "--all-features", "--example", "oracle"])
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            c
        }
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the oracle starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "the oracle exits 0");
    out.stdout
}

/// End to end: the example binary answers one line per request line,
/// survives garbage (not JSON, not UTF-8, unknown family, missing and
/// ill-typed fields, an empty line, a CR LF line end) and answers every
/// line exactly as the shared oracle logic does.
#[test]
fn oracle_binary_end_to_end() {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for family in FAMILIES {
        let v = &load(&format!("{family}.json"))[0];
        lines.push(split(family, v).to_string().into_bytes());
    }
    let garbage: [&[u8]; 12] = [
        b"not json",
        b"",
        b"{\"family\":\"segments\"}",
        b"{\"family\":\"segments\",\"text\":5}",
        b"{\"family\":\"nope\",\"text\":\"x\"}",
        b"[1,2,3]",
        b"\xff\xfe\x00",
        b"{\"family\":\"limits\",\"policy\":{\"windows\":[{\"max\":-1,\"interval_secs\":1}]},\"steps\":[]}",
        b"{\"family\":\"traces\",\"channel\":\"sms\",\"body\":{\"to\":\"+15557788999\"},\"host\":{},\"issued_at\":0,\"rng\":\"00\",\"steps\":[]}",
        b"{\"family\":\"tokens\",\"alphabet\":\"numeric\",\"token_length\":6,\"rng\":\"zz\"}",
        b"{\"family\":\"calling_codes\",\"number\":\"+0\"}",
        b"{\"family\":\"segments\",\"text\":\"CR LF\"}\r",
    ];
    let real = lines.len();
    lines.extend(garbage.iter().map(|g| g.to_vec()));
    // Garbage between good lines too: the oracle keeps going.
    lines.push(lines[3].clone());
    let mut input = lines.join(&b'\n');
    input.push(b'\n');
    let out = String::from_utf8(run_oracle(&input)).expect("answers are UTF-8");
    let answers: Vec<&str> = out.lines().collect();
    assert_eq!(answers.len(), lines.len(), "one answer per line");
    for (i, (line, got)) in lines.iter().zip(&answers).enumerate() {
        let v: Value = serde_json::from_str(got).expect("an answer is JSON");
        assert!(v.is_object(), "{got}");
        assert_eq!(*got, oracle::answer_line_bytes(line), "line {i}");
        let is_error = v.get("error").is_some();
        let garbage = (real..real + garbage.len() - 1).contains(&i);
        assert_eq!(is_error, garbage, "line {i}: {got}");
    }
}
