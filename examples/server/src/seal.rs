//! Sealed records: ChaCha20-Poly1305 over the stored challenge.
//!
//! A sealed record is
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format, `1` |
//! | 1 | key id (the key file's number for the key) |
//! | 12 | nonce, fresh from the OS for every write |
//! | n + 16 | ciphertext and Poly1305 tag |
//!
//! The associated data binds the record to its row: the format byte, the
//! key id, and the challenge id and project, each length-prefixed. A record
//! copied to another id or project, or edited, fails to open.
//!
//! The key file holds one key a line, `<id> <64 hex digits>` (`#` starts a
//! comment). The last line is the newest key and seals; every listed key
//! opens. To rotate, append a line with a new id and restart.
//!
//! The limiter rows are keyed by a phone number; their keys are blinded
//! ([`Keyring::limit_key`]): a keyed BLAKE3 hash of the project and the
//! number (and the row's kind), under a key derived from the *first* key of the file, so a copy
//! of the database shows no number either (numbers are few enough to
//! guess through an unkeyed hash). Rotating keeps the first line; removing
//! it changes every limiter key once, which starts the send limits and
//! lockouts afresh.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

/// The first byte of every sealed record.
pub const FORMAT: u8 = 1;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 2 + NONCE_LEN;
const AAD_LABEL: &[u8] = b"mfa-server sealed challenge";
/// BLAKE3's key-derivation context for the limiter-key blinding key.
const BLIND_CONTEXT: &str = "mfa-server 2026-11-26 limiter keys";

/// Why a key file or a record was refused. Never carries key or record bytes.
#[derive(Debug)]
pub enum SealError {
    /// The key file could not be read or written.
    Io(std::io::Error),
    /// The key file is malformed (line number, what is wrong).
    KeyFile(usize, &'static str),
    /// The OS random source failed.
    Random,
    /// The record is malformed, sealed with an unknown key, edited, or
    /// belongs to another id or project.
    Refused,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::Io(e) => write!(f, "key file: {e}"),
            SealError::KeyFile(line, what) => write!(f, "key file, line {line}: {what}"),
            SealError::Random => f.write_str("the OS random source failed"),
            SealError::Refused => {
                f.write_str("sealed record refused (wrong key, id or project, or edited)")
            }
        }
    }
}

impl std::error::Error for SealError {}

/// The keys from a key file: the newest seals, all open.
pub struct Keyring {
    /// (id, cipher), in file order; the last one seals.
    keys: Vec<(u8, ChaCha20Poly1305)>,
    /// Derived from the first key: blinds the limiter keys.
    blind: [u8; 32],
}

impl fmt::Debug for Keyring {
    // Key material stays out of Debug on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u8> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// Reads the key file's text.
    pub fn parse(text: &str) -> Result<Keyring, SealError> {
        let mut keys: Vec<(u8, ChaCha20Poly1305)> = Vec::new();
        let mut blind = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |what| SealError::KeyFile(n + 1, what);
            let (id, hex_key) = line
                .split_once(char::is_whitespace)
                .ok_or(bad("expected `<id> <64 hex digits>`"))?;
            let id: u8 = id.parse().map_err(|_| bad("key id must be 0 to 255"))?;
            let mut key = [0u8; 32];
            hex::decode_to_slice(hex_key.trim(), &mut key)
                .map_err(|_| bad("key must be 64 hex digits"))?;
            if keys.iter().any(|(k, _)| *k == id) {
                return Err(bad("key id given twice"));
            }
            keys.push((id, ChaCha20Poly1305::new(Key::from_slice(&key))));
            blind.get_or_insert_with(|| blake3::derive_key(BLIND_CONTEXT, &key));
        }
        let Some(blind) = blind else {
            return Err(SealError::KeyFile(0, "no key"));
        };
        Ok(Keyring { keys, blind })
    }

    /// Reads the key file at `path`, creating it with one fresh key (id 1)
    /// and owner-only permissions (0600) if it does not exist. Returns the
    /// keyring and whether the file was created.
    pub fn load_or_create(path: &Path) -> Result<(Keyring, bool), SealError> {
        match std::fs::read_to_string(path) {
            Ok(text) => return Ok((Keyring::parse(&text)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SealError::Io(e)),
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|_| SealError::Random)?;
        let text = format!(
            "# mfa-server seal keys: `<id> <hex key>`, newest last. Keep secret.\n1 {}\n",
            hex::encode(key)
        );
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes()).map_err(SealError::Io)?;
                file.sync_all().map_err(SealError::Io)?;
                Ok((Keyring::parse(&text)?, true))
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(SealError::Io)?;
                Ok((Keyring::parse(&text)?, false))
            }
            Err(e) => Err(SealError::Io(e)),
        }
    }

    /// The id of the key that seals.
    pub fn sealing_key_id(&self) -> u8 {
        self.keys.last().map(|(id, _)| *id).unwrap_or_default()
    }

    /// Seals `plain` for the row (`id`, `project`) with the newest key.
    pub fn seal(&self, id: &str, project: &str, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let (key_id, cipher) = self.keys.last().ok_or(SealError::Refused)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = associated_data(*key_id, id, project);
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Refused)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(FORMAT);
        out.push(*key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The key of a limiter row: `kind`, a colon, and 32 hex digits of a
    /// keyed hash of `kind`, `project` and `number` (each length-prefixed;
    /// with the kind inside, a number's two rows cannot be matched up).
    pub fn limit_key(&self, kind: &str, project: &str, number: &str) -> String {
        let mut hasher = blake3::Hasher::new_keyed(&self.blind);
        for part in [kind, project, number] {
            hasher.update(&(part.len() as u32).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        format!(
            "{kind}:{}",
            hex::encode(&hasher.finalize().as_bytes()[..16])
        )
    }

    /// Opens a record sealed for the row (`id`, `project`) with any key.
    pub fn open(&self, id: &str, project: &str, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < HEADER_LEN + 16 || sealed[0] != FORMAT {
            return Err(SealError::Refused);
        }
        let key_id = sealed[1];
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(k, _)| *k == key_id)
            .ok_or(SealError::Refused)?;
        let aad = associated_data(key_id, id, project);
        cipher
            .decrypt(
                Nonce::from_slice(&sealed[2..HEADER_LEN]),
                Payload {
                    msg: &sealed[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Refused)
    }
}

fn associated_data(key_id: u8, id: &str, project: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 10 + id.len() + project.len());
    aad.extend_from_slice(AAD_LABEL);
    aad.push(FORMAT);
    aad.push(key_id);
    for part in [id, project] {
        aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_KEYS: &str = "# old\n1 0000000000000000000000000000000000000000000000000000000000000001\n\
                            2 0000000000000000000000000000000000000000000000000000000000000002\n";

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
        let rotated = format!(
            "{TWO_KEYS}3 0000000000000000000000000000000000000000000000000000000000000003\n"
        );
        let rotated = Keyring::parse(&rotated).unwrap();
        assert_eq!(rotated.limit_key("send", "p1", "+15557788999"), key);
        // Another first key: other limiter keys.
        let other_file = Keyring::parse(&TWO_KEYS.replacen("01\n", "0f\n", 1)).unwrap();
        assert_ne!(other_file.limit_key("send", "p1", "+15557788999"), key);
    }

    #[test]
    fn round_trip_and_binding() {
        let ring = Keyring::parse(TWO_KEYS).unwrap();
        assert_eq!(ring.sealing_key_id(), 2);
        let sealed = ring.seal("id-1", "proj", b"secret 123456").unwrap();
        assert_eq!(&sealed[..2], &[FORMAT, 2]);
        assert_eq!(
            ring.open("id-1", "proj", &sealed).unwrap(),
            b"secret 123456"
        );
        // Moved to another row, or another project: refused.
        assert!(ring.open("id-2", "proj", &sealed).is_err());
        assert!(ring.open("id-1", "other", &sealed).is_err());
        // Any flipped bit: refused.
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(ring.open("id-1", "proj", &bad).is_err(), "byte {i}");
        }
        // Fresh nonce per write.
        assert_ne!(sealed, ring.seal("id-1", "proj", b"secret 123456").unwrap());
    }

    #[test]
    fn old_keys_open_new_key_seals() {
        let old =
            Keyring::parse("1 0000000000000000000000000000000000000000000000000000000000000001")
                .unwrap();
        let sealed = old.seal("i", "p", b"x").unwrap();
        let ring = Keyring::parse(TWO_KEYS).unwrap();
        assert_eq!(ring.open("i", "p", &sealed).unwrap(), b"x");
        // Relabelling the key id does not help a forger.
        let mut relabelled = sealed.clone();
        relabelled[1] = 2;
        assert!(ring.open("i", "p", &relabelled).is_err());
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
    fn created_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let (a, created) = Keyring::load_or_create(&path).unwrap();
        assert!(created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (b, created) = Keyring::load_or_create(&path).unwrap();
        assert!(!created);
        let sealed = a.seal("i", "p", b"x").unwrap();
        assert_eq!(b.open("i", "p", &sealed).unwrap(), b"x");
    }
}
