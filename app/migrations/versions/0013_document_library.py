"""document library: folders, files, versions, links between records

Revision ID: 0013_document_library
Revises: 0012_orders_payments
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_document_library'
down_revision = '0012_orders_payments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_folders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['document_folders.id'],
                            name=op.f('fk_document_folders_parent_id_document_folders')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_document_folders_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_folders')),
    sa.UniqueConstraint('parent_id', 'name_key', name=op.f('uq_document_folders_parent_id'))
    )
    with op.batch_alter_table('document_folders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_folders_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_document_folders_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('uq_document_folders_record_root', ['record_type', 'record_id'], unique=True,
                              sqlite_where=sa.text('parent_id IS NULL'),
                              postgresql_where=sa.text('parent_id IS NULL'))

    op.create_table('document_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('folder_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['folder_id'], ['document_folders.id'],
                            name=op.f('fk_document_files_folder_id_document_folders')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_document_files_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_files')),
    sa.UniqueConstraint('folder_id', 'name_key', name=op.f('uq_document_files_folder_id'))
    )
    with op.batch_alter_table('document_files', schema=None) as batch_op:
        batch_op.create_index('ix_document_files_record', ['record_type', 'record_id'], unique=False)

    op.create_table('document_file_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['document_files.id'],
                            name=op.f('fk_document_file_versions_file_id_document_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                            name=op.f('fk_document_file_versions_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_file_versions')),
    sa.UniqueConstraint('file_id', 'number', name=op.f('uq_document_file_versions_file_id')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_document_file_versions_storage_key'))
    )

    op.create_table('record_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_type', sa.String(length=50), nullable=False),
    sa.Column('from_id', sa.Integer(), nullable=False),
    sa.Column('to_type', sa.String(length=50), nullable=False),
    sa.Column('to_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_record_links_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_links')),
    sa.UniqueConstraint('from_type', 'from_id', 'to_type', 'to_id', name=op.f('uq_record_links_from_type'))
    )
    with op.batch_alter_table('record_links', schema=None) as batch_op:
        batch_op.create_index('ix_record_links_to', ['to_type', 'to_id'], unique=False)


def downgrade():
    with op.batch_alter_table('record_links', schema=None) as batch_op:
        batch_op.drop_index('ix_record_links_to')
    op.drop_table('record_links')
    op.drop_table('document_file_versions')
    with op.batch_alter_table('document_files', schema=None) as batch_op:
        batch_op.drop_index('ix_document_files_record')
    op.drop_table('document_files')
    with op.batch_alter_table('document_folders', schema=None) as batch_op:
        batch_op.drop_index('uq_document_folders_record_root')
        batch_op.drop_index('ix_document_folders_record')
        batch_op.drop_index(batch_op.f('ix_document_folders_parent_id'))
    op.drop_table('document_folders')
