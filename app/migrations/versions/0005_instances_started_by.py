"""process instances: index the author, for the Assignment Board's "authored by me"

Revision ID: 0005_instances_started_by
Revises: 0004_leads_status_totals
"""
from alembic import op

revision = '0005_instances_started_by'
down_revision = '0004_leads_status_totals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instances_started_by_id'), ['started_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('process_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instances_started_by_id'))
