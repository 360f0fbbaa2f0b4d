"""records machinery: one observers table for every record kind (filled in by the records work)

Revision ID: 0007_records
Revises: 0006_auth_hardening
"""
from alembic import op  # noqa: F401

revision = '0007_records'
down_revision = '0006_auth_hardening'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
