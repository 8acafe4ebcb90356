//! The guide's whole flow in a terminal: issue a challenge, show what would
//! be sent, then verify the codes typed back until the challenge is closed.
//!
//! ```text
//! cargo run --example demo -- --channel sms --to +15557788999
//! cargo run --example demo -- --channel call --to +15557788999 --token-length 8 --alphas
//! echo 123456 | cargo run --example demo -- --to +15557788999
//! ```
//!
//! The SMS gateway and the phone call are stand-ins: the text is printed.
//! Randomness comes from the OS, time from the system clock.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use mfa_core::{Challenge, Channel, IssueRequest, OsRng, UnixTime, Verification};

const USAGE: &str = "\
usage: demo [options]

  --channel sms|call     delivery channel (default sms)
  --to NUMBER            E.164 destination, e.g. +15557788999 (required)
  --from NUMBER          E.164 origin (needed for a custom SMS message)
  --message TEXT         text before the token
  --token-length N       4 to 20 (default 6)
  --max-attempts N       1 to 20 (default 3)
  --alphas               letters in the token too (allow_alphas: true)
  --valid-for SECONDS    0 to 604800 (default 3600)
  --help                 this text

Then type the code you received; each line is one verification try.";

struct Flags {
    channel: Channel,
    to: Option<String>,
    from: Option<String>,
    message: Option<String>,
    token_length: Option<i64>,
    max_attempts: Option<i64>,
    alphas: bool,
    valid_for: Option<i64>,
}

fn parse_flags(args: &[String]) -> Result<Option<Flags>, String> {
    let mut f = Flags {
        channel: Channel::Sms,
        to: None,
        from: None,
        message: None,
        token_length: None,
        max_attempts: None,
        alphas: false,
        valid_for: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let int = |name: &str, v: String| {
            v.parse::<i64>()
                .map_err(|_| format!("{name} takes a whole number, not {v:?}"))
        };
        match flag.as_str() {
            "--help" | "-h" => return Ok(None),
            "--channel" => {
                f.channel = match value("--channel")?.as_str() {
                    "sms" => Channel::Sms,
                    "call" | "voice" => Channel::Call,
                    other => return Err(format!("--channel is sms or call, not {other:?}")),
                }
            }
            "--to" => f.to = Some(value("--to")?),
            "--from" => f.from = Some(value("--from")?),
            "--message" => f.message = Some(value("--message")?),
            "--token-length" => f.token_length = Some(int(flag, value(flag)?)?),
            "--max-attempts" => f.max_attempts = Some(int(flag, value(flag)?)?),
            "--valid-for" => f.valid_for = Some(int(flag, value(flag)?)?),
            "--alphas" => f.alphas = true,
            other => return Err(format!("unknown option {other:?} (try --help)")),
        }
    }
    Ok(Some(f))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flags = match parse_flags(&args) {
        Ok(Some(f)) => f,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };

    let request = IssueRequest {
        to: flags.to.as_deref(),
        from: flags.from.as_deref(),
        message: flags.message.as_deref(),
        token_length: flags.token_length,
        max_attempts: flags.max_attempts,
        allow_alphas: Some(flags.alphas),
        valid_for: flags.valid_for,
        ..IssueRequest::empty(flags.channel)
    };
    let params = match request.validate() {
        Ok(p) => p,
        Err(violations) => {
            eprintln!("error: the request breaks {} rule(s):", violations.len());
            for v in violations.iter() {
                eprintln!("  - {v}");
            }
            return ExitCode::from(2);
        }
    };

    let (mut challenge, delivery) = match Challenge::issue(&params, &mut OsRng, UnixTime::now()) {
        Ok(issued) => issued,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };

    // What the guide's request endpoint answers.
    println!(
        "{{\"id\":\"{}\",\"success\":true,\"to\":\"{}\",\"channel\":\"{}\"}}",
        challenge.parts().id,
        challenge.parts().to,
        challenge.parts().channel
    );
    // Stand-in for the SMS gateway / phone call.
    let how = match delivery.channel() {
        Channel::Sms => "SMS",
        Channel::Call => "call (text-to-speech)",
    };
    let from = delivery
        .from()
        .map(|n| format!(" from {n}"))
        .unwrap_or_default();
    println!("--- {how} to {}{from} ---", delivery.to());
    println!("{}", delivery.text());
    let seg = delivery.segments();
    match delivery.channel() {
        Channel::Sms => println!(
            "--- {} {} ({}), {} segment ---",
            seg.units,
            seg.encoding.unit_name(),
            seg.encoding.name(),
            seg.parts
        ),
        Channel::Call => println!("--- {} characters ---", delivery.chars()),
    }

    let stdin = io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        print!(
            "code ({} attempt(s) left, expires at {}): ",
            challenge.attempts_left(),
            challenge.expires_at()
        );
        let _ = io::stdout().flush();
        let Some(Ok(line)) = lines.next() else {
            println!();
            println!(
                "(no more input; the challenge is {})",
                challenge.state_at(UnixTime::now()).name()
            );
            return ExitCode::SUCCESS;
        };
        if line.trim().is_empty() {
            continue; // a blank line is not a try
        }
        // The only copy lives in this process's memory: the step's write
        // has already "landed" (a host with a store writes it first).
        match challenge.verify(&line, UnixTime::now()).into_answer() {
            Verification::Verified => {
                println!(
                    "200 {{\"success\":true}}  verified {}",
                    challenge.parts().to
                );
                return ExitCode::SUCCESS;
            }
            Verification::WrongToken { attempts_left } => {
                println!("200 {{\"success\":false}}  wrong code, {attempts_left} attempt(s) left");
                if attempts_left == 0 {
                    println!("the challenge is now {}", challenge.parts().state.name());
                    return ExitCode::FAILURE;
                }
            }
            Verification::Rejected(reason) => {
                println!("404  {reason}");
                return ExitCode::FAILURE;
            }
        }
    }
}
