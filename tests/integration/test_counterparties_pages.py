"""Clients journal, card, create/edit forms with auto-fill, contacts widget, and the Directories admin page."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.counterparties import services
from app.counterparties.models import Counterparty
from app.counterparties.registry import import_inn_registry
from app.directories import services as directories
from app.extensions import db
from tests.conftest import login
from tests.factories import make_user

pytestmark = pytest.mark.db

SAMPLE_CSV = Path(__file__).resolve().parent.parent / "data" / "inn_registry_sample.csv"
SBERBANK_INN = "7707083893"


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Counterparty)) or 0


def _form(**overrides: Any) -> dict[str, str]:
    base = {"type": "buyer", "kind": "legal_entity", "full_name": "ООО «Ромашка»", "short_name": "", "phone": "",
            "email": "", "inn": "", "kpp": "", "ogrn": "", "okpo": "", "ceo": "", "legal_address": "",
            "postal_address": "", "bank_name": "", "bik": "", "bank_account": "", "corr_account": ""}
    base.update(overrides)
    return base


def test_journal_opens_with_buyers_and_reset_shows_all(client, users):
    m = users["manager1"]
    services.create_counterparty({"full_name": "Покупатель Один"}, m)
    services.create_counterparty({"full_name": "Поставщик Два", "type": "supplier"}, m)
    db.session.commit()
    login(client, "manager1")
    page = client.get("/counterparties").get_data(as_text=True)
    assert "Покупатель Один" in page and "Поставщик Два" not in page
    assert 'data-testid="reset-filter"' in page and "?type=all" in page
    everything = client.get("/counterparties?type=all").get_data(as_text=True)
    assert "Покупатель Один" in everything and "Поставщик Два" in everything
    assert 'data-testid="reset-filter"' not in everything
    searched = client.get("/counterparties", query_string={"type": "all", "q": "постав"}).get_data(as_text=True)
    assert "Поставщик Два" in searched and "Покупатель Один" not in searched
    empty = client.get("/counterparties", query_string={"q": "nothing-like-this"}).get_data(as_text=True)
    assert "No clients match the filter." in empty


def test_journal_pagination_and_new_button(client, users):
    for n in range(3):
        services.create_counterparty({"full_name": f"Client {n}"}, users["director"])
    db.session.commit()
    login(client, "director")
    page = client.get("/counterparties?per_page=2").get_data(as_text=True)
    assert "Page 1 of 2" in page and 'data-testid="new-client"' in page
    assert "Client 2" in client.get("/counterparties?per_page=2&page=2").get_data(as_text=True)
    make_user(login="reader")
    db.session.commit()  # the 403 below rolls back the request's unit of work
    login(client, "reader")
    assert 'data-testid="new-client"' not in client.get("/counterparties").get_data(as_text=True)
    assert client.get("/counterparties/new").status_code == 403


def test_create_shows_field_errors_and_changes_nothing(client, users):
    login(client, "manager1")
    before = _count()
    response = client.post("/counterparties/new", data=_form(inn="7707083894", email="bad"))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "INN checksum is wrong." in text and "Enter a valid email address." in text
    assert 'value="ООО «Ромашка»"' in text  # the user's input is kept
    assert _count() == before
    created = client.post("/counterparties/new", data=_form(inn=SBERBANK_INN))
    assert created.status_code == 302
    card = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "ООО «Ромашка»" in card and SBERBANK_INN in card and "Buyer" in card


def test_autofill_button_fills_the_form(client, users):
    import_inn_registry(SAMPLE_CSV.read_text(encoding="utf-8"))
    login(client, "manager1")
    form = client.get("/counterparties/new").get_data(as_text=True)
    assert 'formaction="/counterparties/autofill"' in form
    filled = client.post("/counterparties/autofill", data=_form(full_name="", inn="7809637942", phone="+7 812 1"))
    assert filled.status_code == 200
    text = filled.get_data(as_text=True)
    assert 'value="АО «Вектор»"' in text and 'value="780901001"' in text and 'value="+7 812 1"' in text
    assert 'data-testid="autofill-notice"' in text
    assert client.post("/counterparties/autofill", data=_form(inn="123")).status_code == 422
    missing = client.post("/counterparties/autofill", data=_form(inn=SBERBANK_INN))
    assert missing.status_code == 404 and "No company with INN" in missing.get_data(as_text=True)


def test_edit_and_stale_edit_gets_409(client, users):
    c = services.create_counterparty({"full_name": "Старое имя"}, users["manager1"])
    db.session.commit()
    login(client, "manager1")
    edit = client.get(f"/counterparties/{c.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in edit
    saved = client.post(f"/counterparties/{c.id}/edit", data={**_form(full_name="Новое имя"), "version": "1"})
    assert saved.status_code == 302
    stale = client.post(f"/counterparties/{c.id}/edit", data={**_form(full_name="Потерянное"), "version": "1"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert services.get_counterparty(c.id).full_name == "Новое имя"


def test_contacts_widget(client, users):
    c = services.create_counterparty({"full_name": "ООО «Контакт»"}, users["manager1"])
    db.session.commit()
    login(client, "manager1")
    url = f"/counterparties/{c.id}"
    assert "No contact persons yet." in client.get(url).get_data(as_text=True)
    assert client.post(f"{url}/contacts", data={"full_name": "Анна", "is_main": "true"}).status_code == 302
    assert client.post(f"{url}/contacts", data={"full_name": "Борис", "is_main": "true"}).status_code == 302
    bad = client.post(f"{url}/contacts", data={"full_name": "", "email": "x"})
    assert bad.status_code == 422 and "This field is required." in bad.get_data(as_text=True)
    card = client.get(url).get_data(as_text=True)
    assert card.count('data-testid="main-contact"') == 1
    anna = next(p for p in services.get_counterparty(c.id).contacts if p.full_name == "Анна")
    assert client.get(f"{url}/contacts/{anna.id}/edit").status_code == 200
    assert client.post(f"{url}/contacts/{anna.id}/edit", data={"full_name": "Анна", "is_main": "true",
                                                               "position": "CEO"}).status_code == 302
    db.session.expire_all()
    assert services.get_counterparty(c.id).main_contact.full_name == "Анна"
    assert client.post(f"{url}/contacts/{anna.id}/delete").status_code == 302
    db.session.expire_all()
    assert [p.full_name for p in services.get_counterparty(c.id).contacts] == ["Борис"]


def test_directories_admin_page(client, users):
    directories.ensure_seed()
    db.session.commit()
    login(client, "manager1")
    assert client.get("/admin/directories").status_code == 403
    login(client, "admin")
    page = client.get("/admin/directories").get_data(as_text=True)
    assert "Disqualification reasons" in page and "Нет связи" in page
    added = client.post("/admin/directories/request_source/entries",
                        data={"code": "webinar", "label_en": "Webinar", "label_ru": "Вебинар"})
    assert added.status_code == 302
    duplicate = client.post("/admin/directories/request_source/entries", data={"code": "webinar", "label_en": "W"})
    assert duplicate.status_code == 422 and "already used" in duplicate.get_data(as_text=True)
    entry = directories.find_entry("request_source", "webinar")
    assert client.post(f"/admin/directories/entries/{entry.id}/active", data={"is_active": "false"}).status_code == 302
    db.session.expire_all()
    assert not directories.find_entry("request_source", "webinar").is_active
