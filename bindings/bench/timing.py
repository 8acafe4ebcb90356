"""The timing loop shared by the Python benchmarks."""

import time


def per_call(fn, setup=None, budget=0.25, repeats=5):
    """Best of `repeats` runs of about `budget` seconds: µs per call.

    `fn(n, setup(n))` makes n calls, or returns how many it made."""
    n = 1
    while True:  # calibrate
        args = setup(n) if setup else None
        t = time.perf_counter()
        fn(n, args)
        dt = time.perf_counter() - t
        if dt > budget / 10:
            break
        n *= 4
    n = max(1, int(n * budget / dt))
    best = float("inf")
    for _ in range(repeats):
        args = setup(n) if setup else None
        t = time.perf_counter()
        calls = fn(n, args) or n
        best = min(best, (time.perf_counter() - t) / calls)
    return best * 1e6
