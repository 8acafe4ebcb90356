#!/usr/bin/env bash
# The server at a busy day's steady state (docs/PERFORMANCE.md): the rates
# on an empty store, then again once the store holds ROWS challenges in
# the states a day leaves, beside the HTTP ceiling of the same framework
# (examples/ceiling.rs) measured in the same run.
#
#   cargo build --release --bin mfa-server --example ceiling
#   load/steady.sh [--rows N] [--secs S] target/release/mfa-server [server flags...]
#   load/steady.sh target/release/mfa-server --database postgres://... --seal-key-file K
#
# wrk: 2 threads, 32 connections (CONNECTIONS=N: N for the measures, not
# the fill), S seconds (default 10) a measure.
#  1. ceiling: issue bodies against examples/ceiling (found beside the
#     server binary, under examples/);
#  2. empty store: issues (and as many again, unmeasured); right-code
#     verifies of 80% of them; wrong-code verifies of the other 20%
#     (each issued with max_attempts 20);
#  3. fill to ROWS (default 1,000,000) challenges: 15% with valid_for 1
#     (expired), the rest valid for a day, of which 15% of ROWS are left
#     pending (for the measures below, and those of a kept store) and the
#     others verified with the right code;
#  4. steady state: the three measures again (right codes: the new
#     issues' and the pending ones'; wrong codes: pending ones); then the
#     store's size per challenge (SQLite: database and WAL files; the
#     WAL's largest size, sampled every 0.2 s, beside its last), and
#     again at rest (4 s later: the server cuts the WAL after 2 s idle).
# Each answer must be 200: a non-2xx count other than 0 is printed.
# KEEP_STORE=DIR keeps a copy of the store once filled, with the codes
# still pending in it (SQLite; look at it per table with SQLite's
# dbstat); --from DIR starts from such a kept store instead:
# it skips the empty store and the fill and measures the steady state
# only, so builds or settings can be compared on one store, alternately.
# --sweep (with --from): the server starts with --grace-secs 0, so its
# first sweep deletes every finished and expired challenge of the kept
# store at once (a day's worth, and more); issues are measured while it
# runs, cold as after a restart, then the sweep's time and the files'
# sizes are printed.
# Server flags: budgets are switched off here (they would refuse most of
# the load by design); add --database etc.
set -euo pipefail
rows=1000000
secs=10
from=
sweep=
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --from) from=$(realpath "$2"); shift 2 ;;
    --secs) secs=$2; shift 2 ;;
    --sweep) sweep=1; shift ;;
    *) break ;;
  esac
done
if [ -n "$sweep" ] && [ -z "$from" ]; then
  echo "--sweep measures a kept store: give --from DIR too" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
shift
ceiling="$(dirname "$bin")/examples/ceiling"
work=$(mktemp -d)
# SERVER_LOG=FILE keeps the server's log (RUST_LOG applies).
finish() {
  kill $(jobs -p) 2>/dev/null || true
  if [ -n "${SERVER_LOG:-}" ]; then cp "$work/server.log" "$SERVER_LOG" || true; fi
  rm -rf "$work"
}
trap finish EXIT
cd "$work"
export THREADS=2
url=http://127.0.0.1:8080

wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  exit 1
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# name, wrk output, server CPU ticks: one line; the rate goes to $name.rate
report() {
  awk -v name="$1" -v ticks="$3" -v hz="$(getconf CLK_TCK)" '
    / 50%/ { p50 = $2 } / 99%/ { p99 = $2 }
    /requests in/ { n = $1 } /Non-2xx/ { bad = $NF } /Requests\/sec/ { rate = $2 }
    END { printf "%-22s %9.0f/s  p50 %-8s p99 %-8s non-2xx %-6d server CPU %.0f us/request\n",
                 name, rate, p50, p99, bad, ticks * 1e6 / hz / n
          printf "%.0f\n", rate > (name ".rate") }' "$2"
}
# PROFILE=DIR: each measure also samples the measured process's stacks
# (perf record, 249 Hz, DWARF stacks) into DIR/NAME.perf; build with
# CARGO_PROFILE_RELEASE_DEBUG=line-tables-only for the symbols' lines.
measure() { # name, pid, wrk arguments...
  local name=$1 pid=$2 before perf=
  shift 2
  if [ -n "${PROFILE:-}" ]; then
    mkdir -p "$PROFILE"
    perf record -q -F 249 --call-graph dwarf -p "$pid" -o "$PROFILE/${name// /-}.perf" -- sleep "$secs" 2>/dev/null &
    perf=$!
  fi
  before=$(ticks "$pid")
  wrk -t2 -c"${CONNECTIONS:-32}" -d"${secs}s" --latency "$@" >"$name.txt"
  report "$name" "$name.txt" $(($(ticks "$pid") - before))
  if [ -n "$perf" ]; then wait "$perf" || true; fi
}
# Deliveries (stdout JSON lines) -> "id code" lines, from line $2 on.
pairs() {
  tail -n +"$2" "$1" | python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    print(d["id"], d["text"].rsplit(" ", 1)[1])'
}
# Pairs file, percent, prefix: the first percent of the pairs go to
# prefix.right, the ids of the others to prefix.wrong (challenges no
# right-code verify touches, for the wrong-code ones).
split_pairs() {
  local n
  n=$(($(wc -l <"$1") * $2 / 100))
  head -n "$n" "$1" >"$3.right"
  tail -n +"$((n + 1))" "$1" | cut -d' ' -f1 >"$3.wrong"
}
# The database's and the WAL's sizes in bytes (SQLite): sets db, wal and
# wal_max (the largest sampled, or the last if larger).
store_sizes() {
  db=$(stat -c %s mfa-data/mfa.db)
  wal=$(stat -c %s mfa-data/mfa.db-wal 2>/dev/null || echo 0)
  wal_max=$(cat wal.max)
  if [ "$wal" -gt "$wal_max" ]; then wal_max=$wal; fi
}
stop_server() {
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
ratio() { awk -v a="$(cat "$1.rate")" -v b="$(cat "$2.rate")" 'BEGIN { printf "%.2f", a / b }'; }

"$ceiling" 127.0.0.1:8090 &
ceiling_pid=$!
wait_port 8090
measure ceiling "$ceiling_pid" -s "$here/issue.lua" http://127.0.0.1:8090
kill "$ceiling_pid"
wait "$ceiling_pid" 2>/dev/null || true

if [ -n "$from" ]; then
  cp -r "$from/mfa-data" mfa-data
  cp "$from/fill.pending" fill.pending
fi
sweep_flags=()
[ -n "$sweep" ] && sweep_flags=(--grace-secs 0 --sweep-every-secs 86400)
"$bin" --project-budget off --country-budget off "${sweep_flags[@]}" "$@" >deliveries.jsonl 2>server.log &
pid=$!
started=$(date +%s.%N)
wait_port 8080
# The WAL's largest size (SQLite), sampled while the server runs.
echo 0 >wal.max
(
  max=0
  while kill -0 "$pid" 2>/dev/null; do
    size=$(stat -c %s mfa-data/mfa.db-wal 2>/dev/null || echo 0)
    if [ "$size" -gt "$max" ]; then max=$size; echo "$max" >wal.max; fi
    sleep 0.2
  done
) &

if [ -n "$sweep" ]; then
  measure "sweep issue" "$pid" -s "$here/issue.lua" "$url"
  # The sweep logs "swept" with its counts when it is done.
  swept=$(grep -m1 ' swept ' server.log || true)
  if [ -z "$swept" ]; then
    echo "the sweep was still running after the measure: give more --secs"
  else
    at=$(date -d "$(echo "$swept" | cut -d' ' -f1)" +%s.%N)
    echo "sweep: $(echo "$swept" | grep -o 'challenges=[0-9]* limits=[0-9]*') in $(awk -v a="$at" -v b="$started" 'BEGIN { printf "%.1f", a - b }') s"
  fi
  store_sizes
  echo "store: database $db bytes, WAL $wal bytes (at most $wal_max)"
  stop_server
  exit 0
fi

if [ -z "$from" ]; then
  measure "empty issue" "$pid" -s "$here/issue.lua" "$url"
  # As many again, so the right-code verifies do not run out of codes.
  wrk -t2 -c32 -d"${secs}s" -s "$here/issue.lua" "$url" >/dev/null
  pairs deliveries.jsonl 1 >empty.pairs
  split_pairs empty.pairs 80 empty
  PAIRS_FILE=empty.right measure "empty verify right" "$pid" -s "$here/verify_right.lua" "$url"
  IDS_FILE=empty.wrong measure "empty verify wrong" "$pid" -s "$here/verify.lua" "$url"

  have=$(wc -l <deliveries.jsonl)
  start=$(date +%s)
  expired=$((rows * 15 / 100))
  COUNT=$expired VALID_FOR=1 wrk -t2 -c32 -d3600s -s "$here/fill.lua" "$url" >/dev/null
  mark=$(($(wc -l <deliveries.jsonl) + 1))
  # Valid for a day, so that a kept store (KEEP_STORE) still has pending
  # codes to verify when --from starts from it hours later.
  COUNT=$((rows - expired - have > 1 ? rows - expired - have : 1)) VALID_FOR=86400 wrk -t2 -c32 -d3600s -s "$here/fill.lua" "$url" >/dev/null
  pairs deliveries.jsonl "$mark" >fill.pairs
  pending=$((rows * 15 / 100))
  verified=$(($(wc -l <fill.pairs) > pending ? $(wc -l <fill.pairs) - pending : 0))
  head -n "$verified" fill.pairs >fill.verified
  EXIT=1 PAIRS_FILE=fill.verified wrk -t2 -c32 -d3600s -s "$here/verify_right.lua" "$url" >/dev/null
  tail -n +"$((verified + 1))" fill.pairs >fill.pending
  stored=$(wc -l <deliveries.jsonl)
  echo "filled to $stored challenges in $(($(date +%s) - start)) s ($verified verified, about $expired expired, the rest pending)"
  # KEEP_STORE=DIR: a copy of the filled store (SQLite's online backup,
  # taken while the server idles) with the codes still pending, before
  # the measures below use them; --from DIR starts from it.
  if [ -n "${KEEP_STORE:-}" ] && [ -f mfa-data/mfa.db ]; then
    mkdir -p "$KEEP_STORE/mfa-data"
    python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
      mfa-data/mfa.db "$KEEP_STORE/mfa-data/mfa.db"
    cp mfa-data/mfa.key "$KEEP_STORE/mfa-data/"
    cp fill.pending "$KEEP_STORE/"
    echo "$stored" >"$KEEP_STORE/kept"
  fi
else
  # A store just opened has a cold page cache: warm it as a day would.
  wrk -t2 -c32 -d"${secs}s" -s "$here/issue.lua" "$url" >/dev/null
fi

mark=$(($(wc -l <deliveries.jsonl) + 1))
measure "steady issue" "$pid" -s "$here/issue.lua" "$url"
pairs deliveries.jsonl "$mark" | cat - fill.pending >steady.pairs
split_pairs steady.pairs 80 steady
PAIRS_FILE=steady.right measure "steady verify right" "$pid" -s "$here/verify_right.lua" "$url"
IDS_FILE=steady.wrong measure "steady verify wrong" "$pid" -s "$here/verify.lua" "$url"

echo
if [ -z "$from" ]; then
  echo "empty issues / ceiling:         $(ratio "empty issue" ceiling)"
  for m in issue "verify right" "verify wrong"; do
    printf 'steady / empty, %-14s  %s\n' "$m:" "$(ratio "steady $m" "empty $m")"
  done
fi
echo "steady issues / ceiling:        $(ratio "steady issue" ceiling)"
total=$(($(wc -l <deliveries.jsonl) + $(cat "${from:-.}/kept" 2>/dev/null || echo 0)))
if [ -f mfa-data/mfa.db ]; then
  store_sizes
  echo "store: $total challenges; database $db bytes ($((db / total)) a challenge), WAL $wal bytes (at most $wal_max); together $(((db + wal) / total)) a challenge"
  # At rest: the server cuts the WAL once it has taken no commit for 2 s.
  sleep 4
  store_sizes
  echo "at rest (4 s idle): database $db bytes, WAL $wal bytes; together $(((db + wal) / total)) a challenge"
fi
stop_server
