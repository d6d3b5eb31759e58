"""Alembic environment with a drift check after the upgrade.

The database is DATABASE_URL (postgres://, postgresql://, mysql://,
sqlite:////abs/path). With DRIFTLESS_CHECK=1, after the revisions have run
and committed, `driftless check` compares the database with these revisions
and the process exits with driftless's status when it finds drift: the
deploy stops before the application starts on a drifted schema.

    DRIFTLESS_CHECK=1 alembic upgrade head

DRIFTLESS (default: `driftless` on the PATH) names the binary,
DRIFTLESS_DB the URL driftless reads when it differs from DATABASE_URL,
DRIFTLESS_FORMAT its report format (default human; markdown for a job
summary), DRIFTLESS_DEV_URL a scratch PostgreSQL or MySQL database for it
(SQLite: a temporary file).
"""
import os
import subprocess
import sys

from alembic import context
from sqlalchemy import create_engine


def url():
    raw = os.environ["DATABASE_URL"]
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    if raw.startswith("mysql://"):
        return "mysql+pymysql://" + raw[len("mysql://"):]
    return raw


def driftless_check():
    """Runs `driftless check` on the upgraded database; exits with its
    status (1: drift, 2: it could not check) unless that is 0."""
    if os.environ.get("DRIFTLESS_CHECK") != "1":
        return
    here = os.path.dirname(os.path.abspath(__file__))
    cmd = [
        os.environ.get("DRIFTLESS", "driftless"),
        "check",
        "--db", os.environ.get("DRIFTLESS_DB") or os.environ["DATABASE_URL"],
        "--migrations", here,
        "--python", sys.executable,
        "--format", os.environ.get("DRIFTLESS_FORMAT", "human"),
    ]
    if os.environ.get("DRIFTLESS_DEV_URL"):
        cmd += ["--dev-url", os.environ["DRIFTLESS_DEV_URL"]]
    # driftless runs these revisions again on its scratch database, through
    # this file: without the flag there, that run does not check again.
    env = {k: v for k, v in os.environ.items() if k != "DRIFTLESS_CHECK"}
    status = subprocess.run(cmd, env=env).returncode
    if status != 0:
        sys.exit(status)


if context.is_offline_mode():
    context.configure(url=url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
    driftless_check()
