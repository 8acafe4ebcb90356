//! A write list as one statement: each write a data-modifying CTE that
//! runs only if the one before it changed its row.
//!
//! ```sql
//! WITH w0 AS (UPDATE limits SET … WHERE key = $1 AND revision = $5 RETURNING 1),
//!      w1 AS (UPDATE challenges SET … WHERE id = $6 AND project = $7 AND revision = $10
//!             AND EXISTS (SELECT 1 FROM w0) RETURNING 1)
//! SELECT (SELECT count(*) FROM w0) + (SELECT count(*) FROM w1)
//! ```
//!
//! One statement is one round trip and, in autocommit, one commit, where
//! `BEGIN`, a statement per write and `COMMIT` were two round trips more
//! than there are writes. `w{k}` yields a row exactly when write `k`
//! landed: an `UPDATE` whose compare-and-swap held, an `INSERT … ON
//! CONFLICT DO NOTHING` that met no row. Gating each write on the one
//! before keeps the contract of [`crate::store::Store::apply`] (the first
//! write that lands nothing stops the list, those before it stay), and it
//! also orders the writes: `w{k}` reads `w{k-1}` before it touches its
//! own row, so rows are locked in list order as before, and two lists
//! that take rows in one order still never wait on each other.
//!
//! A concurrent change is met as before: an `UPDATE` that finds its row
//! changed by a transaction that committed after the statement began
//! checks its `WHERE` again on the newest version (read committed), so
//! its compare-and-swap loses, and an insert still meets a row inserted
//! meanwhile through the unique index.
//!
//! The text is built again for each list (a few string pushes) rather
//! than cached: it depends only on the kinds, and the pool keeps one
//! prepared statement per text and connection.
//!
//! # Where a list is split
//!
//! Every sub-statement of one statement sees the same snapshot, none the
//! others' changes, and PostgreSQL does not support changing one row
//! twice in a statement. A list can touch a row twice: a verify with the
//! right code counts the try on the number's lockout row and then clears
//! it, a swap from the revision the count wrote. In one statement that
//! swap would find the row as it was before the count, and lose. So
//! [`segments`] cuts a list before any write to a row the current segment
//! already touches (`ClearLimits` touches every limiter row), and after
//! [`MAX_WRITES`] writes; [`super::Postgres::apply`] runs the segments of
//! one list in one transaction, each seeing the ones before it, exactly
//! as the old statement-per-write transaction did.

use tokio_postgres::types::{ToSql, Type};

use super::super::{Write, sql};

/// Most writes in one statement. The lists requests write have at most
/// four; longer ones (a test's thousands of rows) go as several
/// statements in one transaction, which keeps each statement well below
/// PostgreSQL's 65,535 parameters (six per write at most) and the
/// prepared statements small.
pub const MAX_WRITES: usize = 32;

/// One parameter of a statement, borrowed from its write.
pub type Param<'w> = &'w (dyn ToSql + Sync);

/// What a write's SQL is: a list's statement is a function of its
/// writes' kinds alone, so its text is the same for every list of the
/// same kinds, and the pool prepares it once per connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    InsertChallenge,
    SwapChallenge,
    CloseChallenge,
    InsertMeta,
    SetMeta,
    ClearLimits,
    InsertLimit,
    SwapLimit,
}

impl Kind {
    /// The kind of `write`.
    pub fn of(write: &Write) -> Kind {
        match write {
            Write::InsertChallenge(_) => Kind::InsertChallenge,
            Write::SwapChallenge { closed: false, .. } => Kind::SwapChallenge,
            Write::SwapChallenge { closed: true, .. } => Kind::CloseChallenge,
            Write::InsertMeta(_) => Kind::InsertMeta,
            Write::SetMeta(_) => Kind::SetMeta,
            Write::ClearLimits => Kind::ClearLimits,
            Write::Limit { read: None, .. } => Kind::InsertLimit,
            Write::Limit { read: Some(_), .. } => Kind::SwapLimit,
        }
    }

    /// The statement of a write on its own (shared with SQLite).
    pub fn plain(self) -> &'static str {
        match self {
            Kind::InsertChallenge => sql::INSERT_CHALLENGE,
            Kind::SwapChallenge => sql::SWAP_CHALLENGE,
            Kind::CloseChallenge => sql::CLOSE_CHALLENGE,
            Kind::InsertMeta => sql::INSERT_META,
            Kind::SetMeta => sql::SET_META,
            Kind::ClearLimits => sql::CLEAR_LIMITS,
            Kind::InsertLimit => sql::INSERT_LIMIT,
            Kind::SwapLimit => sql::SWAP_LIMIT,
        }
    }

    /// The types of the parameters it takes, in order ([`params`] gives
    /// their values). They are given when the statement is prepared, as
    /// PostgreSQL cannot tell them from `INSERT … SELECT $1, …`.
    pub fn types(self) -> &'static [Type] {
        const TEXT: Type = Type::TEXT;
        const INT8: Type = Type::INT8;
        const BYTEA: Type = Type::BYTEA;
        match self {
            Kind::ClearLimits => &[],
            Kind::InsertMeta | Kind::SetMeta => &[TEXT, TEXT],
            Kind::InsertLimit => &[TEXT, INT8, INT8, BYTEA],
            Kind::SwapLimit => &[TEXT, INT8, INT8, BYTEA, INT8],
            Kind::SwapChallenge => &[TEXT, TEXT, INT8, BYTEA, INT8],
            Kind::CloseChallenge => &[TEXT, TEXT, INT8, BYTEA, INT8, INT8],
            Kind::InsertChallenge => &[TEXT, TEXT, INT8, INT8, INT8, BYTEA],
        }
    }

    /// The CTE of write `k` of a list, `w{k}`: the plain statement's
    /// change, run only when `gate` (the write before landed) holds, and
    /// returning a row when it changed one. Parameters are numbered as in
    /// [`Kind::plain`]; [`statement`] shifts them.
    fn cte(self, k: usize, gate: Option<&str>) -> String {
        let when = |word: &str| gate.map_or(String::new(), |g| format!(" {word} {g}"));
        let (and, wher) = (when("AND"), when("WHERE"));
        let change = match self {
            Kind::InsertChallenge => format!(
                "INSERT INTO challenges (id, project, revision, expires_at, sweep_at, record) \
                 SELECT $1, $2, $3, $4, $5, $6{wher} ON CONFLICT (id) DO NOTHING"
            ),
            Kind::SwapChallenge => format!(
                "UPDATE challenges SET revision = $3, record = $4 \
                 WHERE id = $1 AND project = $2 AND revision = $5{and}"
            ),
            Kind::CloseChallenge => format!(
                "UPDATE challenges SET revision = $3, record = $4, sweep_at = $5 \
                 WHERE id = $1 AND project = $2 AND revision = $6{and}"
            ),
            Kind::InsertMeta => format!(
                "INSERT INTO meta (name, value) SELECT $1, $2{wher} \
                 ON CONFLICT (name) DO NOTHING"
            ),
            Kind::SetMeta => format!(
                "INSERT INTO meta (name, value) SELECT $1, $2{wher} \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value"
            ),
            // Lands however many rows it deletes, none too: `w{k}` yields
            // one row once the delete (`c{k}`) has run.
            Kind::ClearLimits => {
                return format!(
                    "c{k} AS (DELETE FROM limits{wher} RETURNING 1), \
                     w{k} AS (SELECT 1 FROM (SELECT count(*) FROM c{k}) AS cleared{wher})"
                );
            }
            Kind::InsertLimit => format!(
                "INSERT INTO limits (key, revision, expires_at, state) \
                 SELECT $1, $2, $3, $4{wher} ON CONFLICT (key) DO NOTHING"
            ),
            Kind::SwapLimit => format!("{}{and}", sql::SWAP_LIMIT),
        };
        format!("w{k} AS ({change} RETURNING 1)")
    }
}

/// The statement for a list of writes of these kinds (at least two): one
/// row, one column, how many landed.
pub fn statement(kinds: &[Kind]) -> String {
    let (ctes, landed) = chain(kinds, None);
    format!("WITH {ctes} SELECT {landed}")
}

/// The transaction-local setting in which a linked statement leaves how
/// many of its writes landed, for the statement after it.
const LANDED: &str = "mfa.landed";

/// The statement for one segment of a list sent whole in one
/// transaction ([`super::Postgres::apply`]): like [`statement`] (one
/// write or more), but its first write runs only if the statement
/// before it, when `after` is `Some(n)`, landed all its `n` writes, and
/// it leaves its own count in the setting [`LANDED`] for the next one.
/// `set_config(…, true)` lasts until the transaction ends; a statement
/// that failed aborts the transaction, and so every one after it.
pub fn linked(kinds: &[Kind], after: Option<usize>) -> String {
    let gate = after.map(|n| format!("current_setting('{LANDED}', true) = '{n}'"));
    let (ctes, landed) = chain(kinds, gate);
    format!("WITH {ctes} SELECT set_config('{LANDED}', ({landed})::text, true)::bigint")
}

/// The CTEs of `kinds`, each gated on the one before and the first on
/// `gate`, and the sum that counts the writes that landed.
fn chain(kinds: &[Kind], gate: Option<String>) -> (String, String) {
    let mut ctes = Vec::with_capacity(kinds.len());
    let mut offset = 0;
    for (k, kind) in kinds.iter().enumerate() {
        let gate = match k.checked_sub(1) {
            Some(prev) => Some(format!("EXISTS (SELECT 1 FROM w{prev})")),
            None => gate.clone(),
        };
        ctes.push(shift_params(&kind.cte(k, gate.as_deref()), offset));
        offset += kind.types().len();
    }
    let counts: Vec<String> = (0..kinds.len())
        .map(|k| format!("(SELECT count(*) FROM w{k})"))
        .collect();
    (ctes.join(", "), counts.join(" + "))
}

/// `sql` with every `$n` raised to `$(n + by)`.
fn shift_params(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let n: usize = rest[..digits]
            .parse()
            .expect("`$` is always followed by a number");
        out.push_str(&(n + by).to_string());
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Appends `write`'s parameters to `out`, in the order its SQL (plain
/// or in a list) numbers them and [`Kind::types`] types them.
pub fn params<'w>(write: &'w Write, out: &mut Vec<Param<'w>>) {
    match write {
        Write::InsertChallenge(c) => out.extend([
            &c.id as Param<'w>,
            &c.project,
            &c.revision,
            &c.expires_at,
            &c.sweep_at,
            &c.record,
        ]),
        Write::SwapChallenge {
            read,
            to: c,
            closed,
        } => {
            out.extend([&c.id as Param<'w>, &c.project, &c.revision, &c.record]);
            if *closed {
                out.push(&c.sweep_at);
            }
            out.push(read);
        }
        Write::InsertMeta(m) | Write::SetMeta(m) => out.extend([&m.name as Param<'w>, &m.value]),
        Write::ClearLimits => {}
        Write::Limit { read, to: l } => {
            out.extend([&l.key as Param<'w>, &l.revision, &l.expires_at, &l.state]);
            if let Some(read) = read {
                out.push(read);
            }
        }
    }
}

/// The row a write changes, to find a list's second write to one row,
/// and to order a group's lists by the row each takes first.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Row<'w> {
    Challenge(&'w str),
    Limit(&'w str),
    /// `ClearLimits`: every limiter row.
    Limits,
    Meta(&'w str),
}

impl<'w> Row<'w> {
    fn of(write: &'w Write) -> Row<'w> {
        match write {
            Write::InsertChallenge(c) | Write::SwapChallenge { to: c, .. } => Row::Challenge(&c.id),
            Write::InsertMeta(m) | Write::SetMeta(m) => Row::Meta(m.name),
            Write::ClearLimits => Row::Limits,
            Write::Limit { to, .. } => Row::Limit(&to.key),
        }
    }

    fn overlaps(&self, other: &Row<'_>) -> bool {
        match (self, other) {
            (Row::Limits, Row::Limits | Row::Limit(_)) | (Row::Limit(_), Row::Limits) => true,
            _ => self == other,
        }
    }
}

/// What a group's lists are sorted by (`postgres/group.rs`): the row
/// each list's first write touches. Lists sorted by it take their first
/// rows in one order.
pub fn lock_order(writes: &[Write]) -> Option<impl Ord + '_> {
    writes.first().map(Row::of)
}

/// `writes` cut into runs that are each one statement: no two writes of a
/// run touch one row, and none has more than [`MAX_WRITES`].
pub fn segments(writes: &[Write]) -> Vec<&[Write]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, write) in writes.iter().enumerate() {
        let row = Row::of(write);
        let run = &writes[start..i];
        if run.len() == MAX_WRITES || run.iter().any(|w| Row::of(w).overlaps(&row)) {
            out.push(run);
            start = i;
        }
    }
    if start < writes.len() {
        out.push(&writes[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ChallengeColumns, LimitColumns};

    fn limit(key: &str, read: Option<i64>) -> Write {
        Write::Limit {
            read,
            to: LimitColumns {
                key: key.into(),
                revision: 1,
                expires_at: 1,
                state: Vec::new(),
            },
        }
    }

    fn swap(id: &str) -> Write {
        Write::SwapChallenge {
            read: 0,
            to: ChallengeColumns {
                id: id.into(),
                project: "p".into(),
                revision: 1,
                expires_at: 1,
                sweep_at: 1,
                record: Vec::new(),
            },
            closed: true,
        }
    }

    /// A wrong code's list: the lockout's count, then the closing swap.
    #[test]
    fn parameters_are_numbered_on_from_the_write_before() {
        let sql = statement(&[Kind::SwapLimit, Kind::CloseChallenge]);
        assert_eq!(
            sql,
            "WITH w0 AS (UPDATE limits SET revision = $2, state = $4, \
             expires_at = CASE WHEN expires_at BETWEEN $3 - 300 AND $3 + 300 \
             THEN expires_at ELSE $3 END \
             WHERE key = $1 AND revision = $5 RETURNING 1), \
             w1 AS (UPDATE challenges SET revision = $8, record = $9, sweep_at = $10 \
             WHERE id = $6 AND project = $7 AND revision = $11 \
             AND EXISTS (SELECT 1 FROM w0) RETURNING 1) \
             SELECT (SELECT count(*) FROM w0) + (SELECT count(*) FROM w1)"
        );
    }

    #[test]
    fn inserts_and_clear_limits_are_gated_too() {
        let sql = statement(&[Kind::InsertLimit, Kind::ClearLimits, Kind::SetMeta]);
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO limits (key, revision, expires_at, state) \
             SELECT $1, $2, $3, $4 ON CONFLICT (key) DO NOTHING RETURNING 1), \
             c1 AS (DELETE FROM limits WHERE EXISTS (SELECT 1 FROM w0) RETURNING 1), \
             w1 AS (SELECT 1 FROM (SELECT count(*) FROM c1) AS cleared \
             WHERE EXISTS (SELECT 1 FROM w0)), \
             w2 AS (INSERT INTO meta (name, value) SELECT $5, $6 \
             WHERE EXISTS (SELECT 1 FROM w1) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value RETURNING 1) \
             SELECT (SELECT count(*) FROM w0) + (SELECT count(*) FROM w1) \
             + (SELECT count(*) FROM w2)"
        );
    }

    /// A right code's reset, sent after the count and the challenge's
    /// close: it runs only if both of them landed.
    #[test]
    fn a_linked_statement_waits_for_the_count_of_the_one_before() {
        assert_eq!(
            linked(&[Kind::SwapLimit], Some(2)),
            "WITH w0 AS (UPDATE limits SET revision = $2, state = $4, \
             expires_at = CASE WHEN expires_at BETWEEN $3 - 300 AND $3 + 300 \
             THEN expires_at ELSE $3 END \
             WHERE key = $1 AND revision = $5 \
             AND current_setting('mfa.landed', true) = '2' RETURNING 1) \
             SELECT set_config('mfa.landed', ((SELECT count(*) FROM w0))::text, true)::bigint"
        );
        let first = linked(&[Kind::SwapLimit, Kind::CloseChallenge], None);
        assert!(!first.contains("current_setting"), "{first}");
        assert!(first.ends_with(
            "SELECT set_config('mfa.landed', ((SELECT count(*) FROM w0) \
             + (SELECT count(*) FROM w1))::text, true)::bigint"
        ));
    }

    #[test]
    fn every_kind_takes_as_many_parameters_as_its_plain_statement() {
        let kinds = [
            Kind::InsertChallenge,
            Kind::SwapChallenge,
            Kind::CloseChallenge,
            Kind::InsertMeta,
            Kind::SetMeta,
            Kind::ClearLimits,
            Kind::InsertLimit,
            Kind::SwapLimit,
        ];
        let highest = |sql: &str| {
            let numbers = sql.split('$').skip(1).map(|after| {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                after[..digits].parse::<usize>().unwrap()
            });
            numbers.max().unwrap_or(0)
        };
        for kind in kinds {
            let taken = kind.types().len();
            assert_eq!(highest(kind.plain()), taken, "{kind:?}");
            assert_eq!(highest(&kind.cte(1, Some("g"))), taken, "{kind:?}");
        }
    }

    /// Every write gives as many values as its statement has typed
    /// parameters (the server would be refused at run time otherwise).
    #[test]
    fn every_write_gives_one_value_per_typed_parameter() {
        use crate::store::MetaColumns;
        let meta = || MetaColumns {
            name: "n",
            value: "v".into(),
        };
        let Write::SwapChallenge { read, to, .. } = swap("c1") else {
            unreachable!()
        };
        let writes = [
            Write::InsertChallenge(to.clone()),
            Write::SwapChallenge {
                read,
                to: to.clone(),
                closed: false,
            },
            swap("c1"),
            Write::InsertMeta(meta()),
            Write::SetMeta(meta()),
            Write::ClearLimits,
            limit("lock:a", None),
            limit("lock:a", Some(1)),
        ];
        for write in &writes {
            let mut values = Vec::new();
            params(write, &mut values);
            let kind = Kind::of(write);
            assert_eq!(values.len(), kind.types().len(), "{kind:?}");
        }
    }

    #[test]
    fn a_list_is_cut_before_a_row_it_touches_again() {
        // A right code: count, challenge, then the count's reset.
        let list = [limit("lock:a", None), swap("c1"), limit("lock:a", Some(1))];
        let lens: Vec<usize> = segments(&list).iter().map(|s| s.len()).collect();
        assert_eq!(lens, [2, 1]);
        // ClearLimits touches every limiter row, not challenges.
        let list = [limit("send:a", Some(1)), Write::ClearLimits, swap("c1")];
        let lens: Vec<usize> = segments(&list).iter().map(|s| s.len()).collect();
        assert_eq!(lens, [1, 2]);
        // Different rows: one statement.
        let list = [limit("lock:a", Some(1)), limit("lock:b", None), swap("c1")];
        assert_eq!(segments(&list).len(), 1);
    }

    #[test]
    fn a_long_list_is_cut_every_max_writes() {
        let list: Vec<Write> = (0..2 * MAX_WRITES + 1)
            .map(|i| swap(&format!("c{i}")))
            .collect();
        let lens: Vec<usize> = segments(&list).iter().map(|s| s.len()).collect();
        assert_eq!(lens, [MAX_WRITES, MAX_WRITES, 1]);
        assert!(segments(&[]).is_empty());
    }
}
