"""generated documents (proposal, invoice, act) and their numbering (placeholder: filled in by its work)

Revision ID: 0014_generated_documents
Revises: 0013_document_library
"""
from alembic import op  # noqa: F401

revision = '0014_generated_documents'
down_revision = '0013_document_library'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
