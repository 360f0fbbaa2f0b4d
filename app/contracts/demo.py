"""Demo data of the contracts domain: our legal entity with full requisites and contracts in several statuses,
the active one created from the "Annual support for Romashka" demo deal (called from app.demo)."""
from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.auth.services import find_user_by_login
from app.contracts import services
from app.contracts.legal_entities import create_legal_entity
from app.counterparties.services import find_counterparty_by_inn
from app.deals.models import Deal
from app.extensions import db
from app.records import services as records
from app.records.kinds import get_kind
from app.tasks.services import TaskQuery, claim_task, complete_task, list_tasks

OUR_COMPANY = {"full_name": "Общество с ограниченной ответственностью «Демо CRM»", "short_name": "ООО «Демо CRM»",
               "inn": "7736050003", "kpp": "773601001", "ogrn": "1027700132195",
               "address": "117997, г. Москва, ул. Вавилова, д. 19", "bank_name": "ПАО Сбербанк",
               "bik": "044525225", "bank_account": "40702810938000000001", "corr_account": "30101810400000000225",
               "director_name": "Дмитриев Д. Д.", "chief_accountant_name": "Петрова А. А.", "is_active": True}
ROMASHKA_INN = "7702043329"


def _decide(director: User, contract_id: int, data: dict[str, str]) -> None:
    """The Commercial Director claims and completes the contract's approval task."""
    for task in list_tasks(director, TaskQuery(scope="current", per_page=100)).items:
        if task.record_type == "contract" and task.record_id == contract_id and task.is_open:
            claim_task(task.id, director)
            complete_task(task.id, director, data)
            return


def demo_contracts(director: User, m1: User) -> None:
    admin = find_user_by_login("admin")
    if admin is None:
        return
    entity = create_legal_entity(OUR_COMPANY, admin)
    client = find_counterparty_by_inn(ROMASHKA_INN)
    kind = get_kind("contract")
    if client is None:
        return
    deal = db.session.scalar(sa.select(Deal).where(Deal.name == "Annual support for Romashka"))
    if deal is not None:  # the active contract, made from the deal: the deal's card shows it
        if deal.counterparty_id is None:
            records.set_counterparty(get_kind("deal"), deal, client.id, director)
            db.session.flush()
        contract = services.create_contract_from_deal(deal.id, {
            "contract_number": "12/2026-ТП", "contract_date": "2026-11-20", "legal_entity_id": entity.id,
            "kind": "services", "valid_until": "2027-11-30", "signatory": "Смирнова О. В.",
            "responsible": m1.login}, director, deal.version)
        records.change_status(kind, contract.id, "approval", {}, director)
        _decide(director, contract.id, {"decision": "approve"})
        records.change_status(kind, contract.id, "active", {}, director)
        services.create_agreement(contract.id, {"name": "Расширение на 10 пользователей", "agreement_number": "1",
                                                "agreement_date": "2026-12-01", "amount_change": "24000.00"},
                                  director)
    draft = records.create_record(kind, {"name": "Лицензионный договор на 2027 год", "counterparty_id": client.id,
                                         "legal_entity_id": entity.id, "kind": "license", "amount": "480000.00",
                                         "responsible": m1.login}, director)
    returned = records.create_record(kind, {"name": "Договор на внедрение", "counterparty_id": client.id,
                                            "legal_entity_id": entity.id, "kind": "services", "amount": "900000.00",
                                            "responsible": m1.login}, director)
    records.change_status(kind, returned.id, "approval", {}, director)
    _decide(director, returned.id, {"decision": "return", "comment": "Добавьте график платежей."})
    waiting = records.create_record(kind, {"name": "Договор поддержки 2027", "counterparty_id": client.id,
                                           "legal_entity_id": entity.id, "kind": "services", "amount": "120000.00",
                                           "responsible": m1.login}, director)
    records.change_status(kind, waiting.id, "approval", {}, director)  # the director's task stays open
    annulled = records.create_record(kind, {"name": "Пилотный договор", "counterparty_id": client.id,
                                            "legal_entity_id": entity.id, "responsible": m1.login}, director)
    records.change_status(kind, annulled.id, "annulled", {}, director)
    del draft
    db.session.flush()
