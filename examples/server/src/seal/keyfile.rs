//! The key file: parsing it, reading it (owner-only), creating it.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::{ChaCha20Poly1305, Key, XChaCha20Poly1305};
use zeroize::Zeroizing;

use super::{
    BLIND_CONTEXT, CHECK_CONTEXT, KeyEntry, Keyring, SEAL_CONTEXT, SIV_CONTEXT, SealError, SivKey,
};

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
            let mut siv = SivKey::new([0; 64]);
            blake3::Hasher::new_derive_key(SIV_CONTEXT)
                .update(&*key)
                .finalize_xof()
                .fill(&mut *siv);
            keys.push(KeyEntry {
                id,
                siv,
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
}
