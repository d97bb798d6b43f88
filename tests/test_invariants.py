"""Invariants over random inboxes: nothing crashes, nothing is lost, the books balance."""

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from builders import model, records, workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from aggregator.pipeline import aggregate
from aggregator.rendering.report import environment

ROOT = Path(__file__).resolve().parents[1]
# What a cell can hold: any text but control characters, which Excel cannot store either.
odd_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FFF), max_size=30
)
any_text = st.text(max_size=40)
cell = st.one_of(
    st.none(),
    odd_text,
    st.integers(-5, 3000),
    st.floats(allow_nan=False, width=32),
    st.sampled_from(
        [
            "Tổng cộng",
            "Tập thể",
            "Cá nhân",
            "5 - Giáo dục",
            "Duy trì",
            "=SUM(A1:A3)",
            "<script>x</script>",
            "  ",
            "Đăng ký mới",
        ]
    ),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
)
HEADERS = [
    "Tên mô hình, điển hình",
    "Lĩnh vực",
    "Đối tượng",
    "Tập thể, cá nhân thực hiện",
    "Năm xây dựng",
    "Tình trạng",
    "Giai đoạn",
    "Nội dung, cách làm",
    "Số nơi nhân rộng",
]


@st.composite
def row(draw):
    base = model(draw(odd_text) or "Mô hình", draw(st.integers(1, 11)))
    for header in draw(st.lists(st.sampled_from(HEADERS), max_size=3)):
        base[header] = draw(cell)
    return base


files = st.lists(
    st.tuples(
        st.sampled_from(["cam-lam", "ldld", "mttq", "khong-co", None]),
        st.lists(row(), max_size=6),
        st.sampled_from(["01/12/2026", "09/12/2026", None, "sai"]),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=files, junk=st.binary(max_size=200))
def test_random_inboxes_balance(cfg, files, junk):
    inbox = Path(tempfile.mkdtemp())
    try:
        for i, (code, rows, date) in enumerate(files):
            workbook(inbox / f"f{i}.xlsx", rows, code=code, name=None, report_date=date)
        (inbox / "random.xlsx").write_bytes(junk)
        result = aggregate(cfg, inbox, 2026, "annual")
    finally:
        shutil.rmtree(inbox)
    rows = result.summary["rows"]
    assert rows["read"] == rows["accepted"] + rows["rejected"] + rows["superseded"]
    assert rows["accepted"] == result.summary["totals"]["models"] == len(result.records)
    assert len(result.outcomes) == len(files) + 1
    random_file = next(o for o in result.outcomes if o.candidate.relative == "random.xlsx")
    assert random_file.status == "rejected" and random_file.problems
    for outcome in result.outcomes:
        if records(outcome) is None:
            continue
        bad_rows = set(records(outcome).loc[~records(outcome)["accepted"], "row"])
        explained = {p.row for p in outcome.problems if p.is_error and p.row}
        assert bad_rows == explained
        for problem in outcome.problems:
            assert problem.code and problem.message and (problem.row is None or problem.cell)
    assert sum(u["models"] for u in result.summary["units"]) == rows["accepted"]
    assert sum(f["models"] for f in result.summary["fields"]) == rows["accepted"]


@given(text=any_text)
def test_rendering_escapes_any_text(text):
    template = environment(ROOT / "templates").from_string("<p>{{ t }}</p>")
    for value in (text, f"<script>{text}</script>", f'"><img src=x onerror="{text}">'):
        assert template.render(t=value) == f"<p>{escape(value)}</p>"
