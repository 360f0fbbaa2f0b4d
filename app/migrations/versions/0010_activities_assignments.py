"""planned activities (call, meeting, email), assignments linked to records, deal marketing fields,
human tasks by record

Revision ID: 0010_activities_assignments
Revises: 0009_deal_merge_activities
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_activities_assignments'
down_revision = '0009_deal_merge_activities'
branch_labels = None
depends_on = None

DEAL_MARKETING = (('site_email', 254), ('site_page', 1000), ('utm_source', 200), ('utm_medium', 200),
                  ('utm_campaign', 200), ('utm_content', 200), ('utm_term', 200), ('ga_client_id', 100),
                  ('ym_client_id', 100))


def upgrade():
    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sender', sa.String(length=320), nullable=True),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activities_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responsible_id'], ['users.id'], name=op.f('fk_activities_responsible_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_record', ['record_type', 'record_id', 'created_at'], unique=False)
        batch_op.create_index('ix_activities_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_activities_message_id', ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_activities_responsible_id'), ['responsible_id'], unique=False)

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_type', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('record_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_assignments_record', ['record_type', 'record_id'], unique=False)

    # A record card's tasks (its own and those of the assignments made from it) by record.
    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_human_tasks_record', ['record_type', 'record_id'], unique=False)

    with op.batch_alter_table('deals', schema=None) as batch_op:
        for name, length in DEAL_MARKETING:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
        batch_op.add_column(sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_column('received_at')
        for name, _length in reversed(DEAL_MARKETING):
            batch_op.drop_column(name)

    with op.batch_alter_table('human_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_human_tasks_record')

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_record')
        batch_op.drop_column('record_id')
        batch_op.drop_column('record_type')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_responsible_id'))
        batch_op.drop_index('ix_activities_message_id')
        batch_op.drop_index('ix_activities_status_due')
        batch_op.drop_index('ix_activities_record')
    op.drop_table('activities')
