//! The stored challenge record (feature `serde`, SPEC §8).
//!
//! A [`Challenge`] serializes to a versioned record. Version 2, the layout
//! written, as JSON:
//!
//! ```json
//! {"v2":{"revision":0,
//!        "challenge":{"id":"8630cc54-f6b2-45dd-b73b-cce28eb668d8","channel":"sms",
//!                     "to":"+15557788999","from":null,"token":"123456","allow_alphas":false,
//!                     "issued_at":1700000000,"valid_for":3600,"max_attempts":3,
//!                     "attempts_used":0,"max_deliveries":5,"deliveries":1,"state":"pending"}}}
//! ```
//!
//! The version is the outer enum variant, so a new layout is a new variant
//! and old records stay readable (SPEC §8.6). Two layouts are read:
//!
//! - `v2`: `revision` beside the challenge's thirteen keys
//!   ([`ChallengeParts`] field for field), as above;
//! - `v1`, the first release's flat layout: the thirteen keys and
//!   `revision` side by side, `{"v1":{"id":…,…,"state":…,"revision":0}}`.
//!   In self-describing formats (JSON included) a `v1` holding exactly
//!   `revision` and `challenge` is read too: releases between the two
//!   wrote the `v2` layout under the name `v1`.
//!
//! In human-readable formats the id is its text; in binary formats, its 16
//! bytes. `revision` is stored so a document store can compare-and-swap on
//! it; it must equal the revision the counters give.
//!
//! Deserializing checks every invariant ([`Challenge::from_parts`], the
//! E.164 numbers, the id's version, the token's length and alphabet, the
//! revision) and turns bad or tampered data into an error, never a panic
//! and never a challenge that breaks the state machine's rules. Errors never
//! repeat the token.
//!
//! # Security
//!
//! The record holds the token in clear. Protect the store like a password
//! table: access control, encryption at rest, no logging of records.

use core::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeStructVariant;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::challenge::Challenge;
use crate::channel::Channel;
use crate::id::ChallengeId;
use crate::parts::ChallengeParts;
use crate::phone::PhoneNumber;
use crate::state::ChallengeState;
use crate::time::UnixTime;
use crate::token::{Alphabet, Token};

/// The version written (SPEC §8.1); binary formats number the versions
/// from 0 in the order of `Stored`'s variants, so `v2` is variant 1.
const WRITTEN: (&str, u32) = ("v2", 1);

impl Serialize for Challenge {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = s.serialize_struct_variant("Stored", WRITTEN.1, WRITTEN.0, 2)?;
        v.serialize_field("revision", &self.revision())?;
        v.serialize_field("challenge", self.parts())?;
        v.end()
    }
}

#[derive(Deserialize)]
#[serde(rename = "Stored", deny_unknown_fields)]
enum Stored {
    #[serde(rename = "v1")]
    V1(V1),
    #[serde(rename = "v2")]
    V2 {
        revision: u64,
        challenge: ChallengeParts,
    },
}

impl<'de> Deserialize<'de> for Challenge {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (revision, parts) = match Stored::deserialize(d)? {
            Stored::V1(V1 { revision, parts }) => (revision, parts),
            Stored::V2 {
                revision,
                challenge,
            } => (revision, challenge),
        };
        let challenge = Challenge::from_parts(parts).map_err(de::Error::custom)?;
        if challenge.revision() != revision {
            return Err(de::Error::custom(format_args!(
                "field `revision`: {revision} does not match the counters, which give {}",
                challenge.revision()
            )));
        }
        Ok(challenge)
    }
}

// --- v1 -----------------------------------------------------------------------------

/// A `v1` record: the flat layout, or (self-describing formats only) the
/// nested layout that some releases wrote under this name.
struct V1 {
    revision: u64,
    parts: ChallengeParts,
}

/// The flat layout's keys, in the order the first release wrote them (and
/// the order binary formats hold them in).
const FLAT: &[&str] = &[
    "id",
    "channel",
    "to",
    "from",
    "token",
    "allow_alphas",
    "issued_at",
    "valid_for",
    "max_attempts",
    "attempts_used",
    "max_deliveries",
    "deliveries",
    "state",
    "revision",
];

/// A token read without ever repeating it (`crate::secret::token`).
struct TokenIn(Token);

impl<'de> Deserialize<'de> for TokenIn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::secret::token::deserialize(d).map(TokenIn)
    }
}

/// A key of a `v1` object: one of [`FLAT`], or `challenge`.
struct Key(usize);

/// `challenge`'s place after the flat keys.
const CHALLENGE: usize = 14;

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key of a v1 record")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                match FLAT.iter().position(|k| *k == key) {
                    Some(i) => Ok(Key(i)),
                    None if key == "challenge" => Ok(Key(CHALLENGE)),
                    None => Err(crate::secret::unknown_field(key)),
                }
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The fields of a `v1` object as read so far.
#[derive(Default)]
struct Fields {
    id: Option<ChallengeId>,
    channel: Option<Channel>,
    to: Option<PhoneNumber>,
    from: Option<Option<PhoneNumber>>,
    token: Option<Token>,
    alphabet: Option<Alphabet>,
    issued_at: Option<UnixTime>,
    valid_for: Option<u32>,
    max_attempts: Option<u8>,
    attempts_used: Option<u8>,
    max_deliveries: Option<u8>,
    deliveries: Option<u8>,
    state: Option<ChallengeState>,
    revision: Option<u64>,
    challenge: Option<ChallengeParts>,
}

/// `slot`, unless it is already set (a repeated key).
fn once<T, E: de::Error>(slot: &mut Option<T>, key: &'static str, value: T) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(key));
    }
    *slot = Some(value);
    Ok(())
}

fn need<T, E: de::Error>(slot: Option<T>, key: &'static str) -> Result<T, E> {
    slot.ok_or_else(|| E::missing_field(key))
}

impl Fields {
    /// True when any flat key other than `revision` was given.
    fn first_flat(&self) -> Option<&'static str> {
        let given = [
            self.id.is_some(),
            self.channel.is_some(),
            self.to.is_some(),
            self.from.is_some(),
            self.token.is_some(),
            self.alphabet.is_some(),
            self.issued_at.is_some(),
            self.valid_for.is_some(),
            self.max_attempts.is_some(),
            self.attempts_used.is_some(),
            self.max_deliveries.is_some(),
            self.deliveries.is_some(),
            self.state.is_some(),
        ];
        given.iter().position(|&g| g).map(|i| FLAT[i])
    }

    fn finish<E: de::Error>(self) -> Result<V1, E> {
        if self.challenge.is_some() {
            // The nested layout: `revision` and `challenge`, nothing else.
            if let Some(key) = self.first_flat() {
                return Err(crate::secret::unknown_field(key));
            }
            return Ok(V1 {
                revision: need(self.revision, "revision")?,
                parts: need(self.challenge, "challenge")?,
            });
        }
        Ok(V1 {
            parts: ChallengeParts {
                id: need(self.id, "id")?,
                channel: need(self.channel, "channel")?,
                to: need(self.to, "to")?,
                // A missing `from` reads as none, as in every layout.
                from: self.from.unwrap_or(None),
                token: need(self.token, "token")?,
                alphabet: need(self.alphabet, "allow_alphas")?,
                issued_at: need(self.issued_at, "issued_at")?,
                valid_for: need(self.valid_for, "valid_for")?,
                max_attempts: need(self.max_attempts, "max_attempts")?,
                attempts_used: need(self.attempts_used, "attempts_used")?,
                max_deliveries: need(self.max_deliveries, "max_deliveries")?,
                deliveries: need(self.deliveries, "deliveries")?,
                state: need(self.state, "state")?,
            },
            revision: need(self.revision, "revision")?,
        })
    }
}

impl<'de> Deserialize<'de> for V1 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = V1;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a v1 stored record")
            }

            /// Self-describing formats: either layout, keys in any order.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V1, A::Error> {
                let mut f = Fields::default();
                while let Some(Key(k)) = map.next_key()? {
                    let key = FLAT.get(k).copied().unwrap_or("challenge");
                    match k {
                        0 => once(&mut f.id, key, map.next_value()?)?,
                        1 => once(&mut f.channel, key, map.next_value()?)?,
                        2 => once(&mut f.to, key, map.next_value()?)?,
                        3 => once(&mut f.from, key, map.next_value()?)?,
                        4 => once(&mut f.token, key, map.next_value::<TokenIn>()?.0)?,
                        5 => once(
                            &mut f.alphabet,
                            key,
                            Alphabet::from_allow_alphas(map.next_value()?),
                        )?,
                        6 => once(&mut f.issued_at, key, map.next_value()?)?,
                        7 => once(&mut f.valid_for, key, map.next_value()?)?,
                        8 => once(&mut f.max_attempts, key, map.next_value()?)?,
                        9 => once(&mut f.attempts_used, key, map.next_value()?)?,
                        10 => once(&mut f.max_deliveries, key, map.next_value()?)?,
                        11 => once(&mut f.deliveries, key, map.next_value()?)?,
                        12 => once(&mut f.state, key, map.next_value()?)?,
                        13 => once(&mut f.revision, key, map.next_value()?)?,
                        _ => once(&mut f.challenge, key, map.next_value()?)?,
                    }
                }
                f.finish()
            }

            /// Formats that hold a struct as its values in order: the flat
            /// layout only (the two cannot be told apart there).
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V1, A::Error> {
                fn next<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
                    seq: &mut A,
                    i: usize,
                ) -> Result<T, A::Error> {
                    seq.next_element()?
                        .ok_or_else(|| de::Error::invalid_length(i, &"the 14 fields of v1"))
                }
                let f = Fields {
                    id: Some(next(&mut seq, 0)?),
                    channel: Some(next(&mut seq, 1)?),
                    to: Some(next(&mut seq, 2)?),
                    from: Some(next(&mut seq, 3)?),
                    token: Some(next::<TokenIn, _>(&mut seq, 4)?.0),
                    alphabet: Some(Alphabet::from_allow_alphas(next(&mut seq, 5)?)),
                    issued_at: Some(next(&mut seq, 6)?),
                    valid_for: Some(next(&mut seq, 7)?),
                    max_attempts: Some(next(&mut seq, 8)?),
                    attempts_used: Some(next(&mut seq, 9)?),
                    max_deliveries: Some(next(&mut seq, 10)?),
                    deliveries: Some(next(&mut seq, 11)?),
                    state: Some(next(&mut seq, 12)?),
                    revision: Some(next(&mut seq, 13)?),
                    challenge: None,
                };
                f.finish()
            }
        }
        d.deserialize_struct("V1", FLAT, V)
    }
}
