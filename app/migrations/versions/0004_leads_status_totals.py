"""leads: covering index for the kanban totals

Revision ID: 0004_leads_status_totals
Revises: 0003_leads_deals
"""
from alembic import op


revision = '0004_leads_status_totals'
down_revision = '0003_leads_deals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_status_totals',
                              ['status', 'responsible_id', 'created_by_id', 'amount'], unique=False)


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_status_totals')
