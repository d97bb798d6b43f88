"""Rendering: a docxtpl template made into the document docxtpl makes, with less work.

docxtpl renders the body's XML with Jinja; then rewrites every paragraph, run and text for the
tabs and line or page breaks a value may hold; parses the XML; fixes each table whose cells do
not fill its grid (columns a template repeats); and moves the parsed body into the document,
node by node. ``Template`` renders a plain template's body as a stream into a file instead
(``docx_stream``: the same XML, never held whole), and any other's in proportion to what there
is to do: the rewriting only when a text holds such a character, the fix only for the tables
that need it, the body parsed once in its place in the document. ``fit_tables`` also fits each
table's grid to its first row's cells (``docx_grid``). ``save`` zips the package once, every
entry's time fixed (what ``save`` and then rewriting the zip gave).
"""

from __future__ import annotations

import copy
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.parser import element_class_lookup
from docxtpl import DocxTemplate
from lxml import etree  # type: ignore[import-untyped]  # (no stubs at hand)

from aggregator.rendering import docx_grid, docx_stream

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# what docxtpl's resolve_listing turns into Word's own tab, break, paragraph and page break
_LISTING = re.compile("[\t\a\n\f]")
_BODY = re.compile(r"<w:body[ >]")
_DECLARATION = re.compile(r' xmlns:(\w+)="([^"]*)"')
_NAME = re.compile(r"[\w:.-]+")
MOVED = "docx_render_moved"  # marks an element that declares namespaces, while parsed
# a zip entry's time, the same in every run: the same report gives the same bytes
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


STREAMED = "<streamed/>"  # the body docxtpl's ``render`` passes on, rendered into a file


class Template(DocxTemplate):
    """A docxtpl template whose ``render`` gives docxtpl's XML, its costs in proportion; with
    ``fit_tables``, each table's grid fitted to its cells (``docx_grid.fitted_columns``)."""

    docx_ids_index: int  # (docxtpl's: the pictures' last id)

    def __init__(self, template_file: Any, fit_tables: bool = False):
        super().__init__(template_file)
        self.fit_tables = fit_tables
        self.body: docx_stream.Body | None = None  # the body rendered as a stream, to be saved

    def render(self, context: Any, jinja_env: Any = None, autoescape: bool = False) -> None:
        """docxtpl's rendering; a plain template's body streamed (``docx_stream``)."""
        self.discard()
        self._stream = True
        try:
            super().render(context, jinja_env, autoescape)
        except docx_stream.NotStreamable:  # (``plain`` said it could: docxtpl's way after all)
            self.discard()
            self.is_rendered, self._stream = True, False  # the template read again: nothing kept
            super().render(context, jinja_env, autoescape)
        except BaseException:
            self.discard()  # (its file closed now, not whenever it is collected)
            raise
        if self.body is None and self.fit_tables:
            docx_grid.grid_from_cells(self.docx.element.body, docx_grid.room_of(self.docx.sections))

    def discard(self) -> None:
        """The body streamed into a file let go, if any."""
        if self.body is not None:
            self.body.close()
            self.body = None

    def build_xml(self, context: Any, jinja_env: Any = None) -> str:
        """docxtpl's body, or a plain one rendered into ``self.body`` (``STREAMED``)."""
        self._opening = None
        body = self.get_xml() if self._stream else ""
        if not (body and self._streamable(body[: body.index(">") + 1])):
            return str(super().build_xml(context, jinja_env))
        xml = self.patch_xml(body)
        self._opening = xml[: xml.index(">") + 1]
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)  # (docxtpl's marks, for Jinja's lines)
        self.current_rendering_part = self.docx._part  # (where the pictures go)
        template = (jinja_env or jinja2.Environment()).from_string(source)
        self.body = docx_stream.Body(self.docx_ids_index)
        self.body.write(template.generate(context), self.resolve_listing)
        self.docx_ids_index = self.body.picture_id
        return STREAMED

    def _streamable(self, opening: str) -> bool:
        """A plain body (``docx_stream.plain``), declaring only its document's namespaces (in
        its ``opening`` tag), in a package with nothing to replace."""
        root = self.docx._element
        if (
            self.crc_to_new_media
            or self.crc_to_new_embedded
            or self.zipname_to_replace
            or self.pics_to_replace
        ):
            return False
        if (
            len(set(root.nsmap.values())) < len(root.nsmap)
            or root.nsmap.get("wp", docx_stream.DRAWING) != docx_stream.DRAWING
        ):
            return False
        return (
            _DECLARATION.sub("", opening) == "<w:body>"
            and all(root.nsmap.get(p) == uri for p, uri in _DECLARATION.findall(opening))
            and docx_stream.plain(root.body)
        )

    def render_init(self) -> None:
        super().render_init()
        self._in_place = False  # the body parsed within its document (see ``fix_tables``)

    def resolve_listing(self, xml: str) -> str:
        """docxtpl's rewriting, left out when it would change nothing: no text holds a tab, a
        line or a page break (the XML has such characters only outside texts, if at all)."""
        if any(_maybe_in_text(xml, m.start()) for m in _LISTING.finditer(xml)):
            return super().resolve_listing(xml)
        return xml

    def fix_tables(self, xml: str) -> Any:
        """The whole document parsed at once, the rendered body in its place (not the body
        parsed alone, then moved in: node by node); each table whose cells do not fill its
        grid fixed as docxtpl's ``fix_tables`` does. Tables in tables: docxtpl's way. A body
        streamed: its tables are fixed as it is saved (``docx_stream.Body.edits``)."""
        if xml is STREAMED:
            return xml
        # what XML cannot hold, dropped first: a parser recovering from it drops every "&",
        # "<" and ">" of the texts after it too
        xml = docx_stream.NOT_XML.sub("", xml)
        whole = self._whole_document(xml)
        if whole is None:
            return super().fix_tables(xml)
        parser = etree.XMLParser(recover=True)  # docxtpl's, making python-docx's elements
        parser.set_element_class_lookup(element_class_lookup)
        root = etree.fromstring(whole, parser)
        tables = list(root.iter(f"{W}tbl"))
        if any(inner is not t for t in tables for inner in t.iter(f"{W}tbl")):
            return super().fix_tables(xml)
        _moved_in(root)
        for table in tables:
            docx_grid.fix_table(table)
        self._in_place = True
        return root

    def fix_docpr_ids(self, tree: Any) -> None:
        """docxtpl's renumbering of the pictures' ids, in document order (python-docx's
        elements take no ``namespaces``: they know the prefixes). A body streamed: renumbered
        as it was written."""
        if tree is STREAMED:
            return
        if not self._in_place:
            super().fix_docpr_ids(tree)
            return
        for picture in tree.xpath("//wp:docPr"):
            self.docx_ids_index += 1
            picture.attrib["id"] = str(self.docx_ids_index)

    def map_tree(self, tree: Any) -> None:
        if tree is STREAMED:  # (the body stays the template's until saved)
            return
        if not self._in_place:
            super().map_tree(tree)
            return
        document = self.docx
        document._element = document._part._element = tree
        document._Document__body = None  # python-docx's body of the old element, made again

    def _whole_document(self, body: str) -> str | None:
        """The document's XML with ``body`` (the rendered ``<w:body>``, its namespaces declared
        on it) in place of its body, declared there no more, and each element declaring
        namespaces of its own marked ``MOVED``. None when the shapes are not those expected."""
        root = self.docx._element
        whole = etree.tostring(root, encoding="unicode")
        found = _BODY.search(whole)
        if found is None or not body.startswith("<w:body") or len(set(root.nsmap.values())) < len(root.nsmap):
            return None
        start, end = found.start(), whole.rindex("</w:body>") + len("</w:body>")
        opening = body[: body.index(">") + 1]
        if (
            whole[start : whole.index(">", start) + 1] != "<w:body>"
            or _DECLARATION.sub("", opening) != "<w:body>"
            or MOVED in body
            or any(root.nsmap.get(p) != uri for p, uri in _DECLARATION.findall(opening))
        ):
            return None
        inside, marked, at = body[len(opening) :], [], 0
        for declared in re.finditer(" xmlns", inside):
            tag = inside.rindex("<", 0, declared.start())
            if tag >= at:  # (a tag declaring several: marked once)
                name = _NAME.match(inside, tag + 1)
                if name is None:
                    return None
                marked += [inside[at : name.end()], f' {MOVED}=""']
                at = name.end()
        return whole[:start] + "<w:body>" + "".join(marked) + inside[at:] + whole[end:]


def _moved_in(root: Any) -> None:
    """Each element marked ``MOVED`` moved into its place anew, as docxtpl's moving the body
    in does to it: a namespace declared already above it is declared there no more."""
    marked = root.xpath(f"//*[@{MOVED}]")
    for element in marked:
        del element.attrib[MOVED]
    for element in marked:
        if element.getroottree().getroot() is root:  # (not within one moved already)
            element.getparent().replace(element, copy.deepcopy(element))


def _maybe_in_text(xml: str, at: int) -> bool:
    """Whether the character at ``at`` may be inside a ``<w:t>``'s text (after a ``<w:t>``
    opened and not yet closed)."""
    opened = xml.rfind("<w:t ", 0, at)
    opened = max(opened, xml.rfind("<w:t>", max(opened, 0), at))  # (looked for back to it only)
    return opened >= 0 and xml.find("</w:t>", opened, at) < 0


def save(document: Template, path: Path) -> None:
    """The rendered document's package zipped once, each entry's time ``ZIP_TIME``."""
    if document.crc_to_new_media or document.crc_to_new_embedded or document.zipname_to_replace:
        document.save(str(path))  # media replaced in the zip docxtpl writes (never asked here)
        pin_zip_times(path)
        return
    document.pre_processing()
    package = document.docx.part.package
    for part in package.parts:
        part.before_marshal()
    entries: Any = _Entries()  # (python-docx's PhysPkgWriter in all it is asked)
    PackageWriter._write_content_types_stream(entries, package.parts)
    PackageWriter._write_pkg_rels(entries, package.rels)
    PackageWriter._write_parts(entries, package.parts)
    if document.body is not None:
        entries.items = [
            (name, _streamed(document, data) if name == document.docx.part.partname.membername else data)
            for name, data in entries.items
        ]
    try:
        write_zip(path, entries.items)
    finally:
        document.discard()
    release(document)


def _streamed(document: Template, whole: bytes) -> Callable[[Callable[[bytes], Any]], None]:
    """The document's part, its body the one streamed into a file: what comes before the
    template's body, the file (its opening declaring no namespace: its document's declare
    them), what comes after."""
    body = document.body
    assert body is not None and document._opening is not None
    start = whole.index(b"<w:body>")
    end = whole.rindex(b"</w:body>") + len(b"</w:body>")
    opening = len(document._opening.encode("utf-8"))
    room = _room(document.docx._element.nsmap) if document.fit_tables else None
    edits = [(0, opening, docx_stream.replaced_by(b"<w:body>")), *body.edits(room)]

    def write(into: Callable[[bytes], Any]) -> None:
        into(whole[:start])
        body.copy(into, edits)
        into(whole[end:])

    return write


def _room(namespaces: dict[str, str]) -> Callable[[list[bytes]], int]:
    """The narrowest text width of the sections whose properties (``w:sectPr``, as written in
    the body) are given."""
    from docx.oxml.parser import parse_xml
    from docx.section import Section

    declared = " ".join(f'xmlns:{p}="{uri}"' for p, uri in namespaces.items() if p)

    def room(sections: list[bytes]) -> int:
        parsed = [parse_xml(f"<w:sections {declared}>".encode() + s + b"</w:sections>")[0] for s in sections]
        return docx_grid.room_of([Section(s, None) for s in parsed])  # type: ignore[arg-type]

    return room


def release(document: Template) -> None:
    """The rendered document's XML let go now, not at the collector's next full collection:
    python-docx's package and parts refer to each other, the XML only through these."""
    document.docx._element = document.docx._part._element = None
    document.docx._Document__body = None


class _Entries:
    """What python-docx writes of a package, kept in order (its ``PhysPkgWriter``'s part)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def write(self, uri: Any, blob: bytes) -> None:
        self.items.append((uri.membername, blob))


def pin_zip_times(path: Path) -> None:
    """Rewrite a zip container with each entry's time ``ZIP_TIME``."""
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    write_zip(path, entries)


def write_zip(path: Path, entries: list[tuple[str, Any]]) -> None:
    """A zip of ``entries`` (name, data), deflated, each entry's time ``ZIP_TIME``; data is
    bytes, or what writes them a block at a time (given where to)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            if isinstance(data, bytes):
                target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w") as entry:
                data(entry.write)
