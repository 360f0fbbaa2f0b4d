"""generated documents (proposal, invoice, act) and their numbering

Revision ID: 0014_generated_documents
Revises: 0013_document_library
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_generated_documents'
down_revision = '0013_document_library'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('generated_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('legal_entity_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=15, scale=2), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('render_status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('pdf_file_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rendered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'],
                            name=op.f('fk_generated_documents_legal_entity_id_legal_entities')),
    sa.ForeignKeyConstraint(['file_id'], ['document_files.id'], ondelete='SET NULL',
                            name=op.f('fk_generated_documents_file_id_document_files')),
    sa.ForeignKeyConstraint(['pdf_file_id'], ['document_files.id'], ondelete='SET NULL',
                            name=op.f('fk_generated_documents_pdf_file_id_document_files')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_generated_documents_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_generated_documents')),
    sa.UniqueConstraint('kind', 'legal_entity_id', 'year', 'number', name=op.f('uq_generated_documents_kind'))
    )
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_generated_documents_legal_entity_id'), ['legal_entity_id'], unique=False)
        batch_op.create_index('ix_generated_documents_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('ix_generated_documents_render_status', ['render_status', 'updated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('generated_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_generated_documents_render_status')
        batch_op.drop_index('ix_generated_documents_record')
        batch_op.drop_index(batch_op.f('ix_generated_documents_legal_entity_id'))
    op.drop_table('generated_documents')
