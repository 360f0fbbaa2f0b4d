"""merged deals and record activities: comments on any record, deals.merged_into_id

Revision ID: 0009_deal_merge_activities
Revises: 0008_products_lines
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_deal_merge_activities'
down_revision = '0008_products_lines'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_record', ['record_type', 'record_id', 'created_at'], unique=False)

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_deals_merged_totals',
                              ['merged_into_id', 'status', 'responsible_id', 'created_by_id', 'amount'], unique=False)
        batch_op.create_index('ix_deals_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deals_merged_into_id_deals'), 'deals', ['merged_into_id'], ['id'])


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deals_merged_into_id_deals'), type_='foreignkey')
        batch_op.drop_index('ix_deals_status_created')
        batch_op.drop_index('ix_deals_merged_totals')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_record')
    op.drop_table('comments')
