"""our legal entities, contracts, additional agreements (placeholder: filled in by its work)

Revision ID: 0011_contracts_legal_entities
Revises: 0010_activities_assignments
"""
from alembic import op  # noqa: F401

revision = '0011_contracts_legal_entities'
down_revision = '0010_activities_assignments'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
