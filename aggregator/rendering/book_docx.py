"""The book of models as a Word booklet for printing: cover, contents by field, one entry per model.

A5, Times New Roman, the cover in the Party format (the superior and the Board at the top left,
the Party's name at the top right, the title in the middle, place and date at the foot). Built
with python-docx, which writes every text as text: nothing a unit typed becomes a field or a
link. The document's dates are the report date (or the span's last year) and its zip entries'
times are fixed, so the same book gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aggregator.rendering.report import _pin_zip_times

FONT = "Times New Roman"


def write(book: Mapping[str, Any], path: Path) -> Path:
    """The booklet of ``book`` (``book.contents``) at ``path``."""
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(12)
    _east_asian(style.element)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(148), Mm(210)
    section.top_margin = section.bottom_margin = Mm(15)
    section.left_margin = section.right_margin = Mm(15)
    section.different_first_page_header_footer = True  # the cover has no page number
    _page_numbers(section)
    _cover(document, book)
    _contents(document, book)
    for group in book["fields"]:
        _heading(document, f"LĨNH VỰC {group['code']}. {group['name'].upper()}", page_break=True)
        for entry in group["entries"]:
            _entry(document, entry)
    stamp = dt.datetime.fromisoformat(book["date"]) if book["date"] else dt.datetime(book["to"], 1, 1)
    properties = document.core_properties
    properties.created = properties.modified = properties.last_printed = stamp
    properties.author = properties.last_modified_by = ""
    properties.title = f"{book['title']} {book['span']}"
    properties.revision = 1
    document.save(str(path))
    _pin_zip_times(path)
    return path


def _east_asian(element: Any) -> None:
    from docx.oxml.ns import qn

    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _para(
    container: Any,
    text: str = "",
    *,
    size: float = 12,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: str = "justify",
    after: float = 3,
    before: float = 0,
) -> Any:
    """A paragraph of one run; a text's own line breaks kept as breaks."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = container.add_paragraph()
    if text:
        _run(paragraph, text, size=size, bold=bold, italic=italic, underline=underline)
    paragraph.alignment = {
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
    }[align]
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(before)
    return paragraph


def _run(
    paragraph: Any,
    text: str,
    *,
    size: float = 12,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
) -> Any:
    from docx.shared import Pt

    run = paragraph.add_run()
    for n, line in enumerate(text.split("\n")):
        if n:
            run.add_break()
        run.add_text(line)
    run.font.name, run.font.size = FONT, Pt(size)
    run.bold, run.italic, run.underline = bold, italic, underline
    _east_asian(run._element)
    return run


def _cover(document: Any, book: Mapping[str, Any]) -> None:
    """The Party-format cover: two header columns, the title in the middle, place and year below."""
    from docx.shared import Mm

    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    widths = (Mm(63), Mm(55))  # the page's 118 mm between margins
    for column, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        column.w = width
    left, right = table.rows[0].cells
    left.width, right.width = widths
    for cell in (left, right):
        cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    _para(left, book["superior"], size=10, align="center", after=0)
    _para(left, book["board_name"], size=10, bold=True, align="center", after=0)
    _para(left, "*", size=10, align="center", after=0)
    _para(right, book["party_line"], size=10, bold=True, underline=True, align="center", after=0)
    _para(document, "", after=60)
    _para(document, book["title"], size=20, bold=True, align="center", after=12)
    _para(document, book["subtitle"].upper(), size=13, bold=True, align="center", after=12)
    _para(document, f"GIAI ĐOẠN {book['span']}", size=13, bold=True, align="center", after=12)
    _para(document, f"(Thực hiện {book['plan']})", size=12, italic=True, align="center", after=100)
    _para(document, book["dated"], size=12, italic=True, align="center", after=0)


def _page_numbers(section: Any) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = _run(paragraph, "", size=11)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)


def _heading(document: Any, text: str, *, page_break: bool = False) -> None:
    paragraph = _para(document, text, size=13, bold=True, align="center", after=8, before=6)
    paragraph.paragraph_format.page_break_before = page_break
    paragraph.paragraph_format.keep_with_next = True


def _contents(document: Any, book: Mapping[str, Any]) -> None:
    """The introduction (how the models were chosen) and the contents, field by field."""
    _heading(document, "LỜI GIỚI THIỆU", page_break=True)
    chosen = (
        f", được chọn vì đạt ít nhất một tiêu chí: {'; '.join(book['criteria'])}" if book["criteria"] else ""
    )
    _para(
        document,
        f"Sổ tay giới thiệu {len(book['entries'])} mô hình, điển hình do các đơn vị báo cáo trong giai đoạn "
        f"{book['span']} theo {book['plan']}{chosen}. Mỗi mô hình được giới thiệu đúng như đơn vị "
        "đã viết: tên, đơn vị, tập thể, cá nhân thực hiện, địa bàn, nội dung, cách làm, hiệu quả, "
        "khen thưởng và quá trình qua các kỳ báo cáo.",
    )
    _heading(document, "MỤC LỤC", page_break=False)
    if not book["fields"]:
        _para(document, "Không có mô hình nào đạt tiêu chí chọn trong giai đoạn này.", italic=True)
    for group in book["fields"]:
        _para(
            document, f"Lĩnh vực {group['code']}. {group['name']}", bold=True, align="left", after=2, before=4
        )
        for entry in group["entries"]:
            _para(
                document,
                f"{entry['number']}. {entry['name']} ({entry['unit_name']})",
                size=11,
                align="left",
                after=1,
            )


def _entry(document: Any, entry: Mapping[str, Any]) -> None:
    """One model: its name, then what the unit wrote about it, line by line."""
    title = _para(
        document, f"{entry['number']}. {entry['name']}", size=13, bold=True, align="left", after=4, before=10
    )
    title.paragraph_format.keep_with_next = True
    lines = [
        ("Đơn vị báo cáo", entry["unit_name"]),
        ("Tập thể, cá nhân thực hiện", entry["performer"]),
        ("Địa bàn", entry["location"]),
        ("Lĩnh vực", f"{entry['field_name']}; đối tượng: {entry['subject']}"),
        ("Năm xây dựng", "" if entry["year_built"] is None else str(entry["year_built"])),
        (
            "Giai đoạn",
            entry["stage"] + (f", nhân rộng ở {entry['replications']} nơi" if entry["replications"] else ""),
        ),
        ("Nội dung, cách làm", entry["content"]),
        ("Hiệu quả đạt được", entry["results"]),
        ("Khen thưởng", entry["honours_line"]),
        ("Quá trình", entry["history_line"]),
    ]
    for label, text in lines:
        if not text:
            continue
        first, *more = text.split("\n")
        paragraph = _para(document, after=2)
        _run(paragraph, f"{label}: ", bold=True)
        _run(paragraph, first)
        for line in more:
            paragraph = _para(document, line, after=2)
        paragraph.paragraph_format.keep_with_next = label != "Quá trình"
