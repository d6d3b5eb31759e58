#!/usr/bin/env bash
# Render-style build/pre-deploy script: refuse to migrate a drifted database.
#
# Runs `driftless check` against the production database before the
# framework's migrate command; with DRIFTLESS_AUTOFIX=1 it repairs the drift
# first (`driftless fix --apply`: orphan columns and tables are quarantined,
# never dropped; destructive steps are never taken here) and migrates only
# when the database converged.
#
# Render: set it as the service's "Pre-Deploy Command" (or call it at the end
# of the build command), with DATABASE_URL from the database's environment.
#
# Environment:
#   DATABASE_URL            the production database (required)
#   DRIFTLESS_MIGRATIONS    migrations folder (default: migrations)
#   DRIFTLESS_DEV_URL       scratch database to replay migrations into
#                           (PostgreSQL/MySQL; SQLite replays in memory)
#   DRIFTLESS_AUTOFIX       1: repair the drift, then migrate
#   MIGRATE_CMD             the framework's migrate command
#                           (default: sqlx migrate run)
#   DRIFTLESS               the driftless binary (default: driftless on PATH)
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must point at the database to deploy to}"
driftless=${DRIFTLESS:-driftless}
migrations=${DRIFTLESS_MIGRATIONS:-migrations}
migrate=${MIGRATE_CMD:-sqlx migrate run}

source_args=(--migrations "$migrations")
if [ -n "${DRIFTLESS_DEV_URL:-}" ]; then
  source_args+=(--dev-url "$DRIFTLESS_DEV_URL")
fi

echo "==> driftless: checking the database against $migrations"
set +e
"$driftless" check --db "$DATABASE_URL" "${source_args[@]}"
status=$?
set -e

case $status in
  0)
    echo "==> no drift" ;;
  1)
    if [ "${DRIFTLESS_AUTOFIX:-0}" != 1 ]; then
      echo "==> the database drifted from its migrations: not migrating." >&2
      echo "    Review the plan with:  driftless plan --db \"\$DATABASE_URL\" --migrations $migrations" >&2
      echo "    Or set DRIFTLESS_AUTOFIX=1 to repair it before migrating." >&2
      exit 1
    fi
    echo "==> driftless: repairing the drift (orphans are quarantined, data kept)"
    # Exit 1 when drift remains (a destructive step was withheld, or a
    # finding needs a human): the deploy stops before migrate.
    "$driftless" fix --db "$DATABASE_URL" "${source_args[@]}" --apply --lock-timeout 30s ;;
  *)
    echo "==> driftless could not check the database (exit $status): not migrating." >&2
    exit "$status" ;;
esac

echo "==> migrating: $migrate"
exec bash -c "$migrate"
