#!/usr/bin/env python3
"""Where the server's CPU went in a profile taken by `PROFILE=DIR
load/steady.sh` (perf record with DWARF stacks of a build with line
tables): each thread's share of the samples, then, per thread, the part
each sample is charged to (the first frame from the leaf up that a part
below names; time in the kernel goes to the part that called it, and is
shown beside it), so the parts of a thread add up to 100%.

    load/where.py DIR/steady-issue.perf [more.perf ...]
"""

import collections
import re
import subprocess
import sys

# Phases: a sample with any frame one of these names is charged to it
# (the first from the leaf up), wherever in the stack it is.
KERNEL = r"\[kernel\.kallsyms\]"
PHASES = [
    ("SQLite: commit (WAL append)", r"^sqlite3PagerCommitPhaseOne|^sqlite3WalFrames|^pagerWalFrames"),
    ("SQLite: checkpoint (copy, sync)", r"^sqlite3WalCheckpoint|^walCheckpoint|fdatasync"),
    ("SQLite: page reads (cache misses)", r"^readDbPage|^sqlite3WalReadFrame|^walFindFrame"),
]
# Parts: otherwise, tried in this order on each frame from the leaf up
# (kernel frames skipped): the first frame any part names decides.
PARTS = [
    ("SQLite: statements (B-trees, cache)", r"^sqlite3|^pcache|^btree|^vdbe|^balance|^pager|^wal"),
    ("sealing (AES-SIV; XChaCha20-Poly1305 before format 4)",
     r"aes_siv::|^aes::|cmac::|^ctr::|chacha20poly1305|chacha20::|poly1305::"),
    ("keyed hashes (BLAKE3)", r"blake3"),
    ("random bytes (getrandom)", r"getrandom|rand_core"),
    ("API token check (HMAC-SHA-256)", r"hmac::|sha2::"),
    ("record encoding (postcard)", r"postcard::"),
    ("JSON (serde_json)", r"serde_json::"),
    ("logging and metrics", r"^tracing|^metrics"),
    ("allocation (mimalloc)", r"^_?mi_|mimalloc"),
    ("mfa_core (challenge, throttle, render)", r"^mfa_core::"),
    ("socket reads and writes", r"^mio::|tokio::net::|tokio::io::|^std::io::"),
    ("HTTP (hyper, axum, tower)", r"^hyper::|^axum::|^tower::|^hyper_util::|^http::"),
    ("the server's own code", r"^mfa_server::"),
    ("tokio (scheduling, wake-ups, channels)", r"^tokio::|^std::thread|^std::sys::"),
]
OTHER = "other (libc, std)"


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
        charged = collections.defaultdict(collections.Counter)
        in_kernel = collections.defaultdict(collections.Counter)
        total = 0
        for comm, frames in stacks(path):
            total += 1
            thread = re.sub(r"[-_]?\d+$", "", comm)
            threads[thread] += 1
            part = OTHER
            phases = [
                p for frame in frames for p, pattern in PHASES if re.search(pattern, frame)
            ]
            for frame in [] if phases else frames:
                if re.search(KERNEL, frame):
                    continue
                found = [p for p, pattern in PARTS if re.search(pattern, frame)]
                if found:
                    part = found[0]
                    break
            if phases:
                part = phases[0]
            charged[thread][part] += 1
            if frames and re.search(KERNEL, frames[0]):
                in_kernel[thread][part] += 1
        print(f"{path}: {total} samples")
        for thread, n in threads.most_common():
            print(f"  {thread:<24} {100 * n / total:5.1f}% of all")
            for part, k in charged[thread].most_common():
                if k * 100 >= n:
                    kernel = 100 * in_kernel[thread][part] / k
                    print(f"    {part:<44} {100 * k / n:5.1f}%  (in the kernel: {kernel:3.0f}%)")


if __name__ == "__main__":
    main()
