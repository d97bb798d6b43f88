"""Rendering: a docxtpl template made into the very document docxtpl makes, with less work.

docxtpl renders the body's XML with Jinja; then rewrites every paragraph, run and text for the
tabs and line or page breaks a value may hold; parses the XML; fixes each table whose cells do
not fill its grid (columns a template repeats); and moves the parsed body into the document,
node by node. ``Template`` does each of these in proportion to what there is to do: the
rewriting only when a text holds such a character, the fix only for the tables that need it
(by docxtpl's own code), the body parsed once in its place in the document. ``save`` zips the
package once, every entry's time fixed (what ``save`` and then rewriting the zip gave).
"""

from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path
from typing import Any

from docx.opc.pkgwriter import PackageWriter
from docx.oxml.parser import element_class_lookup
from docxtpl import DocxTemplate
from lxml import etree  # type: ignore[import-untyped]  # (no stubs at hand)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# what docxtpl's resolve_listing turns into Word's own tab, break, paragraph and page break
_LISTING = re.compile("[\t\a\n\f]")
_BODY = re.compile(r"<w:body[ >]")
_DECLARATION = re.compile(r' xmlns:(\w+)="([^"]*)"')
_NAME = re.compile(r"[\w:.-]+")
MOVED = "docx_render_moved"  # marks an element that declares namespaces, while parsed
# a zip entry's time, the same in every run: the same report gives the same bytes
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class Template(DocxTemplate):
    """A docxtpl template whose ``render`` gives docxtpl's XML, its costs in proportion."""

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
        grid fixed as docxtpl's ``fix_tables`` does. Tables in tables: docxtpl's way."""
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
            _fix_table(table)
        self._in_place = True
        return root

    def fix_docpr_ids(self, tree: Any) -> None:
        """docxtpl's renumbering of the pictures' ids, in document order (python-docx's
        elements take no ``namespaces``: they know the prefixes)."""
        if not self._in_place:
            super().fix_docpr_ids(tree)
            return
        for picture in tree.xpath("//wp:docPr"):
            self.docx_ids_index += 1
            picture.attrib["id"] = str(self.docx_ids_index)

    def map_tree(self, tree: Any) -> None:
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


def _fix_table(table: Any) -> None:
    """docxtpl's ``fix_tables`` for one table (0.20), in place: a grid column added for each
    cell past the grid (all narrowed to keep the width), then those no row's cells reach
    removed (their width shared among the others)."""
    grid, width = table.find(f"{W}tblGrid"), f"{W}w"
    columns = grid.findall(f"{W}gridCol")
    rows = [row.findall(f"{W}tc") for row in table.iter(f"{W}tr")]
    to_add = max([0, *(len(cells) - len(columns) for cells in rows)])
    if to_add > 0:
        total = sum(float(c.get(width)) for c in columns if c.get(width) is not None)
        if total > 0:
            old_average, new_average = total / len(columns), total / (len(columns) + to_add)
            for c in columns:
                c.set(width, str(int(float(c.get(width)) * new_average / old_average)))
            for _ in range(to_add):
                etree.SubElement(grid, f"{W}gridCol", {width: str(int(new_average))})
        columns = grid.findall(f"{W}gridCol")
    spanned = next(table.iter(f"{W}gridSpan"), None) is not None
    reached = max([0, *(sum(_span(c) for c in cells) if spanned else len(cells) for cells in rows)])
    to_remove = len(columns) - reached
    if to_remove > 0:
        removed = 0.0
        for c in columns[-to_remove:]:
            removed += float(c.get(width))
            grid.remove(c)
        left = grid.findall(f"{W}gridCol")
        extra = int(removed / len(left)) if left else 0
        for c in left:
            c.set(width, str(int(float(c.get(width)) + extra)))


def _span(cell: Any) -> int:
    properties = cell.find(f"{W}tcPr")
    span = None if properties is None else properties.find(f"{W}gridSpan")
    return 1 if span is None else int(span.get(f"{W}val"))


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
    write_zip(path, entries.items)
    release(document)


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


def write_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    """A zip of ``entries`` (name, data), deflated, each entry's time ``ZIP_TIME``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(
                zipfile.ZipInfo(name, date_time=ZIP_TIME), data, compress_type=zipfile.ZIP_DEFLATED
            )
