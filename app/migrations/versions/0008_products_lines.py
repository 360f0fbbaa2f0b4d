"""products catalog and deal product/service lines (filled in by the deals work)

Revision ID: 0008_products_lines
Revises: 0007_records
"""
from alembic import op  # noqa: F401

revision = '0008_products_lines'
down_revision = '0007_records'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
