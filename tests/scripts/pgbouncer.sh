#!/usr/bin/env bash
# A throwaway PgBouncer in transaction mode in front of a throwaway PostgreSQL (tests/scripts/postgres.sh).
#   pgbouncer.sh start DIR PGDIR [POOL]   starts PgBouncer on a free port of 127.0.0.1 in front of the server in PGDIR,
#                                          with POOL server connections (default 20), and prints the connection string
#   pgbouncer.sh stop DIR                  stops it and deletes DIR
# PGBOUNCER_EXTRA: more lines for its [pgbouncer] section (e.g. "ignore_startup_parameters = search_path").
# Clients authenticate to PgBouncer with the server's user and password; it refuses to run as root, so as root it
# runs as the postgres user.
set -euo pipefail
action="${1:?usage: pgbouncer.sh start DIR PGDIR [POOL] | stop DIR}"
dir="${2:?usage: pgbouncer.sh start DIR PGDIR [POOL] | stop DIR}"
password="${PG_PASSWORD:-xpt-s3cret}"
bin="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    pgdir="${3:?usage: pgbouncer.sh start DIR PGDIR [POOL]}"
    pool="${4:-20}"
    if [[ ! -x "$bin" ]]; then
      echo "pgbouncer.sh: pgbouncer not found (apt-get install pgbouncer)" >&2
      exit 1
    fi
    pgport="$(cat "$pgdir/port")"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$dir"
    echo "\"expt\" \"$password\"" > "$dir/users.txt"
    cat > "$dir/pgbouncer.ini" <<CONF
[databases]
* = host=127.0.0.1 port=$pgport

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/users.txt
pool_mode = transaction
default_pool_size = $pool
max_db_connections = $pool
max_client_conn = 900
server_reset_query =
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
admin_users = expt
${PGBOUNCER_EXTRA:-}
CONF
    [[ $(id -u) -eq 0 ]] && chown -R postgres "$dir"
    chmod 600 "$dir/users.txt"
    # As many clients as it accepts need file descriptors.
    ulimit -n 4096 2>/dev/null || true
    as_owner "$bin" -d "$dir/pgbouncer.ini"
    for _ in $(seq 1 100); do
      python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
      sleep 0.1
    done
    echo "$port" > "$dir/port"
    echo "Host=127.0.0.1;Port=$port;Username=expt;Password=$password;Database=expt"
    ;;
  stop)
    if [[ -f "$dir/pgbouncer.pid" ]]; then
      kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pgbouncer.sh start DIR PGDIR [POOL] | stop DIR" >&2
    exit 2
    ;;
esac
