"""document library: folders, files, versions, links between records (placeholder: filled in by its work)

Revision ID: 0013_document_library
Revises: 0012_orders_payments
"""
from alembic import op  # noqa: F401

revision = '0013_document_library'
down_revision = '0012_orders_payments'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
