"""account email index

Revision ID: 1b2c3d4e5f60
Revises: 0a1b2c3d4e5f
"""
from alembic import op

revision = "1b2c3d4e5f60"
down_revision = "0a1b2c3d4e5f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("account_email_idx", "account", ["email"])


def downgrade():
    op.drop_index("account_email_idx", table_name="account")
