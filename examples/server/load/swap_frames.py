#!/usr/bin/env python3
"""WAL frames an SQLite swap of a limiter-like row writes, by what its
`SET` does with the indexed `expires_at` (docs/PERFORMANCE.md, "No WAL at
rest; limiter expiries that move in steps"): left out, set to itself,
moved. A table like `limits` (rowid, a unique key, an index on
`expires_at`, 1 KiB pages), ROWS rows, SWAPS single-row swaps a run,
each its own transaction, autocheckpoint off, twice each.

    load/swap_frames.py [ROWS] [SWAPS]
"""

import os
import random
import sqlite3
import sys
import tempfile

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
swaps = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
page = 1024

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "t.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA page_size={page}")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute(
        "CREATE TABLE limits (seq INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, "
        "revision INTEGER NOT NULL, expires_at INTEGER NOT NULL, state BLOB NOT NULL)"
    )
    db.execute("CREATE INDEX limits_expires_at ON limits (expires_at)")
    db.execute("BEGIN")
    for _ in range(rows):
        db.execute(
            "INSERT INTO limits (key, revision, expires_at, state) VALUES (?, 1, ?, ?)",
            (os.urandom(17), 1_800_000_000 + random.randrange(86_400), os.urandom(90)),
        )
    db.execute("COMMIT")
    keys = [r[0] for r in db.execute(f"SELECT key FROM limits ORDER BY random() LIMIT {swaps}")]
    variants = [
        ("expires_at left out", ""),
        ("expires_at set to itself", ", expires_at = expires_at"),
        ("expires_at moved", ", expires_at = expires_at + 100000"),
    ]
    for _ in range(2):
        for name, extra in variants:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            sql = f"UPDATE limits SET revision = revision + 1, state = randomblob(90){extra} WHERE key = ?"
            for key in keys:
                db.execute("BEGIN")
                db.execute(sql, (key,))
                db.execute("COMMIT")
            frames = os.path.getsize(path + "-wal") / (page + 24) / len(keys)
            print(f"{name:26} {frames:5.2f} WAL frames a swap")
