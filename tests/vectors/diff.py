#!/usr/bin/env python3
"""Differential test: check.py's re-implementation against the crate's oracle.

Draws random inputs for the parts check.py implements, answers each one
with check.py's functions and with the oracle binary (examples/oracle.rs,
many request lines per batch), and stops at the first disagreement, which
it shrinks to a minimal input (delta debugging: drop chunks of characters,
steps or windows, and simplify numbers, while the two still disagree).

Parts: segments, normalize, ids, stored, limits, lockout, calling_codes,
templates.

Usage:
  cargo build --release --all-features --example oracle
  python3 tests/vectors/diff.py --oracle target/release/examples/oracle \\
      [--cases N] [--seed S] [--part NAME ...] [--checker PATH] [--batch B]

Prints one line per part and ends with "N passed, 0 failed"; on a
disagreement it prints the minimal input with both answers and exits 1.
Standard library only.
"""
import argparse
import importlib.util
import json
import os
import random
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
U64 = 2**64 - 1
U32 = 2**32 - 1


def load_checker(path):
    spec = importlib.util.spec_from_file_location("check", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Oracle:
    """One oracle process, fed batches of request lines."""

    def __init__(self, path):
        self.proc = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     bufsize=1 << 20)

    def ask(self, requests):
        lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in requests]
        data = "".join(lines).encode("utf-8")

        def write():
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

        writer = threading.Thread(target=write)
        writer.start()
        answers = []
        for _ in requests:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("the oracle stopped answering")
            answers.append(json.loads(line))
        writer.join()
        return answers

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


# --- random inputs ---------------------------------------------------------------------


def text_pool(check):
    gsm = check.GSM_BASIC + check.GSM_EXTENSION
    near = "ç`\t\u007f\u001bÃÿ¢\u00a0жΩ€😀\u0000\u0080ÀÈÉ"
    return gsm, near


def random_text(rng, gsm, near, max_len):
    n = rng.choice([0, 1, 2, rng.randrange(max_len + 1), rng.randrange(max_len + 1)])
    kind = rng.randrange(4)
    out = []
    for _ in range(n):
        r = rng.random()
        if kind == 0 or r < 0.85:
            out.append(rng.choice(gsm))
        elif r < 0.95:
            out.append(rng.choice(near))
        else:
            out.append(chr(rng.choice([rng.randrange(0x20, 0xD800), rng.randrange(0xE000, 0x110000)])))
    return "".join(out)


def gen_segments(rng, check):
    gsm, near = text_pool(check)
    # Many texts sit near the 160/153 and 70/67 boundaries.
    text = random_text(rng, gsm, near, rng.choice([10, 170, 330, 700]))
    return {"family": "segments", "text": text}


def want_segments(check, req):
    e, u, p = check.segments(req["text"])
    return {"encoding": e, "units": u, "parts": p}


def gen_normalize(rng, check):
    zeros = check.ND_ZEROS
    n = rng.randrange(0, 26)
    clean = rng.random() < 0.5  # half the cases: nothing that is always wrong
    out = []
    for _ in range(n):
        r = rng.random() * (0.88 if clean else 1)
        if r < 0.4:
            out.append(rng.choice("0123456789"))
        elif r < 0.55:
            out.append(rng.choice("oOiIlLabcdkKpPxXzZ" if clean else "oOiIlLuUabcdkKpPxXzZ"))
        elif r < 0.7:
            out.append(rng.choice(" \t-"))
        elif r < 0.9:
            z = rng.choice(zeros)
            out.append(chr(z + (rng.randrange(10) if clean else rng.randrange(-1, 11))))
        else:
            out.append(chr(rng.choice([rng.randrange(0x20, 0x3000), rng.randrange(0x10000, 0x20000)])))
    return {"family": "normalize", "input": "".join(out)}


def want_normalize(check, req):
    return {"normalized": check.normalize(req["input"])}


def random_uuid(rng):
    b = bytearray(rng.getrandbits(8) for _ in range(16))
    if rng.random() < 0.7:
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
    return bytes(b)


def gen_ids(rng, check):
    b = random_uuid(rng)
    if rng.random() < 0.25:
        return {"family": "ids", "bytes": b.hex()}
    text = check.id_text(b)
    if rng.random() < 0.5:
        text = "".join(c.upper() if rng.random() < 0.5 else c for c in text)
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        i = rng.randrange(len(text) + 1)
        op = rng.randrange(3)
        c = rng.choice("-0aFgG xé３{}\n")
        if op == 0:
            text = text[:i] + c + text[i + 1:]
        elif op == 1:
            text = text[:i] + c + text[i:]
        else:
            text = text[:i] + text[i + 1:]
    return {"family": "ids", "text": text}


def want_ids(check, req):
    if "bytes" in req:
        return {"result": check.id_from_bytes(bytes.fromhex(req["bytes"]))}
    return {"result": check.parse_id(req["text"])}


STATES = ["pending", "verified", "exhausted", "expired", "canceled"]


def random_record(rng, check):
    alphas = rng.random() < 0.5
    alphabet = check.ALPHANUMERIC if alphas else check.NUMERIC
    max_attempts = rng.randrange(1, 21)
    max_deliveries = rng.randrange(1, 21)
    state = rng.choice(STATES)
    if state == "exhausted":
        used = max_attempts
    elif state == "verified":
        used = rng.randrange(1, max_attempts + 1)
    else:
        used = rng.randrange(0, max_attempts)
    deliveries = rng.randrange(1, max_deliveries + 1)
    revision = used + deliveries - 1 + (1 if state in ("expired", "canceled") else 0)
    c = {
        "id": check.id_text(random_uuid(rng)) if rng.random() < 0.9 else check.id_text(random_uuid(rng)).upper(),
        "channel": rng.choice(["sms", "call"]),
        "to": "+" + str(rng.randrange(1, 10)) + "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 15))),
        "from": None if rng.random() < 0.5 else "+15554433222",
        "token": "".join(rng.choice(alphabet) for _ in range(rng.randrange(4, 21))),
        "allow_alphas": alphas,
        "issued_at": rng.choice([0, U64, rng.randrange(U64 + 1), 1_700_000_000]),
        "valid_for": rng.choice([0, 604800, rng.randrange(604801)]),
        "max_attempts": max_attempts,
        "attempts_used": used,
        "max_deliveries": max_deliveries,
        "deliveries": deliveries,
        "state": state,
    }
    return {"v2": {"revision": revision, "challenge": c}}


TAMPER_VALUES = [None, -1, 0, 1, 2, 3, 20, 21, 255, 256, 604800, 604801, U64, U64 + 1, 1.5, "",
                 "x", "123", "pending", "Pending", "voice", True, False, [], {}, "+1", "+15557788999",
                 "K7P2", "k7p2", "12A4", "８６３０", "8630cc54-f6b2-45dd-b73b-cce28eb668d8"]


def gen_stored(rng, check):
    rec = random_record(rng, check)
    c = rec["v2"]["challenge"]
    r = rng.random()
    if r < 0.35:
        key = rng.choice(list(c))
        c[key] = rng.choice(TAMPER_VALUES)
    elif r < 0.45:
        del c[rng.choice(list(c))]
    elif r < 0.5:
        c[rng.choice(["message", "extra", "Token"])] = 1
    elif r < 0.6:
        rec["v2"]["revision"] = rng.choice([0, 1, rec["v2"]["revision"] + 1, U64, U64 + 1, -1, "0"])
    elif r < 0.65:
        rec = {rng.choice(["v3", "V2", "v0"]): rec["v2"]}
    r = rng.random()
    if r < 0.2:
        # The first release's flat v1 layout (SPEC §8.6), sometimes with a
        # key moved, dropped or added.
        flat = dict(rec.get("v2", {}).get("challenge", {}))
        flat["revision"] = rec.get("v2", {}).get("revision", 0)
        items = list(flat.items())
        rng.shuffle(items) if rng.random() < 0.3 else None
        if rng.random() < 0.1:
            items.append(("challenge", c))
        rec = {"v1": dict(items)}
    elif r < 0.3 and "v2" in rec:
        # The v2 layout under the name v1.
        rec = {"v1": rec["v2"]}
    text = json.dumps(rec, separators=(",", ":"), ensure_ascii=False)
    return {"family": "stored", "json": text}


def want_stored(check, req):
    faults, written = check.check_record(req["json"])
    return ("ok", written) if not faults else ("refused", None)


def got_stored(answer):
    result = answer.get("result", {})
    if "ok" in result:
        return ("ok", result["ok"]["written"])
    if "refused" in result:
        return ("refused", None)
    return answer


def random_clock(rng, n, start):
    t = start
    out = []
    for _ in range(n):
        r = rng.randrange(16)
        if r == 0:
            t = max(0, t - rng.randrange(5000))
        elif r == 1:
            t = min(U64, t + rng.randrange(U32 + 2))
        elif r == 2:
            t = min(U64, t + rng.randrange(1 << 40))
        elif r == 3:
            # Right at the send log's forgetting boundary (SPEC §9.1).
            t = min(U64, t + rng.choice([U32 - 1, U32, U32 + 1]))
        elif r < 5:
            pass
        else:
            t = min(U64, t + rng.randrange(200))
        out.append(t)
    return out


def gen_limits(rng, check):
    windows = []
    for _ in range(rng.choice([1, 1, 2, 3, 4, rng.randrange(0, 7)])):
        m = rng.choice([1, 2, 3, 5, 8, 64, rng.randrange(1, 65)]) if rng.random() < 0.97 else rng.choice([0, 65, 255, 256, U64])
        i = rng.choice([1, 2, 10, 30, 60, 3600, 86400, U32, rng.randrange(1, U32 + 1)]) if rng.random() < 0.97 else rng.choice([0, U32 + 1])
        windows.append({"max": m, "interval_secs": i})
    start = rng.choice([0, 1_700_000_000, U64 - 100_000, rng.randrange(U64)])
    steps = [{"op": "send" if rng.random() < 0.8 else "check", "at": t}
             for t in random_clock(rng, rng.randrange(0, 80), start)]
    return {"family": "limits", "policy": {"windows": windows}, "steps": steps}


def want_limits(check, req):
    return check.limits_answer(req)


def gen_lockout(rng, check):
    hard = rng.randrange(1, 101) if rng.random() < 0.97 else rng.choice([0, 101, 255, 256])
    free = rng.randrange(0, hard + 1) if rng.random() < 0.95 else rng.randrange(0, 300)
    base = rng.choice([1, 2, 30, 86400, rng.randrange(1, 86401)]) if rng.random() < 0.97 else rng.choice([0, 86401])
    cap = rng.choice([base, 900, 86400, min(86400, base + rng.randrange(2000))]) if rng.random() < 0.95 else rng.randrange(0, 86402)
    policy = {"free_failures": free, "base_delay_secs": base, "max_delay_secs": cap, "hard_limit": hard}
    start = rng.choice([0, 1_700_000_000, U64 - 100_000, rng.randrange(U64)])
    steps = []
    for t in random_clock(rng, rng.randrange(0, 120), start):
        r = rng.random()
        if r < 0.05:
            steps.append({"op": rng.choice(["success", "reset"])})
        else:
            steps.append({"op": "try" if r < 0.8 else "check", "at": t})
    return {"family": "lockout", "policy": policy, "steps": steps}


def want_lockout(check, req):
    return check.lockout_answer(req)


def gen_calling_codes(rng, check):
    n = rng.choice([2, 3, 4, rng.randrange(2, 16)])
    digits = str(rng.randrange(1, 10)) + "".join(rng.choice("0123456789") for _ in range(n - 1))
    return {"family": "calling_codes", "number": "+" + digits}


def want_calling_codes(check, req):
    return {"country_code": check.calling_code(req["number"])}


# Pieces of a template (SPEC §4.10): the good ones keep it valid, the bad
# ones break it in every way the contract names.
TEMPLATE_GOOD = ["{code}", "{code}", "{{", "}}", "Your code is ", " ", ". Again: ", "ж", "😀",
                 "€", "ç", "\u3000", "\n", "a", "Code:", "{{code}}"]
TEMPLATE_BAD = ["{", "}", "{x}", "{Code}", "{ code }", "{}", "{code", "code}", "{{code}",
                "{code}}", "{cod}", "{codex}"]


def gen_templates(rng, check):
    pool = TEMPLATE_GOOD if rng.random() < 0.75 else TEMPLATE_GOOD + TEMPLATE_BAD
    pieces = [rng.choice(pool) for _ in range(rng.randrange(0, 8))]
    channel = rng.choice(["sms", "call"])
    alphas = rng.random() < 0.3
    alphabet = check.ALPHANUMERIC if alphas else check.NUMERIC
    length = rng.choice([4, 6, 20, rng.randrange(4, 21)])
    token = "".join(rng.choice(alphabet) for _ in range(length))
    body = {"to": "+15557788999"}
    if rng.random() < 0.8:
        body["from"] = "+15554433222"
    if alphas:
        body["allow_alphas"] = True
    host = {"token": token}
    r = rng.random()
    if r < 0.1:
        body["token_length"] = length
    elif r < 0.15:
        # Out of range: judged with 4 (SPEC §2.5.2), and never valid.
        body["token_length"] = rng.choice([0, 3, 21, 99])
        del host["token"]
    message = "".join(pieces)
    if rng.random() < 0.6 and check.template(message)[1] is None:
        # Pad with plain text to land within 2 of the length limit.
        if channel == "sms":
            enc, units, _ = check.segments(check.render("sms", message, "0" * length))
            room = check.SINGLE_LIMIT[enc] - units
        else:
            room = 500 - check.voice_length(message, length)
        pad = room + rng.randrange(-2, 3)
        if pad > 0:
            i = rng.randrange(len(pieces) + 1)
            message = "".join(pieces[:i]) + "x" * pad + "".join(pieces[i:])
    body["message"] = message
    return {"family": "templates", "channel": channel, "body": body, "host": host}


def want_templates(check, req):
    return {"result": check.templates_result(req["channel"], req["body"], req["host"])}


PARTS = {
    "segments": (gen_segments, want_segments, "text"),
    "normalize": (gen_normalize, want_normalize, "input"),
    "ids": (gen_ids, want_ids, "text"),
    "stored": (gen_stored, want_stored, "json"),
    "limits": (gen_limits, want_limits, None),
    "lockout": (gen_lockout, want_lockout, None),
    "calling_codes": (gen_calling_codes, want_calling_codes, "number"),
    "templates": (gen_templates, want_templates, "message"),
}


def comparable(part, answer):
    return got_stored(answer) if part == "stored" else answer


def agree(check, part, req, answer):
    try:
        want = PARTS[part][1](check, req)
    except Exception as e:  # a checker crash is a disagreement too
        want = {"checker raised": repr(e)}
    return comparable(part, answer) == want, want


# --- shrinking -------------------------------------------------------------------------


def string_variants(s, simplify=True):
    """Smaller (and, with `simplify`, simpler) variants of a string, most
    aggressive first."""
    n = len(s)
    size = n // 2
    while size >= 1:
        for i in range(0, n, size):
            yield s[:i] + s[i + size:]
        size //= 2
    if not simplify:
        return
    # Then simplify characters: each one to a plain 'a' or '0'.
    for i, c in enumerate(s):
        for r in "a0":
            if c != r:
                yield s[:i] + r + s[i + 1:]


def shrink_candidates(part, req):
    """Smaller variants of a request, most aggressive first."""
    key = PARTS[part][2]
    if part == "templates":
        # Deletions only: a template near a length limit is mostly
        # padding, and rewriting it a character at a time is slow.
        for m in string_variants(req["body"]["message"], simplify=False):
            yield dict(req, body=dict(req["body"], message=m))
        return
    if key and key in req:
        for v in string_variants(req[key]):
            yield dict(req, **{key: v})
        return
    if "steps" in req:
        steps = req["steps"]
        n = len(steps)
        size = n // 2
        while size >= 1:
            for i in range(0, n, size):
                yield dict(req, steps=steps[:i] + steps[i + size:])
            size //= 2
        if part == "limits":
            ws = req["policy"]["windows"]
            for i in range(len(ws)):
                if len(ws) > 1:
                    yield dict(req, policy={"windows": ws[:i] + ws[i + 1:]})
        # Times closer to each other: shift everything towards the first.
        times = [s["at"] for s in steps if "at" in s]
        if times:
            base = min(times)
            for div in (2, 10):
                new = [dict(s, at=base + (s["at"] - base) // div) if "at" in s else s for s in steps]
                if new != steps:
                    yield dict(req, steps=new)
            if base > 0:
                yield dict(req, steps=[dict(s, at=s["at"] - base) if "at" in s else s for s in steps])


def shrink(check, oracle, part, req, batch=2000):
    """Greedy delta debugging: each pass asks the oracle about every
    candidate (in batches) and keeps the first that still disagrees."""
    steps = 0
    while True:
        cands = list(shrink_candidates(part, req))
        found = None
        for i in range(0, len(cands), batch):
            chunk = cands[i:i + batch]
            for cand, answer in zip(chunk, oracle.ask(chunk)):
                if not agree(check, part, cand, answer)[0]:
                    found = cand
                    break
            if found is not None:
                break
        if found is None:
            return req, steps
        req = found
        steps += 1


# --- driver ----------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--oracle", required=True, help="path of the built oracle example")
    ap.add_argument("--cases", type=int, default=2000, help="random cases per part (default 2000)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    ap.add_argument("--part", action="append", choices=sorted(PARTS), help="parts to run (default all)")
    ap.add_argument("--checker", default=os.path.join(HERE, "check.py"), help="the check.py to test")
    ap.add_argument("--batch", type=int, default=2000, help="request lines per batch")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    check = load_checker(args.checker)
    oracle = Oracle(args.oracle)
    parts = args.part or list(PARTS)
    print(f"diff.py: seed {seed}, {args.cases} cases per part, checker {args.checker}")
    passed = 0
    started = time.time()
    for part in parts:
        rng = random.Random(f"{seed}/{part}")
        gen = PARTS[part][0]
        t0 = time.time()
        done = 0
        while done < args.cases:
            batch = [gen(rng, check) for _ in range(min(args.batch, args.cases - done))]
            answers = oracle.ask(batch)
            for req, answer in zip(batch, answers):
                ok, want = agree(check, part, req, answer)
                if not ok:
                    print(f"{part}: disagreement at case {done + 1}; shrinking ...")
                    small, n = shrink(check, oracle, part, req)
                    answer = oracle.ask([small])[0]
                    _, want = agree(check, part, small, answer)
                    print(f"{part}: minimal input ({n} shrink steps):")
                    print("  request: " + json.dumps(small, ensure_ascii=False))
                    print("  escaped: " + json.dumps(small))
                    print("  oracle:  " + json.dumps(comparable(part, answer), ensure_ascii=False))
                    print("  checker: " + json.dumps(want, ensure_ascii=False))
                    print(f"{passed + done} passed, 1 failed")
                    oracle.close()
                    return 1
                done += 1
        passed += done
        print(f"{part}: {done} agree ({time.time() - t0:.1f} s)")
    oracle.close()
    print(f"{passed} passed, 0 failed ({time.time() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
