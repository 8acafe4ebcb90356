//! README's curl commands for the server, run as written (on the test
//! server's port instead of 8080): ask a code, take it from the stdout
//! delivery line, verify it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn readme_flow_verifies() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("ID=$(curl"))
        .expect("README has the server's curl flow");

    let dir = tempfile::tempdir().unwrap();
    let deliveries = std::fs::File::create(dir.path().join("deliveries.jsonl")).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_mfa-server"))
        .current_dir(dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .stdout(deliveries)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("mfa-server listening on http://")
                .map(str::to_string)
        })
        .unwrap();
    std::thread::spawn(move || lines.for_each(drop));
    let script = block.replace("127.0.0.1:8080", &addr);
    let out = Command::new("bash")
        .current_dir(dir.path())
        .args(["-c", &script])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), r#"{"success":true}"#);
}
