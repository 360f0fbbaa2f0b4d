"""orders, their lines, payments (placeholder: filled in by its work)

Revision ID: 0012_orders_payments
Revises: 0011_contracts_legal_entities
"""
from alembic import op  # noqa: F401

revision = '0012_orders_payments'
down_revision = '0011_contracts_legal_entities'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
