#!/usr/bin/env bash
# Pre-deploy hook for a Django project: before `manage.py migrate` runs on
# production, compare production with the schema Django's own migrations
# build, and stop the deploy when they disagree.
#
# Django migrations are Python, so driftless runs `manage.py migrate` itself
# against a scratch database (DATABASE_URL is set to DRIFTLESS_DEV_URL for
# that command; settings.py must read DATABASE_URL, e.g. with dj-database-url)
# and compares the result with production. The same folder feeds the
# migration-ledger rules: django_migrations rows without files, migrations
# recorded as applied whose tables or columns are missing, and so on.
#
# Heroku: `release: bash examples/recipes/django-predeploy.sh` in the Procfile.
# Render / Fly: the pre-deploy (release) command.
#
# Environment:
#   DATABASE_URL        production (required)
#   DRIFTLESS_DEV_URL   an empty scratch database of the same kind, which
#                       driftless may wipe (required for PostgreSQL/MySQL)
#   DJANGO_DIR          the folder holding manage.py (default: .)
#   DRIFTLESS           the driftless binary (default: driftless on PATH)
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must point at production}"
: "${DRIFTLESS_DEV_URL:?DRIFTLESS_DEV_URL must name an empty scratch database driftless may wipe}"
driftless=${DRIFTLESS:-driftless}
cd "${DJANGO_DIR:-.}"

echo "==> driftless: production against the schema Django's migrations build"
set +e
"$driftless" check \
  --db "$DATABASE_URL" \
  --migrations . \
  --dev-url "$DRIFTLESS_DEV_URL" \
  --expect-cmd "python manage.py migrate --noinput" \
  --format github
status=$?
set -e

if [ "$status" -ne 0 ]; then
  if [ "$status" -eq 1 ]; then
    echo "==> production drifted from the migrations: not migrating." >&2
    echo "    driftless migrations --db \"\$DATABASE_URL\" --migrations .   # what the ledger says" >&2
  else
    echo "==> driftless could not check production (exit $status): not migrating." >&2
  fi
  exit "$status"
fi

echo "==> no drift: migrating"
python manage.py migrate --noinput
