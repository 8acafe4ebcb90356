//! Sealed records: every challenge and limiter row is encrypted and
//! authenticated under the server's keys.
//!
//! A sealed record (format 3, written now) is
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format, `3` |
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
//! Format 3's plain text is the compact encoding of
//! [`crate::record::compact`] (varint integers, ids as 16 bytes, no
//! field names, no id or revision the row gives): a challenge record is
//! 70 to 80 bytes sealed, where format 2's JSON was about 370. Still
//! read: format 2, the same envelope around JSON; format 1 (challenges
//! only), the key file's key used directly with ChaCha20-Poly1305, a
//! 12-byte nonce, around the challenge's JSON alone. The format byte is
//! part of the associated data. Every write seals in format 3.
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

use chacha20poly1305::aead::{Aead, AeadInPlace, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, XChaCha20Poly1305, XNonce};
use zeroize::Zeroize;

/// The format every record is sealed in now: compact plain text.
pub const FORMAT: u8 = 3;
/// The format of the previous version (JSON plain text), still read.
pub const FORMAT_V2: u8 = 2;
/// The format of earlier versions (challenges only), still read.
pub const FORMAT_V1: u8 = 1;
const NONCE_LEN_V1: usize = 12;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const AAD_LABEL_V1: &[u8] = b"mfa-server sealed challenge";
const AAD_LABEL: &[u8] = b"mfa-server sealed row";
/// BLAKE3's key-derivation context for the limiter-key blinding key.
const BLIND_CONTEXT: &str = "mfa-server 2026-11-26 limiter keys";
/// BLAKE3's key-derivation context for the AEAD key of formats 2 and 3.
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
    /// Formats 2 and 3: the derived subkey.
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
    /// The id of the key that seals.
    pub fn sealing_key_id(&self) -> u8 {
        self.keys.last().map(|k| k.id).unwrap_or_default()
    }

    /// 32 hex digits that name the key file's first key without showing
    /// it: stored in the database, compared at every start.
    pub fn key_check(&self) -> String {
        hex::encode(&self.check[..16])
    }

    /// Seals `plain` for `row` with the newest key (format 3: `plain` is
    /// the compact encoding).
    pub fn seal(&self, row: Row<'_>, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_as(FORMAT, row, plain)
    }

    /// Seals in `format` (3, or 2 for tests of the upgrade).
    fn seal_as(&self, format: u8, row: Row<'_>, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = self.keys.last().ok_or(SealError::Refused)?;
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = associated_data(format, key.id, row);
        // One buffer: the header, then the text encrypted in place, then
        // the tag.
        let mut out = Vec::with_capacity(2 + NONCE_LEN + plain.len() + TAG_LEN);
        out.push(format);
        out.push(key.id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let tag = key
            .seal
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), &aad, &mut out[2 + NONCE_LEN..])
            .map_err(|_| SealError::Refused)?;
        out.extend_from_slice(&tag);
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
            Some(&FORMAT_V2) => (FORMAT_V2, NONCE_LEN),
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
        let plain = if format != FORMAT_V1 {
            let aad = associated_data(format, key_id, row);
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

fn associated_data(format: u8, key_id: u8, row: Row<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 64);
    aad.extend_from_slice(AAD_LABEL);
    aad.push(format);
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

mod keyfile;

#[cfg(test)]
mod tests;
