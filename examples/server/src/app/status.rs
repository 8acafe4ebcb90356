//! `GET …/mfa/{id}`: where a challenge stands, read from its sealed row
//! and changing nothing (SPEC §5.8): a pending challenge past its window
//! reads as `expired` without the expiry being written. Never the code,
//! nor the whole number.

use mfa_core::wire::HttpResponse;
use mfa_core::{Challenge, ChallengeId, UnixTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::{App, Caller, Refusal};

/// The status answer: SPEC §7.5's `{"id","state"}`, then what a client
/// may show its user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusAnswer {
    /// The challenge id (canonical, lower case).
    #[schema(format = "uuid")]
    pub id: String,
    /// The state now: `pending`, `verified`, `exhausted`, `expired` or
    /// `canceled`.
    #[schema(pattern = "^(pending|verified|exhausted|expired|canceled)$")]
    pub state: String,
    /// The channel of the latest delivery: `sms` or `call`.
    #[schema(pattern = "^(sms|call)$")]
    pub channel: String,
    /// The number, masked: its country calling code and last two digits.
    #[schema(example = "+1********99")]
    pub to: String,
    /// Tries left (0 once the challenge is closed).
    #[schema(minimum = 0, maximum = 20)]
    pub attempts_left: u8,
    /// Deliveries made so far, the first included.
    #[schema(minimum = 1, maximum = 20)]
    pub deliveries: u8,
    /// When the code stops working (Unix seconds).
    #[schema(minimum = 0)]
    pub expires_at: u64,
}

impl StatusAnswer {
    /// The answer for `challenge` at `now`.
    pub fn of(challenge: &Challenge, now: UnixTime) -> StatusAnswer {
        let parts = challenge.parts();
        let state = challenge.state_at(now);
        StatusAnswer {
            id: parts.id.to_string(),
            state: state.name().to_owned(),
            channel: parts.channel.name().to_owned(),
            to: mask(parts.to.as_str(), parts.to.country_code()),
            attempts_left: if state.is_terminal() {
                0
            } else {
                challenge.attempts_left()
            },
            deliveries: parts.deliveries,
            expires_at: challenge.expires_at().as_secs(),
        }
    }
}

/// `+15557788999` → `+1********99`: the country calling code and the last
/// two digits, a star for every other digit (the length shows, the number
/// does not).
pub fn mask(number: &str, country: Option<u16>) -> String {
    let digits = number.strip_prefix('+').unwrap_or(number);
    let shown = country.map_or(0, |cc| cc.to_string().len());
    let tail = digits.len().saturating_sub(2).max(shown);
    digits
        .char_indices()
        .map(|(i, c)| if i < shown || i >= tail { c } else { '*' })
        .fold(String::from("+"), |mut s, c| {
            s.push(c);
            s
        })
}

impl App {
    /// `GET …/mfa/{id}`, for `caller`: 404 `not_found` for an id that
    /// does not parse, names no challenge or another project's.
    pub async fn status(&self, id: &str, caller: Caller<'_>) -> Result<StatusAnswer, Refusal> {
        let Ok(id) = ChallengeId::parse(id) else {
            return Err(HttpResponse::not_found().into());
        };
        let Some(loaded) = self.load(&id.to_string(), caller.project).await? else {
            return Err(HttpResponse::not_found().into());
        };
        Ok(StatusAnswer::of(&loaded.record.challenge, UnixTime::now()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_all_but_the_country_and_two_digits() {
        assert_eq!(super::mask("+15557788999", Some(1)), "+1********99");
        assert_eq!(super::mask("+447700900123", Some(44)), "+44********23");
        assert_eq!(super::mask("+2812345678", None), "+********78");
        assert_eq!(super::mask("+123", Some(1)), "+123");
    }
}
