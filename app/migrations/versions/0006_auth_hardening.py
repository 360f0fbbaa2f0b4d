"""auth hardening: session generations, token expiry (filled in by the hardening work)

Revision ID: 0006_auth_hardening
Revises: 0005_instances_started_by
"""
from alembic import op  # noqa: F401

revision = '0006_auth_hardening'
down_revision = '0005_instances_started_by'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
