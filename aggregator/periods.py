"""A reporting period's identity: its folder's name, its place in time, and how Vietnamese says it.

A period is a year and a kind (``Period.ANNUAL`` or ``Period.HALF_YEAR``). Everything that names
one (the outbox's folders, the register's order, in Python and in SQL, the report's and the
letters' words) asks here, so a rule about periods is written once.
"""

from __future__ import annotations

import re

from aggregator.model import Period

HALF_YEAR_SUFFIX = "-6-thang"  # a half-year's folder: "2026-6-thang"; a year's is "2026"
_FOLDER = re.compile(rf"^([1-9][0-9]{{3}})({re.escape(HALF_YEAR_SUFFIX)})?$")  # ASCII digits, no leading zero

# within a year, the half-year comes first
ORDER: dict[str, int] = {Period.HALF_YEAR: 0, Period.ANNUAL: 1}

# ``rank`` of a row with ``year`` and ``period`` columns, in SQL (the register's queries)
RANK_SQL = f"year * 2 + (period = '{Period.ANNUAL}')"

# how a text names the kind of period: short ("6 tháng"), and in a report's or letter's
# sentence ("báo cáo … 6 tháng đầu năm 2026")
_KIND: dict[str, str] = {Period.ANNUAL: "năm", Period.HALF_YEAR: "6 tháng"}
_PHRASE: dict[str, str] = {Period.ANNUAL: "năm", Period.HALF_YEAR: "6 tháng đầu năm"}


def folder_name(year: int, period: str) -> str:
    """The outbox folder of a period: "2026" for the year, "2026-6-thang" for the half-year."""
    return str(year) if period == Period.ANNUAL else f"{year}{HALF_YEAR_SUFFIX}"


def review_folder_name(year_from: int, year_to: int, period: str) -> str:
    """A review's folder: ``tong-ket-2024-2026`` (of half-years: ``tong-ket-2024-2026-6-thang``)."""
    return f"tong-ket-{year_from}-{year_to}" + ("" if period == Period.ANNUAL else HALF_YEAR_SUFFIX)


def parse_folder(name: str) -> tuple[int, str] | None:
    """The year and period a folder's name says ("2025", "2025-6-thang"), else None."""
    match = _FOLDER.fullmatch(name)
    return (int(match[1]), Period.HALF_YEAR if match[2] else Period.ANNUAL) if match else None


def rank(year: int, period: str) -> int:
    """Periods in time order: 2025 half-year < 2025 annual < 2026 half-year."""
    return year * 2 + ORDER[period]


def at_rank(value: int) -> tuple[int, str]:
    """The period of a rank: ``rank``'s inverse."""
    return value // 2, Period.ANNUAL if value % 2 else Period.HALF_YEAR


def following(year: int, period: str) -> tuple[int, str]:
    """The period after this one: a year's half-year after the year before, the year after it."""
    return at_rank(rank(year, period) + 1)


def kind_words(period: str) -> str:
    """The kind of period, short: "năm" or "6 tháng" (a chart's caption)."""
    return _KIND[period]


def phrase(period: str) -> str:
    """The kind of period in a report's or letter's sentence: "năm" or "6 tháng đầu năm"."""
    return _PHRASE[period]


def in_words(year: int, period: str) -> str:
    """A period named in a sentence: "năm 2026", "6 tháng 2026"."""
    return f"{kind_words(period)} {year}"
