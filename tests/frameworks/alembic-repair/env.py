"""Alembic environment of the repair story: online migrations only, against
DATABASE_URL (postgres://, postgresql://, sqlite:////abs/path), compared
with the models by `alembic check`. What driftless set aside (names with
its quarantine prefix) is not the application's: autogenerate skips it."""
import os

from alembic import context
from sqlalchemy import create_engine

import models

QUARANTINE_PREFIX = "_driftless_quarantine"


def url():
    raw = os.environ["DATABASE_URL"]
    if raw.startswith("postgres://"):
        return "postgresql+psycopg://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        return "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


def include_name(name, type_, parent_names):
    return not (name or "").startswith(QUARANTINE_PREFIX)


engine = create_engine(url())
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=models.metadata,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
