"""The review's figures as a library: each reward once, and invariants over any register
(hypothesis). The review of a real three-year register is in test_review.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.merging import register
from aggregator.merging import review as review_figures
from aggregator.merging.review import Appearance, ModelTimeline
from aggregator.rendering import report
from aggregator.rendering import review as rendering

ROOT = Path(__file__).resolve().parents[1]


def test_each_reward_once_in_the_first_year_it_was_reported():
    def seen(year, form, decision):
        return Appearance(year, "M", "honoured", 1, form, decision)

    model = ModelTimeline(
        "x-aaaaaa",
        "Đơn vị",
        "x",
        "M",
        1,
        (
            seen(2024, "Bằng khen", None),
            seen(2025, "bằng  khen", "QĐ 12/QĐ-UBND"),  # its decision filled in later: the same
            seen(2026, "Bằng khen", "QĐ 99/QĐ-UBND"),  # another decision: another reward
        ),
    )
    assert [(r.year, r.form, r.decision) for r in model.rewards()] == [
        (2024, "Bằng khen", "QĐ 12/QĐ-UBND"),  # first reported in 2024, its decision from 2025
        (2026, "Bằng khen", "QĐ 99/QĐ-UBND"),
    ]
    alone = ModelTimeline("y", "Đơn vị", "y", "M", 1, (seen(2024, None, "QĐ 5"), seen(2025, "", "qđ 5")))
    assert [(r.year, r.decision) for r in alone.rewards()] == [(2024, "QĐ 5")]


POOL = [(f"m{i}", ("cam-lam", "nha-trang", "ldld", "da-giai-the")[i % 4], 1 + i % 11) for i in range(8)]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([2024, 2025, 2026]),
            st.integers(0, len(POOL) - 1),
            st.sampled_from(["discovered", "replicated", "honoured"]),
            st.integers(0, 5),
            st.text(min_size=1, max_size=12),
        ),
        min_size=1,
        max_size=24,
        unique_by=lambda r: (r[0], r[1]),
    )
)
def test_the_figures_add_up_and_render_whatever_the_register_holds(cfg, tmp_path_factory, records):
    """Invariants of any register: each year's models by field, by stage and by unit add up to its
    models, new and continuing too; the maintained are in every year held; the advanced went
    up; the units no longer in the registry are counted; the HTML renders whatever the names."""
    rows = tuple(
        {
            **dict.fromkeys(["year", "period", *register.COLUMNS]),
            "year": year,
            "period": "annual",
            "code": POOL[i][0],
            "unit": POOL[i][1],
            "unit_name": cfg.unit(POOL[i][1]).name if POOL[i][1] != "da-giai-the" else "Đơn vị đã giải thể",
            "field": POOL[i][2],
            "name": name,
            "stage": stage,
            "replications": places,
        }
        for year, i, stage, places, name in sorted(records)
    )
    held = tuple(sorted({r["year"] for r in rows}))
    first = {c: min(r["year"] for r in rows if r["code"] == c) for c in {r["code"] for r in rows}}
    span = review_figures._figures(cfg, 2024, 2026, "annual", (2024, 2025, 2026), held, (), (), rows, first)
    assert span.years_missing == tuple(y for y in (2024, 2025, 2026) if y not in held)
    for y in span.years:
        assert sum(y.by_field) == sum(n for _, n in y.by_stage) == y.new + y.continuing == y.models
        assert sum(dict(u.counts)[y.year] for u in span.units) == y.models
        assert y.replications == sum(r["replications"] for r in rows if r["year"] == y.year)
    assert span.total_models == len(first) and len(span.rows) == len(rows)
    assert all(m.years == held for m in span.maintained) and (len(held) > 1 or not span.maintained)
    order = {"discovered": 0, "replicated": 1, "honoured": 2}
    assert all(order[a.after] > order[a.before] for a in span.advanced)
    assert any(u.code is None for u in span.units) == any(r["unit"] == "da-giai-the" for r in rows)
    model = rendering.context(span, cfg, dt.date(2026, 12, 20))
    html = report.render_html(ROOT / "templates", model, rendering.HTML)
    assert "<script" not in html.split("</style>")[1]
    assert all(f"Năm {y}: chưa có dữ liệu trong sổ mô hình" in html for y in span.years_missing)


def test_a_decision_is_named_once_whatever_the_unit_wrote():
    assert rendering.decision("12/QĐ-UBND ngày 01/3/2024") == "quyết định 12/QĐ-UBND ngày 01/3/2024"
    assert rendering.decision("Quyết định 12/QĐ-UBND") == "quyết định 12/QĐ-UBND"
    assert rendering.decision("quyết định số 45-QĐ/HU") == "quyết định số 45-QĐ/HU"
    assert rendering.decision("QĐ 2024/QĐ-UBND") == "QĐ 2024/QĐ-UBND"
    assert rendering.decision("Quyết 3") == "quyết định Quyết 3"  # not the word: named as before
