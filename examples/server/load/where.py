#!/usr/bin/env python3
"""Where the server's CPU went in a profile taken by `PROFILE=DIR
load/steady.sh` (perf record with DWARF stacks of a build with line
tables): each thread's share of the samples, then, per thread, the share
of its samples whose stack passes through each part below (a sample may
pass through several: the parts are not meant to add up).

    load/where.py DIR/steady-issue.perf [more.perf ...]
"""

import collections
import re
import subprocess
import sys

# (part, pattern on a frame's symbol or object): the first frames that
# match, from the leaf up, name what the time was spent in.
PARTS = [
    ("kernel (system calls, network, disk)", r"\[kernel\.kallsyms\]|^entry_SYSCALL|^__x64_sys"),
    ("SQLite: commit (WAL append, sync)", r"^sqlite3PagerCommitPhaseOne|^sqlite3WalFrames|^pagerWalFrames"),
    ("SQLite: statements", r"^sqlite3_step|^sqlite3VdbeExec"),
    ("SQLite: checkpoint", r"^sqlite3WalCheckpoint|^walCheckpoint"),
    ("SQLite: page reads (cache misses)", r"^readDbPage|^sqlite3WalReadFrame|^walFindFrame"),
    ("sealing (XChaCha20-Poly1305)", r"chacha20poly1305|chacha20::|poly1305::"),
    ("keyed hashes (BLAKE3)", r"blake3"),
    ("API token check (HMAC-SHA-256)", r"hmac::|sha2::"),
    ("record encoding (postcard)", r"postcard::"),
    ("JSON (serde_json)", r"serde_json::"),
    ("HTTP (hyper, axum, tower)", r"^hyper::|^axum::|^tower::|^hyper_util::"),
    ("mfa_core (challenge, throttle, render)", r"^mfa_core::"),
    ("logging and metrics", r"^tracing|^metrics"),
    ("allocation (mimalloc)", r"^_?mi_|mimalloc"),
    ("tokio (scheduling, wake-ups)", r"^tokio::"),
]


def stacks(path):
    """Yields (thread name, [frame symbol, ...] leaf first) per sample."""
    out = subprocess.run(
        ["perf", "script", "-i", path, "-F", "comm,tid,ip,sym,dso"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    comm, frames = None, []
    for line in out.splitlines():
        if not line.strip():
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif comm is None:
            comm = re.sub(r"\s+\d+\s*$", "", line.strip())
        else:
            parts = line.split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else parts[0])
    if comm is not None:
        yield comm, frames


def main():
    for path in sys.argv[1:]:
        threads = collections.Counter()
        through = collections.defaultdict(collections.Counter)
        total = 0
        for comm, frames in stacks(path):
            total += 1
            thread = re.sub(r"[-_]?\d+$", "", comm)
            threads[thread] += 1
            hit = set()
            for frame in frames:
                for part, pattern in PARTS:
                    if part not in hit and re.search(pattern, frame):
                        hit.add(part)
            for part in hit:
                through[thread][part] += 1
        print(f"{path}: {total} samples")
        for thread, n in threads.most_common():
            print(f"  {thread:<24} {100 * n / total:5.1f}% of all")
            for part, _ in PARTS:
                k = through[thread][part]
                if k * 100 >= n:
                    print(f"    {part:<44} {100 * k / n:5.1f}% of its samples")


if __name__ == "__main__":
    main()
