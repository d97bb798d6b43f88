"""Reading, step 3: find the list of models and the unit's information, wherever the unit put them.

The list sheet is found by its header texts, not by name or position; columns are mapped by
header, so moved, extra or renamed columns and added title rows still read right. Values stay
as the cells hold them; parsing them is the validator's job.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from aggregator import problems
from aggregator.config import Column, Config, Label
from aggregator.model import ListTable, Sheet, WorkbookRead
from aggregator.problems import ProblemCode
from aggregator.text import is_blank, loose_key, nfc

_NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")


def locate(sheets: list[Sheet], config: Config, relative: str) -> WorkbookRead:
    """Find the list table(s), the unit's information and its free-text assessment."""
    result = WorkbookRead()
    # a hidden sheet is never the list (a unit hides an old or draft one): it is named
    shown_sheets = [s for s in sheets if s.visible]
    found = find_headers(
        shown_sheets, config.columns, config.sheets["list"], config.limits["header_search_rows"]
    )
    hidden = find_headers(
        [s for s in sheets if not s.visible],
        config.columns,
        config.sheets["list"],
        config.limits["header_search_rows"],
    )
    result.problems += [
        problems.make(ProblemCode.SHEET_HIDDEN, file=relative, sheet=sheet.name)
        for sheet, _first, _last, _mapping in hidden
    ]
    if not found:
        expected = ", ".join(f'"{c.header}"' for c in config.columns if c.required)
        result.problems.append(problems.make(ProblemCode.HEADER_NOT_FOUND, file=relative, expected=expected))
    required = [c for c in config.columns if c.required]
    for n, (sheet, _first, last, mapping) in enumerate(found):
        missing = [c.header for c in required if c.key not in mapping]
        if n == 0:
            result.problems += [
                problems.make(ProblemCode.COLUMN_MISSING, file=relative, sheet=sheet.name, column=header)
                for header in missing
            ]
        elif missing:  # a second list-like sheet that cannot be read as a list: say so
            result.problems.append(
                problems.make(
                    ProblemCode.SHEET_IGNORED, file=relative, sheet=sheet.name, columns=", ".join(missing)
                )
            )
            continue
        stopped: list[str] = []
        result.tables.append(
            ListTable(
                sheet.name,
                last + 1,
                mapping,
                table_below(sheet.rows, last, mapping, stopped),
                stopped=stopped,
            )
        )
    listed = {t.sheet for t in result.tables}
    skipped = {loose_key(config.sheets["guide"]), loose_key(config.sheets["meta"])}
    others = [s for s in sheets if s.name not in listed and loose_key(s.name) not in skipped]
    result.meta = _meta(sheets, config.sheets["meta"])
    result.info = labelled_values(_prefer(others, config.sheets["info"]), config.info)
    if found:
        sheet, first = found[0][0], found[0][1]
        result.title = [nfc(v) for row in sheet.rows[:first] for v in row if not is_blank(v)]
        titled = labelled_values([Sheet(sheet.name, True, sheet.rows[:first])], config.info)
        result.info = {**titled, **result.info}
    result.assessment = {
        k: nfc(v)
        for k, v in labelled_values(
            _prefer(others, config.sheets["assessment"]), config.assessment, below=True
        ).items()
    }
    return result


def find_headers(
    sheets: list[Sheet], columns: list[Column], list_name: str, search_rows: int
) -> list[tuple[Sheet, int, int, dict[str, int]]]:
    """Every sheet's best header line(s), the best sheet first, the others in workbook order."""
    spellings = header_spellings(tuple(columns))
    best_by_sheet = []
    for sheet in sheets:
        found = _best_header(sheet, spellings, search_rows)
        if found is not None:
            preferred = int(loose_key(sheet.name) == loose_key(list_name))
            best_by_sheet.append(((found[0][0], preferred, found[0][2]), sheet, *found[1:]))
    if not best_by_sheet:
        return []
    top = max(best_by_sheet, key=lambda item: item[0])
    return [top[1:], *(item[1:] for item in best_by_sheet if item is not top)]


def _best_header(
    sheet: Sheet, spellings: HeaderSpellings, search_rows: int
) -> tuple[tuple[int, int, int], int, int, dict[str, int]] | None:
    best = None
    unbeatable = (spellings.columns, 0, 1)  # every column, on one line
    for i, row in enumerate(sheet.rows[:search_rows]):
        single = map_header(row, spellings)
        options = [(i, single)]
        if single and i + 1 < len(sheet.rows):  # a line with no header cell tops no header
            options.append((i + 1, map_header(_merge_lines(row, sheet.rows[i + 1]), spellings)))
        for last, mapping in options:
            # more known columns first, then one line over two
            rank = (len(mapping), 0, int(last == i))
            if "name" in mapping and rank[0] >= 3 and (best is None or rank > best[0]):
                best = (rank, i, last, mapping)
        if best is not None and best[0] == unbeatable:
            break
    return best


def _merge_lines(upper: list[Any], lower: list[Any]) -> list[Any]:
    """A header split over two lines (a merged group title above sub-columns) read as one."""
    return [lo if not is_blank(lo) else up for up, lo in zip(upper, lower, strict=False)]


_SEEN_LIMIT = 65536


class HeaderSpellings:
    """The known spellings of every column header, and what each cell text seen so far is."""

    def __init__(self, columns: tuple[Column, ...]):
        self.keys: dict[str, str] = {}
        for column in columns:
            for text in (column.header, *column.aliases):
                self.keys.setdefault(loose_key(text), column.key)
        self.columns = len(set(self.keys.values()))
        self.longest = max((len(key.split(" ")) for key in self.keys), default=1)
        self._seen: dict[str, tuple[str, bool] | None] = {}

    def match(self, cell: str) -> tuple[str, bool] | None:
        """(column key, whether the whole cell is the header) or None for any other text."""
        if cell not in self._seen:
            if len(self._seen) >= _SEEN_LIMIT:  # data rows searched bring endless new texts
                self._seen.clear()
            key = loose_key(cell)
            if key in self.keys:
                self._seen[cell] = (self.keys[key], True)
            else:
                known = self._longest_known_prefix(key)
                self._seen[cell] = (self.keys[known], False) if known else None
        return self._seen[cell]

    def _longest_known_prefix(self, key: str) -> str | None:
        """The longest known header that begins the cell in whole words ("lĩnh vực 1 11")."""
        words = key.split(" ", self.longest + 1)[: self.longest + 1]  # linear in the cell
        for end in range(min(len(words) - 1, self.longest), 0, -1):
            prefix = " ".join(words[:end])
            if prefix in self.keys:
                return prefix
        return None


@lru_cache(maxsize=8)
def header_spellings(columns: tuple[Column, ...]) -> HeaderSpellings:
    return HeaderSpellings(columns)


def map_header(line: list[Any], spellings: HeaderSpellings) -> dict[str, int]:
    """Column key -> index for the cells of one line that are known headers."""
    exact: dict[str, int] = {}
    prefixed: dict[str, int] = {}
    for index, cell in enumerate(line):
        if not isinstance(cell, str) or not cell or cell.isspace():
            continue
        found = spellings.match(cell)
        if found is not None:
            (exact if found[1] else prefixed).setdefault(found[0], index)
    taken = set(exact.values())
    for column_key, index in prefixed.items():
        if column_key not in exact and index not in taken:
            exact[column_key] = index
            taken.add(index)
    return exact


def table_below(
    rows: list[list[Any]], header: int, mapping: dict[str, int], stopped: list[str] | None = None
) -> list[dict[str, Any]]:
    """The data rows under the header: one per non-blank line, with its sheet row number.

    A row holding only a model code is a model the unit says has stopped (the pre-filled
    workbook's instruction): not a row, its code noted in ``stopped``.
    """
    records = []
    for i in range(header + 1, len(rows)):
        row = rows[i]
        values = {key: (row[idx] if idx < len(row) else "") for key, idx in mapping.items()}
        # a number or a model code alone is a row emptied of its model (pre-filled workbooks)
        if all(is_blank(v) for k, v in values.items() if k not in ("seq", "model_code")):
            if stopped is not None and not is_blank(values.get("model_code", "")):
                stopped.append(str(values["model_code"]))
            continue
        if i == header + 1 and _is_numbering(row):
            continue
        values["row"] = i + 1
        records.append(values)
    return records


def _is_numbering(row: list[Any]) -> bool:
    """The "(1) (2) (3) …" line that Party forms put under the header."""
    filled = [v for v in row if not is_blank(v)]
    return len(filled) >= 3 and all(
        _NUMBERING.match(str(int(v)) if isinstance(v, float) and v.is_integer() else nfc(v)) for v in filled
    )


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


def _meta(sheets: list[Sheet], name: str) -> dict[str, Any]:
    sheet = next((s for s in sheets if loose_key(s.name) == loose_key(name)), None)
    if sheet is None:
        return {}
    return {nfc(r[0]): r[1] for r in sheet.rows if len(r) >= 2 and not is_blank(r[0])}


def _prefer(sheets: list[Sheet], name: str) -> list[Sheet]:
    """The sheet with the expected name first, then visible sheets, then the rest."""
    return sorted(sheets, key=lambda s: (loose_key(s.name) != loose_key(name), not s.visible))
