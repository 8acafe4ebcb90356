use super::*;
use chacha20poly1305::Key;
use chacha20poly1305::aead::KeyInit;

const TWO_KEYS: &str = "# old\n1 0000000000000000000000000000000000000000000000000000000000000001\n\
                        2 0000000000000000000000000000000000000000000000000000000000000002\n";

fn challenge<'a>(id: &'a str, project: &'a str) -> Row<'a> {
    Row::Challenge { id, project }
}

#[test]
fn limit_keys_are_stable_per_file_and_show_no_number() {
    let ring = Keyring::parse(TWO_KEYS).unwrap();
    let key = ring.limit_key("send", "p1", "+15557788999");
    assert_eq!(key, ring.limit_key("send", "p1", "+15557788999"));
    assert!(key.starts_with("send:") && key.len() == 5 + 32, "{key}");
    assert!(!key.contains("5557788999") && !key.contains("p1"), "{key}");
    let others = [
        ring.limit_key("lock", "p1", "+15557788999"),
        ring.limit_key("send", "p2", "+15557788999"),
        ring.limit_key("send", "p1", "+15557788998"),
        // Length prefixes: moving a character across the boundary
        // changes the key.
        ring.limit_key("send", "p1+", "15557788999"),
    ];
    for other in &others {
        assert_ne!(other[5..], key[5..], "{other}");
    }
    // Rotation appends a key: the first one blinds, so keys stay.
    let rotated =
        format!("{TWO_KEYS}3 0000000000000000000000000000000000000000000000000000000000000003\n");
    let rotated = Keyring::parse(&rotated).unwrap();
    assert_eq!(rotated.limit_key("send", "p1", "+15557788999"), key);
    assert_eq!(rotated.key_check(), ring.key_check());
    // Another first key: other limiter keys, another key check.
    let other_file = Keyring::parse(&TWO_KEYS.replacen("01\n", "0f\n", 1)).unwrap();
    assert_ne!(other_file.limit_key("send", "p1", "+15557788999"), key);
    assert_ne!(other_file.key_check(), ring.key_check());
}

#[test]
fn round_trip_and_binding() {
    let ring = Keyring::parse(TWO_KEYS).unwrap();
    assert_eq!(ring.sealing_key_id(), 2);
    let row = challenge("id-1", "proj");
    let sealed = ring.seal(row, b"secret 123456").unwrap();
    assert_eq!(&sealed[..2], &[FORMAT, 2]);
    assert_eq!(sealed.len(), 2 + 16 + 13);
    assert_eq!(
        ring.open(row, &sealed).unwrap(),
        (FORMAT, b"secret 123456".to_vec())
    );
    // Moved to another row, another project, or another kind of row:
    // refused.
    assert!(ring.open(challenge("id-2", "proj"), &sealed).is_err());
    assert!(ring.open(challenge("id-1", "other"), &sealed).is_err());
    assert!(ring.open(Row::Limit { key: "id-1" }, &sealed).is_err());
    // Any flipped bit: refused.
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 1;
        assert!(ring.open(row, &bad).is_err(), "byte {i}");
    }
    // Deterministic: the same text for the same row seals to the same
    // bytes (the plain text carries the row's revision); another text,
    // row, kind or key gives other bytes.
    assert_eq!(sealed, ring.seal(row, b"secret 123456").unwrap());
    let one_key = Keyring::parse(&TWO_KEYS[..TWO_KEYS.find("2 0").unwrap()]).unwrap();
    for other in [
        ring.seal(row, b"secret 123457").unwrap(),
        ring.seal(challenge("id-2", "proj"), b"secret 123456")
            .unwrap(),
        ring.seal(Row::Limit { key: "id-1" }, b"secret 123456")
            .unwrap(),
        one_key.seal(row, b"secret 123456").unwrap(),
    ] {
        assert_ne!(other[2..], sealed[2..]);
    }
}

/// Format 4 is RFC 5297's AES-256-SIV: the key from BLAKE3's key
/// derivation of the file's key (64 bytes, `SIV_CONTEXT`), one
/// associated-data string (label, format, key id, kind, the row's parts
/// length-prefixed), the synthetic IV before the ciphertext: built here
/// step by step, and pinned to bytes computed elsewhere.
#[test]
fn format_4_is_aes_siv_under_a_derived_key() {
    let key = [1u8; 32];
    let ring = Keyring::parse(&format!("7 {}\n", hex::encode(key))).unwrap();
    let mut siv_key = [0u8; 64];
    blake3::Hasher::new_derive_key("mfa-server 2026-12-04 row sealing key, AES-256-SIV")
        .update(&key)
        .finalize_xof()
        .fill(&mut siv_key);
    let mut aad = b"mfa-server sealed row".to_vec();
    aad.extend_from_slice(&[4, 7, b'c', 0, 0, 0, 1, b'i', 0, 0, 0, 1, b'p']);
    let expected = aes_siv::siv::Aes256Siv::new((&siv_key).into())
        .encrypt([&aad], b"a record")
        .unwrap();
    let sealed = ring.seal(challenge("i", "p"), b"a record").unwrap();
    assert_eq!(sealed, [&[4u8, 7][..], &expected].concat());
    // The same record computed apart from this code and its crates
    // (Python's `cryptography` AESSIV, and a BLAKE3 of its own), so a
    // porter has bytes to compare with.
    assert_eq!(
        hex::encode(&sealed),
        "0407\
         3484e5137b9b3bc734100a027b219d7b\
         43e2ec11d5090186"
    );
    assert_eq!(
        ring.open(challenge("i", "p"), &sealed).unwrap(),
        (FORMAT, b"a record".to_vec())
    );
    // Shorter than a tag: refused, not a panic.
    for n in 0..2 + 16 {
        assert!(
            ring.open(challenge("i", "p"), &sealed[..n]).is_err(),
            "{n} bytes"
        );
    }
}

/// A format-3 record (XChaCha20-Poly1305, a fresh random nonce each
/// write, written by the previous version) still opens, and says so.
#[test]
fn format_3_records_still_open() {
    let ring = Keyring::parse(TWO_KEYS).unwrap();
    let row = challenge("id-1", "proj");
    let old = ring.seal_as(FORMAT_V3, row, b"secret 123456").unwrap();
    assert_eq!(&old[..2], &[FORMAT_V3, 2]);
    assert_eq!(old.len(), 2 + 24 + 13 + 16);
    assert_eq!(
        ring.open(row, &old).unwrap(),
        (FORMAT_V3, b"secret 123456".to_vec())
    );
    assert!(ring.open(challenge("id-2", "proj"), &old).is_err());
    for i in 0..old.len() {
        let mut bad = old.clone();
        bad[i] ^= 1;
        assert!(ring.open(row, &bad).is_err(), "byte {i}");
    }
    // Fresh nonce per write.
    assert_ne!(old, ring.seal_as(FORMAT_V3, row, b"secret 123456").unwrap());
}

#[test]
fn limiter_rows_are_bound_to_their_key() {
    let ring = Keyring::parse(TWO_KEYS).unwrap();
    let sealed = ring.seal(Row::Limit { key: "lock:aa" }, b"{}").unwrap();
    assert_eq!(
        ring.open(Row::Limit { key: "lock:aa" }, &sealed).unwrap().1,
        b"{}"
    );
    assert!(ring.open(Row::Limit { key: "lock:ab" }, &sealed).is_err());
    assert!(ring.open(challenge("lock:aa", ""), &sealed).is_err());
}

/// A format-1 record as earlier versions wrote it (ChaCha20-Poly1305
/// under the file's key, a 12-byte nonce, the old associated data):
/// still opened, for challenge rows only.
#[test]
fn format_1_records_still_open() {
    let key = [1u8; 32];
    let file = format!("7 {}\n", hex::encode(key));
    let ring = Keyring::parse(&file).unwrap();
    let nonce = [9u8; 12];
    let mut aad = b"mfa-server sealed challenge".to_vec();
    aad.extend_from_slice(&[1, 7, 0, 0, 0, 1, b'i', 0, 0, 0, 1, b'p']);
    let body = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: b"old record",
                aad: &aad,
            },
        )
        .unwrap();
    let record = [&[1u8, 7][..], &nonce, &body].concat();
    assert_eq!(
        ring.open(challenge("i", "p"), &record).unwrap(),
        (FORMAT_V1, b"old record".to_vec())
    );
    assert!(ring.open(challenge("j", "p"), &record).is_err());
    assert!(ring.open(Row::Limit { key: "i" }, &record).is_err());
}

/// A format-2 record (JSON inside, written by the previous version)
/// still opens, and says so; its format byte is bound like the rest.
#[test]
fn format_2_records_still_open_and_formats_are_bound() {
    let ring = Keyring::parse(TWO_KEYS).unwrap();
    let row = challenge("i", "p");
    let old = ring.seal_as(FORMAT_V2, row, b"{}").unwrap();
    assert_eq!(ring.open(row, &old).unwrap(), (FORMAT_V2, b"{}".to_vec()));
    let v3 = ring.seal_as(FORMAT_V3, row, b"{}").unwrap();
    let new = ring.seal(row, b"{}").unwrap();
    for (sealed, other) in [
        (&old, FORMAT),
        (&old, FORMAT_V3),
        (&v3, FORMAT),
        (&v3, FORMAT_V2),
        (&new, FORMAT_V3),
        (&new, FORMAT_V2),
        (&new, FORMAT_V1),
    ] {
        let mut relabelled = sealed.clone();
        relabelled[0] = other;
        assert!(ring.open(row, &relabelled).is_err(), "as format {other}");
    }
    let mut unknown = new.clone();
    unknown[0] = 5;
    assert!(ring.open(row, &unknown).is_err());
}

#[test]
fn old_keys_open_new_key_seals() {
    let old = Keyring::parse("1 0000000000000000000000000000000000000000000000000000000000000001")
        .unwrap();
    let sealed = old.seal(challenge("i", "p"), b"x").unwrap();
    let ring = Keyring::parse(TWO_KEYS).unwrap();
    assert_eq!(ring.open(challenge("i", "p"), &sealed).unwrap().1, b"x");
    // Relabelling the key id does not help a forger.
    let mut relabelled = sealed.clone();
    relabelled[1] = 2;
    assert!(ring.open(challenge("i", "p"), &relabelled).is_err());
    // An id the file lacks says so.
    relabelled[1] = 9;
    assert!(matches!(
        ring.open(challenge("i", "p"), &relabelled),
        Err(SealError::UnknownKey(9))
    ));
}

/// With a root line, sealing keys come and go without moving the
/// limiter keys or the key check.
#[test]
fn a_root_outlives_the_sealing_keys() {
    let root = format!("root {}\n", "77".repeat(32));
    let k1 = format!("1 {}\n", "01".repeat(32));
    let k2 = format!("2 {}\n", "02".repeat(32));
    let before = Keyring::parse(&format!("{root}{k1}")).unwrap();
    let sealed = before.seal(challenge("i", "p"), b"x").unwrap();
    let during = Keyring::parse(&format!("{root}{k1}{k2}")).unwrap();
    let after = Keyring::parse(&format!("{root}{k2}")).unwrap();
    assert_eq!(during.open(challenge("i", "p"), &sealed).unwrap().1, b"x");
    for ring in [&during, &after] {
        assert_eq!(ring.key_check(), before.key_check());
        assert_eq!(
            ring.limit_key("lock", "p", "+15557788999"),
            before.limit_key("lock", "p", "+15557788999")
        );
    }
    assert_eq!(after.sealing_key_id(), 2);
    // Without a root, the first sealing key stands in (earlier files).
    let legacy = Keyring::parse(&k1).unwrap();
    assert_ne!(legacy.key_check(), before.key_check());
    assert_eq!(
        legacy.key_check(),
        Keyring::parse(&format!("{k1}{k2}")).unwrap().key_check()
    );
    // A root alone seals nothing: refused.
    assert!(Keyring::parse(&root).is_err());
    assert!(Keyring::parse(&format!("{root}{root}{k1}")).is_err());
}

#[test]
fn key_file_errors() {
    assert!(Keyring::parse("").is_err());
    assert!(Keyring::parse("1 abcd").is_err());
    assert!(
        Keyring::parse("300 0000000000000000000000000000000000000000000000000000000000000001")
            .is_err()
    );
    assert!(Keyring::parse(&format!("{TWO_KEYS}1 {}", "00".repeat(32))).is_err());
}

#[test]
fn created_owner_only_and_exposed_files_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    assert!(Keyring::read(&path).unwrap().is_none());
    let a = Keyring::create(&path).unwrap();
    assert!(Keyring::create(&path).is_err(), "never overwritten");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\nroot ") && text.contains("\n1 "), "{text}");
    let b = Keyring::read(&path).unwrap().unwrap();
    let sealed = a.seal(challenge("i", "p"), b"x").unwrap();
    assert_eq!(b.open(challenge("i", "p"), &sealed).unwrap().1, b"x");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Keyring::read(&path).unwrap_err();
        assert!(matches!(e, SealError::Exposed(0o644)), "{e}");
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
}
