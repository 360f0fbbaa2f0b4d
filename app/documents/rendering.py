"""Rendering of generated documents: a docxtpl template + a JSON context → .docx bytes (→ .pdf bytes).

Pure functions: no database, no Flask, no request. `app.documents.generation` builds the context from a
deal or an order and calls these from the render job; the benchmark and the static template tests call
them directly.

    amount_in_words(Decimal("1234.50"))  → "Одна тысяча двести тридцать четыре рубля 50 копеек"
    render_docx("invoice", context)      → bytes of the .docx (document_templates/invoice.docx)
    convert_to_pdf(docx, soffice, profile_dir) → bytes of the .pdf (LibreOffice, headless)

Templates live in `document_templates/` at the repository root and are built by
`document_templates/build_templates.py`; SAMPLE_CONTEXTS has a context every template renders with.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from num2words import num2words

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "document_templates"
#: kind → template file name in TEMPLATES_DIR.
TEMPLATES = {"proposal": "commercial_offer.docx", "invoice": "invoice.docx", "act": "act.docx"}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
CENT = Decimal("0.01")
#: Seconds one LibreOffice conversion may take before it counts as failed.
PDF_TIMEOUT = 120
NBSP = "\u00a0"


class RenderError(Exception):
    """The document cannot be rendered from this context (a template or data problem): retrying the same
    input would fail again."""


class PdfError(Exception):
    """LibreOffice did not produce a PDF (missing, crashed, timed out)."""


# --------------------------------------------------------------------------- numbers and words


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """The Russian plural form for `n`: 1 рубль, 2 рубля, 5 рублей, 11 рублей, 21 рубль, 112 рублей."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def amount_in_words(amount: Decimal) -> str:
    """Roubles in words, kopecks in digits, with the right plural forms, capitalised, as on Russian invoices:
    `Decimal("21.01")` → "Двадцать один рубль 01 копейка". Rounded half up to kopecks. Raises ValueError for a
    negative or non-finite amount."""
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"no words for the amount {amount}")
    cents = int(amount.quantize(CENT, ROUND_HALF_UP) * 100)
    roubles, kopecks = divmod(cents, 100)
    words = num2words(roubles, lang="ru")
    text = (f"{words} {plural_ru(roubles, 'рубль', 'рубля', 'рублей')} "
            f"{kopecks:02d} {plural_ru(kopecks, 'копейка', 'копейки', 'копеек')}")
    return text[0].upper() + text[1:]


def format_money(value: Decimal) -> str:
    """`Decimal("1234567.5")` → "1 234 567,50" (non-breaking spaces between thousands, decimal comma)."""
    text = f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"
    return text.replace(",", NBSP).replace(".", ",")


def format_quantity(value: Decimal) -> str:
    """`Decimal("2.500")` → "2,5"; `Decimal("3.000")` → "3"."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


# --------------------------------------------------------------------------- .docx and .pdf


def template_path(kind: str) -> Path:
    try:
        return TEMPLATES_DIR / TEMPLATES[kind]
    except KeyError:
        raise RenderError(f"no template for document kind {kind!r}") from None


class _CompiledCache(SandboxedEnvironment):
    """docxtpl compiles every XML part of the template on every render, and the parts' source is the same for
    every document of a kind: keep the compiled templates by source (about 40% of a render's time)."""

    MAX_ENTRIES = 64

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            template = super().from_string(source)
            if len(self._compiled) >= self.MAX_ENTRIES:
                self._compiled.clear()
            self._compiled[source] = template
        return template


_ENV = _CompiledCache(undefined=StrictUndefined, autoescape=True)


def warm_up() -> None:
    """Compile every template once (a worker calls this before it forks, so each job starts warm)."""
    for kind, context in SAMPLE_CONTEXTS.items():
        render_docx(kind, context)


def render_docx(kind: str, context: dict[str, Any]) -> bytes:
    """Render the kind's template with `context` (JSON data: strings, numbers, lists, dicts).

    Jinja runs sandboxed with StrictUndefined: a field the template names but the context lacks is a
    RenderError, never a silently empty cell on an invoice. Autoescaping keeps `<`/`&` in names valid XML.
    """
    path = template_path(kind)
    if not path.is_file():
        raise RenderError(f"template {path.name} is missing (run document_templates/build_templates.py)")
    try:
        doc = DocxTemplate(str(path))
        doc.render(context, jinja_env=_ENV)
        out = io.BytesIO()
        doc.save(out)
    except (RenderError, OSError):
        raise
    except Exception as e:  # jinja2 and docxtpl raise many types for one cause: bad template or context
        raise RenderError(f"{type(e).__name__}: {e}") from e
    return out.getvalue()


def find_soffice(configured: str = "auto") -> str | None:
    """The LibreOffice binary to convert with: `configured` ("auto": soffice/libreoffice on PATH; "off": none;
    else a path), or None when there is none."""
    if configured == "off":
        return None
    if configured != "auto":
        return configured if os.path.exists(configured) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_to_pdf(docx: bytes, soffice: str, profile_dir: Path, timeout: float = PDF_TIMEOUT) -> bytes:
    """Convert .docx bytes to PDF with `soffice --headless --convert-to pdf`.

    `profile_dir` is the LibreOffice user profile (-env:UserInstallation): two conversions sharing one
    profile at the same time fail silently, so each worker process passes its own. Raises PdfError.
    """
    profile_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crm-pdf-") as tmp:
        source = Path(tmp) / "document.docx"
        source.write_bytes(docx)
        command = [soffice, f"-env:UserInstallation={profile_dir.resolve().as_uri()}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", tmp, str(source)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                    stdin=subprocess.DEVNULL, env={**os.environ, "HOME": str(profile_dir)})
        except (OSError, subprocess.TimeoutExpired) as e:
            raise PdfError(f"LibreOffice did not finish: {e}") from e
        target = Path(tmp) / "document.pdf"
        if result.returncode != 0 or not target.is_file():
            detail = (result.stderr or result.stdout).strip()[-500:]
            raise PdfError(f"LibreOffice exited with {result.returncode} and no PDF: {detail}")
        return target.read_bytes()


# --------------------------------------------------------------------------- sample contexts

_SUPPLIER = {"name": "ООО «Вектор Софт»", "inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195",
             "address": "117997, г. Москва, ул. Вавилова, д. 19", "bank": "ПАО Сбербанк, г. Москва",
             "bik": "044525225", "account": "40702810938000012345", "corr_account": "30101810400000000225",
             "director": "Иванов И. И.", "chief_accountant": "Петрова А. С.", "phone": "+7 495 100-00-00",
             "email": "sales@vector.example"}
_CUSTOMER = {"name": "АО «Ромашка»", "inn": "7736050003", "kpp": "773601001",
             "address": "119021, г. Москва, ул. Льва Толстого, д. 16"}
_LINES = [{"no": 1, "name": "Лицензия CRM & <BPMN>", "quantity": "2", "unit": "шт", "price": "1 000,00",
           "discount": "0", "vat_rate": "20%", "net": "2 000,00", "vat": "400,00", "gross": "2 400,00"},
          {"no": 2, "name": "Внедрение", "quantity": "10", "unit": "ч", "price": "3 000,00", "discount": "5",
           "vat_rate": "20%", "net": "28 500,00", "vat": "5 700,00", "gross": "34 200,00"}]
_TOTALS = {"net": "30 500,00", "vat": "6 100,00", "gross": "36 600,00", "vat_label": "В том числе НДС",
           "count": 2, "words": amount_in_words(Decimal("36600.00"))}
#: One context per kind that every template renders with (tests/unit/documents; the STYLE's static test).
SAMPLE_CONTEXTS: dict[str, dict[str, Any]] = {
    "proposal": {"number": "КП-1", "date": "01.12.2026", "title": "Внедрение CRM", "supplier": _SUPPLIER,
                 "customer": _CUSTOMER, "lines": _LINES, "totals": _TOTALS, "currency": "руб.",
                 "responsible": {"name": "Смирнов Олег", "position": "Менеджер по продажам",
                                 "phone": "+7 495 100-00-01", "email": "smirnov@vector.example"},
                 "valid_until": "31.12.2026"},
    "invoice": {"number": "1", "date": "01.12.2026", "supplier": _SUPPLIER, "customer": _CUSTOMER,
                "basis": "Договор № 15 от 20.11.2026", "order": "O-7", "lines": _LINES, "totals": _TOTALS,
                "currency": "руб.", "pay_until": "11.12.2026"},
    "act": {"number": "1", "date": "01.12.2026", "supplier": _SUPPLIER, "customer": _CUSTOMER,
            "basis": "Договор № 15 от 20.11.2026", "order": "O-7", "lines": _LINES, "totals": _TOTALS,
            "currency": "руб."},
}
