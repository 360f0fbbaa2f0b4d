"""Demo data of the Document Library: general folders with documents (one with two versions), the
folders of a few demo deals and a client, and links between records and documents."""
from __future__ import annotations

import sqlalchemy as sa

from app.auth.models import User
from app.counterparties.models import Counterparty
from app.documents import library, links, storage
from app.documents.owners import COUNTERPARTY
from app.extensions import db
from app.records.kinds import get_kind, registered_kinds

PRICE_LIST_V1 = "product;unit;price\nCRM license;license;12000.00\nImplementation;hour;3500.00\n"
PRICE_LIST_V2 = PRICE_LIST_V1 + "Support;month;15000.00\n"
CONTRACT_TEMPLATE = ("ДОГОВОР ПОСТАВКИ № ___\n\nг. Москва «__» ________ 20__ г.\n\n"
                     "1. Предмет договора\n1.1. Поставщик обязуется передать Покупателю лицензии CRM ...\n")


def demo_library(director: User, m1: User, m2: User) -> None:
    """Folders and documents for the demo (flushes; the caller commits)."""
    templates = library.create_folder("Templates", None, director)
    storage.store_file("Price list.csv", PRICE_LIST_V1.encode(), "text/csv", director.id, folder_id=templates.id)
    storage.store_file("Price list.csv", PRICE_LIST_V2.encode(), "text/csv", director.id, folder_id=templates.id)
    contracts = library.create_folder("Contract templates", templates.id, director)
    storage.store_file("Supply contract.txt", CONTRACT_TEMPLATE.encode(), "text/plain", director.id,
                       folder_id=contracts.id)
    marketing = library.create_folder("Marketing", None, m1)
    storage.store_file("Trade show notes.md", b"# Trade show\n\n- 40 visitors at the stand\n- 6 leads\n",
                       "text/markdown", m1.id, folder_id=marketing.id)

    deal_model = get_kind("deal").model if any(k.name == "deal" for k in registered_kinds()) else None
    if deal_model is None:
        return
    for user, text in ((m1, "Requirements: 50 users, SSO, 1C integration.\n"),
                       (m2, "Meeting notes: the client wants a pilot in Q1.\n")):
        deal = db.session.scalar(sa.select(deal_model).where(deal_model.responsible_id == user.id)
                                 .order_by(deal_model.id).limit(1))
        if deal is None:
            continue
        name = "Requirements.txt" if user is m1 else "Meeting notes.txt"
        document = storage.store_file(name, text.encode(), "text/plain", user.id, record=("deal", deal.id))
        links.add_link("deal", deal.id, "document", document.id, director)
        if deal.counterparty_id is not None:
            links.add_link("deal", deal.id, COUNTERPARTY, deal.counterparty_id, director)
    client = db.session.scalar(sa.select(Counterparty).order_by(Counterparty.id).limit(1))
    if client is not None:
        storage.store_file("Requisites card.txt", f"{client.display_name}\nINN {client.inn or '-'}\n".encode(),
                           "text/plain", director.id, record=(COUNTERPARTY, client.id))
