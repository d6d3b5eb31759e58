#!/usr/bin/env bash
# Render build script for a Django app (build command: ./render-build.sh):
# installs the app's requirements, driftless among them (the wheel of the
# distribution driftless-db gives the `driftless` command), then refuses to
# migrate a database that drifted from the migrations. With
# DRIFTLESS_AUTOFIX=1 it repairs the drift first (`driftless fix --apply`:
# orphan columns and tables are quarantined, never dropped; destructive
# steps are never taken here) and migrates only when the database converged.
#
# requirements.txt:   Django, your database driver, and  driftless-db
#
# Environment (Render: the service's environment; DATABASE_URL from the
# database, which settings.py reads, e.g. with dj-database-url):
#   DATABASE_URL            the production database (required)
#   DRIFTLESS_DEV_URL       an empty scratch database of the same kind, which
#                           driftless may wipe, to replay the migrations into
#                           (PostgreSQL/MySQL; SQLite replays in memory)
#   DRIFTLESS_MIGRATIONS    the folder holding manage.py (default: .)
#   DRIFTLESS_AUTOFIX       1: repair the drift, then migrate
#   MIGRATE_CMD             the migrate command (default: python manage.py migrate --noinput)
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must point at the database to deploy to}"
migrations=${DRIFTLESS_MIGRATIONS:-.}
migrate=${MIGRATE_CMD:-python manage.py migrate --noinput}

echo "==> installing requirements"
pip install -r requirements.txt

source_args=(--migrations "$migrations")
if [ -n "${DRIFTLESS_DEV_URL:-}" ]; then
  source_args+=(--dev-url "$DRIFTLESS_DEV_URL")
fi

echo "==> driftless: checking the database against the migrations in $migrations"
set +e
driftless check "${source_args[@]}"
status=$?
set -e

case $status in
  0)
    echo "==> no drift" ;;
  1)
    if [ "${DRIFTLESS_AUTOFIX:-0}" != 1 ]; then
      echo "==> the database drifted from its migrations: not migrating." >&2
      echo "    Review the plan with:  driftless plan --migrations $migrations" >&2
      echo "    Or set DRIFTLESS_AUTOFIX=1 to repair it before migrating." >&2
      exit 1
    fi
    echo "==> driftless: repairing the drift (orphans are quarantined, data kept)"
    # Exit 1 when drift remains (a destructive step was withheld, or a
    # finding needs a human): the deploy stops before migrate.
    driftless fix "${source_args[@]}" --apply --lock-timeout 30s ;;
  *)
    echo "==> driftless could not check the database (exit $status): not migrating." >&2
    exit "$status" ;;
esac

echo "==> migrating: $migrate"
exec bash -c "$migrate"
