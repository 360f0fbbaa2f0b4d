"""planned activities (call, meeting, email), assignments linked to records, deal marketing fields (placeholder: filled in by its work)

Revision ID: 0010_activities_assignments
Revises: 0009_deal_merge_activities
"""
from alembic import op  # noqa: F401

revision = '0010_activities_assignments'
down_revision = '0009_deal_merge_activities'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
