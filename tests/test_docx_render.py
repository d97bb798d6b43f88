"""The Word report rendered with less work is the very document docxtpl makes."""

from __future__ import annotations

import zipfile

import pytest
from builders import model, workbook
from docxtpl import DocxTemplate
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from test_cli import run

from aggregator.rendering import docx_grid, docx_render, docx_stream

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
        docx_grid.fix_table(table)
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


class Docxtpl(DocxTemplate):
    """docxtpl itself, then the report's fit of each table to its first row (on the tree)."""

    def __init__(self, template_file, fit_tables=False):
        super().__init__(template_file)
        self.fit_tables = fit_tables

    def render(self, *args, **kwargs):
        super().render(*args, **kwargs)
        if self.fit_tables:
            docx_grid.grid_from_cells(self.docx.element.body, docx_grid.room_of(self.docx.sections))


def _docxtpls_save(document, path):  # docxtpl's save, then every entry's time fixed
    document.save(str(path))
    docx_render.pin_zip_times(path)


def _entries(path):
    """A package's entries: the document's XML canonical (C14N), every other as its bytes."""
    with zipfile.ZipFile(path) as package:
        return {
            name: etree.tostring(etree.fromstring(package.read(name)), method="c14n")
            if name == "word/document.xml"
            else package.read(name)
            for name in package.namelist()
        }


HOSTILE = [
    model("Mô hình\tcó dấu tab"),
    model("Mô hình thứ hai\ncó xuống dòng & <w:p> \"ngoặc\" 'đơn' {{ x }} {%p if %}"),
]
# Excel's escapes of a vertical tab and a bell: characters XML cannot hold
CONTROL = model("Mô hình có ký tự lạ _x000B_ _x0007_ giữa chừng")


@pytest.mark.parametrize("piece", [1, docx_stream.PIECE], ids=["a-piece-per-paragraph", "pieces"])
def test_the_word_report_is_the_document_docxtpl_makes(tmp_path, monkeypatch, piece):
    """Streamed, the body is the XML docxtpl's tree gives (canonical: a namespace declared
    again, an attribute quoted otherwise, are the same XML), however the stream is cut; every
    other entry of the package the very same bytes."""
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", HOSTILE)
    monkeypatch.setattr(docx_stream, "PIECE", piece)
    streamed = []
    monkeypatch.setattr(docx_stream.Body, "close", lambda body: streamed.append(body.file.close()))

    def report(outbox):
        assert run(inbox, outbox) == 0
        return outbox / "2026" / "bao-cao-tong-hop.docx"

    ours = report(tmp_path / "ours")
    assert streamed  # (the body was streamed)
    monkeypatch.setattr(docx_render, "Template", Docxtpl)
    monkeypatch.setattr(docx_render, "save", _docxtpls_save)
    theirs = report(tmp_path / "theirs")
    assert _entries(ours) == _entries(theirs)
    with zipfile.ZipFile(ours) as document:
        xml = document.read("word/document.xml").decode()
    assert "<w:drawing>" in xml and "<w:tab/>" in xml and "<w:br/>" in xml  # charts, texts rewritten
    assert "&lt;w:p&gt;" in xml


def test_a_character_xml_cannot_hold_is_dropped_and_no_other_text_with_it(tmp_path):
    """A parser recovering from such a character (docxtpl's) drops every ``&``, ``<`` and
    ``>`` of the texts after it; dropped before, the rest of the report keeps them."""
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [CONTROL, *HOSTILE])
    assert run(inbox, tmp_path / "outbox") == 0
    with zipfile.ZipFile(tmp_path / "outbox" / "2026" / "bao-cao-tong-hop.docx") as document:
        xml = document.read("word/document.xml").decode()
    assert "ký tự lạ" in xml and "\x0b" not in xml and "\x07" not in xml
    assert "&amp; &lt;w:p&gt;" in xml
    etree.fromstring(xml.encode())  # (no recovering needed)


@pytest.mark.parametrize("said_plain", [False, True], ids=["known", "found-while-streaming"])
def test_a_template_with_a_table_in_a_table_is_rendered_docxtpls_way(tmp_path, monkeypatch, said_plain):
    """Not plain: rendered and fixed on the tree, as docxtpl does (nothing streamed), whether
    known before (``plain``) or found as the stream passes the inner table."""
    if said_plain:
        monkeypatch.setattr(docx_stream, "plain", lambda body: True)
    from docx import Document

    document = Document()
    outer = document.add_table(rows=1, cols=2)
    outer.cell(0, 0).paragraphs[0].add_run("{{ name }}")
    inner = outer.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).paragraphs[0].add_run("{{ name }}")
    document.save(tmp_path / "t.docx")
    ours = docx_render.Template(str(tmp_path / "t.docx"), fit_tables=True)
    ours.render({"name": "Tên & <mẫu>"}, autoescape=True)
    assert ours.body is None and "Tên &amp; &lt;mẫu&gt;" in ours.docx.element.xml
    docx_render.save(ours, tmp_path / "ours.docx")
    theirs = Docxtpl(str(tmp_path / "t.docx"), fit_tables=True)
    theirs.render({"name": "Tên & <mẫu>"}, autoescape=True)
    _docxtpls_save(theirs, tmp_path / "theirs.docx")
    assert _entries(tmp_path / "ours.docx") == _entries(tmp_path / "theirs.docx")
    again = docx_render.Template(str(tmp_path / "t.docx"))
    again.render({"name": "Tên\x0b & <mẫu>"}, autoescape=True)  # (dropped before it is parsed)
    assert "Tên &amp; &lt;mẫu&gt;" in again.docx.element.xml


def _streamed_body(xml, room, cut):
    """A rendered body through ``docx_stream.Body``, in pieces of ``cut`` characters."""
    body = docx_stream.Body(1000)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(docx_stream, "PIECE", cut)  # (cut after the first paragraph's end past it)
        body.write((xml[i : i + cut] for i in range(0, len(xml), cut)), lambda piece: piece)
    out = []
    body.copy(out.append, body.edits(None if room is None else lambda sections: room))
    body.close()
    return b"".join(out)


def _tree_body(xml, room):
    tree = etree.fromstring(xml)
    for table in tree.iter(f"{{{W_NS}}}tbl"):
        docx_grid.fix_table(table)
    if room is not None:
        docx_grid.grid_from_cells(tree, room)
    return etree.tostring(tree, method="c14n")


def _cell(span, width):
    properties = (f'<w:tcW w:w="{width}" w:type="dxa"/>' if width is not None else "") + (
        f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
    )
    return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc>"


_tables = st.builds(
    lambda grid, rows: (
        "<w:tbl><w:tblPr/><w:tblGrid>"
        + "".join(f'<w:gridCol w:w="{w}"/>' for w in grid)
        + "</w:tblGrid>"
        + "".join("<w:tr>" + "".join(_cell(s, w) for s, w in row) + "</w:tr>" for row in rows)
        + "</w:tbl>"
    ),
    st.lists(st.integers(1, 5000), min_size=1, max_size=6),
    st.lists(
        st.lists(st.tuples(st.integers(1, 3), st.none() | st.integers(1, 6000)), max_size=8), max_size=5
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    tables=st.lists(_tables, min_size=1, max_size=4),
    room=st.none() | st.integers(1000, 12000),
    cut=st.integers(1, 400),
)
def test_tables_streamed_are_fixed_and_fitted_as_on_the_tree(tables, room, cut):
    """Each table's grid fixed (docxtpl's) and fitted (the report's), and a table too wide
    shrunk cell by cell, from counts noted as the stream passed: the tree's result, wherever
    the stream is cut."""
    paragraph = "<w:p><w:r><w:t>giữa</w:t></w:r></w:p>"
    xml = f'<w:body xmlns:w="{W_NS}">{paragraph}{paragraph.join(tables)}{paragraph}</w:body>'
    streamed = _streamed_body(xml, room, cut)
    assert etree.tostring(etree.fromstring(streamed), method="c14n") == _tree_body(xml, room)


@given(st.lists(st.sampled_from(["<w:p>", "</w:p>", "chữ", "</w:tc>", "x" * 50])), st.integers(1, 64))
def test_the_stream_is_cut_only_after_a_paragraphs_end_and_nothing_is_lost(pieces, size):
    """Every piece but the last ends a paragraph (docxtpl's rewriting of the whole, made piece
    by piece, is then the same), and together they are the output, in order."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(docx_stream, "PIECE", size)
        cut = list(docx_stream._cut(iter(pieces)))
    assert "".join(cut) == "".join(pieces)
    assert all(piece.endswith(docx_stream.PARAGRAPH_END) for piece in cut[:-1])
