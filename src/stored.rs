//! The stored challenge state (feature `serde`).
//!
//! A [`Challenge`] serializes to a versioned record that works with any
//! serde format. Version 1, as JSON:
//!
//! ```json
//! {"v1":{"id":"8630cc54-f6b2-45dd-b73b-cce28eb668d8","channel":"sms",
//!        "to":"+15557788999","from":null,"token":"123456","allow_alphas":false,
//!        "issued_at":1700000000,"valid_for":3600,"max_attempts":3,
//!        "attempts_used":0,"max_deliveries":5,"deliveries":1,
//!        "state":"pending","revision":0}}
//! ```
//!
//! The version is the outer enum variant (`v1`), so a future layout is a new
//! variant and old records stay readable. In human-readable formats the id
//! is its text; in binary formats, its 16 bytes. `revision` is stored so a
//! document store can compare-and-swap on it; it must equal the revision
//! the counters give.
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

use alloc::borrow::Cow;
use alloc::format;

use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::challenge::{Challenge, ChallengeParts, State};
use crate::id::ChallengeId;
use crate::phone::PhoneNumber;
use crate::render::Channel;
use crate::secret::SecretText;
use crate::time::UnixTime;
use crate::token::{Alphabet, Token};

#[derive(Serialize, Deserialize)]
enum Stored<'a> {
    #[serde(rename = "v1")]
    V1(StoredV1<'a>),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredV1<'a> {
    id: ChallengeId,
    channel: Channel,
    to: PhoneNumber,
    from: Option<PhoneNumber>,
    token: SecretText<'a>,
    allow_alphas: bool,
    issued_at: u64,
    valid_for: u32,
    max_attempts: u8,
    attempts_used: u8,
    max_deliveries: u8,
    deliveries: u8,
    state: State,
    revision: u64,
}

impl Serialize for Challenge {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stored::V1(StoredV1 {
            id: self.id(),
            channel: self.channel(),
            to: self.to(),
            from: self.from(),
            token: SecretText(Cow::Borrowed(self.token().expose_secret())),
            allow_alphas: self.alphabet().allows_alphas(),
            issued_at: self.issued_at().as_secs(),
            valid_for: self.valid_for(),
            max_attempts: self.max_attempts(),
            attempts_used: self.attempts_used(),
            max_deliveries: self.max_deliveries(),
            deliveries: self.deliveries(),
            state: self.state(),
            revision: self.revision(),
        })
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Challenge {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Stored::V1(s) = Stored::deserialize(d)?;
        let alphabet = Alphabet::from_allow_alphas(s.allow_alphas);
        let token = Token::new(&s.token.0, alphabet)
            .map_err(|e| de::Error::custom(format!("field `token`: {e}")))?;
        let challenge = Challenge::from_parts(ChallengeParts {
            id: s.id,
            channel: s.channel,
            to: s.to,
            from: s.from,
            token,
            alphabet,
            issued_at: UnixTime::from_secs(s.issued_at),
            valid_for: s.valid_for,
            max_attempts: s.max_attempts,
            attempts_used: s.attempts_used,
            max_deliveries: s.max_deliveries,
            deliveries: s.deliveries,
            state: s.state,
        })
        .map_err(de::Error::custom)?;
        if challenge.revision() != s.revision {
            return Err(de::Error::custom(format!(
                "field `revision`: {} does not match the counters, which give {}",
                s.revision,
                challenge.revision()
            )));
        }
        Ok(challenge)
    }
}

// --- Leaf types: usable on their own in a host's records. ---

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(d)?;
        PhoneNumber::parse(&text).map_err(|e| de::Error::custom(format!("{e} (given {text:?})")))
    }
}

impl Serialize for ChallengeId {
    /// Text in human-readable formats, 16 bytes in binary ones.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(self.encode().as_str())
        } else {
            self.as_bytes().serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for ChallengeId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = <Cow<'de, str>>::deserialize(d)?;
            ChallengeId::parse(&text).map_err(de::Error::custom)
        } else {
            let bytes = <[u8; 16]>::deserialize(d)?;
            ChallengeId::from_bytes(bytes).map_err(de::Error::custom)
        }
    }
}

impl Serialize for Channel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_variant("Channel", *self as u32, self.name())
    }
}

impl<'de> Deserialize<'de> for Channel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "Channel", rename_all = "lowercase")]
        enum C {
            Sms,
            Call,
        }
        Ok(match C::deserialize(d)? {
            C::Sms => Channel::Sms,
            C::Call => Channel::Call,
        })
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_variant("State", *self as u32, self.name())
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "State", rename_all = "lowercase")]
        enum S {
            Pending,
            Verified,
            Exhausted,
            Expired,
            Canceled,
        }
        Ok(match S::deserialize(d)? {
            S::Pending => State::Pending,
            S::Verified => State::Verified,
            S::Exhausted => State::Exhausted,
            S::Expired => State::Expired,
            S::Canceled => State::Canceled,
        })
    }
}
