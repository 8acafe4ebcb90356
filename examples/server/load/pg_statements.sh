#!/usr/bin/env bash
# What PostgreSQL's statements cost against its rows (docs/PERFORMANCE.md,
# "No WAL at rest; limiter expiries that move in steps"): on a table like
# `limits` of a million rows (a text key, an index on expires_at), a
# transaction of 16 single-row updates of random rows, pipelined, against
# one UPDATE ... FROM unnest(...) of 16 keys, and against the same 16
# updates leaving the indexed column alone. pgbench, 8 clients, 10 s a
# run, each twice, alternated. URL: an empty database it may fill (the
# table is named pg_statements_t and dropped at the end).
#
#   load/pg_statements.sh postgres://USER:PASSWORD@HOST:PORT/DB
set -euo pipefail
url=$1
pgbench=${PGBENCH:-$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)}
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -q "$url" -c "DROP TABLE IF EXISTS pg_statements_t" >/dev/null 2>&1 || true' EXIT
psql -q "$url" -c "DROP TABLE IF EXISTS pg_statements_t" \
  -c "CREATE TABLE pg_statements_t (key text PRIMARY KEY, revision int8 NOT NULL,
        expires_at int8 NOT NULL, state bytea NOT NULL)" \
  -c "CREATE INDEX pg_statements_t_expires_at ON pg_statements_t (expires_at)" \
  -c "INSERT INTO pg_statements_t SELECT md5(n::text), 1, 1800000000 + n,
        decode(repeat('ab', 90), 'hex') FROM generate_series(1, 1000000) n"
psql -q "$url" -c "VACUUM ANALYZE pg_statements_t"
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
n = 16
draws = [f"\\set k{i} random(1, 1000000)" for i in range(n)]
def pipelined(moving):
    extra = ", expires_at = expires_at + 1" if moving else ""
    body = [f"UPDATE pg_statements_t SET revision = revision + 1{extra}, "
            f"state = decode(repeat('cd', 90), 'hex') WHERE key = md5(:k{i}::text);" for i in range(n)]
    return draws + ["\\startpipeline", "BEGIN;"] + body + ["COMMIT;", "\\endpipeline"]
keys = ", ".join(f"md5(:k{i}::text)" for i in range(n))
unnest = draws + [
    "UPDATE pg_statements_t AS t SET revision = t.revision + 1, expires_at = t.expires_at + 1, "
    f"state = decode(repeat('cd', 90), 'hex') FROM unnest(ARRAY[{keys}]) AS u(key) WHERE t.key = u.key;"]
for name, lines in [("pipelined", pipelined(True)), ("unnest", unnest), ("column_alone", pipelined(False))]:
    open(f"{work}/{name}.sql", "w").write("\n".join(lines) + "\n")
PY
for round in 1 2; do
  for name in pipelined unnest column_alone; do
    tps=$("$pgbench" -n -M prepared -c 8 -j 2 -T 10 -f "$work/$name.sql" "$url" 2>&1 | awk '/^tps/ { print $3 }')
    printf '%-13s round %d: %s transactions/s\n' "$name" "$round" "$tps"
  done
done
