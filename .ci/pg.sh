# Sourced by .ci/test: start and stop a private PostgreSQL cluster in a temp
# dir on a free loopback port. initdb and pg_ctl must be on PATH (Debian:
# postgresql, or /usr/lib/postgresql/*/bin).

pg_bin() {
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && { echo "$d"; return; }; done
  echo "initdb not found: install PostgreSQL (apt-get install postgresql) or set NETID_TEST_DATABASE_URL" >&2
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}

pg_start() {
  local bin; bin=$(pg_bin)
  PG_DIR=$(mktemp -d /tmp/netid-pg.XXXXXX)
  PG_PORT=$(free_port)
  local as=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: use an unprivileged account.
    id netidpg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin netidpg
    chown netidpg "$PG_DIR"
    as=(runuser -u netidpg --)
  fi
  "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_AS=("${as[@]}")
  PG_BIN=$bin
  export NETID_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
  echo "PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') started on 127.0.0.1:$PG_PORT ($PG_DIR)"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
