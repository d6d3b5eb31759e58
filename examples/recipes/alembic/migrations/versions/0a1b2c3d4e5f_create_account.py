"""create account

Revision ID: 0a1b2c3d4e5f
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0a1b2c3d4e5f"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
    )


def downgrade():
    op.drop_table("account")
