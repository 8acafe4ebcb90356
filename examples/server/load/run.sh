#!/usr/bin/env bash
# The load figures of docs/PERFORMANCE.md: starts mfa-server on
# 127.0.0.1:8080 in a fresh directory, then with wrk (2 threads, 32
# connections): 10 s of issues, 3 s more to collect ids, 10 s of wrong-code
# verifies. Prints requests/s, p50 and p99 latency, non-2xx answers, and
# the server's CPU time (user + system) per request.
#
#   cargo build --release
#   load/run.sh target/release/mfa-server [server flags...]
#   load/run.sh target/release/mfa-server --database postgres://...   # use an empty database
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "$1")
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" "$@" >/dev/null 2>server.log &
pid=$!
for _ in $(seq 100); do
  (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break
  sleep 0.1
done

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
report() { # name, wrk output, server CPU ticks
  awk -v name="$1" -v ticks="$3" -v hz="$(getconf CLK_TCK)" '
    / 50%/ { p50 = $2 } / 99%/ { p99 = $2 }
    /requests in/ { n = $1 } /Non-2xx/ { bad = $NF } /Requests\/sec/ { rate = $2 }
    END { printf "%-7s %9.0f/s  p50 %-8s p99 %-8s non-2xx %-6d CPU %.0f us/request\n",
                 name, rate, p50, p99, bad, ticks * 1e6 / hz / n }' "$2"
}

before=$(ticks)
wrk -t2 -c32 -d10s --latency -s "$here/issue.lua" http://127.0.0.1:8080 >issue.txt
report issue issue.txt $(($(ticks) - before))
IDS_FILE="$work/ids" wrk -t2 -c32 -d3s -s "$here/issue.lua" http://127.0.0.1:8080 >/dev/null
before=$(ticks)
IDS_FILE="$work/ids" wrk -t2 -c32 -d10s --latency -s "$here/verify.lua" http://127.0.0.1:8080 >verify.txt
report verify verify.txt $(($(ticks) - before))
kill "$pid"
wait "$pid" || true
