//! How a SQLite file stores the columns rows are found by: a challenge's
//! `id` and a limiter's `key`.
//!
//! A file this version creates stores them as bytes (`meta.key_form` is
//! `bytes`): an id as its 16 bytes, a key (`send:` and 32 hex digits,
//! from [`crate::seal::Keyring::limit_key`]) as one byte for its kind and
//! the 16 bytes the digits spell. Each is stored twice, in its table and
//! in its unique index, and a million challenges leave about 1.7 million
//! limiter rows beside them: against the text, this saves about a fifth of
//! the file (docs/PERFORMANCE.md). Nothing reads these columns back; they
//! are only compared, so the encoding only has to be one-to-one.
//!
//! A file made by an earlier version (its tables there, no `key_form`)
//! keeps its text: its rows are found by the same statements, bound to
//! text. An id or key not in the form above (none is, today) is bound as
//! text in either file: SQLite never finds a text value equal to a blob,
//! so it cannot match another's bytes, and a file of bytes refuses to
//! store it (below).
//!
//! The form is checked, not trusted: a `key_form` other than `text` or
//! `bytes`, a file of bytes whose smallest id or key is not a blob, or a
//! file of text whose largest is not text, stops the start
//! ([`Error::Inconsistent`]; SQLite sorts text before blobs, and the
//! unique indexes give both ends at once). The tables of a file of bytes
//! refuse a row whose id or key is not bytes (a `CHECK` constraint): a
//! server of an earlier version, which binds text, gets an error for
//! every write instead of filling the file with rows that the others do
//! not see (its send limits and lockouts would start afresh). A trigger
//! did the same but cost about a tenth of the issue rate
//! (docs/PERFORMANCE.md); a constraint costs nothing measurable, but
//! only a new table can have one.

use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension};

use super::super::Error;

/// How a file stores ids and keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyForm {
    /// As text: a file made before `key_form`.
    Text,
    /// As bytes.
    Bytes,
}

/// The `meta` entry that records the form.
const META_NAME: &str = "key_form";

/// Creates what is missing of the tables and settles the file's form:
/// bytes for a new file (no tables yet), text for one made before the
/// form was recorded, else what `meta` records. One transaction, so two
/// servers opening one new file cannot settle it differently. Checks the
/// rows against the form.
pub(super) fn settle(conn: &Connection) -> Result<KeyForm, Error> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let settled = settle_in(conn);
    match settled {
        Ok(form) => {
            conn.execute_batch("COMMIT")?;
            Ok(form)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn settle_in(conn: &Connection) -> Result<KeyForm, Error> {
    let made_before: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'challenges')",
        [],
        |r| r.get(0),
    )?;
    let unrecorded = if made_before {
        KeyForm::Text
    } else {
        KeyForm::Bytes
    };
    conn.execute_batch(&super::schema(unrecorded))?;
    let recorded: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE name = ?1", [META_NAME], |r| {
            r.get(0)
        })
        .optional()?;
    let form = match recorded.as_deref() {
        Some("bytes") => KeyForm::Bytes,
        Some("text") => KeyForm::Text,
        Some(other) => {
            return Err(Error::Inconsistent(format!(
                "meta.{META_NAME} is {other:?}, not \"text\" or \"bytes\""
            )));
        }
        None => {
            let value = match unrecorded {
                KeyForm::Text => "text",
                KeyForm::Bytes => "bytes",
            };
            conn.execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2)",
                [META_NAME, value],
            )?;
            unrecorded
        }
    };
    // SQLite sorts text before blobs: one look at each end of an index.
    let (end, expected) = match form {
        KeyForm::Bytes => ("min", "blob"),
        KeyForm::Text => ("max", "text"),
    };
    for (table, column) in [("challenges", "id"), ("limits", "key")] {
        let found: String = conn.query_row(
            &format!("SELECT typeof({end}({column})) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        if found != expected && found != "null" {
            return Err(Error::Inconsistent(format!(
                "meta.{META_NAME} says {expected}, but {table}.{column} holds {found} values"
            )));
        }
    }
    Ok(form)
}

/// The longest column value in bytes: a kind byte and 16 bytes.
const MOST: usize = 17;

/// An id or key as bound to a statement.
pub(super) enum Bound<'a> {
    Text(&'a str),
    Bytes { bytes: [u8; MOST], len: usize },
}

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Bound::Text(text) => ValueRef::Text(text.as_bytes()),
            Bound::Bytes { bytes, len } => ValueRef::Blob(&bytes[..*len]),
        }))
    }
}

impl KeyForm {
    /// A challenge's id as this file stores it.
    pub(super) fn id<'a>(self, id: &'a str) -> Bound<'a> {
        if self == KeyForm::Bytes {
            if let Ok(parsed) = mfa_core::ChallengeId::parse(id) {
                // Only the canonical spelling, so that two spellings of one
                // id stay two rows, as they are in a text file.
                if parsed.encode().as_str() == id {
                    let mut bytes = [0; MOST];
                    bytes[..16].copy_from_slice(parsed.as_bytes());
                    return Bound::Bytes { bytes, len: 16 };
                }
            }
        }
        Bound::Text(id)
    }

    /// A limiter's key as this file stores it.
    pub(super) fn key<'a>(self, key: &'a str) -> Bound<'a> {
        if self == KeyForm::Bytes {
            if let Some(bytes) = key_bytes(key) {
                return Bound::Bytes { bytes, len: MOST };
            }
        }
        Bound::Text(key)
    }
}

/// `kind:` and 32 lower-case hex digits: the kind's byte and the 16
/// bytes; `None` for anything else.
fn key_bytes(key: &str) -> Option<[u8; MOST]> {
    let (kind, digits) = key.split_once(':')?;
    let tag = match kind {
        "send" => 1,
        "lock" => 2,
        "send-subject" => 3,
        "lock-subject" => 4,
        _ => return None,
    };
    if digits.len() != 32
        || !digits
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let mut bytes = [0; MOST];
    bytes[0] = tag;
    hex::decode_to_slice(digits, &mut bytes[1..]).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(bound: &Bound<'_>) -> Vec<u8> {
        match bound {
            Bound::Text(t) => [b"T".as_slice(), t.as_bytes()].concat(),
            Bound::Bytes { bytes, len } => [b"B".as_slice(), &bytes[..*len]].concat(),
        }
    }

    #[test]
    fn ids_and_keys_become_bytes_one_to_one() {
        let form = KeyForm::Bytes;
        let id = "f98cc157-6ba6-4d82-98b2-b25666e0594d";
        assert_eq!(stored(&form.id(id)).len(), 1 + 16);
        // Another spelling of the same id stays text, so it is another row.
        let upper = id.to_uppercase();
        assert_eq!(stored(&form.id(&upper)), [b"T", upper.as_bytes()].concat());
        let hex = "00003bf464ebb91272413a2c8453f390";
        let keys: Vec<Vec<u8>> = ["send", "lock", "send-subject", "lock-subject"]
            .iter()
            .map(|kind| stored(&form.key(&format!("{kind}:{hex}"))))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(k.len(), 1 + MOST, "{k:?}");
            assert!(keys[i + 1..].iter().all(|other| other != k));
        }
        for odd in [
            format!("send:{}", hex.to_uppercase()),
            format!("other:{hex}"),
            format!("send:{}", &hex[1..]),
            "send".to_owned(),
        ] {
            assert_eq!(stored(&form.key(&odd)), [b"T", odd.as_bytes()].concat());
        }
    }

    #[test]
    fn a_text_file_binds_text() {
        let id = "f98cc157-6ba6-4d82-98b2-b25666e0594d";
        assert!(matches!(KeyForm::Text.id(id), Bound::Text(t) if t == id));
        let key = "lock:00003bf464ebb91272413a2c8453f390";
        assert!(matches!(KeyForm::Text.key(key), Bound::Text(t) if t == key));
    }
}
