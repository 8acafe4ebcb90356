//! Sealed records: every challenge and limiter row is encrypted and
//! authenticated under the server's keys.
//!
//! A sealed record (format 4, written now) is
//!
//! | bytes | content |
//! |---|---|
//! | 1 | format, `4` |
//! | 1 | key id (the key file's number for the key) |
//! | 16 | the synthetic IV, which is also the tag |
//! | n | AES-256-SIV ciphertext ([RFC 5297], one associated-data string) |
//!
//! The AES-SIV key (64 bytes) is derived from the key file's key
//! (BLAKE3's key derivation, context [`SIV_CONTEXT`]). The associated
//! data binds the record to its row: a label, the format byte, the key
//! id, the row's kind, and the challenge id and project (a challenge) or
//! the row key (a limiter), each length-prefixed. A record copied to
//! another row, or edited, fails to open.
//!
//! AES-SIV takes no nonce: it is deterministic authenticated encryption,
//! so under one key, one row sealed twice with the same plain text gives
//! the same bytes, and nothing else does. Within one life of a row each
//! revision is sealed with one plain text only: every write moves the
//! revision (a limiter state's own, in its plain text; a challenge's,
//! which its counters and state in the plain text give) and lands once,
//! by compare-and-swap; revisions only grow, and the revision is in the
//! row's clear columns. So two equal records of one row say only what
//! the revision column already says. A record of another row never
//! matches (the associated data differs). Two cases fall outside: a
//! limiter row swept and made again starts its revisions afresh, but
//! the times in its plain text make a repeat practically impossible; and
//! a database writer who restores an older row can see whether the
//! server then makes the same change it made before (the same bytes
//! again), never the code, the number or what was tried
//! (docs/THREAT_MODEL.md). In exchange, a record is 24 bytes shorter than format 3's
//! (which stored a random 24-byte nonce), about 60 bytes a stored
//! challenge with its limiter rows, and sealing asks the OS for no
//! randomness (docs/PERFORMANCE.md). There is no nonce to repeat, so no
//! bound on the records one key may seal comes from one.
//!
//! The plain text of formats 3 and 4 is the compact encoding of
//! [`crate::record::compact`] (varint integers, ids as 16 bytes, no
//! field names, no id or revision the row gives): a challenge record is
//! 46 to 56 bytes sealed. Still read: format 3, the same associated data
//! and plain text sealed with XChaCha20-Poly1305 under another subkey
//! ([`SEAL_CONTEXT`]) and a random 24-byte nonce stored after the key id;
//! format 2, that envelope around JSON (a challenge about 370 bytes);
//! format 1 (challenges only), the key file's key used directly with
//! ChaCha20-Poly1305, a 12-byte nonce, around the challenge's JSON alone.
//! The format byte is part of the associated data. Every write seals in
//! format 4.
//!
//! [RFC 5297]: https://www.rfc-editor.org/rfc/rfc5297
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

use aes_siv::KeyInit;
use aes_siv::siv::Aes256Siv;
use chacha20poly1305::aead::{Aead, AeadInPlace, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, Zeroizing};

/// The format every record is sealed in now: AES-SIV, compact plain text.
pub const FORMAT: u8 = 4;
/// The format of the previous version (XChaCha20-Poly1305 with a random
/// nonce, compact plain text), still read.
pub const FORMAT_V3: u8 = 3;
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
/// BLAKE3's key-derivation context for the AES-SIV key of format 4.
pub const SIV_CONTEXT: &str = "mfa-server 2026-12-04 row sealing key, AES-256-SIV";
/// An AES-256-SIV key: the CMAC key, then the CTR key.
pub(crate) type SivKey = Zeroizing<[u8; 64]>;
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

/// One key of the file, in its three uses.
struct KeyEntry {
    id: u8,
    /// Format 4: the derived AES-SIV key. A cipher is made from it for
    /// each record (`Aes256Siv` needs `&mut self`; its key schedules wipe
    /// themselves when dropped, with the `aes` and `cmac` crates'
    /// `zeroize` features).
    siv: SivKey,
    /// Formats 2 and 3 (read only): the derived subkey.
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

    /// Seals `plain` for `row` with the newest key (format 4: `plain` is
    /// the compact encoding).
    pub fn seal(&self, row: Row<'_>, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_as(FORMAT, row, plain)
    }

    /// Seals in `format`: 4, or 3 or 2 as the previous versions did (for
    /// tests of the upgrade and the bench; the server seals in 4 alone).
    #[doc(hidden)]
    pub fn seal_as(&self, format: u8, row: Row<'_>, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        let key = self.keys.last().ok_or(SealError::Refused)?;
        let aad = associated_data(format, key.id, row);
        match format {
            FORMAT => {
                // One buffer: the header, room for the tag, then the text
                // encrypted in place.
                let mut out = Vec::with_capacity(2 + TAG_LEN + plain.len());
                out.extend_from_slice(&[format, key.id]);
                out.extend_from_slice(&[0; TAG_LEN]);
                out.extend_from_slice(plain);
                let tag = Aes256Siv::new((&*key.siv).into())
                    .encrypt_in_place_detached([&aad], &mut out[2 + TAG_LEN..])
                    .map_err(|_| SealError::Refused)?;
                out[2..2 + TAG_LEN].copy_from_slice(&tag);
                Ok(out)
            }
            FORMAT_V3 | FORMAT_V2 => {
                let mut nonce = [0u8; NONCE_LEN];
                getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
                let mut out = Vec::with_capacity(2 + NONCE_LEN + plain.len() + TAG_LEN);
                out.extend_from_slice(&[format, key.id]);
                out.extend_from_slice(&nonce);
                out.extend_from_slice(plain);
                let tag = key
                    .seal
                    .encrypt_in_place_detached(
                        XNonce::from_slice(&nonce),
                        &aad,
                        &mut out[2 + NONCE_LEN..],
                    )
                    .map_err(|_| SealError::Refused)?;
                out.extend_from_slice(&tag);
                Ok(out)
            }
            _ => Err(SealError::Refused),
        }
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
            Some(&FORMAT) => (FORMAT, 0),
            Some(&FORMAT_V3) => (FORMAT_V3, NONCE_LEN),
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
        let plain = match (format, row) {
            (FORMAT, _) => {
                let aad = associated_data(format, key_id, row);
                let (tag, text) = msg.split_at(TAG_LEN);
                let mut plain = text.to_vec();
                Aes256Siv::new((&*key.siv).into())
                    .decrypt_in_place_detached([&aad], &mut plain, tag.into())
                    .map(|()| plain)
            }
            (FORMAT_V1, Row::Challenge { id, project }) => {
                let aad = associated_data_v1(key_id, id, project);
                key.v1
                    .decrypt(Nonce::from_slice(nonce), Payload { msg, aad: &aad })
            }
            (FORMAT_V1, Row::Limit { .. }) => return Err(SealError::Refused),
            _ => {
                let aad = associated_data(format, key_id, row);
                key.seal
                    .decrypt(XNonce::from_slice(nonce), Payload { msg, aad: &aad })
            }
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
