//! The operator's tasks: lifting a lockout.

use mfa_core::{PhoneNumber, UnixTime};

use crate::http::reply::failure;
use crate::record::LockRecord;

use super::cas::{Round, until_landed};
use super::{App, Refusal};

impl App {
    /// Clears the failed tries of a number (or of a requester, with
    /// `subject`) in `project`: the operator's unlock. `true` if there
    /// were any.
    pub async fn unlock(
        &self,
        project: &str,
        number: Option<&str>,
        subject: Option<&str>,
    ) -> Result<bool, Refusal> {
        let key = match (number, subject) {
            (Some(number), None) => {
                let number = PhoneNumber::parse(number).map_err(|_| {
                    failure(
                        400,
                        "invalid_number",
                        "the number must be E.164: +, then 2 to 15 digits",
                    )
                })?;
                self.keyring.limit_key("lock", project, &number.to_string())
            }
            (None, Some(subject)) => self.keyring.limit_key("lock-subject", project, subject),
            _ => {
                let detail = "name a number or a subject, not both";
                return Err(failure(400, "invalid_unlock", detail).into());
            }
        };
        self.reset_lockout(&key).await
    }

    /// Clears a lockout's failed tries: read, reset, compare-and-swap
    /// until it has landed or there was nothing to clear. `true` if there
    /// was something.
    pub async fn reset_lockout(&self, key: &str) -> Result<bool, Refusal> {
        until_landed("reset a lockout", || async {
            let (mut tries, read) = self.read_limit::<LockRecord>(key).await?;
            if tries.lockout.reset().write().is_none() {
                // Nothing to clear, nothing to write.
                return Ok(Round::Done(false));
            }
            tries.revision += 1;
            let now = UnixTime::now();
            let write = self.limit_write(key, read, &tries, tries.keep_until(now))?;
            Ok(match self.store.apply(vec![write]).await? {
                1 => Round::Done(true),
                _ => Round::Again,
            })
        })
        .await
    }
}
