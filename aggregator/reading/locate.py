"""Reading, step 3: find the list of models and the unit's information, wherever the unit put them.

The list sheet is found by its header texts, not by name or position; columns are mapped by
header, so moved, extra or renamed columns and added title rows still read right. Values stay
as the cells hold them; parsing them is the validator's job.

Where the list ends is decided here, and only here (``ListEnd``): a totals row ("Tổng cộng") and
the signature block under the list (place and date, "T/M …", titles, a signer's name, "Nơi
nhận"), in any column, are not rows of the list. They are never judged, never counted and
never put to the unit; blank rows in the middle of the list end nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from aggregator import problems
from aggregator.config import Column, Config
from aggregator.model import ListTable, Sheet, WorkbookRead
from aggregator.problems import ProblemCode
from aggregator.reading.labelled import labelled_values
from aggregator.text import is_blank, loose_key, nfc

_NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")
# "Vạn Ninh, ngày 06 tháng 12 năm 2026", "ngày … tháng … năm 2026" (a loose key: no punctuation)
_PLACE_DATE = re.compile(r"(?:^|\s)ngày(?:\s+\d{1,2})?\s+tháng(?:\s+\d{1,2})?\s+năm(?:\s+\d{4})?$")
_NAME_WORD = re.compile(r"^[^\W\d_]+$")


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
        left_out: list[int] = []
        rows = table_below(sheet.rows, last, mapping, stopped, ListEnd.of(config), left_out)
        result.tables.append(
            ListTable(sheet.name, last + 1, mapping, rows, stopped=stopped, left_out=left_out)
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
    rows: list[list[Any]],
    header: int,
    mapping: dict[str, int],
    stopped: list[str] | None = None,
    end: ListEnd | None = None,
    left_out: list[int] | None = None,
) -> list[dict[str, Any]]:
    """The data rows under the header: one per non-blank line, with its sheet row number.

    A row holding only a model code is a model the unit says has stopped (the pre-filled
    workbook's instruction): not a row, its code noted in ``stopped``. Totals rows and the
    signature block under the list (``end``) are not rows: their sheet row numbers go to
    ``left_out``.
    """
    records = _rows_below(rows, header, mapping, stopped)
    if end is None:
        return records
    kept = end.rows_of_the_list(records, rows)
    if left_out is not None:
        taken = {r["row"] for r in kept}
        left_out += [r["row"] for r in records if r["row"] not in taken]
    return kept


def _rows_below(
    rows: list[list[Any]], header: int, mapping: dict[str, int], stopped: list[str] | None
) -> list[dict[str, Any]]:
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


# a row with this many of the list's cells filled (number and code aside) is a model's row,
# whatever it says: a signature block fills one or two cells a row
_MODEL_CELLS = 4
_NOT_MODEL_CELLS = frozenset(("seq", "model_code", "row"))


class ListEnd:
    """Where a unit's list ends: the one owner of the rule (see the module's docstring).

    A totals row is left out wherever it is: its number or name cell says "Tổng cộng" (a model
    is never named so), or, in a row too sparse to be a model, any cell does. The signature
    block is the tail of the list after its last model-like row, from the first row that opens
    a signature (place and date, a phrase of ``signature.starts``, a title alone, a signer's
    name alone) to the end: sparse rows before that opening stay rows of the list (a model's
    row half filled is the unit's to complete), and so does a model named after a person
    ("Gương Nguyễn Văn Hùng" with its columns filled is model-like).
    """

    def __init__(self, totals: list[str], starts: list[str], titles: list[str], surnames: list[str]):
        self.totals = {loose_key(t) for t in totals}
        # a cell longer than any totals label, with room for spaces and marks, is not one
        self.totals_length = 2 * max((len(t) for t in totals), default=0) + 10
        self.starts = tuple(k for k in (loose_key(t) for t in starts) if k)
        self.titles = {loose_key(t) for t in titles}
        self.surnames = {loose_key(t) for t in surnames}

    @staticmethod
    def of(config: Config) -> ListEnd:
        sign = config.signature
        return _list_end(
            tuple(config.totals_labels), tuple(sign["starts"]), tuple(sign["titles"]), tuple(sign["surnames"])
        )

    def rows_of_the_list(self, records: list[dict[str, Any]], sheet: list[list[Any]]) -> list[dict[str, Any]]:
        """The records that are rows of the list (``sheet``: every cell of each row, any column)."""

        def cells(i: int) -> list[Any]:  # looked at only for the rows that need it
            return [v for v in sheet[records[i]["row"] - 1] if not is_blank(v)]

        model_like = [self._model_like(r) for r in records]
        kept = [r for i, r in enumerate(records) if not self.is_totals(r, partial(cells, i), model_like[i])]
        last = max((i for i, like in enumerate(model_like) if like), default=-1)
        opening = next((i for i in range(last + 1, len(records)) if self.opens_signature(cells(i))), None)
        if opening is None:
            return kept
        block = {r["row"] for r in records[opening:]}
        return [r for r in kept if r["row"] not in block]

    @staticmethod
    def _model_like(record: dict[str, Any]) -> bool:
        filled = 0
        for key, value in record.items():
            if key not in _NOT_MODEL_CELLS and not is_blank(value):
                filled += 1
                if filled >= _MODEL_CELLS:  # (enough seen: the rest of the row is not looked at)
                    return True
        return False

    def is_totals(self, record: dict[str, Any], cells: Callable[[], list[Any]], model_like: bool) -> bool:
        """ "Tổng cộng" in the number or name cell, or in any cell (``cells()``: the row's, any
        column) of a row too sparse to be a model."""
        if any(self._totals_cell(record.get(k)) for k in ("seq", "name")):
            return True
        return not model_like and any(self._totals_cell(v) for v in cells())

    def _totals_cell(self, value: Any) -> bool:
        if not isinstance(value, str) or len(value) > self.totals_length:
            return False
        words = loose_key(value).split(" ")
        # the label alone, or followed by a figure: "Tổng cộng: 12", "TỔNG CỘNG: 3 mô hình"
        end = next((i for i, w in enumerate(words) if w.isdigit()), len(words))
        return " ".join(words[:end]) in self.totals

    def opens_signature(self, cells: list[Any]) -> bool:
        """A row that begins a signature block: place and date, "T/M …", a title, a name alone."""
        texts = [loose_key(v) for v in cells if isinstance(v, str)]
        if any(self._signature_text(t) for t in texts):
            return True
        words = [v for v in cells if not isinstance(v, int | float)]  # a number beside it aside
        return len(words) == 1 and isinstance(words[0], str) and self.is_signer(words[0])

    def _signature_text(self, key: str) -> bool:
        if not key or len(key) > 120:
            return False
        if key in self.titles or _PLACE_DATE.search(key):
            return True
        return any(key == s or key.startswith(s + " ") for s in self.starts)

    def is_signer(self, text: str) -> bool:
        """A person's name alone: two to five words, each capitalised, the first a surname."""
        words = nfc(text).split()
        if not 2 <= len(words) <= 5 or not all(_NAME_WORD.match(w) and w[0].isupper() for w in words):
            return False
        return loose_key(words[0]) in self.surnames


@lru_cache(maxsize=8)
def _list_end(
    totals: tuple[str, ...], starts: tuple[str, ...], titles: tuple[str, ...], surnames: tuple[str, ...]
) -> ListEnd:
    return ListEnd(list(totals), list(starts), list(titles), list(surnames))


def _is_numbering(row: list[Any]) -> bool:
    """The "(1) (2) (3) …" line that Party forms put under the header."""
    filled = [v for v in row if not is_blank(v)]
    return len(filled) >= 3 and all(
        _NUMBERING.match(str(int(v)) if isinstance(v, float) and v.is_integer() else nfc(v)) for v in filled
    )


def _meta(sheets: list[Sheet], name: str) -> dict[str, Any]:
    sheet = next((s for s in sheets if loose_key(s.name) == loose_key(name)), None)
    if sheet is None:
        return {}
    return {nfc(r[0]): r[1] for r in sheet.rows if len(r) >= 2 and not is_blank(r[0])}


def _prefer(sheets: list[Sheet], name: str) -> list[Sheet]:
    """The sheet with the expected name first, then visible sheets, then the rest."""
    return sorted(sheets, key=lambda s: (loose_key(s.name) != loose_key(name), not s.visible))
