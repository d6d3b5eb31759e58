"""account is_active (branch a)

Revision ID: 5e7762e4d336
Revises: 1a2b3c4d5e6f
"""
from alembic import op
import sqlalchemy as sa

revision = "5e7762e4d336"
down_revision = "1a2b3c4d5e6f"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("account", sa.Column("is_active", sa.Boolean, nullable=True))


def downgrade():
    op.drop_column("account", "is_active")
