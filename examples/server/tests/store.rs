//! The store through its public API, on SQLite and, with
//! `MFA_TEST_POSTGRES` set, on PostgreSQL: a write list stops at its first
//! lost write (wherever it stands, however long the list, whichever kinds
//! it holds, even one row written twice), a list dropped midway lands
//! whole or not at all and leaves no connection astray, only a closing
//! swap moves `sweep_at`, the sweep goes in chunks and rests between
//! them; SQLite's WAL stays bounded under a stream of commits and is cut
//! back after it grew, and a new SQLite file has small pages and keeps
//! ids and keys as bytes.

use mfa_server::store::sqlite::{Sqlite, WalTuning};
use mfa_server::store::{
    ChallengeColumns, EXPIRY_SLACK_SECS, LimitColumns, SWEEP_CHUNK, SWEEP_PAUSE, Store, Write,
};

/// A fresh name: PostgreSQL databases outlive a run.
fn fresh(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).unwrap();
    format!("{prefix}{}", hex::encode(bytes))
}

/// A fresh challenge id, spelled as the server spells them (a new SQLite
/// file stores it as bytes).
fn fresh_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    mfa_core::ChallengeId::from_bytes(bytes)
        .unwrap()
        .to_string()
}

/// A fresh limiter key of `kind`, in the form of `Keyring::limit_key`.
fn fresh_key(kind: &str) -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    format!("{kind}:{}", hex::encode(bytes))
}

fn challenge(id: &str, revision: i64, sweep_at: i64) -> ChallengeColumns {
    ChallengeColumns {
        id: id.to_owned(),
        project: "p1".to_owned(),
        revision,
        expires_at: 50_000,
        sweep_at,
        record: format!("record {revision}").into_bytes(),
    }
}

fn limit(key: &str, read: Option<i64>, revision: i64, expires_at: i64) -> Write {
    Write::Limit {
        read,
        to: LimitColumns {
            key: key.to_owned(),
            revision,
            expires_at,
            state: format!("state {revision}").into_bytes(),
        },
    }
}

async fn revision_of(store: &Store, id: &str) -> Option<i64> {
    store.challenge(id).await.unwrap().map(|row| row.revision)
}

async fn write_lists_stop_at_the_first_lost_write(store: &Store) {
    let (key, c1, c2) = (fresh_key("send"), fresh_id(), fresh_id());
    let insert = |id: &str| Write::InsertChallenge(challenge(id, 0, 40_000));
    let swap = |id: &str, read, revision| Write::SwapChallenge {
        read,
        to: challenge(id, revision, 40_000),
        closed: false,
    };

    // A new number and its challenge: both land.
    let first = vec![limit(&key, None, 1, 60_000), insert(&c1)];
    assert_eq!(store.apply(first).await.unwrap(), 2);
    // The number has a row now: the insert loses, the challenge after it
    // is not written.
    let again = vec![limit(&key, None, 1, 60_000), insert(&c2)];
    assert_eq!(store.apply(again).await.unwrap(), 0);
    assert_eq!(revision_of(store, &c2).await, None);

    // The limit swap lands, the challenge swap from a stale revision loses.
    let stale = vec![limit(&key, Some(1), 2, 60_000), swap(&c1, 5, 6)];
    assert_eq!(store.apply(stale).await.unwrap(), 1);
    let row = store.limit(&key).await.unwrap().unwrap();
    assert_eq!((row.revision, row.state), (2, b"state 2".to_vec()));
    assert_eq!(revision_of(store, &c1).await, Some(0));

    // The challenge swap lands, the limit swap from a stale revision loses.
    let half = vec![swap(&c1, 0, 1), limit(&key, Some(1), 3, 60_000)];
    assert_eq!(store.apply(half).await.unwrap(), 1);
    assert_eq!(revision_of(store, &c1).await, Some(1));
    assert_eq!(store.limit(&key).await.unwrap().unwrap().revision, 2);

    // Another project's swap loses, whatever the revision.
    let mut other = challenge(&c1, 2, 40_000);
    other.project = "p2".to_owned();
    let foreign = vec![Write::SwapChallenge {
        read: 1,
        to: other,
        closed: true,
    }];
    assert_eq!(store.apply(foreign).await.unwrap(), 0);
    let row = store.challenge(&c1).await.unwrap().unwrap();
    assert_eq!(
        (row.project, row.record),
        ("p1".into(), b"record 1".to_vec())
    );
}

async fn only_a_closing_swap_moves_sweep_at(store: &Store) {
    // sweep_at below 100 only ever comes from this check; clear what an
    // interrupted earlier run left.
    store.sweep(100, 0).await.unwrap();
    let id = fresh_id();
    let insert = vec![Write::InsertChallenge(challenge(&id, 0, 40_000))];
    assert_eq!(store.apply(insert).await.unwrap(), 1);

    // A swap that keeps the challenge pending leaves sweep_at as stored,
    // whatever the columns say.
    let pending = vec![Write::SwapChallenge {
        read: 0,
        to: challenge(&id, 1, 5),
        closed: false,
    }];
    assert_eq!(store.apply(pending).await.unwrap(), 1);
    assert_eq!(store.sweep(100, 0).await.unwrap(), (0, 0));
    assert_eq!(revision_of(store, &id).await, Some(1));

    // The closing one writes it: the sweep finds the row.
    let closing = vec![Write::SwapChallenge {
        read: 1,
        to: challenge(&id, 2, 5),
        closed: true,
    }];
    assert_eq!(store.apply(closing).await.unwrap(), 1);
    assert_eq!(store.sweep(100, 0).await.unwrap(), (1, 0));
    assert_eq!(revision_of(store, &id).await, None);
}

/// A limiter swap keeps a stored expiry within the slack of the new one,
/// either way, and moves one further off; it still swaps only from the
/// revision read.
async fn a_limit_swap_moves_its_expiry_only_past_the_slack(store: &Store) {
    // Limiter rows expiring in [1000, 2000) only ever come from this
    // check; clear what an interrupted earlier run left.
    store.sweep(0, 2_000).await.unwrap();
    let slack = EXPIRY_SLACK_SECS;
    let (kept, up, down) = (fresh_key("lock"), fresh_key("lock"), fresh_key("lock"));
    let kept_higher = fresh_key("lock");
    for (key, from, to) in [
        (&kept, 1_200, 1_200 + slack),
        (&up, 1_200, 1_200 + slack + 1),
        (&down, 1_800, 1_800 - slack - 1),
        (&kept_higher, 1_900, 1_900 - slack),
    ] {
        assert_eq!(
            store.apply(vec![limit(key, None, 1, from)]).await.unwrap(),
            1
        );
        let stale = limit(key, Some(0), 2, to);
        assert_eq!(store.apply(vec![stale]).await.unwrap(), 0);
        assert_eq!(
            store.apply(vec![limit(key, Some(1), 2, to)]).await.unwrap(),
            1
        );
        assert_eq!(limit_revision(store, key).await, Some(2));
    }
    // `kept` still expires at 1,200; `down` moved to 1,499, `up` to 1,501.
    // (Each sweep below takes one row: `kept_higher` stays at 1,900.)
    assert_eq!(store.sweep(0, 1_201).await.unwrap(), (0, 1));
    assert_eq!(limit_revision(store, &kept).await, None);
    assert_eq!(store.sweep(0, 1_500).await.unwrap(), (0, 1));
    assert_eq!(limit_revision(store, &down).await, None);
    assert_eq!(limit_revision(store, &up).await, Some(2));
    assert_eq!(store.sweep(0, 1_502).await.unwrap(), (0, 1));
    assert_eq!(limit_revision(store, &up).await, None);
    // `kept_higher` still expires at 1,900.
    assert_eq!(store.sweep(0, 1_900).await.unwrap(), (0, 0));
    assert_eq!(store.sweep(0, 1_901).await.unwrap(), (0, 1));
    assert_eq!(limit_revision(store, &kept_higher).await, None);
}

async fn the_sweep_takes_every_old_row_in_chunks(store: &Store) {
    // Rows in [200, 300) only ever come from this check; clear what an
    // interrupted earlier run left.
    store.sweep(300, 300).await.unwrap();
    let (challenges, limits) = (2 * SWEEP_CHUNK + 500, SWEEP_CHUNK + 200);
    let mut writes: Vec<Write> = (0..challenges)
        .map(|i| Write::InsertChallenge(challenge(&fresh_id(), 0, 200 + (i % 100) as i64)))
        .collect();
    writes.extend((0..limits).map(|i| limit(&fresh_key("lock"), None, 1, 200 + (i % 100) as i64)));
    let keep = fresh_id();
    writes.push(Write::InsertChallenge(challenge(&keep, 0, 300)));
    let n = writes.len();
    assert_eq!(store.apply(writes).await.unwrap(), n);

    assert_eq!(store.sweep(300, 300).await.unwrap(), (challenges, limits));
    assert_eq!(store.sweep(300, 300).await.unwrap(), (0, 0));
    assert_eq!(
        revision_of(store, &keep).await,
        Some(0),
        "300 is not before 300"
    );
    store.sweep(301, 0).await.unwrap();
}

fn swap(id: &str, read: i64, revision: i64, closed: bool) -> Write {
    Write::SwapChallenge {
        read,
        to: challenge(id, revision, 5),
        closed,
    }
}

async fn limit_revision(store: &Store, key: &str) -> Option<i64> {
    store.limit(key).await.unwrap().map(|row| row.revision)
}

/// A meta name of this run (the store takes `&'static str` names).
fn fresh_name(prefix: &str) -> &'static str {
    Box::leak(fresh(prefix).into_boxed_str())
}

/// The cases a one-statement list on PostgreSQL must keep: a lost write
/// stops the list wherever it stands, and what comes after it (inserts
/// too) is not written.
async fn a_lost_write_stops_the_list_wherever_it_stands(store: &Store) {
    let (key, c1, c2, c3) = (fresh_key("lock"), fresh_id(), fresh_id(), fresh_id());
    let insert = |id: &str| Write::InsertChallenge(challenge(id, 0, 40_000));
    assert_eq!(store.apply(vec![insert(&c1)]).await.unwrap(), 1);

    // The first write, a swap, loses: the insert after it is not written.
    let first = vec![swap(&c1, 7, 8, false), limit(&key, None, 1, 60_000)];
    assert_eq!(store.apply(first).await.unwrap(), 0);
    assert_eq!(limit_revision(store, &key).await, None);

    // The second of three loses: the first stays, the third is not written.
    let middle = vec![
        limit(&key, None, 1, 60_000),
        swap(&c1, 7, 8, false),
        insert(&c2),
    ];
    assert_eq!(store.apply(middle).await.unwrap(), 1);
    assert_eq!(limit_revision(store, &key).await, Some(1));
    assert_eq!(revision_of(store, &c2).await, None);

    // The last loses (an insert meeting its row): the two before stay.
    let last = vec![
        limit(&key, Some(1), 2, 60_000),
        swap(&c1, 0, 1, false),
        insert(&c1),
    ];
    assert_eq!(store.apply(last).await.unwrap(), 2);
    assert_eq!(limit_revision(store, &key).await, Some(2));
    assert_eq!(revision_of(store, &c1).await, Some(1));

    // Longer than one statement holds (32 writes on PostgreSQL): a loss in
    // the first part stops the rest, a loss in a later part keeps the
    // parts before it.
    let mut long: Vec<Write> = (0..40).map(|_| insert(&fresh_id())).collect();
    long[3] = insert(&c1);
    long[39] = insert(&c3);
    assert_eq!(store.apply(long).await.unwrap(), 3);
    assert_eq!(revision_of(store, &c3).await, None);
    let mut long: Vec<Write> = (0..40).map(|_| insert(&fresh_id())).collect();
    long[35] = insert(&c1);
    long[39] = insert(&c3);
    assert_eq!(store.apply(long).await.unwrap(), 35);
    assert_eq!(revision_of(store, &c3).await, None);
    // Three statements and more on PostgreSQL (they go one by one, where
    // two go at once): a loss in the second or the third part.
    for lost in [40, 67] {
        let mut long: Vec<Write> = (0..70).map(|_| insert(&fresh_id())).collect();
        long[lost] = insert(&c1);
        long[69] = insert(&c3);
        assert_eq!(store.apply(long).await.unwrap(), lost);
        assert_eq!(revision_of(store, &c3).await, None);
    }
}

/// A right code's list writes the number's lockout row twice (the count,
/// then its reset from the count's revision): the second write sees the
/// first, as it would in a transaction of one statement per write.
async fn a_list_may_write_one_row_twice(store: &Store) {
    let (key, id) = (fresh_key("lock"), fresh_id());
    let insert = vec![Write::InsertChallenge(challenge(&id, 0, 40_000))];
    assert_eq!(store.apply(insert).await.unwrap(), 1);

    // A first try: the row is inserted, then swapped.
    let first = vec![
        limit(&key, None, 1, 60_000),
        swap(&id, 0, 1, false),
        limit(&key, Some(1), 2, 60_000),
    ];
    assert_eq!(store.apply(first).await.unwrap(), 3);
    let row = store.limit(&key).await.unwrap().unwrap();
    assert_eq!((row.revision, row.state), (2, b"state 2".to_vec()));

    // The challenge between the two loses: the count stays, the reset is
    // not written.
    let stale = vec![
        limit(&key, Some(2), 3, 60_000),
        swap(&id, 0, 2, false),
        limit(&key, Some(3), 4, 60_000),
    ];
    assert_eq!(store.apply(stale).await.unwrap(), 1);
    assert_eq!(limit_revision(store, &key).await, Some(3));
    assert_eq!(revision_of(store, &id).await, Some(1));

    // A second write from the revision read before the first loses.
    let twice = vec![
        limit(&key, Some(3), 4, 60_000),
        limit(&key, Some(3), 5, 60_000),
    ];
    assert_eq!(store.apply(twice).await.unwrap(), 1);
    assert_eq!(limit_revision(store, &key).await, Some(4));
}

/// Each kind of write keeps its meaning inside a list: a pending swap
/// leaves `sweep_at` alone, a closing one moves it; a meta insert lands
/// only on a new name, a meta set always.
async fn every_kind_of_write_keeps_its_meaning_in_a_list(store: &Store) {
    // sweep_at below 100 only ever comes from these checks; clear what an
    // interrupted earlier run left.
    store.sweep(100, 0).await.unwrap();
    let (key, id) = (fresh_key("lock"), fresh_id());
    let new = vec![
        limit(&key, None, 1, 60_000),
        Write::InsertChallenge(challenge(&id, 0, 40_000)),
    ];
    assert_eq!(store.apply(new).await.unwrap(), 2);
    let pending = vec![limit(&key, Some(1), 2, 60_000), swap(&id, 0, 1, false)];
    assert_eq!(store.apply(pending).await.unwrap(), 2);
    assert_eq!(store.sweep(100, 0).await.unwrap(), (0, 0));
    let closing = vec![limit(&key, Some(2), 3, 60_000), swap(&id, 1, 2, true)];
    assert_eq!(store.apply(closing).await.unwrap(), 2);
    assert_eq!(store.sweep(100, 0).await.unwrap(), (1, 0));

    let (once, set) = (fresh_name("test-once-"), fresh_name("test-set-"));
    let meta = |name, value: &str| mfa_server::store::MetaColumns {
        name,
        value: value.to_owned(),
    };
    let first = vec![
        Write::InsertMeta(meta(once, "a")),
        Write::SetMeta(meta(set, "b")),
    ];
    assert_eq!(store.apply(first).await.unwrap(), 2);
    let again = vec![
        Write::InsertMeta(meta(once, "x")),
        Write::SetMeta(meta(set, "c")),
    ];
    assert_eq!(store.apply(again).await.unwrap(), 0);
    let then = vec![
        Write::SetMeta(meta(set, "d")),
        Write::InsertMeta(meta(once, "y")),
    ];
    assert_eq!(store.apply(then).await.unwrap(), 1);
    assert_eq!(store.meta(once).await.unwrap().as_deref(), Some("a"));
    assert_eq!(store.meta(set).await.unwrap().as_deref(), Some("d"));
}

/// `ClearLimits` lands whatever it deletes, and only once reached. It
/// deletes every limiter row of the database: cargo runs one test binary
/// at a time, and no other check of this one counts limiter rows while
/// it runs.
async fn clear_limits_lands_in_a_list_once_reached(store: &Store) {
    let (key, other, name) = (
        fresh_key("send"),
        fresh_key("send"),
        fresh_name("test-clear-"),
    );
    let set = |value: &str| {
        Write::SetMeta(mfa_server::store::MetaColumns {
            name,
            value: value.to_owned(),
        })
    };
    assert_eq!(
        store
            .apply(vec![limit(&key, None, 1, 60_000)])
            .await
            .unwrap(),
        1
    );

    // Not reached: nothing is deleted.
    let lost = vec![
        limit(&key, Some(9), 10, 60_000),
        Write::ClearLimits,
        set("a"),
    ];
    assert_eq!(store.apply(lost).await.unwrap(), 0);
    assert_eq!(limit_revision(store, &key).await, Some(1));

    // Reached: deleted, and the write after it lands.
    let clear = vec![set("b"), Write::ClearLimits, set("c")];
    assert_eq!(store.apply(clear).await.unwrap(), 3);
    assert_eq!(limit_revision(store, &key).await, None);
    assert_eq!(store.meta(name).await.unwrap().as_deref(), Some("c"));

    // Nothing left to delete: it lands all the same.
    let empty = vec![set("d"), Write::ClearLimits, set("e")];
    assert_eq!(store.apply(empty).await.unwrap(), 3);
    assert_eq!(store.meta(name).await.unwrap().as_deref(), Some("e"));

    // A limiter write after it sees the table cleared: its row is new.
    assert_eq!(
        store
            .apply(vec![limit(&other, None, 1, 60_000)])
            .await
            .unwrap(),
        1
    );
    let again = vec![Write::ClearLimits, limit(&other, None, 5, 60_000)];
    assert_eq!(store.apply(again).await.unwrap(), 2);
    assert_eq!(limit_revision(store, &other).await, Some(5));
}

/// A request dropped while its write list runs (its client went away):
/// the list lands whole or not at all, and what the store answers as
/// landed afterwards is there for another connection (then `store` is
/// closed). On PostgreSQL a list that writes one row twice runs in a
/// transaction; dropped while its `BEGIN` was on the wire, that
/// transaction used to stay open on a connection the pool handed out
/// again: what later requests wrote there was answered as landed, was
/// seen by no other connection, and went when an error aborted the
/// transaction, after which every statement on that connection failed.
async fn dropped_lists_land_whole_or_not_at_all(store: Store, url: &str) {
    let mut dropped = Vec::new();
    for _ in 0..64 {
        let (key, id) = (fresh_key("lock"), fresh_id());
        let insert = vec![Write::InsertChallenge(challenge(&id, 0, 40_000))];
        assert_eq!(store.apply(insert).await.unwrap(), 1);
        let twice = vec![
            limit(&key, None, 1, 60_000),
            swap(&id, 0, 1, false),
            limit(&key, Some(1), 2, 60_000),
        ];
        // Dropped after its first few steps, wherever they stand.
        let polls = 1 + dropped.len() % 4;
        polled_then_dropped(store.apply(twice), polls).await;
        dropped.push((key, id));
    }
    let mut written = Vec::new();
    for _ in 0..64 {
        let id = fresh_id();
        let insert = vec![Write::InsertChallenge(challenge(&id, 0, 40_000))];
        assert_eq!(store.apply(insert).await.unwrap(), 1);
        written.push(id);
    }
    // A dropped list still in flight lands whole or not at all whenever
    // it ends, so another connection sees one of the two states below
    // either way (closing SQLite also waits for the lists' own ends).
    store.close().await;
    let other = Store::connect(url).await.unwrap();
    for id in &written {
        assert_eq!(revision_of(&other, id).await, Some(0), "a landed insert");
    }
    for (key, id) in &dropped {
        let state = (
            limit_revision(&other, key).await,
            revision_of(&other, id).await,
        );
        assert!(
            matches!(state, (None, Some(0)) | (Some(2), Some(1))),
            "a dropped list landed in part: {state:?}"
        );
    }
    other.close().await;
}

/// Lists that run at once keep their meaning however the store groups
/// them (SQLite's writer and PostgreSQL's committers each commit the
/// lists waiting together): of many swaps of one row from one revision
/// exactly one lands, a list whose first write loses writes nothing,
/// and a list that writes one row twice lands whole, beside the others.
async fn concurrent_lists_keep_their_meaning(store: &Store) {
    let contested = fresh_key("lock");
    let first = vec![limit(&contested, None, 1, 60_000)];
    assert_eq!(store.apply(first).await.unwrap(), 1);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..48_i64 {
        // Many swaps of one row from revision 1: one wins.
        let store_ = store.clone();
        let swap_one = vec![limit(&contested, Some(1), 100 + n, 60_000)];
        tasks.spawn(async move { ("contested", n, store_.apply(swap_one).await.unwrap()) });
        // A right code's list: count, close, reset; it lands whole.
        let (key, id) = (fresh_key("lock"), fresh_id());
        let insert = vec![Write::InsertChallenge(challenge(&id, 0, 40_000))];
        assert_eq!(store.apply(insert).await.unwrap(), 1);
        let store_ = store.clone();
        let twice = vec![
            limit(&key, None, 1, 60_000),
            swap(&id, 0, 1, true),
            limit(&key, Some(1), 2, 60_000),
        ];
        tasks.spawn(async move { ("twice", n, store_.apply(twice).await.unwrap()) });
        // A list whose first write loses: its second is not written.
        let (lost, after) = (fresh_key("send"), fresh_id());
        let store_ = store.clone();
        let stopped = vec![
            limit(&lost, Some(7), 8, 60_000),
            Write::InsertChallenge(challenge(&after, 0, 40_000)),
        ];
        tasks.spawn(async move {
            let landed = store_.apply(stopped).await.unwrap();
            assert_eq!(revision_of(&store_, &after).await, None);
            ("stopped", n, landed)
        });
    }
    let mut winners = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            ("contested", n, 1) => winners.push(n),
            ("contested", _, landed) => assert_eq!(landed, 0),
            ("twice", _, landed) => assert_eq!(landed, 3),
            (_, _, landed) => assert_eq!(landed, 0),
        }
    }
    assert_eq!(winners.len(), 1, "one swap from revision 1 lands");
    let revision = limit_revision(store, &contested).await;
    assert_eq!(revision, Some(100 + winners[0]));
}

/// Reads that run at once each find their own row, however the store
/// groups them (PostgreSQL's readers ask for the rows of the reads
/// waiting together in one statement): rows read by several at once,
/// and rows that are not there, among them.
async fn concurrent_reads_find_their_own_rows(store: &Store) {
    let mut writes = Vec::new();
    let mut rows = Vec::new();
    for n in 0..40_i64 {
        let (id, key) = (fresh_id(), fresh_key("lock"));
        writes.push(Write::InsertChallenge(challenge(&id, n, 40_000)));
        writes.push(limit(&key, None, 1000 + n, 60_000));
        rows.push((id, key, n));
    }
    assert_eq!(store.apply(writes).await.unwrap(), 80);
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..3 {
        for (id, key, n) in rows.iter().cloned() {
            let one = store.clone();
            tasks.spawn(async move {
                assert_eq!(revision_of(&one, &id).await, Some(n), "round {round}");
                assert_eq!(limit_revision(&one, &key).await, Some(1000 + n));
            });
            let none = store.clone();
            tasks.spawn(async move {
                assert_eq!(revision_of(&none, &fresh_id()).await, None);
                assert_eq!(limit_revision(&none, &fresh_key("lock")).await, None);
            });
        }
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
}

async fn contract(store: &Store) {
    write_lists_stop_at_the_first_lost_write(store).await;
    a_lost_write_stops_the_list_wherever_it_stands(store).await;
    a_list_may_write_one_row_twice(store).await;
    every_kind_of_write_keeps_its_meaning_in_a_list(store).await;
    clear_limits_lands_in_a_list_once_reached(store).await;
    concurrent_lists_keep_their_meaning(store).await;
    concurrent_reads_find_their_own_rows(store).await;
    only_a_closing_swap_moves_sweep_at(store).await;
    a_limit_swap_moves_its_expiry_only_past_the_slack(store).await;
    the_sweep_takes_every_old_row_in_chunks(store).await;
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let store = Store::connect(&url).await.unwrap();
    contract(&store).await;
    dropped_lists_land_whole_or_not_at_all(store, &url).await;
}

#[tokio::test]
async fn postgres_store_keeps_the_contract() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    contract(&store).await;
    dropped_lists_land_whole_or_not_at_all(store, &url).await;
}

/// The database of the PostgreSQL tests (`MFA_TEST_POSTGRES`), or `None`
/// (said on stderr): the test is skipped.
fn postgres_url() -> Option<String> {
    let url = std::env::var("MFA_TEST_POSTGRES").ok();
    if url.is_none() {
        eprintln!("MFA_TEST_POSTGRES not set: skipped");
    }
    url
}

/// A store on `url` whose connections carry a fresh `application_name`,
/// and that name: a test can find (or close) its connections alone.
async fn named_store(url: &str) -> (Store, String) {
    let name = fresh("store_");
    let separator = if url.contains('?') { '&' } else { '?' };
    let store = Store::connect(&format!("{url}{separator}application_name={name}"))
        .await
        .unwrap();
    (store, name)
}

/// A connection of the test's own to `url`, beside the store's.
async fn connect_aside(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// Connections PostgreSQL closed under the store (a restart, an
/// operator's `pg_terminate_backend`) fail the statements they hold at
/// most, and the store opens new ones: the connections it shares between
/// requests as much as its pool's.
#[tokio::test]
async fn postgres_store_replaces_connections_the_database_closed() {
    let Some(url) = postgres_url() else {
        return;
    };
    // Its own connections carry a name of their own: only they are
    // closed, not those of the tests running beside this one.
    let (store, name) = named_store(&url).await;
    let key = fresh_key("send");
    // Reads one after the other: each takes the next shared connection in
    // turn, so a round of 32 meets every one of them.
    let round = |n: usize| {
        let (store, key) = (&store, &key);
        async move {
            let mut failed = 0;
            for _ in 0..n {
                failed += usize::from(store.limit(key).await.is_err());
            }
            failed
        }
    };
    assert_eq!(round(32).await, 0, "every connection opened and answered");
    let admin = connect_aside(&url).await;
    let killed = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert!(killed > 0, "the store's connections were there to close");
    let mut failed = 0;
    for _ in 0..10 {
        failed += round(32).await;
    }
    assert_eq!(
        round(64).await,
        0,
        "new connections answer ({failed} failed before)"
    );
    store.close().await;
}

/// A server process opens at most 16 PostgreSQL connections however many
/// requests run at once: the writes' pool and the reads' shared
/// connections together.
#[tokio::test]
async fn postgres_store_opens_at_most_sixteen_connections() {
    let Some(url) = postgres_url() else {
        return;
    };
    let (store, name) = named_store(&url).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let store = store.clone();
        tasks.spawn(async move {
            for _ in 0..4 {
                let key = fresh_key("send");
                store.limit(&key).await.unwrap();
                let write = limit(&key, None, 1, 60_000);
                assert_eq!(store.apply(vec![write]).await.unwrap(), 1);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let admin = connect_aside(&url).await;
    let open: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .await
        .unwrap()
        .get(0);
    assert!((5..=16).contains(&open), "{open} connections open");
    store.close().await;
}

/// A busy store commits many requests' lists together: 200 inserts
/// sent at once take far fewer transactions than 200 (PostgreSQL marks
/// each row with the transaction that inserted it, `xmin`). Before group
/// commit each list was a transaction of its own.
#[tokio::test]
async fn postgres_lists_sent_at_once_share_commits() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let ids: Vec<String> = (0..200).map(|_| fresh_id()).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for id in &ids {
        let (store, insert) = (store.clone(), challenge(id, 0, 40_000));
        tasks.spawn(async move { store.apply(vec![Write::InsertChallenge(insert)]).await });
    }
    while let Some(done) = tasks.join_next().await {
        assert_eq!(done.unwrap().unwrap(), 1);
    }
    let admin = connect_aside(&url).await;
    let transactions: i64 = admin
        .query_one(
            "SELECT count(DISTINCT xmin::text) FROM challenges WHERE id = ANY($1)",
            &[&ids],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        transactions <= 100,
        "{transactions} transactions for 200 lists"
    );
    store.close().await;
}

/// A list PostgreSQL refuses (here a text with a NUL byte) fails alone:
/// the lists committed in a group with it land all the same.
#[tokio::test]
async fn postgres_a_refused_list_fails_alone() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..64 {
        let store = store.clone();
        let id = if n == 31 {
            format!("{}\0", fresh_id())
        } else {
            fresh_id()
        };
        let insert = vec![Write::InsertChallenge(challenge(&id, 0, 40_000))];
        tasks.spawn(async move { (n, id, store.apply(insert).await) });
    }
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (31, _, landed) => assert!(landed.is_err(), "a NUL in a text: {landed:?}"),
            (_, id, landed) => {
                assert_eq!(landed.unwrap(), 1);
                assert_eq!(revision_of(&store, &id).await, Some(0));
            }
        }
    }
    store.close().await;
}

/// A read PostgreSQL refuses (a key with a NUL byte) fails alone: the
/// reads grouped with it find their rows all the same.
#[tokio::test]
async fn postgres_a_refused_read_fails_alone() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let id = fresh_id();
    let insert = vec![Write::InsertChallenge(challenge(&id, 7, 40_000))];
    assert_eq!(store.apply(insert).await.unwrap(), 1);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..64 {
        let (store, id) = (store.clone(), id.clone());
        let read = if n == 31 { format!("{id}\0") } else { id };
        tasks.spawn(async move { (n, store.challenge(&read).await) });
    }
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (31, row) => assert!(row.is_err(), "a NUL in a key"),
            (_, row) => assert_eq!(row.unwrap().map(|r| r.revision), Some(7)),
        }
    }
    store.close().await;
}

/// A row locked elsewhere (an operator's open transaction) holds up the
/// list that writes it, for the store's lock timeout at most, and no
/// other: the lists committed in a group with it land meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_row_locked_elsewhere_holds_up_only_its_own_list() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = Store::connect(&url).await.unwrap();
    let key = fresh_key("lock");
    assert_eq!(
        store
            .apply(vec![limit(&key, None, 1, 60_000)])
            .await
            .unwrap(),
        1
    );
    let mut aside = connect_aside(&url).await;
    let open = aside.transaction().await.unwrap();
    open.execute("SELECT 1 FROM limits WHERE key = $1 FOR UPDATE", &[&key])
        .await
        .unwrap();
    let within = std::time::Duration::from_secs(8);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..48 {
        let store = store.clone();
        let list = if n == 0 {
            vec![limit(&key, Some(1), 2, 60_000)]
        } else {
            vec![Write::InsertChallenge(challenge(&fresh_id(), 0, 40_000))]
        };
        tasks.spawn(async move { (n, tokio::time::timeout(within, store.apply(list)).await) });
    }
    while let Some(done) = tasks.join_next().await {
        match done.unwrap() {
            (0, answer) => assert!(
                matches!(answer, Ok(Err(_))),
                "the locked list fails in time"
            ),
            (_, answer) => assert_eq!(answer.expect("lands while the row is locked").unwrap(), 1),
        }
    }
    open.rollback().await.unwrap();
    store.close().await;
}

/// A shared connection that stops answering (a half-open socket: here a
/// proxy that stops passing bytes on the connections it already has)
/// fails the reads sent to it in bounded time and is let go: the reads
/// after them go on new connections.
#[tokio::test]
async fn postgres_reads_leave_a_connection_that_stopped_answering() {
    let Some(url) = postgres_url() else {
        return;
    };
    let config: tokio_postgres::Config = url.parse().unwrap();
    let tokio_postgres::config::Host::Tcp(host) = &config.get_hosts()[0] else {
        panic!("a TCP host");
    };
    let upstream = format!("{host}:{}", config.get_ports()[0]);
    let proxy = Proxy::start(upstream.clone()).await;
    let store = Store::connect(&url.replacen(&upstream, &proxy.addr, 1))
        .await
        .unwrap();
    let key = fresh_key("send");
    for _ in 0..8 {
        store.limit(&key).await.unwrap();
    }
    proxy.freeze_open_connections();
    // As many reads at once as there are shared connections: each fails
    // in time.
    let within = std::time::Duration::from_secs(15);
    let mut stuck = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (store, key) = (store.clone(), key.clone());
        stuck.spawn(async move { tokio::time::timeout(within, store.limit(&key)).await });
    }
    while let Some(answer) = stuck.join_next().await {
        assert!(
            matches!(answer, Ok(Ok(Err(_)))),
            "a stuck read fails in time"
        );
    }
    for _ in 0..8 {
        let answer = tokio::time::timeout(within, store.limit(&key)).await;
        assert!(
            matches!(answer, Ok(Ok(None))),
            "reads go on new connections"
        );
    }
    store.close().await;
}

/// A TCP proxy whose connections can be made to stop passing bytes while
/// staying open.
struct Proxy {
    addr: String,
    frozen_below: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let frozen_below = std::sync::Arc::new(AtomicUsize::new(0));
        let accepted = std::sync::Arc::new(AtomicUsize::new(0));
        let (frozen, count) = (frozen_below.clone(), accepted.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let generation = count.fetch_add(1, SeqCst);
                let server = tokio::net::TcpStream::connect(&upstream).await.unwrap();
                let frozen = frozen.clone();
                tokio::spawn(async move {
                    let (mut a, mut b) = (client, server);
                    let mut ab = [0u8; 16 << 10];
                    let mut ba = [0u8; 16 << 10];
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    loop {
                        let (n, to_server) = tokio::select! {
                            n = a.read(&mut ab) => (n, true),
                            n = b.read(&mut ba) => (n, false),
                        };
                        let Ok(n @ 1..) = n else { return };
                        if generation < frozen.load(SeqCst) {
                            // Frozen: hold both sockets, pass nothing on.
                            std::future::pending::<()>().await;
                        }
                        let written = if to_server {
                            b.write_all(&ab[..n]).await
                        } else {
                            a.write_all(&ba[..n]).await
                        };
                        if written.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Proxy {
            addr,
            frozen_below,
            accepted,
        }
    }

    /// Every connection open now passes nothing more; new ones do.
    fn freeze_open_connections(&self) {
        use std::sync::atomic::Ordering::SeqCst;
        self.frozen_below.store(self.accepted.load(SeqCst), SeqCst);
    }
}

/// Polls `future` up to `polls` times, letting the runtime run between
/// two, then drops it.
async fn polled_then_dropped<F: std::future::Future>(future: F, polls: usize) {
    let mut future = std::pin::pin!(future);
    for _ in 0..polls {
        let step = std::future::poll_fn(|cx| std::task::Poll::Ready(future.as_mut().poll(cx)));
        if step.await.is_ready() {
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// A server starting while another is mid-write: the schema is there, so
/// it takes no table lock (`CREATE INDEX IF NOT EXISTS` would wait for the
/// open transaction, and could deadlock with one holding two tables).
#[tokio::test]
async fn postgres_start_beside_an_open_write_takes_no_table_lock() {
    let Some(url) = postgres_url() else {
        return;
    };
    Store::connect(&url).await.unwrap().close().await;
    let mut client = connect_aside(&url).await;
    let open = client.transaction().await.unwrap();
    open.execute(
        "INSERT INTO limits (key, revision, expires_at, state) VALUES ($1, 1, 1, '')",
        &[&fresh_key("send")],
    )
    .await
    .unwrap();
    let second =
        tokio::time::timeout(std::time::Duration::from_secs(5), Store::connect(&url)).await;
    open.rollback().await.unwrap();
    second
        .expect("connects while the write is open")
        .unwrap()
        .close()
        .await;
}

/// A checkpointer that looks every 10 ms and starts the WAL over from
/// 1 MiB, cutting a larger file back to `keep_bytes` (and never cutting
/// it to nothing at rest).
fn restarts_from_1_mib(keep_bytes: u64) -> WalTuning {
    WalTuning {
        every: std::time::Duration::from_millis(10),
        restart_bytes: 1 << 20,
        tail_bytes: 128 << 10,
        max_passes: 8,
        keep_bytes,
        truncate_after_idle: std::time::Duration::from_secs(3_600),
    }
}

/// Writes `n` challenges from 16 tasks at once (so commits group) and
/// returns the largest WAL file seen after a write.
async fn stream_of_commits(store: &Store, wal: &std::path::Path, n: usize) -> u64 {
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (store, wal) = (store.clone(), wal.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut largest = 0;
            for _ in 0..n / 16 {
                let write = Write::InsertChallenge(challenge(&fresh_id(), 0, 40_000));
                assert_eq!(store.apply(vec![write]).await.unwrap(), 1);
                largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            }
            largest
        }));
    }
    let mut largest = 0;
    for task in tasks {
        largest = largest.max(task.await.unwrap());
    }
    largest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_wal_stays_bounded_and_goes_at_close() {
    const WRITES: usize = 24_000;
    // Restarts from 1 MiB; the bound leaves room for the passes a restart
    // waits for on a busy machine (16 MiB was seen exceeded there with
    // 4 KiB pages; about 8 MiB was usual). With no checkpointer at work
    // (the control), the same writes grow the WAL to about 55 MiB with
    // the 1 KiB pages of a new file.
    const BOUND: u64 = 32 << 20;
    let tuning = restarts_from_1_mib(u64::MAX);
    let never = WalTuning {
        every: std::time::Duration::from_secs(3_600),
        ..tuning
    };
    for (tuning, bounded) in [(tuning, true), (never, false)] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mfa.db");
        let wal = dir.path().join("mfa.db-wal");
        let url = format!("sqlite://{}", db.display());
        let store = Store::Sqlite(Sqlite::open(&url, tuning).await.unwrap());
        let largest = stream_of_commits(&store, &wal, WRITES).await;
        assert_eq!(largest < BOUND, bounded, "largest WAL: {largest} bytes");
        store.close().await;

        assert!(
            !wal.exists(),
            "the last connection to close removes the WAL"
        );
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM challenges", [], |r| r.get(0))
            .unwrap();
        assert_eq!((check.as_str(), rows), ("ok", WRITES as i64));
    }
}

/// A bulk sweep rests between its chunks, so that requests and the
/// checkpointer keep up (time stands still here but for the rests).
#[tokio::test(start_paused = true)]
async fn a_sweep_rests_between_full_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("mfa.db").display());
    let store = Store::connect(&url).await.unwrap();
    let old = 3 * SWEEP_CHUNK + 10;
    let writes: Vec<Write> = (0..old)
        .map(|_| Write::InsertChallenge(challenge(&fresh_id(), 0, 200)))
        .collect();
    assert_eq!(store.apply(writes).await.unwrap(), old as usize);

    let began = tokio::time::Instant::now();
    assert_eq!(store.sweep(300, 0).await.unwrap(), (old, 0));
    // Three full chunks, a rest after each; none after the last, short one.
    assert_eq!(began.elapsed(), 3 * SWEEP_PAUSE);
    let began = tokio::time::Instant::now();
    assert_eq!(store.sweep(300, 0).await.unwrap(), (0, 0));
    assert_eq!(began.elapsed(), std::time::Duration::ZERO);
    store.close().await;
}

fn page_size(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap()
}

/// A new file gets 1 KiB pages (a request's WAL frames are whole pages);
/// a file made with other pages keeps them.
#[tokio::test]
async fn a_new_sqlite_file_has_small_pages_and_an_old_one_keeps_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (new, old) = (dir.path().join("new.db"), dir.path().join("old.db"));
    let made = rusqlite::Connection::open(&old).unwrap();
    made.execute_batch("PRAGMA page_size = 4096; CREATE TABLE earlier (x);")
        .unwrap();
    drop(made);
    for db in [&new, &old] {
        let url = format!("sqlite://{}", db.display());
        let store = Store::connect(&url).await.unwrap();
        let writes = vec![Write::InsertChallenge(challenge(&fresh_id(), 0, 200))];
        assert_eq!(store.apply(writes).await.unwrap(), 1);
        store.close().await;
    }
    assert_eq!((page_size(&new), page_size(&old)), (1024, 4096));
}

/// The type and length SQLite stored for each row's id and key, sorted.
fn stored_forms(db: &std::path::Path) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut forms: Vec<(String, i64)> = conn
        .prepare(
            "SELECT typeof(id), length(CAST(id AS BLOB)) FROM challenges \
             UNION ALL SELECT typeof(key), length(CAST(key AS BLOB)) FROM limits",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    forms.sort();
    forms
}

const EARLIER_SCHEMA: &str = "
    CREATE TABLE challenges (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
        project TEXT NOT NULL, revision INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        sweep_at INTEGER NOT NULL, record BLOB NOT NULL);
    CREATE TABLE limits (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
        revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, state BLOB NOT NULL);
    CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);";

fn key_form(db: &std::path::Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT value FROM meta WHERE name = 'key_form'", [], |r| {
            r.get(0)
        })
        .unwrap()
}

/// A new file stores ids and keys as bytes (16 and 17): inserted,
/// swapped, refused a second time, found again after a reopen. A file of
/// an earlier version keeps them as text, with rows or without: its rows
/// are still found and swapped, and new ones join them as text.
#[tokio::test]
async fn a_new_sqlite_file_keeps_ids_and_keys_as_bytes_and_an_old_one_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let (new, empty, old) = (
        dir.path().join("new.db"),
        dir.path().join("empty.db"),
        dir.path().join("old.db"),
    );
    let (old_id, old_key) = (fresh_id(), fresh_key("lock"));
    for (db, rows) in [(&empty, false), (&old, true)] {
        let made = rusqlite::Connection::open(db).unwrap();
        made.execute_batch(EARLIER_SCHEMA).unwrap();
        if rows {
            made.execute(
                "INSERT INTO challenges VALUES (1, ?1, 'p1', 0, 50000, 200, x'00')",
                [&old_id],
            )
            .unwrap();
            made.execute(
                "INSERT INTO limits VALUES (1, ?1, 0, 50000, x'00')",
                [&old_key],
            )
            .unwrap();
        }
    }
    for db in [&new, &empty, &old] {
        let url = format!("sqlite://{}", db.display());
        let (id, key) = (fresh_id(), fresh_key("send"));
        let store = Store::connect(&url).await.unwrap();
        let mut writes = vec![
            Write::InsertChallenge(challenge(&id, 0, 200)),
            limit(&key, None, 0, 50_000),
            swap(&id, 0, 1, true),
            limit(&key, Some(0), 1, 50_000),
        ];
        if db == &old {
            writes.extend([
                swap(&old_id, 0, 1, false),
                limit(&old_key, Some(0), 1, 50_000),
            ]);
        }
        let n = writes.len();
        assert_eq!(store.apply(writes).await.unwrap(), n);
        let again = vec![Write::InsertChallenge(challenge(&id, 0, 200))];
        assert_eq!(store.apply(again).await.unwrap(), 0, "one id, one row");
        store.close().await;
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(revision_of(&store, &id).await, Some(1));
        assert_eq!(limit_revision(&store, &key).await, Some(1));
        if db == &old {
            assert_eq!(revision_of(&store, &old_id).await, Some(1));
            assert_eq!(limit_revision(&store, &old_key).await, Some(1));
        }
        store.close().await;
    }
    let form = |kind: &str, len: i64| (kind.to_owned(), len);
    assert_eq!(key_form(&new), "bytes");
    assert_eq!(stored_forms(&new), vec![form("blob", 16), form("blob", 17)]);
    assert_eq!(key_form(&empty), "text");
    assert_eq!(
        stored_forms(&empty),
        vec![form("text", 36), form("text", 37)]
    );
    assert_eq!(key_form(&old), "text");
    assert_eq!(
        stored_forms(&old),
        vec![
            form("text", 36),
            form("text", 36),
            form("text", 37),
            form("text", 37)
        ]
    );
}

/// A file of bytes refuses a row whose id is text (a server of an
/// earlier version writing to it); a file whose rows are not of the form
/// its `meta.key_form` says, or whose form is neither, does not open.
#[tokio::test]
async fn a_file_of_bytes_refuses_text_rows_and_a_form_that_disagrees_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("mfa.db");
    let url = format!("sqlite://{}", db.display());
    let store = Store::connect(&url).await.unwrap();
    let writes = vec![
        Write::InsertChallenge(challenge(&fresh_id(), 0, 200)),
        limit(&fresh_key("lock"), None, 0, 50_000),
    ];
    assert_eq!(store.apply(writes).await.unwrap(), 2);
    store.close().await;
    let raw = rusqlite::Connection::open(&db).unwrap();
    let text_row = |conn: &rusqlite::Connection| {
        conn.execute(
            "INSERT INTO challenges (id, project, revision, expires_at, sweep_at, record) \
             VALUES (?1, 'p1', 0, 50000, 200, x'00')",
            [fresh_id()],
        )
    };
    let refused = text_row(&raw).unwrap_err().to_string();
    assert!(refused.contains("id_is_bytes"), "{refused}");
    let text_key = raw.execute(
        "INSERT INTO limits (key, revision, expires_at, state) VALUES (?1, 0, 50000, x'00')",
        [fresh_key("lock")],
    );
    assert!(text_key.is_err());
    // The form flipped to text over rows of bytes, then to a third word.
    for form in ["text", "maybe"] {
        raw.execute("UPDATE meta SET value = ?1 WHERE name = 'key_form'", [form])
            .unwrap();
        let e = Store::connect(&url).await.unwrap_err().to_string();
        assert!(e.contains("inconsistent"), "{form}: {e}");
    }
    // Bytes again, but a text row slipped in past the constraint.
    raw.execute(
        "UPDATE meta SET value = 'bytes' WHERE name = 'key_form'",
        [],
    )
    .unwrap();
    Store::connect(&url).await.unwrap().close().await;
    raw.execute_batch("PRAGMA ignore_check_constraints = ON")
        .unwrap();
    text_row(&raw).unwrap();
    let e = Store::connect(&url).await.unwrap_err().to_string();
    assert!(e.contains("challenges.id holds text"), "{e}");
}

/// A store that takes no commit for a while holds no WAL: the
/// checkpointer copies the rest and cuts the file to nothing, and the
/// rows are all there. The last commit leaves a WAL past the restart
/// size, so the checkpointer's ask for a restart finds no batch to
/// answer it (it waited for one for good before). The control never
/// cuts it at rest and keeps its file. Then the next commits grow it
/// again and land.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_wal_is_cut_to_nothing_at_rest() {
    let at_rest = WalTuning {
        truncate_after_idle: std::time::Duration::from_millis(100),
        ..restarts_from_1_mib(u64::MAX)
    };
    let never = restarts_from_1_mib(u64::MAX);
    for (tuning, cut) in [(at_rest, true), (never, false)] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("mfa.db");
        let wal = dir.path().join("mfa.db-wal");
        let url = format!("sqlite://{}", db.display());
        let store = Store::Sqlite(Sqlite::open(&url, tuning).await.unwrap());
        stream_of_commits(&store, &wal, 3_200).await;
        let burst: Vec<Write> = (0..60_000)
            .map(|_| Write::InsertChallenge(challenge(&fresh_id(), 0, 40_000)))
            .collect();
        assert_eq!(store.apply(burst).await.unwrap(), 60_000);
        let written = std::fs::metadata(&wal).unwrap().len();
        assert!(
            written > 2 << 20,
            "the burst grew the WAL to {written} bytes"
        );
        // At most 5 s for the cut (a look every 10 ms, 100 ms of quiet).
        let began = std::time::Instant::now();
        let mut size = written;
        while size > 0 && began.elapsed() < std::time::Duration::from_secs(5) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            size = std::fs::metadata(&wal).unwrap().len();
        }
        assert_eq!(size == 0, cut, "WAL {size} bytes after {written}");
        let after = Write::InsertChallenge(challenge(&fresh_id(), 0, 40_000));
        assert_eq!(store.apply(vec![after]).await.unwrap(), 1);
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        store.close().await;
        let rows: i64 = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM challenges", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 63_201);
    }
}

/// One commit far past the WAL's restart size, then small ones: with
/// `keep_bytes`, the first commit after the next restart cuts the file
/// back; without (the control), twice as many small commits leave it at
/// its high-water mark.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_wal_grown_past_keep_bytes_is_cut_back() {
    const KEEP: u64 = 2 << 20;
    let tuning = restarts_from_1_mib(KEEP);
    let never = WalTuning {
        keep_bytes: u64::MAX,
        ..tuning
    };
    // Rounds of 160 small commits: until the file is back under KEEP (at
    // most 20 s; the restarts come every few milliseconds here), then
    // twice as many for the control.
    let mut rounds = 0;
    for (tuning, cut) in [(tuning, true), (never, false)] {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("mfa.db-wal");
        let url = format!("sqlite://{}", dir.path().join("mfa.db").display());
        let store = Store::Sqlite(Sqlite::open(&url, tuning).await.unwrap());
        let burst: Vec<Write> = (0..60_000)
            .map(|_| Write::InsertChallenge(challenge(&fresh_id(), 0, 40_000)))
            .collect();
        assert_eq!(store.apply(burst).await.unwrap(), 60_000);
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(grown > 2 * KEEP, "one commit grew the WAL to {grown} bytes");
        let began = std::time::Instant::now();
        let mut size = grown;
        if cut {
            while size > KEEP && began.elapsed() < std::time::Duration::from_secs(20) {
                stream_of_commits(&store, &wal, 160).await;
                size = std::fs::metadata(&wal).unwrap().len();
                rounds += 1;
            }
        } else {
            for _ in 0..2 * rounds {
                stream_of_commits(&store, &wal, 160).await;
            }
            size = std::fs::metadata(&wal).unwrap().len();
        }
        assert_eq!(size <= KEEP, cut, "WAL {size} bytes after {grown}");
        store.close().await;
    }
}
