//! The stored challenge record (feature `serde`, SPEC §8).
//!
//! A [`Challenge`] serializes to a versioned record that works with any
//! serde format. Version 1, as JSON:
//!
//! ```json
//! {"v1":{"revision":0,
//!        "challenge":{"id":"8630cc54-f6b2-45dd-b73b-cce28eb668d8","channel":"sms",
//!                     "to":"+15557788999","from":null,"token":"123456","allow_alphas":false,
//!                     "issued_at":1700000000,"valid_for":3600,"max_attempts":3,
//!                     "attempts_used":0,"max_deliveries":5,"deliveries":1,"state":"pending"}}}
//! ```
//!
//! The version is the outer enum variant (`v1`), so a future layout is a new
//! variant and old records stay readable. `challenge` is [`ChallengeParts`]
//! field for field. In human-readable formats the id is its text; in binary
//! formats, its 16 bytes. `revision` is stored so a document store can
//! compare-and-swap on it; it must equal the revision the counters give.
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

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::challenge::Challenge;
use crate::parts::ChallengeParts;

#[derive(Serialize)]
#[serde(rename = "Stored")]
enum StoredRef<'a> {
    #[serde(rename = "v1")]
    V1 {
        revision: u64,
        challenge: &'a ChallengeParts,
    },
}

#[derive(Deserialize)]
#[serde(rename = "Stored", deny_unknown_fields)]
enum Stored {
    #[serde(rename = "v1")]
    V1 {
        revision: u64,
        challenge: ChallengeParts,
    },
}

impl Serialize for Challenge {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredRef::V1 {
            revision: self.revision(),
            challenge: self.parts(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Challenge {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Stored::V1 {
            revision,
            challenge,
        } = Stored::deserialize(d)?;
        let challenge = Challenge::from_parts(challenge).map_err(de::Error::custom)?;
        if challenge.revision() != revision {
            return Err(de::Error::custom(format_args!(
                "field `revision`: {revision} does not match the counters, which give {}",
                challenge.revision()
            )));
        }
        Ok(challenge)
    }
}
