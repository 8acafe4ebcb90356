//! The SQL both databases share (both take `$n` parameters).

pub const CHALLENGE: &str = "SELECT project, revision, record FROM challenges WHERE id = $1";
pub const LIMIT: &str = "SELECT revision, state FROM limits WHERE key = $1";
pub const INSERT_CHALLENGE: &str = "INSERT INTO challenges \
     (id, project, revision, expires_at, sweep_at, record) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (id) DO NOTHING";
pub const SWAP_CHALLENGE: &str = "UPDATE challenges SET revision = $3, record = $4 \
     WHERE id = $1 AND project = $2 AND revision = $5";
pub const CLOSE_CHALLENGE: &str = "UPDATE challenges \
     SET revision = $3, record = $4, sweep_at = $5 \
     WHERE id = $1 AND project = $2 AND revision = $6";
pub const INSERT_LIMIT: &str = "INSERT INTO limits (key, revision, expires_at, state) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING";
/// A limiter row's swap leaves a stored `expires_at` that lies within
/// this many seconds of the one it asks for, either way, as it is (see
/// [`super::Write::Limit`]); the literal in the statements below.
pub const EXPIRY_SLACK_SECS: i64 = 300;
pub const SWAP_LIMIT: &str = "UPDATE limits SET revision = $2, state = $4, \
     expires_at = CASE WHEN expires_at BETWEEN $3 - 300 AND $3 + 300 THEN expires_at ELSE $3 END \
     WHERE key = $1 AND revision = $5";
/// [`SWAP_LIMIT`] for a row whose stored `expires_at` stays: it lands only
/// then, and leaves the column (and its index) untouched. SQLite tries it
/// first; an `UPDATE` that sets a column, even to its value, rewrites its
/// index entry there.
pub const SWAP_LIMIT_KEEPING_EXPIRY: &str = "UPDATE limits SET revision = $2, state = $4 \
     WHERE key = $1 AND revision = $5 AND expires_at BETWEEN $3 - 300 AND $3 + 300";
pub const SWEEP_CHALLENGES: &str = "DELETE FROM challenges WHERE id IN \
     (SELECT id FROM challenges WHERE sweep_at < $1 LIMIT $2)";
pub const META: &str = "SELECT value FROM meta WHERE name = $1";
pub const HAS_ROWS: &str =
    "SELECT EXISTS (SELECT 1 FROM challenges) OR EXISTS (SELECT 1 FROM limits)";
pub const INSERT_META: &str =
    "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
pub const SET_META: &str = "INSERT INTO meta (name, value) VALUES ($1, $2) \
     ON CONFLICT (name) DO UPDATE SET value = excluded.value";
pub const CLEAR_LIMITS: &str = "DELETE FROM limits";
pub const SWEEP_LIMITS: &str = "DELETE FROM limits WHERE key IN \
     (SELECT key FROM limits WHERE expires_at < $1 LIMIT $2)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_swaps_use_the_slack() {
        let band = format!("BETWEEN $3 - {0} AND $3 + {0}", EXPIRY_SLACK_SECS);
        assert!(SWAP_LIMIT.contains(&band), "{SWAP_LIMIT}");
        assert!(SWAP_LIMIT_KEEPING_EXPIRY.contains(&band));
    }
}
