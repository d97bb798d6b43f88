"""Checking, step 1: typed readings of single cell values, as people really type them.

Each reader takes one raw value and answers a ``Reading``: the parsed value, or the problem
code (and its parameters) that says why it could not be read. Pure and cached by the caller.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from aggregator.config import Column, Config
from aggregator.model import Uncalculated
from aggregator.problems import ProblemCode
from aggregator.text import Vocabulary, as_text, is_blank, nfc

_LEADING_NUMBER = re.compile(
    r"^\s*(?:lĩnh vực|lv)?\s*(\d{1,2})(?:\s*[-.:)/–]\s*|\s*$|\s+)(.*)$", re.IGNORECASE
)
_INTEGER = re.compile(r"^\s*\d{1,18}\s*$")  # longer digit strings are not a count or a year
_DATE_TEXT = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2,4})\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass(frozen=True)
class Reading:
    value: Any = None
    code: ProblemCode | Literal[""] = ""  # why it could not be read cleanly; "" when it was
    params: dict[str, Any] = field(default_factory=dict)


BLANK = Reading()


def whole_number(raw: Any) -> int | None:
    """5, 5.0 and " 5 " are 5; anything else is not a whole number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    if isinstance(raw, str) and _INTEGER.match(raw):
        return int(raw)
    return None


def read_date(raw: Any) -> dt.date | None:
    """A date cell, dd/mm/yyyy text, ISO text or an Excel serial number."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    number = raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
    if number is not None and 20000 < number < 80000:
        return _EXCEL_EPOCH + dt.timedelta(days=int(number))
    text = nfc(raw)
    match = _DATE_TEXT.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year + 2000 if year < 100 else year, month, day)
        match = _ISO_DATE.match(text)
        if match:
            return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
    return None


class ColumnReader:
    """Reads the values of one column of the list sheet, by the column's type in the schema."""

    def __init__(self, column: Column, config: Config):
        self.column = column
        self.config = config
        self.vocabulary = self._vocabulary()
        self._cache: dict[Any, Reading] = {}

    def _vocabulary(self) -> Vocabulary | None:
        if self.column.type == "subject":
            return self.config.vocabulary(self.config.subjects)
        if self.column.type == "choice":
            return self.config.vocabulary(self.column.choices)
        if self.column.type == "field":
            return Vocabulary([(f.code, [f.name, f.short, *f.aliases]) for f in self.config.fields])
        return None

    def read(self, raw: Any) -> Reading:
        if self.column.type == "text" and isinstance(raw, str):  # free text: nothing to cache
            return Reading(as_text(raw)) if raw and not raw.isspace() else BLANK
        cache_key = (type(raw).__name__, raw) if isinstance(raw, (str, int, float)) else repr(raw)
        if cache_key not in self._cache:
            self._cache[cache_key] = BLANK if is_blank(raw) else self._read(raw)
        return self._cache[cache_key]

    def _read(self, raw: Any) -> Reading:
        if isinstance(raw, Uncalculated):
            return Reading(code=ProblemCode.FORMULA_WITHOUT_VALUE, params={"formula": str(raw)})
        kind = self.column.type
        if kind in ("text", "integer"):
            return Reading(as_text(raw))
        if kind == "count":
            return self._count(raw)
        if kind == "year":
            return self._year(raw)
        if kind == "field":
            return self._field(raw)
        return self._choice(raw)

    def _count(self, raw: Any) -> Reading:
        number = whole_number(raw)
        if number is None or number < 0:
            return Reading(code=ProblemCode.NUMBER_INVALID, params={})
        limit = self.config.limits["max_replications"]
        if number > limit:  # 1e300 typed in a cell is a whole number too
            return Reading(
                code=ProblemCode.NUMBER_TOO_LARGE, params={"limit": f"{limit:,}".replace(",", ".")}
            )
        return Reading(number)

    def _year(self, raw: Any) -> Reading:
        year = raw.year if isinstance(raw, dt.date) else whole_number(raw)
        if year is None or not self.config.earliest_year <= year <= 2100:
            return Reading(code=ProblemCode.YEAR_INVALID)
        return Reading(year)

    def _field(self, raw: Any) -> Reading:
        codes = {f.code for f in self.config.fields}
        number = whole_number(raw)
        if number is None and isinstance(raw, str):
            match = _LEADING_NUMBER.match(nfc(raw))
            number = int(match.group(1)) if match else None
        if number in codes:
            return Reading(number)
        return self._choice(raw) if number is None else self._field_error(raw)

    def _field_error(self, raw: Any) -> Reading:
        allowed = ", ".join(f"{f.code} - {f.short}" for f in self.config.fields)
        return Reading(code=ProblemCode.FIELD_INVALID, params={"allowed": allowed})

    def _choice(self, raw: Any) -> Reading:
        assert self.vocabulary is not None
        found = self.vocabulary.lookup(raw)
        if found is None:
            if self.column.type == "field":
                return self._field_error(raw)
            return Reading(code=ProblemCode.CHOICE_INVALID, params={"allowed": self.allowed()})
        code, how = found
        if how == "exact":
            return Reading(code)
        return Reading(code, code=ProblemCode.CHOICE_GUESSED, params={"read_as": self.label(code)})

    def allowed(self) -> str:
        choices = self.config.subjects if self.column.type == "subject" else self.column.choices
        return ", ".join(c.label for c in choices)

    def label(self, code: Any) -> str:
        if self.column.type == "field":
            return f"{code} - {self.config.field_by_code(code).name}"
        choices = self.config.subjects if self.column.type == "subject" else self.column.choices
        return next(c.label for c in choices if c.code == code)
