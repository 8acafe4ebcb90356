//! Sealed records: every challenge and limiter row is encrypted and
//! authenticated under the server's keys.
//!
//! A sealed record (format 2, written now) is
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format, `2` |
//! | 1 | key id (the key file's number for the key) |
//! | 24 | nonce, fresh from the OS for every write |
//! | n + 16 | XChaCha20-Poly1305 ciphertext and tag |
//!
//! The AEAD key is a subkey derived from the key file's key (BLAKE3's
//! key derivation, context [`SEAL_CONTEXT`]); a 24-byte random nonce has
//! no practical bound on the records one key may seal. The associated
//! data binds the record to its row: a label, the format byte, the key
//! id, the row's kind, and the challenge id and project (a challenge) or
//! the row key (a limiter), each length-prefixed. A record copied to
//! another row, or edited, fails to open.
//!
//! Format 1, written by earlier versions, is still read: the key file's
//! key used directly with ChaCha20-Poly1305 and a 12-byte nonce, for
//! challenge rows only. Every write seals in format 2.
//!
//! The key file holds one key a line (`#` starts a comment) and must be
//! readable by its owner alone:
//!
//! - `<id> <64 hex digits>`: a sealing key. The last one seals; every one
//!   listed opens. To rotate, append a line with a new id and restart;
//!   once no row is sealed under an old key (its rows have been
//!   rewritten or swept), its line may go.
//! - `root <64 hex digits>`: the root key, which seals nothing. The
//!   limiter rows are keyed by a phone number; their keys are blinded
//!   ([`Keyring::limit_key`]): a keyed BLAKE3 hash of the project and the
//!   number (and the row's kind), under a key derived from the root, so a
//!   copy of the database shows no number either (numbers are few enough
//!   to guess through an unkeyed hash). The root also gives the
//!   database's key check ([`Keyring::key_check`]), which the server
//!   stores and compares at start, so that two servers with different key
//!   files never share one database. Retiring a sealing key leaves both
//!   alone; changing the root starts every send limit and lockout afresh
//!   and is refused by the key check.
//!
//! A file without a `root` line (written by earlier versions) uses its
//! first sealing key as the root: keep that line.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, Zeroizing};

/// The format every record is sealed in now.
pub const FORMAT: u8 = 2;
/// The format of earlier versions (challenges only), still read.
pub const FORMAT_V1: u8 = 1;
const NONCE_LEN_V1: usize = 12;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const AAD_LABEL_V1: &[u8] = b"mfa-server sealed challenge";
const AAD_LABEL: &[u8] = b"mfa-server sealed row";
/// BLAKE3's key-derivation context for the limiter-key blinding key.
const BLIND_CONTEXT: &str = "mfa-server 2026-11-26 limiter keys";
/// BLAKE3's key-derivation context for the AEAD key of format 2.
pub const SEAL_CONTEXT: &str = "mfa-server 2026-12-03 row sealing key";
/// BLAKE3's key-derivation context for the key check value.
const CHECK_CONTEXT: &str = "mfa-server 2026-12-03 key check";

/// The row a record belongs to: part of what the seal authenticates.
#[derive(Clone, Copy, Debug)]
pub enum Row<'a> {
    /// A challenge: its id and project.
    Challenge {
        /// Lower-case UUID.
        id: &'a str,
        /// The issuing project.
        project: &'a str,
    },
    /// A limiter state: its (blinded) row key.
    Limit {
        /// [`Keyring::limit_key`].
        key: &'a str,
    },
}

/// Why a key file or a record was refused. Never carries key or record bytes.
#[derive(Debug)]
pub enum SealError {
    /// The key file could not be read or written.
    Io(std::io::Error),
    /// The key file is malformed (line number, what is wrong).
    KeyFile(usize, &'static str),
    /// The key file may be read by others than its owner (its mode).
    Exposed(u32),
    /// The OS random source failed.
    Random,
    /// The record names a key id the key file does not have.
    UnknownKey(u8),
    /// The record is malformed, edited, or belongs to another row.
    Refused,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealError::Io(e) => write!(f, "key file: {e}"),
            SealError::KeyFile(line, what) => write!(f, "key file, line {line}: {what}"),
            SealError::Exposed(mode) => write!(
                f,
                "key file is readable or writable by others (mode {mode:o}): `chmod 600` it"
            ),
            SealError::Random => f.write_str("the OS random source failed"),
            SealError::UnknownKey(id) => write!(
                f,
                "sealed record names key id {id}, which the key file does not hold"
            ),
            SealError::Refused => {
                f.write_str("sealed record refused (edited, malformed, or another row's)")
            }
        }
    }
}

impl std::error::Error for SealError {}

/// One key of the file, in its two uses.
struct KeyEntry {
    id: u8,
    /// Format 2: the derived subkey.
    seal: XChaCha20Poly1305,
    /// Format 1 (read only): the key itself.
    v1: ChaCha20Poly1305,
}

/// The keys from a key file: the newest seals, all open.
pub struct Keyring {
    /// In file order; the last one seals.
    keys: Vec<KeyEntry>,
    /// Derived from the first key: blinds the limiter keys.
    blind: [u8; 32],
    /// Derived from the first key: names the key file in the database.
    check: [u8; 32],
}

impl fmt::Debug for Keyring {
    // Key material stays out of Debug on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<u8> = self.keys.iter().map(|k| k.id).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Drop for Keyring {
    // The ciphers wipe their own keys; these two are ours to wipe.
    fn drop(&mut self) {
        self.blind.zeroize();
        self.check.zeroize();
    }
}

impl Keyring {
    /// Reads the key file's text.
    pub fn parse(text: &str) -> Result<Keyring, SealError> {
        let mut keys: Vec<KeyEntry> = Vec::new();
        let mut first = None;
        let mut root = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |what| SealError::KeyFile(n + 1, what);
            let (id, hex_key) = line.split_once(char::is_whitespace).ok_or(bad(
                "expected `<id> <64 hex digits>` or `root <64 hex digits>`",
            ))?;
            let mut key = Zeroizing::new([0u8; 32]);
            hex::decode_to_slice(hex_key.trim(), &mut *key)
                .map_err(|_| bad("key must be 64 hex digits"))?;
            if id == "root" {
                if root.replace(key).is_some() {
                    return Err(bad("root given twice"));
                }
                continue;
            }
            let id: u8 = id
                .parse()
                .map_err(|_| bad("key id must be 0 to 255 or `root`"))?;
            if keys.iter().any(|k| k.id == id) {
                return Err(bad("key id given twice"));
            }
            let subkey = Zeroizing::new(blake3::derive_key(SEAL_CONTEXT, &*key));
            keys.push(KeyEntry {
                id,
                seal: XChaCha20Poly1305::new(Key::from_slice(&*subkey)),
                v1: ChaCha20Poly1305::new(Key::from_slice(&*key)),
            });
            if first.is_none() {
                first = Some(key);
            }
        }
        if keys.is_empty() {
            return Err(SealError::KeyFile(0, "no key"));
        }
        // Files from earlier versions have no root: their first key is it.
        let Some(root) = root.or(first) else {
            return Err(SealError::KeyFile(0, "no key"));
        };
        Ok(Keyring {
            keys,
            blind: blake3::derive_key(BLIND_CONTEXT, &*root),
            check: blake3::derive_key(CHECK_CONTEXT, &*root),
        })
    }

    /// Reads the key file at `path`: `None` if there is none. A file that
    /// others may read or write is refused.
    pub fn read(path: &Path) -> Result<Option<Keyring>, SealError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Zeroizing::new(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(SealError::Io(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(SealError::Io)?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(SealError::Exposed(mode & 0o777));
            }
        }
        Keyring::parse(&text).map(Some)
    }

    /// Creates the key file at `path` with one fresh key (id 1), readable
    /// by its owner only (0600). Fails if it exists.
    pub fn create(path: &Path) -> Result<Keyring, SealError> {
        let mut keys = Zeroizing::new([0u8; 64]);
        getrandom::fill(&mut *keys).map_err(|_| SealError::Random)?;
        let root = Zeroizing::new(hex::encode(&keys[..32]));
        let first = Zeroizing::new(hex::encode(&keys[32..]));
        let text = Zeroizing::new(format!(
            "# mfa-server seal keys. Keep secret. `root`: names the rows (limiter keys, \
             key check); keep it for the life of the database.\n\
             # `<id> <hex key>`: seal and open rows; the last one seals. To rotate, append.\n\
             root {}\n1 {}\n",
            *root, *first
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(SealError::Io)?;
        file.write_all(text.as_bytes()).map_err(SealError::Io)?;
        file.sync_all().map_err(SealError::Io)?;
        Keyring::parse(&text)
    }

    /// The id of the key that seals.
    pub fn sealing_key_id(&self) -> u8 {
        self.keys.last().map(|k| k.id).unwrap_or_default()
    }

    /// 32 hex digits that name the key file's first key without showing
    /// it: stored in the database, compared at every start.
    pub fn key_check(&self) -> String {
        hex::encode(&self.check[..16])
    }

    /// Seals `plain` for `row` with the newest key (format 2).
    pub fn seal(&self, row: Row<'_>, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = self.keys.last().ok_or(SealError::Refused)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = associated_data(key.id, row);
        let sealed = key
            .seal
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Refused)?;
        let mut out = Vec::with_capacity(2 + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.push(key.id);
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

    /// Opens a record sealed for `row` with any key of the file: returns
    /// its format and its plain text.
    pub fn open(&self, row: Row<'_>, sealed: &[u8]) -> Result<(u8, Vec<u8>), SealError> {
        let (format, nonce_len) = match sealed.first() {
            Some(&FORMAT) => (FORMAT, NONCE_LEN),
            Some(&FORMAT_V1) => (FORMAT_V1, NONCE_LEN_V1),
            _ => return Err(SealError::Refused),
        };
        if sealed.len() < 2 + nonce_len + TAG_LEN {
            return Err(SealError::Refused);
        }
        let key_id = sealed[1];
        let key = self
            .keys
            .iter()
            .find(|k| k.id == key_id)
            .ok_or(SealError::UnknownKey(key_id))?;
        let nonce = &sealed[2..2 + nonce_len];
        let msg = &sealed[2 + nonce_len..];
        let plain = if format == FORMAT {
            let aad = associated_data(key_id, row);
            key.seal
                .decrypt(XNonce::from_slice(nonce), Payload { msg, aad: &aad })
        } else {
            let Row::Challenge { id, project } = row else {
                return Err(SealError::Refused);
            };
            let aad = associated_data_v1(key_id, id, project);
            key.v1
                .decrypt(Nonce::from_slice(nonce), Payload { msg, aad: &aad })
        };
        plain.map(|p| (format, p)).map_err(|_| SealError::Refused)
    }
}

fn length_prefixed(aad: &mut Vec<u8>, part: &str) {
    aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
    aad.extend_from_slice(part.as_bytes());
}

fn associated_data(key_id: u8, row: Row<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 64);
    aad.extend_from_slice(AAD_LABEL);
    aad.push(FORMAT);
    aad.push(key_id);
    match row {
        Row::Challenge { id, project } => {
            aad.push(b'c');
            length_prefixed(&mut aad, id);
            length_prefixed(&mut aad, project);
        }
        Row::Limit { key } => {
            aad.push(b'l');
            length_prefixed(&mut aad, key);
        }
    }
    aad
}

fn associated_data_v1(key_id: u8, id: &str, project: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL_V1.len() + 10 + id.len() + project.len());
    aad.extend_from_slice(AAD_LABEL_V1);
    aad.push(FORMAT_V1);
    aad.push(key_id);
    length_prefixed(&mut aad, id);
    length_prefixed(&mut aad, project);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let rotated = format!(
            "{TWO_KEYS}3 0000000000000000000000000000000000000000000000000000000000000003\n"
        );
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
        assert_eq!(sealed.len(), 2 + 24 + 13 + 16);
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
        // Fresh nonce per write.
        assert_ne!(sealed, ring.seal(row, b"secret 123456").unwrap());
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

    #[test]
    fn old_keys_open_new_key_seals() {
        let old =
            Keyring::parse("1 0000000000000000000000000000000000000000000000000000000000000001")
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
}
