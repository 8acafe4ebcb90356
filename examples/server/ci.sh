#!/usr/bin/env bash
# CI for examples/server: formatting, lints, and every test, with a
# throw-away PostgreSQL so the multi-host and pg_dump tests run too.
#
# - MFA_TEST_POSTGRES already set: use that database.
# - Otherwise: install PostgreSQL from Debian packages if missing (needs
#   root), start a private cluster in a temporary directory on a free
#   loopback port, create user and database `mfa`, and stop and delete it
#   on exit.
set -euo pipefail
cd "$(dirname "$0")"

if [ -z "${MFA_TEST_POSTGRES:-}" ]; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "ci.sh: installing PostgreSQL (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  export PATH="$PGBIN:$PATH"

  PGDATA=$(mktemp -d /tmp/mfa-ci-pg.XXXXXX)
  # PostgreSQL refuses to run as root: use its own user when we are root.
  as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  if [ "$(id -u)" = 0 ]; then chown postgres "$PGDATA"; fi

  # Below the ephemeral range (32768-60999), so no client socket holds it.
  port=25432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done

  as_pg initdb -D "$PGDATA/data" -U postgres -A trust >/dev/null
  as_pg pg_ctl -D "$PGDATA/data" -l "$PGDATA/log" -w \
    -o "-p $port -k $PGDATA -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off" start >/dev/null
  cleanup() {
    as_pg pg_ctl -D "$PGDATA/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PGDATA"
  }
  trap cleanup EXIT
  psql -q -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 \
    -c "CREATE USER mfa PASSWORD 'mfa'" -c "CREATE DATABASE mfa OWNER mfa" >/dev/null
  export MFA_TEST_POSTGRES="postgres://mfa:mfa@127.0.0.1:$port/mfa"
  echo "ci.sh: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $port" >&2
fi

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps
