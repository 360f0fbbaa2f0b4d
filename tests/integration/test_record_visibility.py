"""Visibility of every registered record kind (leads, deals, contracts, agreements, orders, payments, and
whatever kind is registered next) in each list a user can reach: a CRM Manager never finds another
manager's record in the journal, its search, the kanban, the export or the API list, nor opens its card;
the owner finds it in all of them. A kind without a sample below fails the first test, so a new kind
cannot slip past these checks."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import api_token, login

pytestmark = pytest.mark.db

SECRET = "Секретная запись manager1"


def _client_id(director: Any) -> int:
    from app.counterparties.services import create_counterparty

    return int(create_counterparty({"full_name": "ООО Тайный клиент", "inn": "7707083893"}, director).id)


def _deal(director: Any, **data: Any) -> Any:
    from tests.factories import make_record

    return make_record("deal", director, name=data.pop("name", "Сделка-основа"), responsible="manager1", **data)


def _lead(director: Any, cp: int) -> Any:
    from tests.factories import make_record

    return make_record("lead", director, name=SECRET, company_name="ООО Тайный клиент", responsible="manager1")


def _contract(director: Any, cp: int) -> Any:
    from tests.factories import make_record

    return make_record("contract", director, name=SECRET, counterparty_id=cp, responsible="manager1")


def _agreement(director: Any, cp: int) -> Any:
    from app.contracts.services import create_agreement

    return create_agreement(_contract(director, cp).id, {"name": SECRET}, director)


def _order(director: Any, cp: int) -> Any:
    from app.orders.services import create_order_for_deal

    return create_order_for_deal(_deal(director, counterparty_id=cp).id, {"name": SECRET}, director)


def _payment(director: Any, cp: int) -> Any:
    from app.payments.services import create_payment_for

    return create_payment_for({"name": SECRET, "amount": "1000.00"}, director,
                              deal_id=_deal(director, counterparty_id=cp).id)


SAMPLES: dict[str, Callable[[Any, int], Any]] = {
    "lead": _lead,
    "deal": lambda director, cp: _deal(director, name=SECRET, counterparty_id=cp),
    "contract": _contract,
    "agreement": _agreement,
    "order": _order,
    "payment": _payment,
}


def _kinds() -> list[str]:
    from app import create_app
    from app.records.kinds import registered_kinds

    with create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).app_context():
        return [k.name for k in registered_kinds()]


def test_every_registered_kind_has_a_sample() -> None:
    assert set(_kinds()) <= set(SAMPLES), "add a sample for the new kind to SAMPLES"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_another_managers_record_is_nowhere_and_the_owners_is_everywhere(client, users, db_session, name):
    from app.directories.services import ensure_seed
    from app.records.kinds import get_kind

    ensure_seed()
    kind = get_kind(name)
    record = SAMPLES[name](users["director"], _client_id(users["director"]))
    db_session.commit()
    assert record.responsible is not None and record.responsible.login == "manager1"
    base, api = f"/{kind.plural}", f"/api/v1/{kind.plural}"
    lists = (base, f"{base}?q=секретная", f"{base}?q={record.display_number}", f"{base}/kanban",
             f"{base}/kanban?q=секретная", f"{base}/export.csv")

    login(client, "manager2")
    for url in lists:
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.get_data(as_text=True), url
    assert client.get(f"{base}/{record.id}").status_code == 404
    m2 = api_token(client, "manager2")
    assert client.get(f"{api}/{record.id}", headers=m2).status_code == 404
    listed = client.get(api, query_string={"q": "секретная"}, headers=m2).get_json()
    assert listed["total"] == 0 and listed["items"] == []

    login(client, "manager1")
    for url in lists:
        assert SECRET in client.get(url).get_data(as_text=True), url
    assert client.get(f"{base}/{record.id}").status_code == 200
    m1 = api_token(client, "manager1")
    assert [i["id"] for i in client.get(api, query_string={"q": "секретная"}, headers=m1).get_json()["items"]] \
        == [record.id]
