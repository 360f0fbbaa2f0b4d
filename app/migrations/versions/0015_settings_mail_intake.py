"""settings journal (Configuration) and the mail intake log

Revision ID: 0015_settings_mail_intake
Revises: 0014_generated_documents
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_settings_mail_intake'
down_revision = '0014_generated_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_settings_updated_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('mail_intake_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox', sa.String(length=100), nullable=False),
    sa.Column('folder', sa.String(length=300), nullable=True),
    sa.Column('uid', sa.BigInteger(), nullable=True),
    sa.Column('uidvalidity', sa.BigInteger(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=80), nullable=False),
    sa.Column('message_id', sa.String(length=998), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('sender', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=1000), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('record_type', sa.String(length=50), nullable=True),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('raw_size', sa.Integer(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_intake_log')),
    sa.UniqueConstraint('mailbox', 'dedupe_key', name='uq_mail_intake_log_mailbox_key')
    )
    with op.batch_alter_table('mail_intake_log', schema=None) as batch_op:
        batch_op.create_index('ix_mail_intake_log_created', ['created_at'], unique=False)
        batch_op.create_index('ix_mail_intake_log_outcome', ['outcome', 'created_at'], unique=False)
        batch_op.create_index('ix_mail_intake_log_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('ix_mail_intake_log_uid', ['mailbox', 'uidvalidity', 'uid'], unique=False)
        batch_op.create_index('ix_mail_intake_log_message_id', ['message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('mail_intake_log', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_intake_log_message_id')
        batch_op.drop_index('ix_mail_intake_log_uid')
        batch_op.drop_index('ix_mail_intake_log_record')
        batch_op.drop_index('ix_mail_intake_log_outcome')
        batch_op.drop_index('ix_mail_intake_log_created')
    op.drop_table('mail_intake_log')
    op.drop_table('settings')
