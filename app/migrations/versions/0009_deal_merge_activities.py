"""merged deals and record activities (comments, planned activities) (filled in by the deals work)

Revision ID: 0009_deal_merge_activities
Revises: 0008_products_lines
"""
from alembic import op  # noqa: F401

revision = '0009_deal_merge_activities'
down_revision = '0008_products_lines'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
