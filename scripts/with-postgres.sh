#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster of our own on loopback: initdb into a temporary
# folder, start it on a free port, export DATABASE_URL, run the command, stop and delete the cluster.
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail
bindir=""
if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then bindir=$(pg_config --bindir)
elif command -v initdb >/dev/null; then bindir=$(dirname "$(command -v initdb)")
else bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1); fi
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries (initdb) not found: install postgresql" >&2; exit 1; }

tmp=$(mktemp -d /tmp/wuye-pg.XXXXXX)
chmod 755 "$tmp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root: run the cluster as the 'postgres' user (created if missing).
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$tmp"
  as_owner=(runuser -u postgres --)
fi
stop() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap stop EXIT
"${as_owner[@]}" "$bindir/initdb" -D "$tmp/data" -U wuye -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; exit 1; }
# Durability is off: this cluster lives for one test run.
"${as_owner[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -o \
  "-c listen_addresses=127.0.0.1 -p $port -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null || { cat "$tmp/server.log" >&2; exit 1; }
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U wuye wuye
export DATABASE_URL="postgres://wuye@127.0.0.1:$port/wuye"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (throwaway, $tmp)"
"$@"
