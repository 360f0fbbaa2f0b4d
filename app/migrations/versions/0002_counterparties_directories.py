"""counterparties, contact persons, INN registry, directories

Revision ID: 0002_counterparties
Revises: 0001_initial
Create Date: 2026-11-23 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_counterparties'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('directory_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('directory', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('label_en', sa.String(length=200), nullable=False),
    sa.Column('label_ru', sa.String(length=200), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_entries')),
    sa.UniqueConstraint('directory', 'code', name='uq_directory_entries_directory_code')
    )
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_entries_directory'), ['directory'], unique=False)

    op.create_table('counterparties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('full_name', sa.String(length=500), nullable=False),
    sa.Column('short_name', sa.String(length=255), nullable=True),
    sa.Column('search_name', sa.String(length=800), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=True),
    sa.Column('kpp', sa.String(length=9), nullable=True),
    sa.Column('ogrn', sa.String(length=15), nullable=True),
    sa.Column('okpo', sa.String(length=10), nullable=True),
    sa.Column('legal_address', sa.String(length=1000), nullable=True),
    sa.Column('postal_address', sa.String(length=1000), nullable=True),
    sa.Column('ceo', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('bank_account', sa.String(length=20), nullable=True),
    sa.Column('bank_name', sa.String(length=255), nullable=True),
    sa.Column('bik', sa.String(length=9), nullable=True),
    sa.Column('corr_account', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_counterparties_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_counterparties')),
    sa.UniqueConstraint('inn', name=op.f('uq_counterparties_inn'))
    )
    with op.batch_alter_table('counterparties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_counterparties_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_counterparties_type'), ['type'], unique=False)

    op.create_table('contact_persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('position', sa.String(length=255), nullable=True),
    sa.Column('department', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('is_main', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_contact_persons_counterparty_id_counterparties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_persons'))
    )
    with op.batch_alter_table('contact_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_persons_counterparty_id'), ['counterparty_id'], unique=False)
        batch_op.create_index('uq_contact_persons_main', ['counterparty_id'], unique=True,
                              sqlite_where=sa.text('is_main = 1'), postgresql_where=sa.text('is_main'))

    op.create_table('inn_registry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('full_name', sa.String(length=500), nullable=False),
    sa.Column('short_name', sa.String(length=255), nullable=True),
    sa.Column('kpp', sa.String(length=9), nullable=True),
    sa.Column('ogrn', sa.String(length=15), nullable=True),
    sa.Column('okpo', sa.String(length=10), nullable=True),
    sa.Column('legal_address', sa.String(length=1000), nullable=True),
    sa.Column('ceo', sa.String(length=255), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inn_registry')),
    sa.UniqueConstraint('inn', name=op.f('uq_inn_registry_inn'))
    )


def downgrade():
    op.drop_table('inn_registry')
    with op.batch_alter_table('contact_persons', schema=None) as batch_op:
        batch_op.drop_index('uq_contact_persons_main')
        batch_op.drop_index(batch_op.f('ix_contact_persons_counterparty_id'))
    op.drop_table('contact_persons')
    with op.batch_alter_table('counterparties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counterparties_type'))
        batch_op.drop_index(batch_op.f('ix_counterparties_created_at'))
    op.drop_table('counterparties')
    with op.batch_alter_table('directory_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_entries_directory'))
    op.drop_table('directory_entries')
