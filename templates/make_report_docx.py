#!/usr/bin/env python3
"""Build templates/report.docx: the Word template of the Board's report, with docxtpl tags.

Staff may edit the wording of report.docx in Word directly, keeping the {{ … }} and {% … %}
tags; this script only makes the first version (run it again to start over). The sentences that
carry figures (say.…) are in report-sentences.j2, shared with the HTML report.
Format: Hướng dẫn 36-HD/VPTW — A4, margins 20/20/30/15 mm, Times New Roman, body 14 pt.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Times New Roman"


def _font(run, size=14, bold=False, italic=False, underline=False):
    run.font.name, run.font.size = FONT, Pt(size)
    run.bold, run.italic, run.underline = bold, italic, underline
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return run


def para(
    container,
    text="",
    size=14,
    bold=False,
    italic=False,
    underline=False,
    align=None,
    indent=True,
    space_after=3,
):
    p = container.add_paragraph()
    if text:
        _font(p.add_run(text), size, bold, italic, underline)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY if align is None else align
    p.paragraph_format.first_line_indent = Mm(10) if indent and align is None else None
    p.paragraph_format.space_after = Pt(space_after)
    p.paragraph_format.space_before = Pt(0)
    return p


def tag(container, text):
    """A paragraph holding only a docxtpl block tag ({%p … %}): removed when rendered."""
    return para(container, text, size=2, indent=False, space_after=0)


def heading(document, text):
    return para(document, text, bold=True, indent=False, space_after=4)


def _no_borders(table):
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def data_table(document, headers, row_cells, widths, loop, total=None, size=11):
    """A bordered table: header, one templated row repeated by ``loop``, optional total row.

    The repeated row carries as little as it can, since it is copied for every unit or file:
    named paragraph styles instead of formatting on every run, and no cell widths (the grid
    and the header's cells hold them; the table's layout is fixed).
    """
    table = document.add_table(rows=0, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    lines = [
        (headers, True),
        ([f"{{%tr for {loop} %}}"], False),
        (row_cells, False),
        (["{%tr endfor %}"], False),
    ]
    if total:
        lines.append((total, True))
    text, number = _table_text(document, size), _table_text(document, size, numbers=True)
    for values, bold in lines:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=False):
            if bold:
                _font(cell.paragraphs[0].add_run(value), size, bold=True)
                if values is headers:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif _is_number(value):
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            else:
                cell.paragraphs[0].style = number if _is_number(value) else text
                cell.paragraphs[0].add_run(value)
    set_widths(table, widths, cell_rows=[0] + ([len(lines) - 1] if total else []))
    repeat_on_every_page(table.rows[0])
    return table


def repeat_on_every_page(row):
    """A header row Word and LibreOffice print again at the top of every page the table runs to."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _is_number(value):
    return (
        "| number" in value
        or value in ("{{ n }}", "{{ c }}")
        or value.endswith(
            (".total }}", ".models }}", ".quota }}", ".rejected_rows }}", ".accepted }}", "row }}")
        )
    )


def _table_text(document, size, numbers=False):
    """The paragraph style of table cells at ``size`` points, numbers set right (made once)."""
    name = f"{'Số' if numbers else 'Chữ'} trong bảng {size}"
    if name not in [s.name for s in document.styles]:
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        style.font.name, style.font.size = FONT, Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.first_line_indent = Mm(0)
        if numbers:
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return document.styles[name]


def set_widths(table, widths, cell_rows=None):
    """Column widths Word and LibreOffice both honour: fixed layout, grid and cells (of every
    row, or of the rows numbered in ``cell_rows``)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Mm(width)
    for n, row in enumerate(table.rows):
        if cell_rows is None or n in cell_rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Mm(width)


def _cant_split(row):
    """A table row Word and LibreOffice keep whole on one page."""
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))


def keep_with_next(paragraph):
    """A heading Word and LibreOffice keep on the page of what follows it."""
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def appendix_title(document, number, title):
    """A new page: "Phụ lục n", its title and "(Kèm theo Báo cáo số … ngày …)"."""
    document.add_page_break()
    para(document, number, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(document, title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    para(
        document,
        "{{ say.appendix_note(header, document_number, report_date) }}",
        italic=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        space_after=6,
    )


def monospace_column(document, table, column, size):
    """A hash column: narrow, Courier New at ``size`` points, wrapped anywhere."""
    name = f"Mã băm {size}"
    if name not in [s.name for s in document.styles]:
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
        style.font.name, style.font.size = "Courier New", Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "Courier New")
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.first_line_indent = Mm(0)
    for row in table.rows[1:]:
        paragraph = row.cells[column].paragraphs[0]
        if "{%tr" not in paragraph.text:
            paragraph.style = document.styles[name]


def page_number_footer(section):
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = _font(p.add_run(), 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)


def masthead(document):
    """The Party format's head (Hướng dẫn 36-HD/VPTW): the issuing board and number on the
    left, the Party line, place and date on the right; then the title and the subject line.
    Shared with the review's template (make_review_docx.py)."""
    centre = WD_ALIGN_PARAGRAPH.CENTER
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    set_widths(table, [80, 85])
    left, right = table.rows[0].cells
    left.paragraphs[0].alignment = centre
    left.paragraphs[0].paragraph_format.space_after = Pt(0)
    right.paragraphs[0].paragraph_format.space_after = Pt(0)
    # Hướng dẫn 36-HD/VPTW: the superior and the board 14 pt (the board bold), number 14 pt
    _font(left.paragraphs[0].add_run("{{ header.superior }}"), 14)
    para(left, "{{ header.board.name }}", 14, bold=True, align=centre, space_after=0)
    para(left, "*", 14, align=centre, space_after=0)
    para(left, "Số {{ document_number }}-BC/{{ header.board.symbol }}", 14, align=centre)
    right.paragraphs[0].alignment = centre
    _font(right.paragraphs[0].add_run("{{ header.party_line }}"), 15, bold=True, underline=True)
    para(right, "", 13, align=centre, space_after=0)
    para(right, "{{ header.place }}, {{ report_date | long_date }}", 14, italic=True, align=centre)

    para(document, "", space_after=6)
    para(document, "{{ header.title }}", 16, bold=True, align=centre, space_after=0)
    para(document, "{{ subject_line }}", 14, bold=True, align=centre, space_after=0)
    para(document, "-----", 14, align=centre, space_after=12)


def closing(document):
    """The Party format's close: "Nơi nhận:" and its list on the left, the signature block on
    the right, kept on one page. Shared with the review's template (make_review_docx.py)."""
    centre = WD_ALIGN_PARAGRAPH.CENTER
    footer = document.add_table(rows=1, cols=2)
    _no_borders(footer)
    set_widths(footer, [85, 80])
    recipients, sign = footer.rows[0].cells
    _cant_split(footer.rows[0])  # the signature block never broken across two pages
    # Hướng dẫn 36-HD/VPTW: "Nơi nhận:" 14 pt upright, underlined; the recipients 12 pt
    _font(recipients.paragraphs[0].add_run("Nơi nhận:"), 14, underline=True)
    tag(recipients, "{%p for r in header.recipients %}")
    para(
        recipients,
        "- {{ r }}{{ ',' if not loop.last else '.' }}",
        12,
        indent=False,
        align=WD_ALIGN_PARAGRAPH.LEFT,
        space_after=0,
    )
    tag(recipients, "{%p endfor %}")
    sign.paragraphs[0].alignment = centre
    _font(
        sign.paragraphs[0].add_run(
            "{% if header.signer.on_behalf %}{{ say.sign_for(header.signer) }}{% endif %}"
        ),
        14,
        bold=True,
    )
    para(sign, "{{ header.signer.title }}", 14, bold=True, align=centre, space_after=60)
    para(sign, "{{ header.signer.name }}", 14, bold=True, align=centre)


def a4_document():
    """A Party document's page: A4 portrait, margins 20/20/30/15 mm, Times New Roman 14, the
    page number in the footer (the December report's and the review's)."""
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(14)
    page_number_footer(section)
    return document


def build(path: Path) -> None:
    document = a4_document()
    tag(document, "{%p import 'report-sentences.j2' as say %}")  # the sentences, shared with the HTML
    tag(document, "{%p if sample %}")  # made from a sample inbox: never taken for the Board's report
    para(document, "{{ say.sample_banner() }}", 16, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
    tag(document, "{%p endif %}")

    centre = WD_ALIGN_PARAGRAPH.CENTER
    masthead(document)
    para(
        document,
        "Thực hiện {{ header.plan }} về xây dựng và nhân rộng các mô hình, điển hình "
        "trong học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh trên địa "
        "bàn tỉnh, {{ header.board.full_name }} tổng hợp kết quả {{ period_phrase }} "
        "{{ year }} từ báo cáo của các đơn vị như sau:",
    )

    heading(document, "I. TÌNH HÌNH THỰC HIỆN CHẾ ĐỘ BÁO CÁO")
    para(document, "{{ say.implementation(totals, rates, deadline) }}")
    tag(document, "{%p if units_by_status.late %}")
    para(document, "Các đơn vị gửi trễ hạn: {{ say.units(units_by_status.late, dated=true) }}.")
    tag(document, "{%p endif %}")
    tag(document, "{%p if units_by_status.missing %}")
    para(document, "Các đơn vị chưa gửi báo cáo: {{ say.units(units_by_status.missing) }}.")
    tag(document, "{%p endif %}")
    tag(document, "{%p if units_by_status.rejected %}")
    para(
        document,
        "Các đơn vị đã gửi nhưng tệp không dùng được, cần gửi lại: "
        "{{ say.units(units_by_status.rejected) }}.",
    )
    tag(document, "{%p endif %}")

    heading(document, "II. KẾT QUẢ XÂY DỰNG VÀ NHÂN RỘNG MÔ HÌNH, ĐIỂN HÌNH")
    para(document, "1. Kết quả chung", bold=True, italic=True, indent=False)
    para(document, "{{ say.results(totals, subjects, stages) }}")
    tag(document, "{%p if comparison %}")
    para(document, "{{ say.comparison(totals, comparison) }}")
    tag(document, "{%p endif %}")
    para(document, "2. Theo lĩnh vực", bold=True, italic=True, indent=False)
    # columns as many as the context gives (subjects, last year): {%tc for %} repeats a cell
    data_table(
        document,
        ["TT", "Lĩnh vực", "{%tc for h in field_table.headers[2:] %}", "{{ h }}", "{%tc endfor %}"],
        ["{{ row[0] }}", "{{ row[1] }}", "{%tc for c in row[2:] %}", "{{ c }}", "{%tc endfor %}"],
        [10, 70, 1, 17, 1],
        "row in field_table.rows",
        total=["", "Tổng cộng", "{%tc for c in field_table.total[2:] %}", "{{ c }}", "{%tc endfor %}"],
    )
    para(document, "{{ chart_fields }}", align=centre, space_after=0)
    para(document, "Biểu đồ 1. {{ chart_captions.fields }}", 12, italic=True, align=centre, space_after=6)
    para(document, "3. Việc thực hiện chỉ tiêu", bold=True, italic=True, indent=False)
    para(document, "{{ say.quota(below_quota, totals) }}")
    para(document, "4. Một số mô hình, điển hình tiêu biểu", bold=True, italic=True, indent=False)
    tag(document, "{%p if outstanding %}")
    para(document, "{{ say.outstanding_rule(outstanding_count, outstanding_rule) }}")
    tag(document, "{%p endif %}")
    tag(document, "{%p for m in outstanding %}")
    p = para(document)
    _font(p.add_run("- "), 14)
    _font(p.add_run("{{ m.name }}"), 14, bold=True)
    _font(p.add_run(" ({{ m.unit }}; lĩnh vực {{ m.field }}): {{ say.details(m) }}"), 14)
    tag(document, "{%p endfor %}")
    tag(document, "{%p if not outstanding %}")
    para(document, "Chưa có mô hình, điển hình nào được báo cáo.")
    tag(document, "{%p endif %}")

    # II.5: models across periods, from the register (aggregator/rendering/report_continuity.py)
    para(document, "5. Mô hình, điển hình qua các kỳ báo cáo", bold=True, italic=True, indent=False)
    tag(document, "{%p if continuity.compared %}")
    para(document, "{{ say.continuity(continuity) }}")
    tag(document, "{%p if continuity.declared.differs %}")
    para(document, "{{ say.declared(continuity.declared) }}")
    tag(document, "{%p endif %}")
    tag(document, "{%p if continuity.listed and continuity.advanced %}")
    para(document, "Các mô hình, điển hình lên giai đoạn cao hơn:")
    data_table(
        document,
        ["TT", "Đơn vị", "Mô hình, điển hình", "Mã mô hình", "Kỳ trước", "Kỳ này"],
        ["{{ loop.index }}", "{{ m.unit }}", "{{ m.name }}", "{{ m.code }}", "{{ m.before }}", "{{ m.now }}"],
        [10, 35, 50, 30, 20, 20],
        "m in continuity.advanced",
    )
    tag(document, "{%p endif %}")
    tag(document, "{%p if continuity.listed and continuity.dropped_rows %}")
    para(document, "Các mô hình, điển hình kỳ trước không còn trong báo cáo kỳ này (theo đơn vị):")
    data_table(
        document,
        ["TT", "Đơn vị", "Mô hình, điển hình", "Mã mô hình", "Lĩnh vực", "Giai đoạn kỳ trước"],
        [
            "{{ loop.index }}",
            "{{ m.unit }}",
            "{{ m.name }}",
            "{{ m.code }}",
            "{{ m.field }}",
            "{{ m.stage }}",
        ],
        [10, 35, 55, 30, 15, 20],
        "m in continuity.dropped_rows",
    )
    tag(document, "{%p endif %}")
    tag(document, "{%p if not continuity.listed %}")
    para(
        document,
        'Danh sách từng mô hình duy trì, không còn báo cáo xem ở trang "Lịch sử mô hình" của tệp tổng hợp.',
    )
    tag(document, "{%p endif %}")
    tag(document, "{%p else %}")
    para(document, "Chưa có số liệu cùng kỳ năm trước để so sánh từng mô hình, điển hình.")
    tag(document, "{%p endif %}")
    tag(document, "{%p if continuity.honoured %}")
    para(
        document,
        'Các mô hình, điển hình đạt giai đoạn "Biểu dương, tôn vinh" kỳ này: '
        "{% for m in continuity.honoured %}{{ m.name }} ({{ m.unit }})"
        "{{ '; ' if not loop.last else '.' }}{% endfor %}",
    )
    tag(document, "{%p endif %}")
    tag(document, "{%p if continuity.trend %}")
    para(document, "{{ chart_trend }}", align=centre, space_after=0)
    para(document, "{{ continuity.trend_caption }}", 12, italic=True, align=centre, space_after=6)
    tag(document, "{%p endif %}")

    for key, title, none in (
        ("highlights", "6. Kết quả nổi bật các đơn vị nêu", "Các đơn vị không nêu kết quả nổi bật."),
        ("difficulties", "III. KHÓ KHĂN, VƯỚNG MẮC", "Các đơn vị không nêu khó khăn, vướng mắc."),
        ("proposals", "IV. ĐỀ XUẤT, KIẾN NGHỊ", "Các đơn vị không có đề xuất, kiến nghị."),
    ):
        if key == "highlights":  # a part of section II, answered as III and IV are
            para(document, title, bold=True, italic=True, indent=False)
        else:
            heading(document, title)
        tag(document, f"{{%p for v in voices.{key} %}}")
        tag(document, "{%p if v.heading %}")
        keep_with_next(para(document, "{{ v.text }}", italic=True, indent=False, space_after=2))
        tag(document, "{%p else %}")
        para(document, "{{ say.statement(v) }}", indent=False)
        tag(document, "{%p endif %}")
        tag(document, "{%p endfor %}")
        tag(document, f"{{%p if not voices.{key} %}}")
        para(document, none)
        tag(document, "{%p endif %}")

    closing(document)

    appendix_title(document, "Phụ lục 1", "SỐ MÔ HÌNH, ĐIỂN HÌNH THEO ĐƠN VỊ VÀ LĨNH VỰC")
    # a column per field, however many the schemas list: {%tc for %} repeats the middle cell
    data_table(
        document,
        ["Đơn vị", "{%tc for f in fields %}", "{{ f.code }}", "{%tc endfor %}", "Tổng"],
        ["{{ r.name }}", "{%tc for n in r.counts %}", "{{ n }}", "{%tc endfor %}", "{{ r.total }}"],
        [45, 1, 9, 1, 15],
        "r in pivot.rows",
        total=[
            "Tổng cộng",
            "{%tc for n in pivot.totals %}",
            "{{ n | number }}",
            "{%tc endfor %}",
            "{{ pivot.total | number }}",
        ],
        size=9,
    )
    para(
        document,
        "Lĩnh vực: {% for f in fields %}{{ f.code }}. {{ field_short[f.code] }}"
        "{{ '; ' if not loop.last else '.' }}{% endfor %}",
        11,
        indent=False,
    )
    para(document, "{{ chart_units }}", align=centre, space_after=0)
    para(document, "Biểu đồ 2. {{ chart_captions.units }}", 12, italic=True, align=centre, space_after=6)

    appendix_title(document, "Phụ lục 2", "DANH SÁCH MÔ HÌNH, ĐIỂN HÌNH THEO ĐƠN VỊ")
    tag(document, "{%p if not list_models %}")
    para(
        document,
        "Danh sách {{ totals.models | number }} mô hình, điển hình ở tệp tổng hợp "
        'tong-hop.xlsx, trang "Mô hình, điển hình" (mỗi dòng ghi tệp, trang và dòng '
        "gốc); số mô hình của từng đơn vị theo lĩnh vực ở Phụ lục 1.",
    )
    tag(document, "{%p elif not models_by_unit %}")
    para(document, "Không có mô hình, điển hình nào.")
    tag(document, "{%p endif %}")
    tag(document, "{%p for group in models_by_unit %}")
    keep_with_next(
        para(
            document,
            "{{ loop.index }}. {{ group.name }} ({{ group.models | length }})",
            bold=True,
            italic=True,
            indent=False,
            space_after=2,
        )
    )
    data_table(
        document,
        ["TT", "Tên mô hình, điển hình", "Lĩnh vực", "Đối tượng", "Thực hiện", "Giai đoạn", "Dòng"],
        [
            "{{ loop.index }}",
            "{{ m.name }}",
            "{{ m.field }}",
            "{{ m.subject }}",
            "{{ m.performer }}",
            "{{ m.stage }}",
            "{{ m.row }}",
        ],
        [9, 45, 32, 17, 28, 24, 10],
        "m in group.models",
        size=10,
    )
    tag(document, "{%p endfor %}")

    appendix_title(document, "Phụ lục 3", "TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ")
    data_table(
        document,
        ["TT", "Đơn vị", "Tình trạng", "Ngày nhận", "Số mô hình", "Chỉ tiêu", "Dòng bị loại"],
        [
            "{{ u.n }}",
            "{{ u.name }}",
            "{{ u.status_label }}",
            "{{ u.received | date }}",
            "{{ u.models }}",
            "{{ u.quota }}",
            "{{ u.rejected_rows }}",
        ],
        [10, 55, 25, 25, 17, 15, 18],
        "u in status_rows",
        size=10,
    )

    appendix_title(document, "Phụ lục 4", "CÁC TỆP ĐÃ NHẬN")
    para(
        document,
        "Mỗi tệp kèm mã SHA-256 để đối chiếu; chi tiết từng dòng ở tệp tổng hợp và manifest.json.",
        12,
        indent=False,
    )
    files = data_table(
        document,
        ["TT", "Tệp", "Đơn vị", "Tình trạng", "Ngày nhận", "Dòng đọc / nhận", "SHA-256"],
        [
            "{{ f.n }}",
            "{{ f.path }}{% if f.sender %} Thư từ {{ f.sender }}"
            "{% endif %}{% for r in f.reasons %} {{ r }}{% endfor %}",
            "{{ f.unit }}",
            "{{ f.status }}",
            "{{ f.received | date }}",
            "{{ f.rows }} / {{ f.accepted }}",
            "{{ f.sha256 }}",
        ],
        [10, 48, 26, 20, 21, 15, 25],
        "f in files",
        size=9,
    )
    monospace_column(document, files, 6, 7)
    document.core_properties.author = ""
    document.save(path)


if __name__ == "__main__":
    build(HERE / "report.docx")
    print(f"Đã tạo {HERE / 'report.docx'}")
