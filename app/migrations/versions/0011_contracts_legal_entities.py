"""our legal entities, contracts and additional agreements (record kinds with their contacts); deals.contract_id

Revision ID: 0011_contracts_legal_entities
Revises: 0010_activities_assignments
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_contracts_legal_entities'
down_revision = '0010_activities_assignments'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('legal_entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=500), nullable=False),
    sa.Column('short_name', sa.String(length=255), nullable=True),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('kpp', sa.String(length=9), nullable=True),
    sa.Column('ogrn', sa.String(length=15), nullable=True),
    sa.Column('address', sa.String(length=1000), nullable=True),
    sa.Column('bank_account', sa.String(length=20), nullable=True),
    sa.Column('bank_name', sa.String(length=255), nullable=True),
    sa.Column('bik', sa.String(length=9), nullable=True),
    sa.Column('corr_account', sa.String(length=20), nullable=True),
    sa.Column('director_name', sa.String(length=255), nullable=True),
    sa.Column('chief_accountant_name', sa.String(length=255), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_entities')),
    sa.UniqueConstraint('inn', name=op.f('uq_legal_entities_inn'))
    )
    op.create_table('contracts',
    sa.Column('counterparty_id', sa.Integer(), nullable=False),
    sa.Column('contract_number', sa.String(length=100), nullable=True),
    sa.Column('contract_date', sa.Date(), nullable=True),
    sa.Column('legal_entity_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=64), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('signatory', sa.String(length=255), nullable=True),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('deal_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('company_name', sa.String(length=300), nullable=True),
    sa.Column('amount', sa.Numeric(precision=15, scale=2), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_contracts_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contracts_created_by_id_users')),
    sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_contracts_deal_id_deals')),
    sa.ForeignKeyConstraint(['legal_entity_id'], ['legal_entities.id'], name=op.f('fk_contracts_legal_entity_id_legal_entities')),
    sa.ForeignKeyConstraint(['responsible_id'], ['users.id'], name=op.f('fk_contracts_responsible_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('number', name=op.f('uq_contracts_number'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_counterparty_id'), ['counterparty_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_deal_id'), ['deal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contracts_legal_entity_id'), ['legal_entity_id'], unique=False)
        batch_op.create_index('ix_contracts_responsible_id', ['responsible_id'], unique=False)
        batch_op.create_index('ix_contracts_status', ['status'], unique=False)

    op.create_table('additional_agreements',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('agreement_number', sa.String(length=100), nullable=True),
    sa.Column('agreement_date', sa.Date(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('amount_change', sa.Numeric(precision=15, scale=2), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('company_name', sa.String(length=300), nullable=True),
    sa.Column('amount', sa.Numeric(precision=15, scale=2), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('counterparty_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_additional_agreements_contract_id_contracts')),
    sa.ForeignKeyConstraint(['counterparty_id'], ['counterparties.id'], name=op.f('fk_additional_agreements_counterparty_id_counterparties')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_additional_agreements_created_by_id_users')),
    sa.ForeignKeyConstraint(['responsible_id'], ['users.id'], name=op.f('fk_additional_agreements_responsible_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_additional_agreements')),
    sa.UniqueConstraint('number', name=op.f('uq_additional_agreements_number'))
    )
    with op.batch_alter_table('additional_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_additional_agreements_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_additional_agreements_counterparty_id'), ['counterparty_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_additional_agreements_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_additional_agreements_responsible_id', ['responsible_id'], unique=False)
        batch_op.create_index('ix_additional_agreements_status', ['status'], unique=False)

    op.create_table('contract_contacts',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('is_main', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contracts.id'], name=op.f('fk_contract_contacts_contract_id_contracts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_contacts'))
    )
    with op.batch_alter_table('contract_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_contacts_contract_id'), ['contract_id'], unique=False)

    op.create_table('agreement_contacts',
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.String(length=200), nullable=True),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('phone', sa.String(length=50), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('is_main', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['additional_agreements.id'], name=op.f('fk_agreement_contacts_agreement_id_additional_agreements'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_contacts'))
    )
    with op.batch_alter_table('agreement_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_contacts_agreement_id'), ['agreement_id'], unique=False)

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contract_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_deals_contract_id'), ['contract_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_deals_contract_id_contracts'), 'contracts', ['contract_id'], ['id'])


def downgrade():

    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_deals_contract_id_contracts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_deals_contract_id'))
        batch_op.drop_column('contract_id')

    with op.batch_alter_table('agreement_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_contacts_agreement_id'))

    op.drop_table('agreement_contacts')
    with op.batch_alter_table('contract_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_contacts_contract_id'))

    op.drop_table('contract_contacts')
    with op.batch_alter_table('additional_agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_additional_agreements_status')
        batch_op.drop_index('ix_additional_agreements_responsible_id')
        batch_op.drop_index(batch_op.f('ix_additional_agreements_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_additional_agreements_counterparty_id'))
        batch_op.drop_index(batch_op.f('ix_additional_agreements_contract_id'))

    op.drop_table('additional_agreements')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_contracts_status')
        batch_op.drop_index('ix_contracts_responsible_id')
        batch_op.drop_index(batch_op.f('ix_contracts_legal_entity_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_deal_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_contracts_counterparty_id'))

    op.drop_table('contracts')
    op.drop_table('legal_entities')
