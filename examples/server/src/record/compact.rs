//! The compact encoding of sealed records (seal formats 3 and 4): `postcard`
//! (varint integers, length-prefixed strings) of mirror structs of this
//! module, never of the core's own serde forms (the core's challenge reads
//! with `deserialize_any`, which a format without field names cannot
//! serve).
//!
//! | row | content, in order |
//! |---|---|
//! | challenge | channel (0 sms, 1 call), `to` and `from` (the E.164 digits as one integer; `from` optional), the token's text, alphanumeric (a bool), `issued_at`, `valid_for`, `max_attempts`, `attempts_used`, `max_deliveries`, `deliveries`, state (0 pending, 1 verified, 2 exhausted, 3 expired, 4 canceled), `lock_revision` |
//! | lockout | revision, the lockout (failures, last try, revision), `last_counted`, `seen` (each: the id's 16 bytes, revision, until) |
//! | send log | the event times, revision |
//!
//! A challenge's id is not in its record: it is the row's, and bound to
//! the record by the seal's associated data. Nor is its revision, which
//! the counters give. Reading checks what the JSON forms checked: every
//! invariant of the core's parts ([`Challenge::from_parts`]), the numbers,
//! the token's alphabet, the ids' version, and nothing left over.
//!
//! Every name of the core's challenge types this server's records use is
//! here, so that a rename in the core changes this file alone.

use mfa_core::{Alphabet, Challenge, ChallengeId, ChallengeParts, Channel, PhoneNumber};
use mfa_core::{ChallengeState, Token, UnixTime};
use serde::{Deserialize, Serialize};

use super::{ChallengeRecord, LockRecord, Seen, SendRecord};

/// A record that could not be encoded, or read back: malformed, or not
/// what the core would have made.
#[derive(Debug)]
pub struct Unreadable;

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record that does not encode or read back")
    }
}

impl std::error::Error for Unreadable {}

fn finish<'a, T: Deserialize<'a>>(plain: &'a [u8]) -> Result<T, Unreadable> {
    match postcard::take_from_bytes(plain) {
        Ok((value, [])) => Ok(value),
        _ => Err(Unreadable),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, Unreadable> {
    postcard::to_allocvec(value).map_err(|_| Unreadable)
}

/// A challenge record, as written.
#[derive(Serialize, Deserialize)]
struct ChallengeV3<'a> {
    channel: u8,
    to: u64,
    from: Option<u64>,
    token: &'a str,
    alphanumeric: bool,
    issued_at: u64,
    valid_for: u32,
    max_attempts: u8,
    attempts_used: u8,
    max_deliveries: u8,
    deliveries: u8,
    state: u8,
    lock_revision: u64,
}

const STATES: [ChallengeState; 5] = [
    ChallengeState::Pending,
    ChallengeState::Verified,
    ChallengeState::Exhausted,
    ChallengeState::Expired,
    ChallengeState::Canceled,
];

/// An E.164 number as one integer: its digits (at most 15, the first not
/// a zero, so the integer gives them back).
fn number(n: &PhoneNumber) -> Result<u64, Unreadable> {
    n.as_str()[1..].parse().map_err(|_| Unreadable)
}

fn phone(digits: u64) -> Result<PhoneNumber, Unreadable> {
    PhoneNumber::parse(&format!("+{digits}")).map_err(|_| Unreadable)
}

/// The plain text (formats 3 and 4) of a challenge record.
pub fn challenge_to_bytes(
    challenge: &Challenge,
    lock_revision: u64,
) -> Result<Vec<u8>, Unreadable> {
    let p = challenge.parts();
    let state = STATES
        .iter()
        .position(|s| *s == p.state)
        .ok_or(Unreadable)?;
    encode(&ChallengeV3 {
        channel: match p.channel {
            Channel::Sms => 0,
            Channel::Call => 1,
        },
        to: number(&p.to)?,
        from: p.from.as_ref().map(number).transpose()?,
        token: p.token.expose_secret(),
        alphanumeric: p.alphabet == Alphabet::Alphanumeric,
        issued_at: p.issued_at.as_secs(),
        valid_for: p.valid_for,
        max_attempts: p.max_attempts,
        attempts_used: p.attempts_used,
        max_deliveries: p.max_deliveries,
        deliveries: p.deliveries,
        state: state as u8,
        lock_revision,
    })
}

/// Reads a challenge record (formats 3 and 4) of the row with id `id`.
pub fn challenge_from_bytes(id: &str, plain: &[u8]) -> Result<ChallengeRecord, Unreadable> {
    let c: ChallengeV3<'_> = finish(plain)?;
    let alphabet = if c.alphanumeric {
        Alphabet::Alphanumeric
    } else {
        Alphabet::Numeric
    };
    let parts = ChallengeParts {
        id: ChallengeId::parse(id).map_err(|_| Unreadable)?,
        channel: match c.channel {
            0 => Channel::Sms,
            1 => Channel::Call,
            _ => return Err(Unreadable),
        },
        to: phone(c.to)?,
        from: c.from.map(phone).transpose()?,
        token: Token::new(c.token, alphabet).map_err(|_| Unreadable)?,
        alphabet,
        issued_at: UnixTime::from_secs(c.issued_at),
        valid_for: c.valid_for,
        max_attempts: c.max_attempts,
        attempts_used: c.attempts_used,
        max_deliveries: c.max_deliveries,
        deliveries: c.deliveries,
        state: *STATES.get(usize::from(c.state)).ok_or(Unreadable)?,
    };
    Ok(ChallengeRecord {
        challenge: Challenge::from_parts(parts).map_err(|_| Unreadable)?,
        lock_revision: c.lock_revision,
    })
}

/// The lockout record, as written: ids as their 16 bytes.
#[derive(Serialize, Deserialize)]
struct LockV3 {
    revision: u64,
    lockout: mfa_core::throttle::Lockout,
    last_counted: u64,
    seen: Vec<([u8; 16], u64, u64)>,
}

/// The plain text (formats 3 and 4) of a lockout record.
pub fn lock_to_bytes(lock: &LockRecord) -> Result<Vec<u8>, Unreadable> {
    let seen = lock.seen.iter().map(|s| {
        let id = ChallengeId::parse(&s.id).map_err(|_| Unreadable)?;
        Ok((*id.as_bytes(), s.revision, s.until))
    });
    encode(&LockV3 {
        revision: lock.revision,
        lockout: lock.lockout,
        last_counted: lock.last_counted,
        seen: seen.collect::<Result<_, _>>()?,
    })
}

/// Reads a lockout record (formats 3 and 4).
pub fn lock_from_bytes(plain: &[u8]) -> Result<LockRecord, Unreadable> {
    let l: LockV3 = finish(plain)?;
    let seen = l.seen.into_iter().map(|(id, revision, until)| {
        let id = ChallengeId::from_bytes(id).map_err(|_| Unreadable)?;
        Ok(Seen {
            id: id.to_string(),
            revision,
            until,
        })
    });
    Ok(LockRecord {
        revision: l.revision,
        lockout: l.lockout,
        last_counted: l.last_counted,
        seen: seen.collect::<Result<_, _>>()?,
    })
}

/// The plain text (formats 3 and 4) of a send log: the core's own form (a list of
/// times and a revision, read without `deserialize_any`).
pub fn send_to_bytes(log: &SendRecord) -> Result<Vec<u8>, Unreadable> {
    encode(log)
}

/// Reads a send log (formats 3 and 4).
pub fn send_from_bytes(plain: &[u8]) -> Result<SendRecord, Unreadable> {
    finish(plain)
}
