"""The models at head, for `alembic check` (autogenerate's comparison)."""
import sqlalchemy as sa

metadata = sa.MetaData()

account = sa.Table(
    "account",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=True),
)

invoice = sa.Table(
    "invoice",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id"), nullable=False),
    sa.Column("total", sa.Numeric(10, 2), nullable=False),
    sa.Column("note", sa.String(200), nullable=True),
    sa.Index("invoice_account_idx", "account_id"),
)
