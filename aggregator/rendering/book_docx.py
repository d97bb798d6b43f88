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
from typing import Any, NamedTuple

from aggregator.rendering.report import _pin_zip_times

FONT = "Times New Roman"
TEXT_WIDTH_MM = 118  # A5 (148 mm wide) less margins of 15 mm


def write(book: Mapping[str, Any], path: Path) -> Path:
    """The booklet of ``book`` (``book.contents``) at ``path``."""
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(12)
    _east_asian(style.element)
    _defaults(document)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(148), Mm(210)
    section.top_margin = section.bottom_margin = Mm(15)
    section.left_margin = section.right_margin = Mm((148 - TEXT_WIDTH_MM) // 2)
    section.different_first_page_header_footer = True  # the cover has no page number
    _page_numbers(section)
    styles = _styles(document)
    _cover(document, book)
    _contents(document, book, styles)
    for group in book["fields"]:
        _heading(document, f"LĨNH VỰC {group['code']}. {group['name'].upper()}", page_break=True)
        for entry in group["entries"]:
            _entry(document, entry, styles)
    stamp = dt.datetime.fromisoformat(book["date"]) if book["date"] else dt.datetime(book["to"], 1, 1)
    properties = document.core_properties
    properties.created = properties.modified = properties.last_printed = stamp
    properties.author = properties.last_modified_by = ""
    properties.title = f"{book['title']} {book['span']}"
    properties.revision = 1
    _update_fields(document.settings.element)
    document.save(str(path))
    _pin_zip_times(path)
    return path


# the paragraph styles of the many paragraphs (entries, contents): a style once, not its
# formatting on every paragraph (python-docx takes a thousandth of a second per property)
class _Style(NamedTuple):
    id: str  # ASCII, as Word's style identifiers are
    name: str  # as Word lists it
    size: float
    bold: bool
    justify: bool
    before: float  # points above
    after: float  # points below
    keep: bool  # kept on the page of the next paragraph


STYLES = {
    "title": _Style("SoTayTenMoHinh", "Sổ tay - tên mô hình", 13, True, False, 10, 4, True),
    "line": _Style("SoTayDong", "Sổ tay - dòng", 12, False, True, 0, 2, True),
    "last": _Style("SoTayDongCuoi", "Sổ tay - dòng cuối", 12, False, True, 0, 2, False),
    "field": _Style("SoTayMucLucLinhVuc", "Sổ tay - mục lục lĩnh vực", 12, True, False, 4, 2, True),
    "contents": _Style("SoTayMucLuc", "Sổ tay - mục lục", 11, False, False, 0, 1, False),
}


def _styles(document: Any) -> dict[str, Any]:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
    from docx.shared import Mm, Pt

    made = {}
    for key, spec in STYLES.items():
        style = document.styles.add_style(spec.name, WD_STYLE_TYPE.PARAGRAPH)
        style.style_id = spec.id
        style.base_style = document.styles["Normal"]
        style.font.size, style.font.bold = Pt(spec.size), spec.bold
        layout = style.paragraph_format
        layout.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY if spec.justify else WD_ALIGN_PARAGRAPH.LEFT
        layout.space_before, layout.space_after = Pt(spec.before), Pt(spec.after)
        layout.keep_with_next = spec.keep
        if key == "contents":  # the page number at the right margin, dots before it
            layout.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        made[key] = style
    made["end"] = document.element.body.sectPr  # where paragraphs go: before the section settings
    return made


def _styled(end: Any, style: Any, text: str = "", label: str = "") -> Any:
    """A paragraph in one of ``STYLES`` at the body's end: a bold label, then the text (its lines
    as breaks).

    Written as XML elements (lxml's, which escape every text): python-docx's builders search
    the body's children for the place of each element, and a book of thousands of paragraphs took minutes.
    """
    paragraph = _child(end.getparent(), "w:p")
    end.addprevious(paragraph)  # before ``end``, the body's section settings, its last child
    _child(_child(paragraph, "w:pPr"), "w:pStyle", style.style_id)
    if label:
        run = _child(paragraph, "w:r")
        _child(_child(run, "w:rPr"), "w:b")
        _child(run, "w:t", label)
    if text:
        run = _child(paragraph, "w:r")
        for n, line in enumerate(text.split("\n")):
            if n:
                _child(run, "w:br")
            _child(run, "w:t", line)
    return paragraph


# what comes after w:updateFields in the settings (CT_Settings is a sequence: Word wants its order)
_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids")


def _update_fields(settings: Any) -> None:
    """Word fills the contents' page numbers (PAGEREF fields) as it opens the booklet."""
    update = _child(settings, "w:updateFields", "true")
    later = [c for c in settings if c.tag.rsplit("}", 1)[-1] in _AFTER_UPDATE_FIELDS]
    if later:
        later[0].addprevious(update)


def _bookmark(paragraph: Any, number: int) -> None:
    """The paragraph marked ``mh<number>``, for the contents' page number (PAGEREF)."""
    from docx.oxml.ns import qn

    start = _child(paragraph, "w:bookmarkStart")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), f"mh{number}")
    paragraph.find(qn("w:pPr")).addnext(start)
    _child(paragraph, "w:bookmarkEnd").set(qn("w:id"), str(number))


def _page_of(paragraph: Any, number: int) -> None:
    """A tab (dots to the right margin), then the page of bookmark ``mh<number>``: a PAGEREF
    field, computed by LibreOffice as it lays out and by Word when it opens the booklet."""
    from docx.oxml.ns import qn

    _child(_child(paragraph, "w:r"), "w:tab")
    for kind, text in (
        ("begin", None),
        (None, f" PAGEREF mh{number} \\h "),
        ("separate", None),
        ("end", None),
    ):
        run = _child(paragraph, "w:r")
        if kind:
            _child(run, "w:fldChar").set(qn("w:fldCharType"), kind)
        else:
            instruction = _child(run, "w:instrText")
            instruction.text = text
            instruction.set(qn("xml:space"), "preserve")


def _child(parent: Any, tag: str, value: str | None = None) -> Any:
    """A new last child of ``parent``; a w:t holds ``value`` as its text, another tag as w:val."""
    from docx.oxml.ns import qn

    element = parent.makeelement(qn(tag), {})
    parent.append(element)
    if value is not None and tag == "w:t":
        element.text = value
        element.set(qn("xml:space"), "preserve")
    elif value is not None:
        element.set(qn("w:val"), value)
    return element


def _east_asian(element: Any) -> None:
    from docx.oxml.ns import qn

    fonts = element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)


def _defaults(document: Any) -> None:
    """The document's defaults in Times New Roman and Vietnamese (the blank document's are the
    theme's fonts and American English): a paragraph Word adds later is in the book's type."""
    from docx.oxml.ns import qn

    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    language = defaults.find(qn("w:lang"))
    for attribute in ("w:val", "w:eastAsia"):
        language.set(qn(attribute), "vi-VN")


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
    """A run in the Normal style's font, carrying only what differs from it (thousands of
    entries: python-docx takes a thousandth of a second per property set)."""
    from docx.shared import Pt

    run = paragraph.add_run()
    for n, line in enumerate(text.split("\n")):
        if n:
            run.add_break()
        run.add_text(line)
    if size != 12:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    if italic:
        run.italic = True
    if underline:
        run.underline = True
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


def _contents(document: Any, book: Mapping[str, Any], styles: dict[str, Any]) -> None:
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
        _styled(styles["end"], styles["field"], f"Lĩnh vực {group['code']}. {group['name']}")
        for entry in group["entries"]:
            line = _styled(
                styles["end"],
                styles["contents"],
                f"{entry['number']}. {entry['name']} ({entry['unit_name']})",
            )
            _page_of(line, entry["number"])


def _entry(document: Any, entry: Mapping[str, Any], styles: dict[str, Any]) -> None:
    """One model: its name, then what the unit wrote about it, line by line, kept together."""
    _bookmark(_styled(styles["end"], styles["title"], f"{entry['number']}. {entry['name']}"), entry["number"])
    lines = [
        ("Đơn vị báo cáo", entry["unit_name"]),
        ("Tập thể, cá nhân thực hiện", entry["performer"]),
        ("Địa bàn", entry["location"]),
        ("Lĩnh vực", f"{entry['field_name']}; đối tượng: {entry['subject']}"),
        ("Năm xây dựng", "" if entry["year_built"] is None else str(entry["year_built"])),
        (
            "Giai đoạn",
            entry["stage_line"],
        ),
        ("Nội dung, cách làm", entry["content"]),
        ("Hiệu quả đạt được", entry["results"]),
        ("Khen thưởng", entry["honours_line"]),
        ("Quá trình", entry["timeline_line"]),
    ]
    paragraphs = [
        (label if n == 0 else "", line)
        for label, text in lines
        if text
        for n, line in enumerate(text.split("\n"))
    ]
    for n, (label, line) in enumerate(paragraphs):
        style = styles["last"] if n == len(paragraphs) - 1 else styles["line"]
        _styled(styles["end"], style, line, f"{label}: " if label else "")
