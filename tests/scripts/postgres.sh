#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks.
#   postgres.sh start DIR   initialises a cluster in DIR (use /dev/shm), starts it on a free port of 127.0.0.1 and
#                           prints the connection string (user expt, password $PG_PASSWORD or xpt-s3cret, database expt)
#   postgres.sh restart DIR [MODE]   restarts it (MODE: fast, immediate)
#   postgres.sh halt DIR             stops it, keeping DIR;  postgres.sh resume DIR  starts it again
#   postgres.sh stop DIR    stops it and deletes DIR
# PG_MAX_CONNECTIONS sets the server's max_connections (default 300).
# The server refuses to run as root, so as root it runs as the postgres user.
set -euo pipefail
action="${1:?usage: postgres.sh start|stop DIR}"
dir="${2:?usage: postgres.sh start|stop DIR}"
password="${PG_PASSWORD:-xpt-s3cret}"
bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pwfile="$(mktemp)"; echo "$password" > "$pwfile"; chmod 644 "$pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U expt --pwfile="$pwfile" -A scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    mkdir -p "$dir/sock"; [[ $(id -u) -eq 0 ]] && chown postgres "$dir/sock"
    # In the configuration file rather than on the command line, so a restart or a later start keeps them.
    cat >> "$dir/data/postgresql.conf" <<CONF
port = $port
unix_socket_directories = '$dir/sock'
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = ${PG_MAX_CONNECTIONS:-300}
shared_buffers = 256MB
CONF
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    echo "$port" > "$dir/port"
    PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U expt -d postgres -qc "CREATE DATABASE expt" >/dev/null
    echo "Host=127.0.0.1;Port=$port;Username=expt;Password=$password;Database=expt"
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m "${3:-fast}" -w -t 60 restart -l "$dir/server.log" >/dev/null
    ;;
  halt)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    ;;
  resume)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: postgres.sh start|restart|halt|resume|stop DIR" >&2
    exit 2
    ;;
esac
