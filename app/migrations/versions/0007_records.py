"""records machinery: one observers table for every record kind; deals get search text and the
kanban covering index; search text is rebuilt with Unicode case folding 

Revision ID: 0007_records
Revises: 0006_auth_hardening
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_records'
down_revision = '0006_auth_hardening'
branch_labels = None
depends_on = None


def _fold(*parts):
    return " ".join(p for p in parts if p).casefold()


def _rebuild_search_text(conn, table, contacts_table, fk, extra=()):
    counterparties = dict(conn.execute(sa.text(
        "SELECT id, COALESCE(short_name, full_name) FROM counterparties")).fetchall())
    contacts = {}
    for row in conn.execute(sa.text(f"SELECT {fk}, full_name, email, phone FROM {contacts_table}")):
        digits = "".join(ch for ch in (row[3] or "") if ch.isdigit())
        contacts.setdefault(row[0], []).extend([row[1], row[2], row[3], digits])
    columns = ", ".join(("id", "number", "name", "company_name", "counterparty_id", *extra))
    for row in conn.execute(sa.text(f"SELECT {columns} FROM {table}")).fetchall():
        text = _fold(row[2], row[3], counterparties.get(row[4]) or row[3],
                     *contacts.get(row[0], []), *row[5:])
        conn.execute(sa.text(f"UPDATE {table} SET search_text = :t WHERE id = :i"), {"t": text, "i": row[0]})


def upgrade():
    op.create_table('record_observers',
    sa.Column('record_type', sa.String(length=50), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_record_observers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('record_type', 'record_id', 'user_id', name=op.f('pk_record_observers'))
    )
    with op.batch_alter_table('record_observers', schema=None) as batch_op:
        batch_op.create_index('ix_record_observers_user', ['user_id', 'record_type', 'record_id'], unique=False)
    op.execute("INSERT INTO record_observers (record_type, record_id, user_id) "
               "SELECT 'lead', lead_id, user_id FROM lead_observers")
    with op.batch_alter_table('lead_observers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_observers_user_id'))
    op.drop_table('lead_observers')

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_deals_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_deals_status_totals', ['status', 'responsible_id', 'created_by_id', 'amount'],
                              unique=False)
    conn = op.get_bind()
    _rebuild_search_text(conn, "leads", "lead_contacts", "lead_id", extra=("site_email",))
    _rebuild_search_text(conn, "deals", "deal_contacts", "deal_id")


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_status_totals')
        batch_op.drop_index(batch_op.f('ix_deals_created_by_id'))
        batch_op.drop_column('search_text')
    op.create_table('lead_observers',
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_observers_lead_id_leads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lead_observers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', 'user_id', name=op.f('pk_lead_observers'))
    )
    with op.batch_alter_table('lead_observers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_observers_user_id'), ['user_id'], unique=False)
    op.execute("INSERT INTO lead_observers (lead_id, user_id) "
               "SELECT record_id, user_id FROM record_observers WHERE record_type = 'lead'")
    with op.batch_alter_table('record_observers', schema=None) as batch_op:
        batch_op.drop_index('ix_record_observers_user')
    op.drop_table('record_observers')
