"""Reading, step 3b: the values a form writes beside (or under) its labels, the first found winning.

The unit's information ("Mã đơn vị: cam-lam", a label with its value to the right) and its
self-assessment (answers under their questions) are read this way, wherever the unit put them.
"""

from __future__ import annotations

from typing import Any

from aggregator.config import Label
from aggregator.model import Sheet
from aggregator.text import is_blank, loose_key

_LABEL_AREA = (300, 40)  # rows, columns


def labelled_values(sheets: list[Sheet], labels: list[Label], below: bool = False) -> dict[str, Any]:
    """Values written beside (or, for answers, under) a known label, first found wins.

    Labels are looked for in the top-left ``_LABEL_AREA`` of each sheet: a form's labels sit
    there, and a large helper sheet costs nothing."""
    keys = {loose_key(t): lab.key for lab in labels for t in (lab.label, *lab.aliases)}
    found: dict[str, Any] = {}
    rows, columns = _LABEL_AREA
    for sheet in sheets:
        for i, row in enumerate(sheet.rows[:rows]):
            for j, cell in enumerate(row[:columns]):
                if not isinstance(cell, str) or is_blank(cell):
                    continue
                label, inline = _split_label(cell)
                key = keys.get(loose_key(label))
                if key is None or key in found:
                    continue
                value = inline if not is_blank(inline) else _right_of(row, j)
                if is_blank(value) and below:
                    value = _under(sheet.rows, i, j, keys)
                if not is_blank(value):
                    found[key] = value
    return found


def _split_label(cell: str) -> tuple[str, str]:
    """ "Mã đơn vị: cam-lam" → ("Mã đơn vị", "cam-lam"); a plain label has no inline value."""
    if ":" in cell:
        label, _, value = cell.partition(":")
        return label, value.strip()
    return cell, ""


def _right_of(row: list[Any], j: int) -> Any:
    return next((v for v in row[j + 1 : j + 3] if not is_blank(v)), "")


def _under(rows: list[list[Any]], i: int, j: int, keys: dict[str, str]) -> Any:
    for row in rows[i + 1 : i + 4]:
        value = next((v for v in row[j:] if not is_blank(v)), "")
        if not is_blank(value):
            return "" if loose_key(_split_label(str(value))[0]) in keys else value
    return ""
