"""Alembic environment of the story: online migrations only, against
DATABASE_URL (postgres://, postgresql://, sqlite:////abs/path)."""
import os

from alembic import context
from sqlalchemy import create_engine


def url():
    raw = os.environ["DATABASE_URL"]
    if raw.startswith("postgres://"):
        return "postgresql+psycopg://" + raw[len("postgres://"):]
    if raw.startswith("postgresql://"):
        return "postgresql+psycopg://" + raw[len("postgresql://"):]
    return raw


engine = create_engine(url())
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
