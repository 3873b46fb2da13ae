#!/usr/bin/env bash
# Runs Prisma 6.19.3's own `prisma migrate deploy` or `prisma migrate status` on a migrations
# folder (one schemadiff wrote, for example) against a database, offline: the CLI's bundled
# WebAssembly schema engine with the `@prisma/adapter-pg` driver adapter, as
# ../shared/tools/prisma-diff.sh does for `migrate diff` (native engines are downloaded from
# Prisma's CDN at first use, which a machine that reaches only package registries cannot do).
#
# Usage: prisma-migrate.sh deploy|status MIGRATIONS_DIR [extra prisma flags]
#   env DATABASE_URL  the database (postgresql://user[:password]@host:port/db)
#   env WORKDIR       where Prisma is installed (default: a prisma-6.19 folder in the user cache
#                     directory); it is installed from npm there when missing, unless
#                     PRISMA_NO_INSTALL=1, then the script fails (exit 3) instead.
# Exit status: Prisma's own (status: 0 up to date, 1 otherwise), 3 when Prisma is not installed.
#
# One difference from Prisma's native engine is patched, and only this one: the native engine
# sends each migration.sql to PostgreSQL whole, as one simple-query string, while
# @prisma/adapter-pg 6.19.3's `executeScript` splits the script at every `;` (also inside
# comments, string literals and `DO $$ … $$` bodies) and runs the pieces one by one. The
# config below makes `executeScript` send the script whole, as the native engine does.
set -euo pipefail

CMD=${1:?usage: $0 deploy|status MIGRATIONS_DIR [flags]}
DIR=${2:?usage: $0 deploy|status MIGRATIONS_DIR [flags]}
shift 2
case "$CMD" in deploy|status) ;; *) echo "unknown command $CMD (deploy or status)" >&2; exit 2 ;; esac
DIR=$(readlink -f "$DIR")
: "${DATABASE_URL:?set DATABASE_URL}"
export DATABASE_URL

WORKDIR=${WORKDIR:-${XDG_CACHE_HOME:-$HOME/.cache}/prisma-6.19}
PRISMA_VERSION=6.19.3
mkdir -p "$WORKDIR"
cd "$WORKDIR"
if [ ! -x node_modules/.bin/prisma ] || [ ! -d node_modules/@prisma/adapter-pg ]; then
  if [ "${PRISMA_NO_INSTALL:-}" = 1 ]; then
    echo "Prisma $PRISMA_VERSION is not installed in $WORKDIR (PRISMA_NO_INSTALL=1)" >&2
    exit 3
  fi
  [ -f package.json ] || npm init -y >/dev/null
  npm install --no-audit --no-fund "prisma@$PRISMA_VERSION" "@prisma/adapter-pg@$PRISMA_VERSION" >/dev/null
fi

# A schema file with the datasource only: deploy and status read the migrations folder and the
# database, never the models.
SCHEMA_DIR=$(mktemp -d)
trap 'rm -rf "$SCHEMA_DIR"' EXIT
printf 'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n' > "$SCHEMA_DIR/schema.prisma"

cat > schemadiff-migrate.config.ts <<'EOF'
import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'

// As in prisma-diff.sh: adapter-pg 6.x rejects pg_catalog column types the describer selects.
const TEXTLIKE = new Set([18, 19, 24, 2205, 2206])
const origQuery = pg.Pool.prototype.query
pg.Pool.prototype.query = function (...args: any[]) {
  const p: any = (origQuery as any).apply(this, args)
  return p && typeof p.then === 'function'
    ? p.then((r: any) => { for (const f of r?.fields ?? []) if (TEXTLIKE.has(f.dataTypeID)) f.dataTypeID = 25; return r })
    : p
} as any

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: process.env.SCHEMADIFF_PRISMA_SCHEMA!,
  migrations: { path: process.env.SCHEMADIFF_PRISMA_MIGRATIONS! },
  async adapter() {
    const u = new URL(process.env.DATABASE_URL!)
    const factory = new PrismaPg({
      host: u.hostname, port: Number(u.port || 5432),
      user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) || undefined,
      database: u.pathname.slice(1),
      idleTimeoutMillis: 50,
    })
    // The one patch (see the script's header): a migration script goes to PostgreSQL whole, in
    // one simple query on one connection, as Prisma's native schema engine sends it.
    const connect = factory.connect.bind(factory)
    ;(factory as any).connect = async () => {
      const adapter: any = await connect()
      adapter.executeScript = async (script: string) => {
        const client = await (adapter.client as pg.Pool).connect()
        try { await client.query(script) } catch (e) { adapter.onError(e) } finally { client.release() }
      }
      return adapter
    }
    return factory
  },
})
EOF

touch dummy-query-engine
export PRISMA_QUERY_ENGINE_LIBRARY="$WORKDIR/dummy-query-engine"
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
export SCHEMADIFF_PRISMA_SCHEMA="$SCHEMA_DIR/schema.prisma" SCHEMADIFF_PRISMA_MIGRATIONS="$DIR"
./node_modules/.bin/prisma migrate "$CMD" --config schemadiff-migrate.config.ts "$@"
