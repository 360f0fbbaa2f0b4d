"""Build the docxtpl templates of the generated documents: commercial_offer.docx, invoice.docx, act.docx.

    .venv/bin/python document_templates/build_templates.py          # rewrite the three .docx files here
    .venv/bin/python document_templates/build_templates.py OUT_DIR  # build them elsewhere (tests compare)

The .docx files are committed so a reviewer can open them in Word or LibreOffice, and
tests/unit/documents/test_templates.py checks that they are byte for byte what this script builds
(fixed document properties and zip timestamps make the build reproducible): change the layout here,
run the script, commit both.

Layout: Russian B2B documents on A4 portrait. The invoice (Счёт на оплату) opens with the supplier's bank
requisites block, then supplier, payer, basis, the lines table (№, name, quantity, unit, price, amount),
totals, VAT, "Всего к оплате", the amount in words and the director's and chief accountant's signatures.
The act (Акт) has the same parts with both parties' signatures; the commercial proposal (Коммерческое
предложение) is addressed to the counterparty and signed by the deal's responsible person.

Placeholders are Jinja (docxtpl) over the context built by `app.documents.generation`; each placeholder
sits inside one run, and the lines rows repeat with docxtpl's `{%tr for %}` rows. The names the templates
use are exactly those of `app.documents.rendering.SAMPLE_CONTEXTS`.
"""
from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table

HERE = Path(__file__).resolve().parent
FONT = "Arial"
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)

LEFT, CENTER, RIGHT = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT


# --------------------------------------------------------------------------- helpers


def new_document(title: str) -> DocumentObject:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.5)
    section.top_margin = section.bottom_margin = Cm(1.5)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(9.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(2)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "CRM", "CRM"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    return doc


def para(doc: DocumentObject | object, *runs: str | tuple[str, bool], align: object = LEFT, size: float | None = None,
         space_before: float = 0, space_after: float = 2) -> object:
    """A paragraph of runs; a run is text or (text, bold). Each Jinja tag must stay inside one run."""
    p = doc.add_paragraph()  # type: ignore[attr-defined]
    p.alignment = align
    p.paragraph_format.space_before = Pt(space_before)
    p.paragraph_format.space_after = Pt(space_after)
    for run in runs:
        text, bold = (run, False) if isinstance(run, str) else run
        r = p.add_run(text)
        r.bold = bold
        if size:
            r.font.size = Pt(size)
    return p


def cell_text(cell: object, text: str, bold: bool = False, align: object = LEFT, size: float | None = None) -> None:
    p = cell.paragraphs[0]  # type: ignore[attr-defined]
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    r = p.add_run(text)
    r.bold = bold
    if size:
        r.font.size = Pt(size)


def set_widths(table: Table, widths_cm: list[float]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def bottom_border(paragraph: object) -> None:
    """A rule under a heading, as printed invoices have."""
    p_pr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p_pr.append(borders)


def party(doc: DocumentObject, label: str, who: str) -> None:
    """Supplier/payer line: «Поставщик: name, ИНН …, КПП …, address»."""
    para(doc, (f"{label}: ", True),
         f"{{{{ {who}.name }}}}, ИНН {{{{ {who}.inn }}}}{{% if {who}.kpp %}}, КПП {{{{ {who}.kpp }}}}{{% endif %}}"
         f"{{% if {who}.address %}}, {{{{ {who}.address }}}}{{% endif %}}", space_after=4)


def lines_table(doc: DocumentObject, with_discount: bool = False) -> None:
    """№ | name | quantity | unit | price [| discount %] | amount, one docxtpl-repeated row per line."""
    headers = ["№", "Товары (работы, услуги)", "Кол-во", "Ед.", "Цена"]
    fields = ["line.no", "line.name", "line.quantity", "line.unit", "line.price"]
    widths = [1.0, 8.2, 1.8, 1.4, 2.6]
    if with_discount:
        headers.append("Скидка, %")
        fields.append("line.discount")
        widths = [1.0, 7.0, 1.6, 1.3, 2.4, 1.7]
    headers += ["Сумма"]
    fields += ["line.net"]
    widths += [3.0]
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, title in enumerate(headers):
        cell_text(table.rows[0].cells[i], title, bold=True, align=CENTER)
    cell_text(table.rows[1].cells[0], "{%tr for line in lines %}")
    for i, name in enumerate(fields):
        align = LEFT if name == "line.name" else RIGHT if i > 1 else CENTER
        cell_text(table.rows[2].cells[i], f"{{{{ {name} }}}}", align=align)
    cell_text(table.rows[3].cells[0], "{%tr endfor %}")
    set_widths(table, widths)


def totals(doc: DocumentObject, total_label: str) -> None:
    """Итого, НДС (or «Без налога (НДС)»), the total to pay, all right-aligned."""
    para(doc, ("Итого: ", True), ("{{ totals.net }}", True), align=RIGHT, space_before=4)
    vat = "{% if totals.vat_label != 'Без налога (НДС)' %}{{ totals.vat }}{% else %}—{% endif %}"
    para(doc, ("{{ totals.vat_label }}: ", True), (vat, True), align=RIGHT)
    para(doc, (f"{total_label}: ", True), ("{{ totals.gross }}", True), align=RIGHT)


def amount_words(doc: DocumentObject, verb: str) -> None:
    para(doc, f"Всего {verb} {{{{ totals.count }}}}, на сумму {{{{ totals.gross }}}} {{{{ currency }}}}",
         space_before=6)
    p = para(doc, ("{{ totals.words }}", True), space_after=8)
    bottom_border(p)


def signatures(doc: DocumentObject, rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=len(rows), cols=3)
    for row, (role, name) in zip(table.rows, rows):
        cell_text(row.cells[0], role, bold=True)
        cell_text(row.cells[1], "____________________", align=CENTER)
        cell_text(row.cells[2], name)
    set_widths(table, [5.0, 6.0, 7.0])


# --------------------------------------------------------------------------- the three documents


def build_invoice() -> DocumentObject:
    doc = new_document("Счёт на оплату")
    bank = doc.add_table(rows=4, cols=4)
    bank.style = "Table Grid"
    a = bank.rows[0].cells[0].merge(bank.rows[0].cells[1])
    cell_text(a, "{{ supplier.bank }}")
    cell_text(bank.rows[0].cells[2], "БИК")
    cell_text(bank.rows[0].cells[3], "{{ supplier.bik }}")
    b = bank.rows[1].cells[0].merge(bank.rows[1].cells[1])
    cell_text(b, "Банк получателя", size=8)
    cell_text(bank.rows[1].cells[2], "Сч. №")
    cell_text(bank.rows[1].cells[3], "{{ supplier.corr_account }}")
    cell_text(bank.rows[2].cells[0], "ИНН {{ supplier.inn }}")
    cell_text(bank.rows[2].cells[1], "КПП {{ supplier.kpp }}")
    cell_text(bank.rows[2].cells[2], "Сч. №")
    cell_text(bank.rows[2].cells[3], "{{ supplier.account }}")
    c = bank.rows[3].cells[0].merge(bank.rows[3].cells[1])
    cell_text(c, "{{ supplier.name }}")
    c.add_paragraph("Получатель").runs[0].font.size = Pt(8)
    set_widths(bank, [4.5, 4.5, 1.8, 7.2])
    heading = para(doc, ("Счёт на оплату № {{ number }} от {{ date }}", True), size=14, space_before=12,
                   space_after=6)
    bottom_border(heading)
    party(doc, "Поставщик (Исполнитель)", "supplier")
    party(doc, "Покупатель (Заказчик)", "customer")
    para(doc, ("Основание: ", True), "{{ basis }}{% if order %} (заказ {{ order }}){% endif %}", space_after=8)
    lines_table(doc)
    totals(doc, "Всего к оплате")
    amount_words(doc, "наименований")
    para(doc, "Оплатить не позднее {{ pay_until }}. Оплата данного счёта означает согласие с условиями поставки "
              "товара (оказания услуг).", size=8, space_after=14)
    signatures(doc, [("Руководитель", "{{ supplier.director }}"),
                     ("Главный бухгалтер", "{{ supplier.chief_accountant }}")])
    return doc


def build_act() -> DocumentObject:
    doc = new_document("Акт")
    heading = para(doc, ("Акт № {{ number }} от {{ date }}", True), size=14, space_after=6)
    bottom_border(heading)
    party(doc, "Исполнитель", "supplier")
    party(doc, "Заказчик", "customer")
    para(doc, ("Основание: ", True), "{{ basis }}{% if order %} (заказ {{ order }}){% endif %}", space_after=8)
    lines_table(doc)
    totals(doc, "Всего")
    amount_words(doc, "оказано услуг")
    para(doc, "Вышеперечисленные услуги выполнены полностью и в срок. Заказчик претензий по объёму, качеству и "
              "срокам оказания услуг не имеет.", space_after=14)
    table = doc.add_table(rows=4, cols=2)
    cell_text(table.rows[0].cells[0], "ИСПОЛНИТЕЛЬ", bold=True)
    cell_text(table.rows[0].cells[1], "ЗАКАЗЧИК", bold=True)
    cell_text(table.rows[1].cells[0], "{{ supplier.name }}")
    cell_text(table.rows[1].cells[1], "{{ customer.name }}")
    cell_text(table.rows[2].cells[0], "Руководитель ____________ {{ supplier.director }}")
    cell_text(table.rows[2].cells[1], "____________________")
    cell_text(table.rows[3].cells[0], "М. П.")
    cell_text(table.rows[3].cells[1], "М. П.")
    set_widths(table, [9.0, 9.0])
    return doc


def build_commercial_offer() -> DocumentObject:
    doc = new_document("Коммерческое предложение")
    para(doc, ("{{ supplier.name }}", True), align=RIGHT)
    para(doc, "ИНН {{ supplier.inn }}{% if supplier.kpp %}, КПП {{ supplier.kpp }}{% endif %}", align=RIGHT)
    para(doc, "{{ supplier.address }}", align=RIGHT)
    para(doc, "{% if supplier.phone %}тел. {{ supplier.phone }}{% endif %}"
              "{% if supplier.email %} {{ supplier.email }}{% endif %}", align=RIGHT, space_after=12)
    para(doc, ("Кому: ", True), "{{ customer.name }}{% if customer.inn %}, ИНН {{ customer.inn }}{% endif %}",
         space_after=10)
    heading = para(doc, ("Коммерческое предложение № {{ number }} от {{ date }}", True), size=14, align=CENTER,
                   space_after=6)
    bottom_border(heading)
    para(doc, "{% if title %}{{ title }}. {% endif %}Благодарим за интерес к нашим продуктам и услугам и предлагаем "
              "следующие условия:", space_after=8)
    lines_table(doc, with_discount=True)
    totals(doc, "Итого с НДС")
    amount_words(doc, "наименований")
    para(doc, "Предложение действительно до {{ valid_until }}.", space_after=14)
    para(doc, "С уважением,")
    para(doc, "{{ responsible.position }}", space_after=0)
    para(doc, ("{{ responsible.name }}", True), "   ____________________", space_after=0)
    para(doc, "{% if responsible.phone %}тел. {{ responsible.phone }}{% endif %}"
              "{% if responsible.email %} {{ responsible.email }}{% endif %}")
    return doc


BUILDERS = {"commercial_offer.docx": build_commercial_offer, "invoice.docx": build_invoice, "act.docx": build_act}


def reproducible(docx: bytes) -> bytes:
    """The same parts in the same order with fixed zip timestamps: the build gives the same bytes every time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build_bytes(name: str) -> bytes:
    buffer = io.BytesIO()
    BUILDERS[name]().save(buffer)
    return reproducible(buffer.getvalue())


def build_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in BUILDERS:
        target = out_dir / name
        target.write_bytes(build_bytes(name))
        written.append(target)
    return written


if __name__ == "__main__":
    for path in build_all(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
