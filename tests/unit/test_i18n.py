"""The Russian message catalog: complete, consistent with its msgids, and loaded by Flask-Babel.

The compiled .mo is git-ignored (`make catalogs` builds it). When it is missing or older than the
.po, the catalog is compiled into a temporary copy of app/translations and the app is pointed there.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask, render_template_string

from tests.conftest import ROOT, make_test_app

TRANSLATIONS = ROOT / "app" / "translations"
RU_PO = TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.po"
RU_MO = RU_PO.with_suffix(".mo")
BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# printf-style placeholders: %(name)s, %s, %d ... ("%%" is a literal percent sign, not a placeholder).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXocr]")

# Ids that code passes through a bare _() at runtime, beyond the form-schema enum values collected below
# (e.g. "accept"/"rework"). Statuses, outcomes and history fields are shown with label() now, so none.
RUNTIME_VALUES: tuple[str, ...] = ()
# Display labels of stored ids come from app/labels.py as lazy_pgettext(context, label); the glossary
# (/work/shared/reference/glossary.md) fixes the Russian wording of the statuses.
GLOSSARY_LABELS = {
    "lead_status": {"not_processed": "Не обработан", "interest_expressed": "Проявлен интерес", "paused": "Пауза",
                    "disqualified": "Дисквалифицирован", "deal": "Сделка"},
    "deal_status": {"not_processed": "Не обработана", "initial_contact": "Первичный контакт",
                    "needs_assessment": "Выявление потребностей", "presentation": "Презентация",
                    "proposal_preparation": "Подготовка КП", "prototype": "Прототип",
                    "decision_making": "Принятие решения", "completed": "Завершена", "paused": "Пауза",
                    "rejected": "Отказ", "dropped_out": "Отсев", "historical": "Исторические заявки"},
    "assignment_status": {"in_progress": "В работе", "in_review": "На проверке", "rework": "На доработке",
                          "completed": "Завершено"},
    "task_status": {"open": "Открыта", "completed": "Завершена", "canceled": "Отменена"},
    "counterparty_type": {"buyer": "Покупатель", "supplier": "Поставщик", "partner": "Партнёр"},
    "counterparty_kind": {"legal_entity": "Юридическое лицо", "sole_proprietor": "Индивидуальный предприниматель",
                          "individual": "Физическое лицо"},
}


def _catalog() -> Catalog:
    with RU_PO.open("rb") as f:
        return read_po(f, locale="ru")


def _messages(catalog: Catalog) -> list[Any]:
    return [m for m in catalog if m.id]


def _text(value: Any) -> list[str]:
    """All forms of a msgid/msgstr (a tuple for plural messages)."""
    return [str(v) for v in value] if isinstance(value, (tuple, list)) else [str(value)]


def _placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def _compile_into(directory: Path) -> None:
    result = subprocess.run([sys.executable, "-c", "from babel.messages.frontend import main; main()",
                             "compile", "--statistics", "-d", str(directory)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (directory / "ru" / "LC_MESSAGES" / "messages.mo").exists():
        pytest.skip(f"pybabel compile failed: {(result.stderr or result.stdout).strip()}")


@pytest.fixture(scope="module")
def translations_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not RU_PO.exists():
        pytest.fail(f"{RU_PO.relative_to(ROOT)} is missing")
    if RU_MO.exists() and RU_MO.stat().st_mtime >= RU_PO.stat().st_mtime:
        return TRANSLATIONS
    copy = tmp_path_factory.mktemp("translations") / "translations"
    shutil.copytree(TRANSLATIONS, copy, ignore=shutil.ignore_patterns("*.mo", "*.py", "__pycache__"))
    _compile_into(copy)
    return copy


@pytest.fixture(scope="module")
def i18n_app(translations_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    db_file = tmp_path_factory.mktemp("i18n-db") / "unused.sqlite"
    app = make_test_app(f"sqlite:///{db_file}", BABEL_TRANSLATION_DIRECTORIES=str(translations_dir))
    yield app
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()


# ------------------------------------------------------------------------------- the .po file
def test_every_message_is_translated() -> None:
    catalog = _catalog()
    messages = _messages(catalog)
    assert messages, "the Russian catalog is empty"
    missing = [m.id for m in messages if not all(s.strip() for s in _text(m.string))]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not missing, f"msgids without a Russian translation in {RU_PO.name}: {missing}"
    assert not fuzzy, f"fuzzy (unreviewed) translations: {fuzzy}"


def test_placeholders_match() -> None:
    wrong = []
    for m in _messages(_catalog()):
        expected = _placeholders(_text(m.id)[0])
        for translated in _text(m.string):
            # An empty msgstr is reported by test_every_message_is_translated.
            if translated and _placeholders(translated) != expected:
                wrong.append((m.id, translated))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_catalog_has_no_errors() -> None:
    errors = [(m.id, str(e)) for m, es in _catalog().check() for e in es]
    assert not errors, errors


def test_no_message_is_defined_twice() -> None:
    # babel's reader keeps the last of two definitions silently; GNU msgfmt refuses the file.
    keys = re.findall(r'^(?:msgctxt ("(?:[^"\\]|\\.)*")\n)?msgid ("(?:[^"\\]|\\.)*"(?:\n"(?:[^"\\]|\\.)*")*)',
                      RU_PO.read_text(encoding="utf-8"), re.M)
    twice = [key for key, n in Counter(keys).items() if n > 1]
    assert not twice, f"defined more than once in {RU_PO.name}: {twice}"


def _bpmn_names() -> set[str]:
    names: set[str] = set()
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        tree = ET.parse(path)
        for tag in ("process", "userTask", "manualTask"):
            for element in tree.iter(f"{BPMN_NS}{tag}"):
                if element.get("name"):
                    names.add(element.get("name", ""))
    return names


def _schema_strings(schema: Any, root: bool = True) -> set[str]:
    """Titles, descriptions, enum values/names and oneOf/anyOf titles anywhere in a JSON Schema.

    The root's description is a note for developers (macros/forms.html never renders it).
    """
    found: set[str] = set()
    if isinstance(schema, dict):
        for key in ("title",) if root else ("title", "description"):
            if isinstance(schema.get(key), str):
                found.add(schema[key])
        for key in ("enum", "enumNames"):
            found.update(str(v) for v in schema.get(key) or [] if v is not None)
        for key, value in schema.items():
            if key not in ("enum", "enumNames", "const", "default", "$schema", "$id", "required",
                           "title", "description"):
                found |= _schema_strings(value, root=False)
    elif isinstance(schema, list):
        for item in schema:
            found |= _schema_strings(item, root=False)
    return found


def test_runtime_strings_are_in_the_catalog() -> None:
    """Strings that reach _() only at runtime: BPMN task names, form schemas, statuses, groups."""
    from app.auth.services import default_groups
    from app.config import Config

    expected: dict[str, str] = {}
    for name in _bpmn_names():
        expected[name] = "bpmn/*.bpmn"
    for path in sorted((ROOT / "forms").rglob("*.schema.json")):
        for text in _schema_strings(json.loads(path.read_text(encoding="utf-8"))):
            expected.setdefault(text, str(path.relative_to(ROOT)))
    for name in default_groups(Config.from_env().as_mapping()).values():
        expected.setdefault(name, "default_groups")
    for value in RUNTIME_VALUES:
        expected.setdefault(value, "status/outcome value")
    # Only context-free messages count: a BPMN name or form title is looked up with gettext, not pgettext.
    ids = {m.id for m in _messages(_catalog()) if not m.context}
    absent = sorted(f"{text!r} ({where})" for text, where in expected.items() if text not in ids)
    assert not absent, ("runtime msgids missing from the catalog; add them to "
                        f"app/translations/runtime_strings.py and translate them: {absent}")


def test_every_label_is_in_the_catalog() -> None:
    """Each lazy_pgettext label of app/labels.py is extracted with its context (`-k _p:1c,2`, app/babel.cfg)."""
    from app.labels import LABELS

    keys = {(m.context, m.id) for m in _messages(_catalog())}
    absent = sorted(f"{kind}.{value}: ({text._args[0]!r}, {text._args[1]!r})"
                    for kind, values in LABELS.items() for value, text in values.items()
                    if (text._args[0], text._args[1]) not in keys)
    assert not absent, f"labels missing from the catalog (re-extract with the keywords in app/babel.cfg): {absent}"


def test_glossary_labels_in_the_po() -> None:
    from app.labels import LABELS

    catalog = _catalog()
    wrong = []
    for kind, values in GLOSSARY_LABELS.items():
        for value, russian in values.items():
            text = LABELS[kind][value]
            message = catalog.get(text._args[1], context=text._args[0])
            got = message.string if message is not None else None
            if got != russian:
                wrong.append((kind, value, got, russian))
    assert not wrong, f"(kind, id, catalog, glossary): {wrong}"


# ---------------------------------------------------------------------- loaded by Flask-Babel
def test_russian_is_served_for_accept_language_ru(i18n_app: Flask) -> None:
    from flask_babel import get_locale, gettext

    with i18n_app.test_request_context(headers={"Accept-Language": "ru"}):
        assert str(get_locale()) == "ru"
        assert gettext("Current tasks") == "Текущие задачи"
        assert gettext("Assignment Board") == "Доска поручений"
        assert gettext("Page %(n)s of %(total)s", n=2, total=5) == "Страница 2 из 5"
        assert render_template_string('{{ _("Claim") }}') == "Взять в работу"
        assert render_template_string("{{ label('assignment_status', status) }}", status="in_review") == "На проверке"


def test_labels_are_served_in_russian(i18n_app: Flask) -> None:
    """Contexts keep homonyms apart: the same id and English label, different Russian labels."""
    from app.labels import label

    with i18n_app.test_request_context(headers={"Accept-Language": "ru"}):
        assert label("lead_status", "not_processed") == "Не обработан"
        assert label("deal_status", "not_processed") == "Не обработана"
        assert label("deal_status", "completed") == "Завершена"
        assert label("assignment_status", "completed") == "Завершено"
        assert label("assignment_status", "rework") == "На доработке"
        assert label("task_status", "open") == "Открыта"
        assert label("task_status", "canceled") == "Отменена"
        assert label("task_outcome", "rework") == "Возвращено на доработку"
        assert label("history_field", "responsible") == "Ответственный"
        assert label("counterparty_kind", "sole_proprietor") == "Индивидуальный предприниматель"
        assert label("lead_status", None) == "—"
        assert label("lead_status", "unknown_id") == "unknown_id"
        for kind, values in GLOSSARY_LABELS.items():
            for value, russian in values.items():
                assert label(kind, value) == russian, (kind, value)
        page = render_template_string(
            '{{ label("lead_status", lead) }} / {{ label("deal_status", deal) }} / '
            '{{ _("Status changed to %(status)s.", status=label("lead_status", "paused")) }}',
            lead="not_processed", deal="not_processed")
        assert page == "Не обработан / Не обработана / Статус изменён на «Пауза»."
    with i18n_app.test_request_context(headers={"Accept-Language": "en"}):
        assert label("lead_status", "not_processed") == "Not Processed"
        assert label("deal_status", "historical") == "Historical Applications"


def test_english_stays_the_default(i18n_app: Flask) -> None:
    from flask_babel import gettext

    with i18n_app.test_request_context(headers={"Accept-Language": "de, en;q=0.5"}):
        assert gettext("Current tasks") == "Current tasks"
    with i18n_app.test_request_context():
        assert gettext("Current tasks") == "Current tasks"


def test_compiled_catalog_matches_the_po(i18n_app: Flask) -> None:
    """Every msgid resolves through the compiled .mo to its msgstr (catches a stale or broken .mo)."""
    from flask_babel import get_translations

    with i18n_app.test_request_context(headers={"Accept-Language": "ru"}):
        translations = get_translations()
        wrong = []
        for m in _messages(_catalog()):
            if not all(_text(m.string)):
                continue  # untranslated: reported by test_every_message_is_translated
            if isinstance(m.id, (tuple, list)):
                got = (translations.npgettext(m.context, m.id[0], m.id[1], 1) if m.context
                       else translations.ngettext(m.id[0], m.id[1], 1))
                want = _text(m.string)[0]
            else:
                got = translations.pgettext(m.context, m.id) if m.context else translations.gettext(m.id)
                want = m.string
            if got != want:
                wrong.append((m.context, m.id, got, want))
    assert not wrong, wrong
