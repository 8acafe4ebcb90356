use super::*;

#[test]
fn note_replaces_forgets_expired_and_caps() {
    let t = UnixTime::from_secs(1_000);
    let mut r = LockRecord::default();
    r.note("a", 1, t.add_secs(10), t);
    r.note("b", 1, t.add_secs(20), t);
    r.note("a", 2, t.add_secs(10), t);
    assert_eq!(
        (r.seen("a"), r.seen("b"), r.seen("c")),
        (Some(2), Some(1), None)
    );
    assert_eq!(r.seen.len(), 2);
    // `a` expires at +10: forgotten by a note at +10.
    r.note("c", 1, t.add_secs(30), t.add_secs(10));
    assert_eq!(r.seen("a"), None);
    for i in 0..100u64 {
        r.note(&format!("x{i}"), 1, t.add_secs(1_000 + i), t.add_secs(10));
    }
    assert_eq!(r.seen.len(), SEEN_MAX);
    // The ones closest to expiry went first.
    assert_eq!(r.seen("x99"), Some(1));
    assert_eq!(r.seen("b"), None);
}

#[test]
fn kept_while_a_challenge_may_live_or_a_week_after_a_failure() {
    let t = UnixTime::from_secs(1_000);
    let mut r = LockRecord::default();
    assert_eq!(r.keep_until(t), t);
    r.note("a", 1, t.add_secs(3_600), t);
    assert_eq!(r.keep_until(t), t.add_secs(3_600 + KEEP_MARGIN_SECS));
    let policy = mfa_core::throttle::LockoutPolicy::default();
    let _ = r.lockout.admit(&policy, t);
    assert_eq!(r.keep_until(t), t.add_secs(LOCKOUT_KEEP_SECS));
}

/// A challenge from its stored JSON (format 2's form of it), with
/// `channel`, `from`, `token` and `allow_alphas` as given.
fn challenge(channel: &str, from: &str, token: &str, alphas: bool) -> Challenge {
    serde_json::from_str(&format!(
        r#"{{"v2":{{"revision":0,"challenge":{{"id":"8630cc54-f6b2-45dd-b73b-cce28eb668d8",
        "channel":"{channel}","to":"+15557788999","from":{from},"token":"{token}",
        "allow_alphas":{alphas},"issued_at":1700000000,"valid_for":3600,"max_attempts":3,
        "attempts_used":0,"max_deliveries":5,"deliveries":1,"state":"pending"}}}}}}"#
    ))
    .unwrap()
}

const ID: &str = "8630cc54-f6b2-45dd-b73b-cce28eb668d8";

#[test]
fn challenges_round_trip_in_format_3_and_format_2_still_reads() {
    let t = UnixTime::from_secs(1_700_000_010);
    let mut wrong = challenge("sms", "null", "012345", false);
    let _ = wrong.verify("999999", t);
    let mut right = challenge("call", r#""+442071838750""#, "7KQ2", true);
    let _ = right.verify("7kq2", t);
    let mut canceled = challenge("sms", "null", "123456", false);
    canceled.cancel(t).into_answer().unwrap();
    let mut expired = challenge("sms", "null", "123456", false);
    let _ = expired.verify("123456", t.add_secs(3_600));
    for (c, lock_revision) in [(wrong, 1), (right, 7), (canceled, 0), (expired, u64::MAX)] {
        let plain = compact::challenge_to_bytes(&c, lock_revision).unwrap();
        assert!(plain.len() <= 40, "{} bytes", plain.len());
        assert!(!plain.windows(36).any(|w| w == ID.as_bytes()));
        let back = ChallengeRecord::from_plain(seal::FORMAT, ID, &plain).unwrap();
        assert_eq!(back.challenge.parts(), c.parts());
        assert_eq!(back.challenge.revision(), c.revision());
        assert_eq!(back.lock_revision, lock_revision);
        // The previous version's JSON reads as before.
        let json = serde_json::json!({"challenge": c, "lock_revision": lock_revision});
        let json = serde_json::to_vec(&json).unwrap();
        let back = ChallengeRecord::from_plain(seal::FORMAT_V2, ID, &json).unwrap();
        assert_eq!(back.challenge.parts(), c.parts());
        assert_eq!(back.lock_revision, lock_revision);
    }
}

#[test]
fn malformed_format_3_records_are_unreadable() {
    let c = challenge("sms", "null", "123456", false);
    let plain = compact::challenge_to_bytes(&c, 3).unwrap();
    // Every truncation, a byte more, another id than a UUID v4.
    for n in 0..plain.len() {
        assert!(ChallengeRecord::from_plain(seal::FORMAT, ID, &plain[..n]).is_err());
    }
    let longer = [&plain[..], &[0]].concat();
    assert!(ChallengeRecord::from_plain(seal::FORMAT, ID, &longer).is_err());
    assert!(ChallengeRecord::from_plain(seal::FORMAT, "x", &plain).is_err());
    // Byte 0 is the channel; the state is the second to last: out of range.
    let mut bad = plain.clone();
    bad[0] = 2;
    assert!(ChallengeRecord::from_plain(seal::FORMAT, ID, &bad).is_err());
    let mut bad = plain.clone();
    let state = bad.len() - 2;
    bad[state] = 5;
    assert!(ChallengeRecord::from_plain(seal::FORMAT, ID, &bad).is_err());
    // Counters the core would never have written: refused by its checks.
    let mut bad = plain.clone();
    bad[state] = 1; // verified with no attempt made
    assert!(ChallengeRecord::from_plain(seal::FORMAT, ID, &bad).is_err());
    // JSON is not format 3, nor format 3 JSON.
    let json = serde_json::to_vec(&serde_json::json!({"challenge": c, "lock_revision": 3}));
    assert!(ChallengeRecord::from_plain(seal::FORMAT, ID, &json.unwrap()).is_err());
    assert!(ChallengeRecord::from_plain(seal::FORMAT_V2, ID, &plain).is_err());
}

#[test]
fn limiter_states_round_trip_in_format_3_and_format_2_still_reads() {
    let t = UnixTime::from_secs(1_700_000_000);
    let mut lock = LockRecord::default();
    let policy = mfa_core::throttle::LockoutPolicy::default();
    let _ = lock.lockout.admit(&policy, t);
    lock.revision = 4;
    lock.last_counted = t.as_secs();
    lock.note(ID, 2, t.add_secs(3_600), t);
    lock.note("1f0e3d2c-4b5a-4968-8776-655443322110", 1, t.add_secs(60), t);
    let plain = lock.to_plain().unwrap();
    assert!(plain.len() <= 2 * 26 + 20, "{} bytes", plain.len());
    let back = LockRecord::from_plain(seal::FORMAT, &plain).unwrap();
    assert_eq!(
        (back.revision, back.lockout, back.last_counted, &back.seen),
        (lock.revision, lock.lockout, lock.last_counted, &lock.seen)
    );
    let json = serde_json::to_vec(&lock).unwrap();
    assert_eq!(
        LockRecord::from_plain(seal::FORMAT_V2, &json).unwrap().seen,
        lock.seen
    );
    // An id that is not a UUID v4 has no 16-byte form.
    let mut odd = lock.clone();
    odd.note("x", 1, t.add_secs(60), t);
    assert!(odd.to_plain().is_err());
    for n in 0..plain.len() {
        assert!(LockRecord::from_plain(seal::FORMAT, &plain[..n]).is_err());
    }

    let send = mfa_core::throttle::SendPolicy::default();
    let mut log = SendRecord::default();
    assert!(log.try_send(&send, t).into_answer().is_allowed());
    assert!(
        log.try_send(&send, t.add_secs(90))
            .into_answer()
            .is_allowed()
    );
    let plain = log.to_plain().unwrap();
    assert!(plain.len() <= 12, "{} bytes", plain.len());
    let back = SendRecord::from_plain(seal::FORMAT, &plain).unwrap();
    assert!(back.events().eq(log.events()));
    assert_eq!(back.revision(), log.revision());
    let json = serde_json::to_vec(&log).unwrap();
    let back = SendRecord::from_plain(seal::FORMAT_V2, &json).unwrap();
    assert!(back.events().eq(log.events()));
    assert!(SendRecord::from_plain(seal::FORMAT_V1, &json).is_err());
}

/// A row the previous version sealed (format 3: XChaCha20-Poly1305 around
/// the same compact text) is read back whole, for each kind of record,
/// through the seal as the store hands it over; so is a format-4 row.
#[test]
fn format_3_rows_of_the_previous_version_read_as_format_4_rows_do() {
    let ring = seal::Keyring::parse(&format!("1 {}", "42".repeat(32))).unwrap();
    let t = UnixTime::from_secs(1_700_000_000);
    let challenge_row = seal::Row::Challenge {
        id: ID,
        project: "p",
    };
    let limit_row = seal::Row::Limit { key: "lock:00" };
    let mut lock = LockRecord {
        revision: 3,
        ..LockRecord::default()
    };
    lock.note(ID, 2, t.add_secs(3_600), t);
    let mut log = SendRecord::default();
    let _ = log.try_send(&mfa_core::throttle::SendPolicy::default(), t);
    let record = challenge("sms", "null", "012345", false);
    let record_plain = compact::challenge_to_bytes(&record, 5).unwrap();
    for format in [seal::FORMAT_V3, seal::FORMAT] {
        let sealed = ring.seal_as(format, challenge_row, &record_plain).unwrap();
        let (read_as, plain) = ring.open(challenge_row, &sealed).unwrap();
        let back = ChallengeRecord::from_plain(read_as, ID, &plain).unwrap();
        assert_eq!((read_as, back.lock_revision), (format, 5));
        assert_eq!(back.challenge.revision(), record.revision());

        let sealed = ring.seal_as(format, limit_row, &lock.to_plain().unwrap());
        let (read_as, plain) = ring.open(limit_row, &sealed.unwrap()).unwrap();
        assert_eq!(
            LockRecord::from_plain(read_as, &plain).unwrap().seen,
            lock.seen
        );

        let sealed = ring.seal_as(format, limit_row, &log.to_plain().unwrap());
        let (read_as, plain) = ring.open(limit_row, &sealed.unwrap()).unwrap();
        let back = SendRecord::from_plain(read_as, &plain).unwrap();
        assert!(back.events().eq(log.events()));
    }
}
