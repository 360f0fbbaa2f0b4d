"""settings journal, mail intake log, deals' email message (placeholder: filled in by its work)

Revision ID: 0015_settings_mail_intake
Revises: 0014_generated_documents
"""
from alembic import op  # noqa: F401

revision = '0015_settings_mail_intake'
down_revision = '0014_generated_documents'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
