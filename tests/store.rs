//! The stored challenge state (feature `serde`): round trips, tampering,
//! arbitrary input, and several hosts sharing one store.
#![cfg(feature = "serde")]

mod common;
use common::*;
use mfa_support::assert_sound;

use mfa_core::{
    Challenge, ChallengeState, Channel, IssueRequest, Step, Swap, UnixTime, Verification,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn pending() -> Challenge {
    let req = IssueRequest {
        from: Some("+15554433222"),
        ..sms(TO)
    };
    issue(req, 77).0
}

fn to_json(c: &Challenge) -> Value {
    serde_json::to_value(c).unwrap()
}

fn from_json(v: &Value) -> Result<Challenge, String> {
    serde_json::from_value(v.clone()).map_err(|e| e.to_string())
}

#[test]
fn json_layout_of_a_pending_challenge() {
    let c = pending();
    let v = to_json(&c);
    assert_eq!(
        v,
        json!({"v2": {"revision": 0, "challenge": {
            "id": c.parts().id.to_string(),
            "channel": "sms",
            "to": "+15557788999",
            "from": "+15554433222",
            "token": code(&c),
            "allow_alphas": false,
            "issued_at": 1_700_000_000u64,
            "valid_for": 3600,
            "max_attempts": 3,
            "attempts_used": 0,
            "max_deliveries": 5,
            "deliveries": 1,
            "state": "pending"
        }}})
    );
    assert_eq!(from_json(&v).unwrap(), c);
}

/// The first release's record (SPEC §8.6): version `v1`, the thirteen
/// keys and `revision` side by side, as that release documented it.
const FLAT_V1: &str = r#"{"v1":{"id":"8630cc54-f6b2-45dd-b73b-cce28eb668d8","channel":"sms",
       "to":"+15557788999","from":null,"token":"123456","allow_alphas":false,
       "issued_at":1700000000,"valid_for":3600,"max_attempts":3,
       "attempts_used":0,"max_deliveries":5,"deliveries":1,
       "state":"pending","revision":0}}"#;

/// The same challenge as it is written now (`v2`).
const WRITTEN_V2: &str = r#"{"v2":{"revision":0,"challenge":{"id":"8630cc54-f6b2-45dd-b73b-cce28eb668d8","channel":"sms","to":"+15557788999","from":null,"token":"123456","allow_alphas":false,"issued_at":1700000000,"valid_for":3600,"max_attempts":3,"attempts_used":0,"max_deliveries":5,"deliveries":1,"state":"pending"}}}"#;

#[test]
fn the_first_releases_flat_v1_record_reads_and_is_written_as_v2() {
    let c: Challenge = serde_json::from_str(FLAT_V1).unwrap();
    assert_eq!(serde_json::to_string(&c).unwrap(), WRITTEN_V2);
    // Keys in any order, `from` missing, a later state: still the flat layout.
    let v = json!({"v1": {"revision": 2, "state": "canceled", "deliveries": 2,
        "max_deliveries": 5, "attempts_used": 0, "max_attempts": 3, "valid_for": 3600,
        "issued_at": 1_700_000_000u64, "allow_alphas": true, "token": "K7P2",
        "to": "+15557788999", "channel": "call", "id": "8630cc54-f6b2-45dd-b73b-cce28eb668d8"}});
    let c = from_json(&v).unwrap();
    assert_eq!(
        (c.parts().state, c.revision()),
        (ChallengeState::Canceled, 2)
    );
    assert_eq!(c.parts().from, None);
}

#[test]
fn a_nested_record_written_under_the_name_v1_reads() {
    // Releases between the first and this one wrote the `v2` layout under
    // the name `v1`; a host's stored records of that time stay readable.
    let interim = WRITTEN_V2.replacen("\"v2\"", "\"v1\"", 1);
    let c: Challenge = serde_json::from_str(&interim).unwrap();
    assert_eq!(serde_json::to_string(&c).unwrap(), WRITTEN_V2);
}

#[test]
fn a_v1_record_is_one_layout_or_the_other() {
    let good: Value = serde_json::from_str(FLAT_V1).unwrap();
    let challenge = serde_json::from_str::<Value>(WRITTEN_V2).unwrap()["v2"]["challenge"].clone();
    let refused = |v: Value, want: &str| {
        let err = from_json(&v).unwrap_err();
        assert!(err.contains(want), "{v}: {err}");
        assert!(!err.contains("123456"), "{err}");
    };
    // Both layouts at once.
    let mut mixed = good.clone();
    mixed["v1"]["challenge"] = challenge.clone();
    refused(mixed, "unknown field `id`");
    // Each one's own rules.
    let mut v = good.clone();
    v["v1"].as_object_mut().unwrap().remove("revision");
    refused(v, "missing field `revision`");
    let mut v = good.clone();
    v["v1"].as_object_mut().unwrap().remove("state");
    refused(v, "missing field `state`");
    let mut v = good.clone();
    v["v1"]["extra"] = json!(1);
    refused(v, "unknown field `extra`");
    let mut v = good.clone();
    v["v1"]["revision"] = json!(1);
    refused(v, "revision");
    let mut v = good.clone();
    v["v1"]["token"] = json!(123456);
    refused(v, "token");
    refused(
        json!({"v1": {"challenge": challenge}}),
        "missing field `revision`",
    );
    let twice = FLAT_V1.replacen(
        "\"state\":\"pending\"",
        "\"state\":\"pending\",\"state\":\"pending\"",
        1,
    );
    let err = serde_json::from_str::<Challenge>(&twice)
        .unwrap_err()
        .to_string();
    assert!(err.contains("duplicate field `state`"), "{err}");
}

#[test]
fn a_v1_value_of_the_wrong_type_says_what_was_expected() {
    for v in [json!({"v1": 5}), json!({"v1": "x"}), json!({"v1": true})] {
        let err = from_json(&v).unwrap_err();
        assert!(err.contains("expected a v1 stored record"), "{v}: {err}");
    }
}

/// The first release's binary layout, field for field (its `StoredV1`).
#[derive(serde::Serialize)]
enum OldStored {
    #[serde(rename = "v1")]
    V1(OldFlat),
}

#[derive(serde::Serialize)]
struct OldFlat {
    id: [u8; 16],
    channel: Channel,
    to: &'static str,
    from: Option<&'static str>,
    token: &'static str,
    allow_alphas: bool,
    issued_at: u64,
    valid_for: u32,
    max_attempts: u8,
    attempts_used: u8,
    max_deliveries: u8,
    deliveries: u8,
    state: ChallengeState,
    revision: u64,
}

#[test]
fn the_first_releases_flat_v1_record_reads_in_a_binary_format() {
    let id = mfa_core::ChallengeId::parse("8630cc54-f6b2-45dd-b73b-cce28eb668d8").unwrap();
    let old = OldStored::V1(OldFlat {
        id: *id.as_bytes(),
        channel: Channel::Call,
        to: "+15557788999",
        from: Some("+15554433222"),
        token: "123456",
        allow_alphas: false,
        issued_at: 1_700_000_000,
        valid_for: 3600,
        max_attempts: 3,
        attempts_used: 1,
        max_deliveries: 5,
        deliveries: 2,
        state: ChallengeState::Verified,
        revision: 2,
    });
    let bytes = postcard::to_allocvec(&old).unwrap();
    let c: Challenge = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(
        (c.parts().state, c.revision(), c.parts().channel),
        (ChallengeState::Verified, 2, Channel::Call)
    );
    assert_eq!(
        c.parts().from.as_ref().map(|f| f.as_str()),
        Some("+15554433222")
    );
    // Written back as v2: variant 1, then the revision.
    let written = postcard::to_allocvec(&c).unwrap();
    assert_eq!(&written[..2], &[1, 2]);
    assert_eq!(postcard::from_bytes::<Challenge>(&written).unwrap(), c);
}

#[test]
fn stored_sizes() {
    let c = pending();
    let json = serde_json::to_vec(&c).unwrap();
    let post = postcard::to_allocvec(&c).unwrap();
    println!(
        "pending challenge: JSON {} bytes, postcard {} bytes",
        json.len(),
        post.len()
    );
    // 16-byte id, two numbers, 6-byte token, counters, varint times.
    assert!(post.len() < 80, "postcard {}", post.len());
    assert!(json.len() > 2 * post.len());
    let back: Challenge = postcard::from_bytes(&post).unwrap();
    assert_eq!(back, c);
}

#[test]
fn tampered_records_are_refused_with_the_field() {
    let good = to_json(&pending());
    let cases: Vec<(&str, Value, &str)> = vec![
        ("token", json!("123"), "token"),
        ("token", json!("1".repeat(21)), "token"),
        ("token", json!("12A456"), "token"),
        ("token", json!(""), "token"),
        ("token", json!(123456), "token"),
        ("to", json!("15557788999"), "E.164"),
        ("from", json!("+0"), "digits"),
        (
            "id",
            json!("8630cc54-f6b2-15dd-b73b-cce28eb668d8"),
            "version-4",
        ),
        ("id", json!("nope"), "36 characters"),
        ("channel", json!("fax"), "unknown variant"),
        ("state", json!("done"), "unknown variant"),
        ("attempts_used", json!(4), "attempts_used"),
        ("attempts_used", json!(3), "state"),
        ("max_attempts", json!(0), "max_attempts"),
        ("max_attempts", json!(300), "u8"),
        ("valid_for", json!(604_801), "valid_for"),
        ("deliveries", json!(0), "deliveries"),
        ("deliveries", json!(6), "deliveries"),
        ("max_deliveries", json!(21), "max_deliveries"),
        ("state", json!("exhausted"), "state"),
        ("issued_at", json!(-1), "u64"),
        ("extra", json!(1), "unknown field `extra`"),
    ];
    let token = good["v2"]["challenge"]["token"].as_str().unwrap();
    for (field, value, expect) in cases {
        let mut v = good.clone();
        v["v2"]["challenge"][field] = value.clone();
        let err = from_json(&v).unwrap_err();
        assert!(err.contains(expect), "{field}={value}: {err}");
        assert!(
            !err.contains(token),
            "{field}: the error repeats the token: {err}"
        );
    }
    // The revision must be the one the counters give.
    let mut v = good.clone();
    v["v2"]["revision"] = json!(1);
    assert!(from_json(&v).unwrap_err().contains("revision"));
    let mut v = good.clone();
    v["v2"]["extra"] = json!(1);
    assert!(from_json(&v).unwrap_err().contains("unknown field `extra`"));
    // A missing field and an unknown version.
    let mut v = good.clone();
    v["v2"]["challenge"]
        .as_object_mut()
        .unwrap()
        .remove("state");
    assert!(from_json(&v).unwrap_err().contains("missing field `state`"));
    let v = json!({"v3": good["v2"].clone()});
    assert!(from_json(&v).unwrap_err().contains("unknown variant `v3`"));
    assert!(from_json(&json!(null)).is_err());
}

#[test]
fn a_token_stored_as_a_number_is_not_repeated() {
    let mut v = to_json(&pending());
    v["v2"]["challenge"]["token"] = json!(987654);
    let err = from_json(&v).unwrap_err();
    assert!(!err.contains("987654"), "{err}");
    assert!(err.contains("token"));
}

#[test]
fn binary_ids_are_checked_too() {
    let c = pending();
    let mut bytes = postcard::to_allocvec(&c).unwrap();
    // The variant index, the revision (one byte while below 128), then the
    // 16 id bytes; byte 6 of the id holds the version.
    bytes[1 + 1 + 6] = 0x10;
    assert!(postcard::from_bytes::<Challenge>(&bytes).is_err());
}

#[derive(Clone, Debug)]
enum Op {
    Verify(bool),
    Cancel,
    Resend(bool),
    Wait(u64),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        prop_oneof![
            4 => any::<bool>().prop_map(Op::Verify),
            1 => Just(Op::Cancel),
            2 => any::<bool>().prop_map(Op::Resend),
            1 => (0u64..4000).prop_map(Op::Wait),
        ],
        0..12,
    )
}

fn drive(seed: u64, alphas: bool, ops: &[Op]) -> Vec<Challenge> {
    let req = IssueRequest {
        allow_alphas: Some(alphas),
        max_attempts: Some(4),
        from: Some("+15554433222"),
        ..sms(TO)
    };
    let (mut c, _) = issue(req, seed);
    let right = code(&c);
    let mut now = T0;
    let mut seen = vec![c.clone()];
    for op in ops {
        match op {
            Op::Verify(r) => {
                let _ = c
                    .verify(if *r { &right } else { "0000" }, now)
                    .into_answer();
            }
            Op::Cancel => {
                let _ = c.cancel(now).into_answer();
            }
            Op::Resend(call) => {
                let ch = if *call { Channel::Call } else { Channel::Sms };
                let _ = c.resend(ch, None, now).into_answer();
            }
            Op::Wait(s) => now = now.add_secs(*s),
        }
        seen.push(c.clone());
    }
    seen
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_is_identity_for_every_reachable_state(seed: u64, alphas: bool, ops in ops()) {
        for c in drive(seed, alphas, &ops) {
            let j = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(&serde_json::from_str::<Challenge>(&j).unwrap(), &c);
            let p = postcard::to_allocvec(&c).unwrap();
            prop_assert_eq!(&postcard::from_bytes::<Challenge>(&p).unwrap(), &c);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_nor_yield_a_broken_challenge(
        bytes in proptest::collection::vec(any::<u8>(), 0..120)
    ) {
        if let Ok(c) = postcard::from_bytes::<Challenge>(&bytes) {
            assert_sound(&c);
        }
        if let Ok(c) = serde_json::from_slice::<Challenge>(&bytes) {
            assert_sound(&c);
        }
    }

    #[test]
    fn mutated_postcard_records_never_yield_a_broken_challenge(
        seed: u64, ops in ops(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)
    ) {
        let c = drive(seed, true, &ops).pop().unwrap();
        let mut bytes = postcard::to_allocvec(&c).unwrap();
        for (at, x) in flips {
            let n = bytes.len();
            bytes[at % n] ^= x;
        }
        if let Ok(c) = postcard::from_bytes::<Challenge>(&bytes) {
            assert_sound(&c);
        }
    }

    #[test]
    fn mutated_json_records_never_yield_a_broken_challenge(
        seed: u64, ops in ops(), field in 0usize..14, value in prop_oneof![
            any::<i64>().prop_map(|n| json!(n)),
            (0u64..30).prop_map(|n| json!(n)),
            "[a-z0-9+]{0,24}".prop_map(|s| json!(s)),
            Just(json!(null)),
            any::<bool>().prop_map(|b| json!(b)),
        ]
    ) {
        let c = drive(seed, false, &ops).pop().unwrap();
        let mut v = to_json(&c);
        // Field 13 is the revision; the others are the challenge's 13.
        if field == 13 {
            v["v2"]["revision"] = value;
        } else {
            let obj = v["v2"]["challenge"].as_object_mut().unwrap();
            let key = obj.keys().nth(field).unwrap().clone();
            obj.insert(key, value);
        }
        if let Ok(c) = from_json(&v) {
            assert_sound(&c);
        }
    }
}

// --- Many hosts, one store -------------------------------------------------

/// A shared store holding one serialized challenge and its revision column.
struct Store {
    bytes: Vec<u8>,
    revision: u64,
    cas: bool,
}

impl Store {
    fn read(&self) -> (Challenge, u64) {
        (postcard::from_bytes(&self.bytes).unwrap(), self.revision)
    }

    /// The write a step asks for: compare-and-swap (or a blind write when
    /// `cas` is off, as a control).
    fn write(&mut self, c: &Challenge, swap: Swap) -> bool {
        if self.cas && self.revision != swap.expected() {
            return false;
        }
        self.bytes = postcard::to_allocvec(c).unwrap();
        self.revision = swap.revision();
        true
    }
}

enum Host {
    Idle,
    Read(Challenge, u64),
    Applied(Challenge, Step<Verification>),
}

/// Runs a random interleaving of hosts verifying the same challenge.
/// Returns the committed outcomes (those whose write landed) and the final
/// stored challenge.
fn race(
    schedule: &[(usize, bool)],
    hosts: usize,
    max_attempts: i64,
    cas: bool,
) -> (Vec<Verification>, Challenge) {
    let req = IssueRequest {
        max_attempts: Some(max_attempts),
        ..sms(TO)
    };
    let (c, _) = issue(req, 5);
    let right = code(&c);
    let mut store = Store {
        bytes: postcard::to_allocvec(&c).unwrap(),
        revision: 0,
        cas,
    };
    let mut state: Vec<Host> = (0..hosts).map(|_| Host::Idle).collect();
    let mut committed = Vec::new();
    for &(h, use_right) in schedule {
        let h = h % hosts;
        state[h] = match std::mem::replace(&mut state[h], Host::Idle) {
            Host::Idle => {
                let (c, rev) = store.read();
                Host::Read(c, rev)
            }
            Host::Read(mut c, rev) => {
                let step = c.verify(if use_right { &right } else { "0000" }, T0.add_secs(1));
                // The write, if any, expects the revision read.
                assert!(step.write().is_none_or(|w| w.expected() == rev));
                Host::Applied(c, step)
            }
            Host::Applied(c, step) => {
                // A host answers its user only once the step's write (if
                // it asks for one) has landed.
                if step.write().is_none_or(|swap| store.write(&c, swap)) {
                    committed.push(step.into_answer());
                }
                Host::Idle
            }
        };
    }
    (committed, store.read().0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn racing_hosts_never_grant_more_than_max_attempts(
        schedule in proptest::collection::vec((0usize..8, proptest::bool::weighted(0.2)), 0..200),
        hosts in 2usize..6,
        max_attempts in 1i64..5,
    ) {
        let (committed, last) = race(&schedule, hosts, max_attempts, true);
        let tries = committed.iter().filter(|o| !matches!(o, Verification::Rejected(_))).count();
        let successes = committed.iter().filter(|o| o.is_verified()).count();
        prop_assert!(tries as i64 <= max_attempts, "{} tries granted", tries);
        prop_assert!(successes <= 1, "verified {} times", successes);
        if successes == 1 {
            prop_assert_eq!(last.parts().state, ChallengeState::Verified, "a success was lost");
        }
        prop_assert_eq!(u64::from(last.parts().attempts_used), tries as u64);
        assert_sound(&last);
    }
}

#[test]
fn without_compare_and_swap_the_race_is_lost() {
    // Control: with blind writes, four hosts that all read the fresh
    // challenge each get a wrong try granted against a limit of one.
    let schedule: Vec<(usize, bool)> = (0..4)
        .map(|h| (h, false))
        .chain((0..4).map(|h| (h, false)))
        .chain((0..4).map(|h| (h, false)))
        .collect();
    let (blind, _) = race(&schedule, 4, 1, false);
    assert_eq!(
        blind
            .iter()
            .filter(|o| !matches!(o, Verification::Rejected(_)))
            .count(),
        4
    );
    let (cas, _) = race(&schedule, 4, 1, true);
    assert_eq!(
        cas.iter()
            .filter(|o| !matches!(o, Verification::Rejected(_)))
            .count(),
        1
    );
    let _ = UnixTime::from_secs(0);
}
