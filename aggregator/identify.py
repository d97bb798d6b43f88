"""Stage 4: say which unit a workbook is from, and that it is this year's and this period's.

Units are found by code, then by name or alias through matching keys (abbreviations such as
HU, TU, ĐU and MTTQ expanded alike on both sides), then by the title rows, and last by the
file's name, each fallback flagged.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from . import problems
from .config import Config
from .problems import Problem
from .read import WorkbookRead
from .text import Vocabulary, is_blank, loose_key, nfc, strip_marks
from .values import as_text, read_date, whole_number

_YEAR_IN_TEXT = re.compile(r"\b(19\d\d|20\d\d)\b")


class UnitMatcher:
    """Finds units by name or alias, however people abbreviate or accent them."""

    def __init__(self, config: Config):
        self.config = config
        pairs = sorted(((loose_key(k), loose_key(v)) for k, v in config.abbreviations.items()),
                       key=lambda kv: -len(kv[0]))
        self._abbreviations = pairs
        self._ignore = sorted((loose_key(t) for t in config.ignore), key=len, reverse=True)
        self.exact: dict[str, set[str]] = {}
        self.unmarked: dict[str, set[str]] = {}
        for unit in config.units:
            for text in (unit.name, *unit.aliases):
                key = self.canonical(text)
                self.exact.setdefault(key, set()).add(unit.code)
                self.unmarked.setdefault(strip_marks(key), set()).add(unit.code)
        self.codes = {u.code for u in config.units}

    def canonical(self, text: str) -> str:
        key = f" {loose_key(text)} "
        for full, short in self._abbreviations:
            key = key.replace(f" {full} ", f" {short} ")
            unmarked_full = strip_marks(full)
            if unmarked_full != full:
                key = key.replace(f" {unmarked_full} ", f" {short} ")
        for phrase in self._ignore:
            key = key.replace(f" {phrase} ", " ")
        return " ".join(key.split())

    def by_name(self, text: str) -> tuple[set[str], str]:
        """Units whose name or alias is this text: exact key first, then without diacritics."""
        key = self.canonical(text)
        if key in self.exact:
            return self.exact[key], "exact"
        return self.unmarked.get(strip_marks(key), set()), "unmarked"

    def by_code(self, raw: Any) -> str | None:
        code = nfc(raw).lower().replace(" ", "")
        return code if code in self.codes else None

    def in_filename(self, stem: str) -> set[str]:
        """Units whose name or alias is spelled out in a file name (longest wins)."""
        name = f" {strip_marks(self.canonical(re.sub(r'[_.]+', ' ', stem)))} "
        hits = [(len(k), codes) for k, codes in self.unmarked.items() if f" {k} " in name]
        if not hits:
            return set()
        longest = max(length for length, _ in hits)
        return set().union(*(codes for length, codes in hits if length == longest))


@dataclass
class Identity:
    unit: str | None = None
    how: str = ""  # code | name | title | filename
    year: int | None = None
    period: str | None = None
    report_date: dt.date | None = None
    problems: list[Problem] = field(default_factory=list)


def identify(book: WorkbookRead, matcher: UnitMatcher, relative: str, stem: str,
             year: int, period: str) -> Identity:
    """The unit, year, period and report date of one workbook, with what went wrong."""
    identity = Identity()
    _unit(identity, book, matcher, relative, stem)
    _year(identity, book, relative, year)
    _period(identity, book, matcher.config, relative, period)
    _report_date(identity, book, relative)
    return identity


def _info(book: WorkbookRead, key: str) -> Any:
    value = book.info.get(key)
    return book.meta.get(key) if is_blank(value) else value


def _unit(identity: Identity, book: WorkbookRead, matcher: UnitMatcher, relative: str,
          stem: str) -> None:
    add = identity.problems.append
    raw_code, raw_name = _info(book, "unit_code"), book.info.get("unit_name")
    code = None if is_blank(raw_code) else matcher.by_code(raw_code)
    if code is None and not is_blank(raw_code) and is_blank(raw_name):
        raw_name = raw_code  # a name typed where the code belongs
    named, how = (set(), "") if is_blank(raw_name) else matcher.by_name(as_text(raw_name))
    if code is not None:
        if named and code not in named:
            names = ", ".join(sorted(matcher.config.unit(c).name for c in named))
            add(problems.make("unit_conflict", file=relative, value=as_text(raw_name),
                              unit_code=code, code_name=matcher.config.unit(code).name,
                              candidates=names))
            return
        identity.unit, identity.how = code, "code"
        return
    if named:
        _by_name(identity, named, how, as_text(raw_name), matcher, relative)
        return
    if not is_blank(raw_code) or not is_blank(raw_name):
        shown = as_text(raw_name if not is_blank(raw_name) else raw_code)
        add(problems.make("unit_unknown", file=relative, value=shown))
        return
    _fallbacks(identity, book, matcher, relative, stem)


def _by_name(identity: Identity, named: set[str], how: str, text: str, matcher: UnitMatcher,
             relative: str) -> None:
    if len(named) > 1:
        names = ", ".join(sorted(matcher.config.unit(c).name for c in named))
        identity.problems.append(problems.make("unit_ambiguous", file=relative, value=text,
                                               candidates=names))
        return
    identity.unit, identity.how = next(iter(named)), "name"
    if how == "unmarked":
        identity.problems.append(problems.make(
            "unit_by_loose_name", file=relative, value=text,
            unit=matcher.config.unit(identity.unit).name))


def _fallbacks(identity: Identity, book: WorkbookRead, matcher: UnitMatcher, relative: str,
               stem: str) -> None:
    for line in book.title:
        named, _ = matcher.by_name(line)
        if len(named) == 1:
            identity.unit, identity.how = next(iter(named)), "title"
            return
    named = matcher.in_filename(stem)
    if len(named) == 1:
        identity.unit, identity.how = next(iter(named)), "filename"
        identity.problems.append(problems.make(
            "unit_by_filename", file=relative, unit=matcher.config.unit(identity.unit).name))
        return
    identity.problems.append(problems.make("unit_missing", file=relative))


def _year(identity: Identity, book: WorkbookRead, relative: str, year: int) -> None:
    raw = _info(book, "year")
    period = _info(book, "period")
    if is_blank(raw) and isinstance(period, str) and _YEAR_IN_TEXT.search(period):
        raw = period  # "Kỳ báo cáo: Năm 2026" carries the year too
    found = whole_number(raw)
    if found is None and isinstance(raw, str):
        match = _YEAR_IN_TEXT.search(raw)
        found = int(match.group(1)) if match else None
    if is_blank(raw):
        identity.problems.append(problems.make("year_assumed", file=relative, expected=year))
        found = year
    elif found is None:
        identity.problems.append(problems.make("info_invalid", file=relative,
                                               column="Năm báo cáo", value=as_text(raw)))
        found = year
    elif found != year:
        identity.problems.append(problems.make("year_mismatch", file=relative, value=found,
                                               expected=year))
    identity.year = found


def _period(identity: Identity, book: WorkbookRead, config: Config, relative: str,
            period: str) -> None:
    raw = _info(book, "period")
    expected = config.period_label(period)
    vocabulary = Vocabulary([(p.code, [p.code, p.label, *p.aliases]) for p in config.periods])
    text = _YEAR_IN_TEXT.sub("", as_text(raw)).strip(" -–")
    found = None if is_blank(raw) else vocabulary.lookup(text)
    if is_blank(raw) or found is None:
        code = "period_assumed" if is_blank(raw) else "info_invalid"
        identity.problems.append(problems.make(code, file=relative, expected=expected,
                                               column="Kỳ báo cáo", value=as_text(raw)))
        identity.period = period
        return
    identity.period = str(found[0])
    if identity.period != period:
        identity.problems.append(problems.make("period_mismatch", file=relative,
                                               value=as_text(raw), expected=expected))


def _report_date(identity: Identity, book: WorkbookRead, relative: str) -> None:
    raw = book.info.get("report_date")
    if is_blank(raw):
        return
    identity.report_date = read_date(raw)
    if identity.report_date is None:
        identity.problems.append(problems.make("info_invalid", file=relative,
                                               column="Ngày báo cáo", value=as_text(raw)))
