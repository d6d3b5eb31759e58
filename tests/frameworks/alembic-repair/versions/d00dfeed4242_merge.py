"""merge branches a and b

Revision ID: d00dfeed4242
Revises: 5e7762e4d336, 9c0ffee12345
"""
revision = "d00dfeed4242"
down_revision = ("5e7762e4d336", "9c0ffee12345")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
