"""our legal entities, contracts, additional agreements (placeholder: filled in by its work)

Revision ID: 0012_contracts_legal_entities
Revises: 0011_orders_payments
"""
from alembic import op  # noqa: F401

revision = '0012_contracts_legal_entities'
down_revision = '0011_orders_payments'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
