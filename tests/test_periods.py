"""A period's identity in one place: its folder's name, its rank, and how the texts say it."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from aggregator import periods
from aggregator.model import Period

YEARS = st.integers(min_value=1000, max_value=9999)
KINDS = st.sampled_from(list(Period))


@given(YEARS, KINDS)
def test_a_folder_name_reads_back_as_its_period(year, period):
    assert periods.parse_folder(periods.folder_name(year, period)) == (year, period)


@given(st.text(alphabet=st.sampled_from("0123456789-6thang٢٠𝟚x"), max_size=14) | st.text(max_size=14))
def test_a_name_that_reads_as_a_period_is_written_back_the_same(name):
    when = periods.parse_folder(name)
    assert when is None or periods.folder_name(*when) == name


def test_the_folder_names():
    assert periods.folder_name(2026, Period.ANNUAL) == "2026"
    assert periods.folder_name(2026, Period.HALF_YEAR) == "2026-6-thang"
    for name in ("2026-ca-nam", "2026-6-thang-x", "luu-tru", "226", "2026-6-thang/", " 2026", "٢٠٢٦"):
        assert periods.parse_folder(name) is None


@given(YEARS, KINDS, YEARS, KINDS)
def test_rank_orders_periods_in_time_and_sql_agrees(y1, p1, y2, p2):
    before = (y1, periods.ORDER[p1]) < (y2, periods.ORDER[p2])
    assert (periods.rank(y1, p1) < periods.rank(y2, p2)) == before
    assert periods.at_rank(periods.rank(y1, p1)) == (y1, p1)
    with sqlite3.connect(":memory:") as db:
        query = f"SELECT {periods.RANK_SQL} FROM (SELECT ? AS year, ? AS period)"
        assert db.execute(query, (y1, str(p1))).fetchone()[0] == periods.rank(y1, p1)


def test_the_period_after_and_the_words():
    assert periods.following(2025, Period.ANNUAL) == (2026, Period.HALF_YEAR)
    assert periods.following(2025, Period.HALF_YEAR) == (2025, Period.ANNUAL)
    assert periods.in_words(2025, Period.ANNUAL) == "năm 2025"
    assert periods.in_words(2026, Period.HALF_YEAR) == "6 tháng 2026"
    assert periods.phrase(Period.HALF_YEAR) == "6 tháng đầu năm" and periods.phrase("annual") == "năm"
    assert periods.kind_words("half_year") == "6 tháng"


def test_a_year_with_a_leading_zero_is_no_period():
    """ "0999" would be written back as "999": not a period's folder (hypothesis found "0000")."""
    assert periods.parse_folder("0000") is None and periods.parse_folder("0999-6-thang") is None
    assert periods.parse_folder("1000") == (1000, Period.ANNUAL)
