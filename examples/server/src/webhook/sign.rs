//! Standard Webhooks signing (<https://www.standardwebhooks.com>): the
//! secret is `whsec_` and the base64 of its bytes; a message is signed as
//! `v1,` and the base64 of HMAC-SHA256(secret, `{id}.{timestamp}.{body}`).
//! The tests check it against an independent implementation (the
//! `standardwebhooks` crate; CI also runs the PyPI package).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The prefix of a secret's text.
pub const PREFIX: &str = "whsec_";

/// Shortest and longest secret, in bytes (the convention's advice).
pub const SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// A signing secret (wiped when dropped; never in `Debug`).
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// Parses `whsec_BASE64`; the error never repeats the text.
    pub fn parse(text: &str) -> Result<Secret, &'static str> {
        let encoded = text
            .strip_prefix(PREFIX)
            .ok_or("the secret must start with whsec_")?;
        let bytes = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .map_err(|_| "the secret after whsec_ must be base64")?,
        );
        if !SECRET_BYTES.contains(&bytes.len()) {
            return Err("the secret must hold 24 to 64 bytes");
        }
        Ok(Secret(bytes))
    }

    /// The `webhook-signature` header's value for a message.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_conventions_example() {
        // The example of the Standard Webhooks specification (the PyPI
        // package gives the same).
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn bad_secrets_are_named_not_echoed() {
        for bad in ["MfKQ9r8G", "whsec_***", "whsec_"] {
            let e = Secret::parse(bad).unwrap_err();
            assert!(!e.contains(bad), "{e}");
        }
    }
}
