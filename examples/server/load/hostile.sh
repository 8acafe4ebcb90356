#!/usr/bin/env bash
# Memory and latency of mfa-server under hostile clients (docs/PERFORMANCE.md).
# Starts the server on 127.0.0.1:$PORT (default 8080) in a fresh directory
# (SQLite), measures its idle RSS, runs a legitimate client alone for
# $BASELINE_SECS (default 5), then for $ATTACK_SECS (default 30) holds
#   - $BODY_CONNS (200) unauthenticated connections, each sending headers
#     with `Content-Length: 1900000` and then the 1.9 MB body slowly
#     ($CHUNK_BYTES every $CHUNK_EVERY s), and
#   - $SLOW_CONNS (300) slowloris connections: a request line, then one
#     header line every $LINE_EVERY s, never the end of the headers,
# reopening each one the server closes (after $REOPEN_DELAY s), while the
# legitimate client keeps issuing and verifying ($LEGIT_RATE requests/s,
# one keep-alive connection, an SMS issue then a wrong-code verify).
# Reports idle RSS, peak RSS above idle (sampled VmRSS every 50 ms, and
# VmHWM), the legitimate client's p50/p99/max latency and error count, and
# what the hostile clients saw. Everything runs on 127.0.0.1 only and stops
# after the attack.
#
#   load/hostile.sh target/release/mfa-server [server flags...]
#
# `--project-budget off --country-budget off` is added when the binary
# knows those flags (else the budgets refuse most sends).
set -euo pipefail
bin=$(realpath "$1")
shift
: "${PORT:=8080}" "${BASELINE_SECS:=5}" "${ATTACK_SECS:=30}" "${BODY_CONNS:=200}" \
  "${SLOW_CONNS:=300}" "${CHUNK_BYTES:=65536}" "${CHUNK_EVERY:=0.25}" \
  "${LINE_EVERY:=3}" "${REOPEN_DELAY:=0.2}" "${LEGIT_RATE:=50}"
export PORT BASELINE_SECS ATTACK_SECS BODY_CONNS SLOW_CONNS CHUNK_BYTES CHUNK_EVERY \
  LINE_EVERY REOPEN_DELAY LEGIT_RATE

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

extra=()
if "$bin" --help 2>/dev/null | grep -q -- '--project-budget'; then
  extra=(--project-budget off --country-budget off)
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  echo "hostile.sh: 127.0.0.1:$PORT is already in use" >&2
  exit 1
fi
"$bin" --listen "127.0.0.1:$PORT" "${extra[@]}" "$@" >/dev/null 2>server.log &
pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
kill -0 "$pid"

cat >h.py <<'EOF'
import asyncio, base64, http.client, json, math, os, random, sys, time

PORT = int(os.environ["PORT"])
AUTH = "Basic " + base64.b64encode(b"dev-project:dev-token").decode()

def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[max(0, math.ceil(p * len(xs)) - 1)]

def legit(secs, rate):
    """Issue then wrong-code verify, paced at `rate` requests/s, keep-alive."""
    lat, errors, kinds, conn, n, last_id = [], 0, {}, None, 0, None
    start = time.monotonic()
    end = start + secs
    while True:
        due = start + n / rate
        now = time.monotonic()
        if due >= end:
            break
        if due > now:
            time.sleep(due - now)
        if n % 2 == 0:
            path = "/api/relay/rest/mfa/sms"
            body = json.dumps({"to": "+1555%07d" % random.randrange(10**7)})
        else:
            path = "/api/relay/rest/mfa/%s/verify" % last_id if last_id else None
            body = '{"token":"000000"}'
        n += 1
        if path is None:
            continue
        t0 = time.perf_counter()
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            conn.request("POST", path, body,
                         {"Authorization": AUTH, "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            lat.append(time.perf_counter() - t0)
            if r.status != 200:
                errors += 1
                kinds[str(r.status)] = kinds.get(str(r.status), 0) + 1
            if path.endswith("/sms"):
                last_id = json.loads(data).get("id") if r.status == 200 else None
        except Exception as e:
            lat.append(time.perf_counter() - t0)
            errors += 1
            kinds[type(e).__name__] = kinds.get(type(e).__name__, 0) + 1
            if path.endswith("/sms"):
                last_id = None
            try:
                conn.close()
            except Exception:
                pass
            conn = None
    ms = [x * 1000 for x in lat]
    print(json.dumps({"requests": len(ms), "rate": round(len(ms) / secs, 1),
                      "p50_ms": round(pct(ms, 0.50), 2), "p99_ms": round(pct(ms, 0.99), 2),
                      "max_ms": round(max(ms) if ms else float("nan"), 2),
                      "errors": errors, "error_kinds": kinds}))

def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out

async def hostile(pid, secs):
    st = {"body_opened": 0, "body_closed_by_server": 0, "body_bytes_sent": 0,
          "body_full_bodies": 0, "slow_opened": 0, "slow_closed_by_server": 0,
          "connect_errors": 0, "statuses": {}}
    stop = time.monotonic() + secs
    chunk = b"x" * int(os.environ["CHUNK_BYTES"])
    every = float(os.environ["CHUNK_EVERY"])
    line_every = float(os.environ["LINE_EVERY"])
    reopen = float(os.environ["REOPEN_DELAY"])
    total = 1900000

    async def watch(r, w, closed):
        # Reads until EOF: notes the first status line, sets `closed`.
        seen = False
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                if not seen and data.startswith(b"HTTP/"):
                    seen = True
                    code = data.split(b" ", 2)[1].decode()
                    st["statuses"][code] = st["statuses"].get(code, 0) + 1
        except Exception:
            pass
        closed.set()

    async def one(kind):
        while time.monotonic() < stop:
            try:
                r, w = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", PORT), max(0.1, stop - time.monotonic()))
            except Exception:
                st["connect_errors"] += 1
                await asyncio.sleep(reopen)
                continue
            st[kind + "_opened"] += 1
            closed = asyncio.Event()
            watcher = asyncio.create_task(watch(r, w, closed))
            try:
                if kind == "body":
                    w.write(b"POST /api/relay/rest/mfa/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            b"Content-Type: application/json\r\n"
                            b"Content-Length: %d\r\n\r\n" % total)
                    sent = 0
                    while sent < total and not closed.is_set() and time.monotonic() < stop:
                        piece = chunk[: total - sent]
                        w.write(piece)
                        # A server that does not read fills the socket: wait, but not past stop.
                        await asyncio.wait_for(w.drain(), max(0.01, stop - time.monotonic()))
                        sent += len(piece)
                        st["body_bytes_sent"] += len(piece)
                        await asyncio.sleep(every)
                    if sent >= total:
                        st["body_full_bodies"] += 1
                        # Wait for the answer (or close), then start over.
                        try:
                            await asyncio.wait_for(closed.wait(), min(1.0, max(0.01, stop - time.monotonic())))
                        except asyncio.TimeoutError:
                            pass
                else:
                    w.write(b"POST /api/relay/rest/mfa/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    i = 0
                    while not closed.is_set() and time.monotonic() < stop:
                        try:
                            await asyncio.wait_for(closed.wait(), min(line_every, max(0.01, stop - time.monotonic())))
                        except asyncio.TimeoutError:
                            pass
                        if closed.is_set():
                            break
                        w.write(b"X-Slow-%d: %d\r\n" % (i, i))
                        await w.drain()
                        i += 1
            except (asyncio.TimeoutError, ConnectionError, OSError):
                pass
            if closed.is_set() or w.is_closing():
                st[kind + "_closed_by_server"] += 1 if closed.is_set() else 0
            watcher.cancel()
            w.transport.abort()
            if time.monotonic() < stop:
                await asyncio.sleep(reopen)

    samples = {"peak_rss_kb": 0, "peak_fds": 0}
    async def sample():
        while time.monotonic() < stop + 0.5:
            try:
                samples["peak_rss_kb"] = max(samples["peak_rss_kb"], rss(pid)["VmRSS"])
                samples["peak_fds"] = max(samples["peak_fds"], len(os.listdir("/proc/%d/fd" % pid)))
            except Exception:
                pass
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(sample())]
    n_body, n_slow = int(os.environ["BODY_CONNS"]), int(os.environ["SLOW_CONNS"])
    for i in range(max(n_body, n_slow)):
        if i < n_body:
            tasks.append(asyncio.create_task(one("body")))
        if i < n_slow:
            tasks.append(asyncio.create_task(one("slow")))
        if i % 50 == 49:
            await asyncio.sleep(0.01)
    await asyncio.gather(*tasks)
    st.update(samples)
    print(json.dumps(st))

if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "legit":
        legit(float(sys.argv[2]), float(sys.argv[3]))
    elif mode == "hostile":
        asyncio.run(hostile(int(sys.argv[2]), float(sys.argv[3])))
    elif mode == "rss":
        print(json.dumps(rss(int(sys.argv[2]))))
EOF

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)

sleep 1
idle=$(kb)
python3 h.py legit "$BASELINE_SECS" "$LEGIT_RATE" >baseline.json
idle_after_baseline=$(kb)

before=$(ticks)
python3 h.py hostile "$pid" "$ATTACK_SECS" >hostile.json &
hpid=$!
python3 h.py legit "$ATTACK_SECS" "$LEGIT_RATE" >attack.json
wait "$hpid"
cpu_ticks=$(($(ticks) - before))
after=$(kb)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
alive=yes
kill -0 "$pid" 2>/dev/null || alive=no

python3 - "$idle" "$idle_after_baseline" "$after" "$hwm" "$cpu_ticks" "$hz" "$alive" <<'EOF'
import json, sys
idle, idle2, after, hwm, ticks, hz, alive = sys.argv[1:]
idle, idle2, after, hwm = int(idle), int(idle2), int(after), int(hwm)
b = json.load(open("baseline.json")); a = json.load(open("attack.json")); h = json.load(open("hostile.json"))
mib = lambda kb: "%.1f MiB" % (kb / 1024)
print("idle RSS                %s (after the %d-request baseline: %s)" % (mib(idle), b["requests"], mib(idle2)))
print("peak RSS above idle     %s sampled (peak %s); VmHWM %s, %s above idle" % (
    mib(h["peak_rss_kb"] - idle), mib(h["peak_rss_kb"]), mib(hwm), mib(hwm - idle)))
print("RSS right after attack  %s" % mib(after))
print("server CPU during attack %.1f s; peak open fds %d; server alive: %s" % (int(ticks) / int(hz), h["peak_fds"], alive))
for name, r in (("baseline", b), ("attack", a)):
    print("legit %-8s %5d requests (%5.1f/s)  p50 %.2f ms  p99 %.2f ms  max %.2f ms  errors %d %s" % (
        name, r["requests"], r["rate"], r["p50_ms"], r["p99_ms"], r["max_ms"], r["errors"],
        json.dumps(r["error_kinds"]) if r["errors"] else ""))
print("hostile: body conns opened %d (closed by server %d, full 1.9 MB bodies sent %d, %.1f MB sent); "
      "slowloris opened %d (closed by server %d); connect errors %d; answers %s" % (
    h["body_opened"], h["body_closed_by_server"], h["body_full_bodies"], h["body_bytes_sent"] / 1e6,
    h["slow_opened"], h["slow_closed_by_server"], h["connect_errors"], json.dumps(h["statuses"])))
ok_mem = (max(h["peak_rss_kb"], hwm) - idle) < 32 * 1024
ok_lat = a["p99_ms"] < 50
print("goal: RSS above idle < 32 MiB: %s; legit p99 < 50 ms: %s" % (
    "met" if ok_mem else "NOT met", "met" if ok_lat else "NOT met"))
EOF
