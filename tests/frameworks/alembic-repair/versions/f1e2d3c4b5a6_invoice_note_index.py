"""invoice note and account index

Revision ID: f1e2d3c4b5a6
Revises: d00dfeed4242
"""
from alembic import op
import sqlalchemy as sa

revision = "f1e2d3c4b5a6"
down_revision = "d00dfeed4242"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("invoice", sa.Column("note", sa.String(200), nullable=True))
    op.create_index("invoice_account_idx", "invoice", ["account_id"])


def downgrade():
    op.drop_index("invoice_account_idx", "invoice")
    op.drop_column("invoice", "note")
