# shellcheck shell=bash
# Throwaway PostgreSQL server for tests. Source this file, then:
#
#   source scripts/pg-harness.sh
#   trap cairn_pg_stop EXIT
#   cairn_pg_start            # exports CAIRN_TEST_PG_URL and CAIRN_PG_BINDIR
#   ...
#   cairn_pg_stop             # idempotent; also safe after a failed start
#
# The server lives in a fresh temp dir (data in DIR/data, log in DIR/log, unix
# socket in DIR), listens on a free 127.0.0.1 port with trust auth, and is
# removed completely by cairn_pg_stop. PostgreSQL refuses to run as root, so
# when run as root the server runs as the `postgres` system user.

_CAIRN_PG_DIR=""
_CAIRN_PG_BINDIR_INTERNAL=""

# Print the bin dir of the highest installed PostgreSQL version.
_cairn_pg_find_bindir() {
  local d best=""
  best="$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n 1 || true)"
  if [[ -n "$best" && -x "$best/initdb" && -x "$best/pg_ctl" ]]; then
    echo "$best"
    return 0
  fi
  if command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      echo "$d"
      return 0
    fi
  fi
  return 1
}

# Run a PostgreSQL server binary, as `postgres` when we are root.
# Runs from inside the temp dir so the server user never needs our cwd.
_cairn_pg_run() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd "$_CAIRN_PG_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$_CAIRN_PG_DIR" && "$@")
  fi
}

_cairn_pg_free_port() {
  python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

cairn_pg_start() {
  if [[ -n "${_CAIRN_PG_DIR:-}" ]]; then
    echo "pg-harness: server already started in $_CAIRN_PG_DIR" >&2
    return 1
  fi

  local bindir
  if ! bindir="$(_cairn_pg_find_bindir)"; then
    echo "pg-harness: no PostgreSQL server binaries found (install the postgresql package)" >&2
    return 1
  fi

  local is_root=0
  [[ "$(id -u)" -eq 0 ]] && is_root=1
  if [[ $is_root -eq 1 ]] && ! id -u postgres >/dev/null 2>&1; then
    echo "pg-harness: running as root but the 'postgres' system user does not exist" >&2
    return 1
  fi

  # The server user must be able to reach the temp dir; as root, $TMPDIR may
  # be somewhere private (e.g. under /root), so fall back to /tmp.
  local base="${TMPDIR:-/tmp}"
  if [[ $is_root -eq 1 ]] && ! runuser -u postgres -- test -x "$base" 2>/dev/null; then
    base=/tmp
  fi
  if ! _CAIRN_PG_DIR="$(mktemp -d "$base/cairn-pg.XXXXXX")"; then
    _CAIRN_PG_DIR=""
    echo "pg-harness: mktemp failed" >&2
    return 1
  fi
  _CAIRN_PG_BINDIR_INTERNAL="$bindir"
  local dir="$_CAIRN_PG_DIR"
  if [[ $is_root -eq 1 ]]; then
    chown postgres: "$dir"
  fi

  if ! _cairn_pg_run "$bindir/initdb" -D "$dir/data" --auth=trust -U postgres \
      --encoding=UTF8 --no-locale >"$dir/initdb.log" 2>&1; then
    echo "pg-harness: initdb failed:" >&2
    tail -n 30 "$dir/initdb.log" >&2 || true
    cairn_pg_stop
    return 1
  fi

  # The free port can be taken between probing and binding; retry a few times.
  local attempt port started=0
  for attempt in 1 2 3; do
    port="$(_cairn_pg_free_port)" || { echo "pg-harness: could not pick a port" >&2; break; }
    : >"$dir/log"
    [[ $is_root -eq 1 ]] && chown postgres: "$dir/log"
    if _cairn_pg_run "$bindir/pg_ctl" -w -t 60 -D "$dir/data" -l "$dir/log" \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on -c max_prepared_transactions=20" \
        start >"$dir/pg_ctl.log" 2>&1; then
      started=1
      break
    fi
    if ! grep -qiE 'could not bind|address already in use|could not create any TCP/IP sockets' "$dir/log"; then
      break
    fi
    echo "pg-harness: port $port was already taken (attempt $attempt of 3)" >&2
  done

  if [[ $started -ne 1 ]]; then
    echo "pg-harness: PostgreSQL failed to start; pg_ctl output and server log tail:" >&2
    tail -n 10 "$dir/pg_ctl.log" >&2 || true
    tail -n 40 "$dir/log" >&2 || true
    cairn_pg_stop
    return 1
  fi

  export CAIRN_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  export CAIRN_PG_BINDIR="$bindir"
  echo "pg-harness: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
  return 0
}

cairn_pg_stop() {
  local dir="${_CAIRN_PG_DIR:-}"
  local bindir="${_CAIRN_PG_BINDIR_INTERNAL:-}"
  [[ -n "$dir" ]] || return 0
  if [[ -n "$bindir" && -f "$dir/data/postmaster.pid" ]]; then
    _cairn_pg_run "$bindir/pg_ctl" -w -t 60 -D "$dir/data" stop -m fast >/dev/null 2>&1 ||
      echo "pg-harness: pg_ctl stop failed (server in $dir)" >&2
  fi
  _CAIRN_PG_DIR=""
  _CAIRN_PG_BINDIR_INTERNAL=""
  rm -rf "$dir"
  unset CAIRN_TEST_PG_URL
  return 0
}
