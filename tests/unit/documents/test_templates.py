"""document_templates/: the committed .docx files are what build_templates.py builds, and every template renders
against a sample context into a valid document (the STYLE's static test)."""
from __future__ import annotations

import copy
import importlib.util
import io
from pathlib import Path
from types import ModuleType

import docx
import pytest

from app.documents import rendering

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "document_templates"


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_templates", TEMPLATES / "build_templates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_every_template_file_is_built_by_the_script_and_every_built_file_is_committed() -> None:
    builder = _builder()
    committed = sorted(p.name for p in TEMPLATES.glob("*.docx"))
    assert committed == sorted(builder.BUILDERS), "run document_templates/build_templates.py and commit the files"
    assert sorted(rendering.TEMPLATES.values()) == committed
    for name in committed:
        assert (TEMPLATES / name).read_bytes() == builder.build_bytes(name), (
            f"{name} differs from what build_templates.py builds: run the script and commit the result")


@pytest.mark.parametrize("kind", sorted(rendering.TEMPLATES))
def test_every_template_renders_against_its_sample_context(kind: str) -> None:
    context = rendering.SAMPLE_CONTEXTS[kind]
    text = _text(rendering.render_docx(kind, context))
    assert "{{" not in text and "{%" not in text
    assert f"№ {context['number']} от {context['date']}" in text
    assert context["supplier"]["name"] in text and context["customer"]["name"] in text
    for line in context["lines"]:
        assert line["name"] in text and line["net"] in text
    totals = context["totals"]
    for value in (totals["net"], totals["vat"], totals["gross"], totals["words"]):
        assert value in text


def test_the_invoice_carries_the_requisites_and_the_signatures() -> None:
    context = rendering.SAMPLE_CONTEXTS["invoice"]
    text = _text(rendering.render_docx("invoice", context))
    supplier = context["supplier"]
    for value in (supplier["bank"], supplier["bik"], supplier["account"], supplier["corr_account"],
                  f"ИНН {supplier['inn']}", f"КПП {supplier['kpp']}", supplier["director"],
                  supplier["chief_accountant"], "Всего к оплате", "Руководитель", "Главный бухгалтер"):
        assert value in text


def test_markup_in_the_data_stays_text() -> None:
    context = copy.deepcopy(rendering.SAMPLE_CONTEXTS["act"])
    context["customer"]["name"] = 'ООО "Рога & <Копыта>" {{ supplier.inn }}'
    text = _text(rendering.render_docx("act", context))
    assert 'ООО "Рога & <Копыта>" {{ supplier.inn }}' in text


def test_a_missing_field_is_a_render_error_not_an_empty_cell() -> None:
    context = copy.deepcopy(rendering.SAMPLE_CONTEXTS["invoice"])
    del context["supplier"]["bik"]
    with pytest.raises(rendering.RenderError):
        rendering.render_docx("invoice", context)


def test_an_unknown_kind_is_a_render_error() -> None:
    with pytest.raises(rendering.RenderError):
        rendering.render_docx("receipt", {})


@pytest.mark.skipif(rendering.find_soffice() is None,
                    reason="LibreOffice (soffice) is not installed: `make test` installs libreoffice-writer-nogui")
def test_libreoffice_converts_a_rendered_invoice_to_pdf(tmp_path: Path) -> None:
    content = rendering.render_docx("invoice", rendering.SAMPLE_CONTEXTS["invoice"])
    soffice = rendering.find_soffice()
    assert soffice is not None
    pdf = rendering.convert_to_pdf(content, soffice, tmp_path / "profile")
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]
    assert len(pdf) > 5000
