"""Rendering: a Word table's grid (its columns' widths) made to fit the cells rendered in it.

Two rules, each once, for both ways a report is rendered (a parsed tree: ``fix_table`` and
``grid_from_cells``; a stream: ``docx_stream``, from counts noted as the rows pass):

- ``fixed_columns``, docxtpl's ``fix_tables`` (0.20): a grid column added for each cell past
  the grid (all narrowed to keep the width), then those no row's cells reach removed (their
  width shared among the others). A template repeating a column ({%tc for %}) needs it.
- ``fitted_columns``, the report's own: the columns as wide as the first row's cells say (the
  widths docxtpl averaged would shrink the name column to a number's), and the whole table
  shrunk alike when it would pass the right margin by over 1 mm (not rounding).

A column is its width as the XML writes it (``w:w``), or None when it has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WIDTH = f"{W}w"
MARGIN_SLACK = 57  # twips (1 mm): a table past the margin by no more is left as it is

Columns = list[str | None]


def fixed_columns(columns: Sequence[str | None], most_cells: int, reached: int) -> Columns:
    """docxtpl's fix: ``most_cells`` the most cells of any row, ``reached`` the most grid
    columns any row's cells span."""
    columns = list(columns)
    to_add = max(0, most_cells - len(columns))
    if to_add > 0:
        total = sum(float(c) for c in columns if c is not None)
        if total > 0:
            old_average, new_average = total / len(columns), total / (len(columns) + to_add)
            columns = [str(int(_number(c) * new_average / old_average)) for c in columns]
            columns += [str(int(new_average))] * to_add
    to_remove = len(columns) - reached
    if to_remove > 0:
        removed = sum(_number(c) for c in columns[-to_remove:])
        columns = columns[:-to_remove]
        extra = int(removed / len(columns)) if columns else 0
        columns = [str(int(_number(c) + extra)) for c in columns]
    return columns


def _number(width: str | None) -> float:
    if width is None:  # (docxtpl's fix fails on it too)
        raise ValueError("a grid column with no width, in a table whose grid must change")
    return float(width)


def fitted_columns(
    columns: Sequence[str | None], first_row: Sequence[str | None], room: int
) -> tuple[Columns, int]:
    """The report's fit: the columns from the first row's cells' widths (``first_row``, one
    per cell, None for a cell with none), and the total the table's every width is then
    shrunk from (``shrunk``), 0 when it fits within ``room`` (twips)."""
    columns = list(columns)
    if first_row and None not in first_row and len(first_row) == len(columns):
        columns = list(first_row)
    total = sum(int(c or 0) for c in columns)
    if total > room + MARGIN_SLACK:
        return [shrunk(c, room, total) for c in columns], total
    return columns, 0


def shrunk(width: str | None, room: int, total: int) -> str:
    """A width of a table ``total`` wide, shrunk to fit ``room``."""
    return str(int(width or 0) * room // total)


def room_of(sections: Sequence[Any]) -> int:
    """The narrowest text width of the document's sections (python-docx's), in twips."""
    return min(s.page_width - s.left_margin - s.right_margin for s in sections) // 635


def fix_table(table: Any) -> None:
    """``fixed_columns`` on a parsed table, in place."""
    rows = [row.findall(f"{W}tc") for row in table.iter(f"{W}tr")]
    most = max([0, *(len(cells) for cells in rows)])
    reached = max([0, *(sum(_span(c) for c in cells) for cells in rows)])
    _set_grid(table.find(f"{W}tblGrid"), fixed_columns(_columns(table), most, reached))


def grid_from_cells(body: Any, room: int) -> None:
    """``fitted_columns`` on every table of a rendered body (parsed), in place; ``room`` the
    narrowest text width of its sections (``room_of``)."""
    for table in body.iter(f"{W}tbl"):
        first = table.find(f"{W}tr")  # the XML itself: python-docx's rows build every cell
        grid = table.find(f"{W}tblGrid")
        if first is None or grid is None:
            continue
        widths = [tc.find(f"{W}tcPr/{W}tcW") for tc in first.findall(f"{W}tc")]
        first_row = [None if w is None else w.get(WIDTH) for w in widths]
        columns, total = fitted_columns(_columns(table), first_row if None not in widths else [None], room)
        _set_grid(grid, columns)
        if total:
            for node in table.iter(f"{W}tcW"):
                node.set(WIDTH, shrunk(node.get(WIDTH), room, total))


def _columns(table: Any) -> Columns:
    return [c.get(WIDTH) for c in table.find(f"{W}tblGrid").findall(f"{W}gridCol")]


def _set_grid(grid: Any, columns: Columns) -> None:
    """The grid's columns made ``columns``: widths set, columns added or removed at its end."""
    from lxml import etree  # type: ignore[import-untyped]  # (no stubs at hand)

    present = grid.findall(f"{W}gridCol")
    for column in present[len(columns) :]:
        grid.remove(column)
    for i, width in enumerate(columns):
        column = present[i] if i < len(present) else etree.SubElement(grid, f"{W}gridCol")
        if width is not None and column.get(WIDTH) != width:
            column.set(WIDTH, width)


def _span(cell: Any) -> int:
    properties = cell.find(f"{W}tcPr")
    span = None if properties is None else properties.find(f"{W}gridSpan")
    return 1 if span is None else int(span.get(f"{W}val"))
