"""The Word report rendered with less work is the very document docxtpl makes."""

from __future__ import annotations

import zipfile

from builders import model, workbook
from docxtpl import DocxTemplate
from lxml import etree
from test_cli import run

from aggregator.rendering import docx_render

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _table(grid: list[int | None], rows: list[list[int]]) -> str:
    """A table of grid columns (their widths) and rows of cells (each cell's span)."""
    columns = "".join(f'<w:gridCol w:w="{w}"/>' if w is not None else "<w:gridCol/>" for w in grid)
    cells = "".join(
        "<w:tr>"
        + "".join(
            "<w:tc>"
            + (f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span > 1 else "")
            + "<w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc>"
            for span in row
        )
        + "</w:tr>"
        for row in rows
    )
    return f"<w:tbl><w:tblPr/><w:tblGrid>{columns}</w:tblGrid>{cells}</w:tbl>"


TABLES = [
    _table([500, 3000, 100, 800, 100], [[1] * 7, [1] * 5, [1] * 6]),  # columns a template repeated
    _table([1000, 1000, 1000, 1000], [[1, 1], [1, 1]]),  # columns no row reaches
    _table([1000, 2000, 1000], [[2, 1], [1, 1, 1]]),  # a cell spanning two
    _table([1000, 2000, 1000], [[2, 2], [1, 1]]),  # spans past the grid
    _table([1200, 1300], [[1, 1], [1, 1]]),  # filled: nothing to fix
    _table([1200, 1300, 900], []),  # no rows
]


def test_each_table_is_fixed_as_docxtpls_fix_tables_fixes_it():
    body = f'<w:body xmlns:w="{W_NS}">{"".join(TABLES)}</w:body>'
    theirs = DocxTemplate.fix_tables(None, body)
    ours = etree.fromstring(body)
    for table in ours.iter(f"{{{W_NS}}}tbl"):
        docx_render._fix_table(table)
    assert etree.tostring(ours) == etree.tostring(theirs)
    assert etree.tostring(ours) != etree.tostring(etree.fromstring(body))  # (there was work to do)


def test_texts_with_tabs_and_breaks_are_rewritten_as_docxtpl_does_and_others_left_alone():
    run = '<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/></w:rPr>{}</w:r></w:p>'
    inside = run.format('<w:t xml:space="preserve">a\tb\nc\fd\ae</w:t>')
    outside = run.format("<w:drawing>\n  <wp:inline/>\n</w:drawing><w:t>plain</w:t>")
    template = object.__new__(docx_render.Template)
    for xml in (inside, outside, outside + inside, inside + outside):
        assert template.resolve_listing(xml) == DocxTemplate.resolve_listing(template, xml)
    assert template.resolve_listing(outside) is outside  # nothing to rewrite: not looked through
    assert "<w:tab/>" in template.resolve_listing(inside)


def test_the_word_report_has_the_bytes_docxtpl_and_a_zip_rewritten_give(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model("Mô hình\tcó dấu tab"), model("Mô hình thứ hai")])

    def report(outbox):
        assert run(inbox, outbox) == 0
        return (outbox / "2026" / "bao-cao-tong-hop.docx").read_bytes()

    ours = report(tmp_path / "ours")

    def save(document, path):  # docxtpl's save, then every entry's time fixed
        document.save(str(path))
        docx_render.pin_zip_times(path)

    monkeypatch.setattr(docx_render, "Template", DocxTemplate)
    monkeypatch.setattr(docx_render, "save", save)
    theirs = report(tmp_path / "theirs")
    assert ours == theirs
    with zipfile.ZipFile(tmp_path / "ours" / "2026" / "bao-cao-tong-hop.docx") as document:
        xml = document.read("word/document.xml").decode()
    assert "<w:drawing>" in xml and "<w:tab/>" in xml  # charts in it, and a text rewritten
