"""invoice account index

Revision ID: f1e2d3c4b5a6
Revises: d00dfeed4242
"""
from alembic import op

revision = "f1e2d3c4b5a6"
down_revision = "d00dfeed4242"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("invoice_account_idx", "invoice", ["account_id"])


def downgrade():
    op.drop_index("invoice_account_idx", "invoice")
