# A throwaway PostgreSQL server for the state-store tests and benchmarks.
#
# Source this file, then call `pg_test_start`: it installs Debian's
# postgresql if no server binaries are found, creates a cluster in a
# temporary directory owned by the `postgres` user (PostgreSQL refuses to
# run as root), starts it on 127.0.0.1 on a free port with password
# (SCRAM) authentication, creates the role and database `saker`, and
# exports SAKER_TEST_POSTGRES_URL=postgres://saker:saker@127.0.0.1:PORT/saker.
# `pg_test_stop` stops the server and removes the directory.
#
# PG_TEST_FSYNC=on keeps fsync (benchmarks); tests run with it off.
# Needs root (apt-get, runuser). Nothing listens beyond loopback.

pg_test_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then
    echo "$d"
  fi
}

pg_test_start() {
  local bindir port
  bindir=$(pg_test_bindir)
  if [ -z "$bindir" ]; then
    echo "installing postgresql (apt)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir=$(pg_test_bindir)
  fi
  if [ -z "$bindir" ]; then
    echo "no PostgreSQL server binaries after installing postgresql" >&2
    return 1
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/saker-pg.XXXXXX)
  chown postgres: "$PG_TEST_DIR"
  chmod 700 "$PG_TEST_DIR"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  local as_pg=(runuser -u postgres --)
  "${as_pg[@]}" "$bindir/initdb" -D "$PG_TEST_DIR/data" -U postgres \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_TEST_DIR/initdb.log" 2>&1 || {
    cat "$PG_TEST_DIR/initdb.log" >&2
    return 1
  }
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 60 \
    -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=${PG_TEST_FSYNC:-off}" \
    start >/dev/null || {
    cat "$PG_TEST_DIR/server.log" >&2
    return 1
  }
  PG_TEST_BINDIR=$bindir
  "${as_pg[@]}" "$bindir/psql" -q -h "$PG_TEST_DIR" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE saker LOGIN PASSWORD 'saker'" -c "CREATE DATABASE saker OWNER saker" >/dev/null || return 1
  export SAKER_TEST_POSTGRES_URL="postgres://saker:saker@127.0.0.1:$port/saker"
}

pg_test_stop() {
  if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR/data" ]; then
    runuser -u postgres -- "$PG_TEST_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
