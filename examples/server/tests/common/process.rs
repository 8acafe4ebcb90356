//! The built `mfa-server` binary as a child process: its address from
//! stderr, its deliveries (stdout transport) from stdout.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Process {
    pub child: Child,
    pub base: String,
    /// Delivery texts by destination number.
    pub deliveries: Arc<Mutex<HashMap<String, String>>>,
    stdout_done: Option<std::thread::JoinHandle<()>>,
}

impl Process {
    pub fn spawn(args: &[&str]) -> Process {
        Process::spawn_command(&mut Command::new(env!("CARGO_BIN_EXE_mfa-server")), args)
    }

    fn spawn_command(command: &mut Command, args: &[&str]) -> Process {
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--transport", "stdout"])
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mfa-server starts");
        let deliveries = Arc::new(Mutex::new(HashMap::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = deliveries.clone();
        let stdout_done = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: serde_json::Value =
                    serde_json::from_str(&line).expect("one JSON line a delivery");
                let to = v["to"].as_str().unwrap().to_string();
                let text = v["text"].as_str().unwrap().to_string();
                sink.lock().unwrap().insert(to, text);
            }
        });
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("mfa-server listening on ") {
                    let _ = tx.send(addr.to_string());
                } else {
                    eprintln!("[mfa-server] {line}");
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("mfa-server prints its address");
        Process {
            child,
            base,
            deliveries,
            stdout_done: Some(stdout_done),
        }
    }

    /// SIGKILL, then wait until every delivery line it wrote has been read.
    pub fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        if let Some(t) = self.stdout_done.take() {
            t.join().unwrap();
        }
    }

    pub fn text_for(&self, to: &str) -> Option<String> {
        self.deliveries.lock().unwrap().get(to).cloned()
    }

    /// The delivery to `to`, waiting for the reader thread to see its line
    /// (the 200 may arrive first).
    pub async fn wait_text_for(&self, to: &str) -> String {
        for _ in 0..500 {
            if let Some(text) = self.text_for(to) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("no delivery to {to}");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A number nobody else used: for stores that outlive a test run.
pub fn fresh_number(i: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("+1555{:07}", (nanos / 100 + i * 7919) % 10_000_000)
}

impl Process {
    /// [`Process::spawn`] with the open-file limit set to `nofile`
    /// (`ulimit -n`) for the server.
    pub fn spawn_with_nofile(nofile: u32, args: &[&str]) -> Process {
        Process::spawn_command(
            Command::new("sh")
                .arg("-c")
                .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
                .arg(env!("CARGO_BIN_EXE_mfa-server")),
            args,
        )
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `within` for the process to exit.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}
