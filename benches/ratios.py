#!/usr/bin/env python3
"""Turns one `cargo bench --bench mfa` run into the ratio tables of
docs/PERFORMANCE.md: each mfa-core figure divided by its baseline from the
same run.

    cargo bench --bench mfa | tee /tmp/bench.txt
    python3 benches/ratios.py /tmp/bench.txt

With --compare, runs of two commits (alternated on one machine: old, new,
old, new) give the new median over the old one for every mfa-core bench,
the geometric mean over the pairs:

    python3 benches/ratios.py --compare old1.txt new1.txt [old2.txt new2.txt ...]
"""
import re
import sys

UNITS = {"ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def medians(text):
    """({'group/bench/arg...': median ns}, {same key: median throughput})
    from divan's tree output."""
    rows, speeds, path, last = {}, {}, [], None
    for line in text.splitlines():
        m = re.match(r"^([│ ]*)(├─|╰─) (\S+)\s*(.*)$", line)
        if not m:
            # A throughput line belongs to the row just above it.
            cols = [c.strip() for c in line.split("│")]
            found = [c for c in cols if re.match(r"^[\d.]+ [KMG]?B/s$", c)]
            if last and len(found) >= 3:
                speeds[last] = found[2]
            last = None
            continue
        depth = len(m.group(1)) // 3
        path = path[:depth] + [m.group(3)]
        cols = [c.strip() for c in m.group(4).split("│")]
        last = None
        if len(cols) > 2 and re.match(r"^[\d.]+ \S+$", cols[2]):
            value, unit = cols[2].split()
            last = "/".join(path)
            rows[last] = float(value) * UNITS[unit]
    return rows, speeds


def compare(paths):
    """New/old median per mfa-core bench, over (old, new) pairs of runs."""
    runs = [medians(open(p, encoding="utf-8").read())[0] for p in paths]
    pairs = list(zip(runs[0::2], runs[1::2]))
    print("| bench | old | new | new / old |")
    print("|---|---|---|---|")
    for key in pairs[0][0]:
        if "mfa_core" not in key or not all(key in o and key in n for o, n in pairs):
            continue
        ratio = 1.0
        for old, new in pairs:
            ratio *= new[key] / old[key]
        ratio **= 1 / len(pairs)
        old = sum(o[key] for o, _ in pairs) / len(pairs)
        new = sum(n[key] for _, n in pairs) / len(pairs)
        print(f"| {key} | {old:.1f} ns | {new:.1f} ns | {ratio:.2f}× |")


def main():
    if sys.argv[1] == "--compare":
        compare(sys.argv[2:])
        return
    rows, speeds = medians(open(sys.argv[1], encoding="utf-8").read())
    print("| issue: alphabet | length | mfa-core | same RNG requests | ratio | one request of 16 + length | ratio | with text | random_range + format! | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for alphas, name in (("false", "numeric"), ("true", "alphanumeric")):
        for n in ("4", "6", "8", "12", "20"):
            ours = rows[f"issue/mfa_core/{alphas}/{n}"]
            floor = rows[f"issue/draw_same_bytes/{alphas}/{n}"]
            one = rows[f"issue/draw_one_request/{alphas}/{n}"]
            text = rows[f"issue/mfa_core_and_text/{alphas}/{n}"]
            naive = rows[f"issue/random_range_format/{alphas}/{n}"]
            print(f"| {name} | {n} | {ours:.1f} ns | {floor:.1f} ns | {ours / floor:.2f}× "
                  f"| {one:.1f} ns | {ours / one:.2f}× "
                  f"| {text:.1f} ns | {naive:.1f} ns | {text / naive:.2f}× |")
    print()
    print("| verify | mfa-core | plain `==` | ratio | same normalisation + `==` | ratio |")
    print("|---|---|---|---|---|---|")
    for right in ("true", "false"):
        ours = rows[f"verify/mfa_core/{right}"]
        eq = rows[f"verify/plain_eq/{right}"]
        norm = rows[f"verify/normalize_then_eq/{right}"]
        label = "right token" if right == "true" else "wrong token"
        print(f"| {label} | {ours:.1f} ns | {eq:.1f} ns | {ours / eq:.2f}× | {norm:.1f} ns | {ours / norm:.2f}× |")
    ours = rows["verify/mfa_core_spaced"]
    eq = rows["verify/plain_eq/true"]
    norm = rows["verify/normalize_then_eq/true"]
    print(f"| right token typed `123 456` | {ours:.1f} ns | {eq:.1f} ns | {ours / eq:.2f}× | {norm:.1f} ns | {ours / norm:.2f}× |")
    print()
    print("| segments | mfa-core | throughput | `chars()` + `match` | ratio (speed-up) |")
    print("|---|---|---|---|---|")
    for kind in ("ascii", "extension", "ucs2"):
        for n in ("160", "1600"):
            ours = rows[f"segments_bench/mfa_core/{kind}-{n}"]
            naive = rows[f"segments_bench/chars_match/{kind}-{n}"]
            speed = speeds.get(f"segments_bench/mfa_core/{kind}-{n}", "")
            print(f"| {kind}, {n} chars | {ours:.0f} ns | {speed} | {naive:.0f} ns | {naive / ours:.1f}× |")
    print()
    ours, naive = rows["render/mfa_core_write_text"], rows["render/format_join"]
    print(f"render (voice, 8 symbols): write_text {ours:.1f} ns, format! + join {naive:.1f} ns: {naive / ours:.1f}× faster")


if __name__ == "__main__":
    main()
