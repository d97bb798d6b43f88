"""What the run holds once: a row continuity leaves under its own code is not copied, the
records' columns are one object however many files bring them, each unit's records merged and
its rows let go as soon as it is continued, what only reading needs let go before merging, no
whole-frame copies for the outstanding models or the earlier years, and freed memory handed
back to the system where the C library can (``heap``)."""

from __future__ import annotations

import datetime as dt
import importlib
import pickle
import weakref
from pathlib import Path

import pandas as pd
from builders import model, record_rows, workbook
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator import heap
from aggregator.merging import continuity, merge, summarise
from aggregator.merging.register_reading import OtherPeriods
from aggregator.model import Candidate, FileOutcome, FileStatus, RecordColumns, Submission, UnitStatus
from aggregator.pipeline.run import compacted_unit

running = importlib.import_module("aggregator.pipeline.run")  # (the package's ``run`` is the function)
OUTSTANDING_MEASURES = ("honoured", "reward_decision", "rewarded", "replications", "rated_good", "publicised")


def test_a_row_already_under_its_code_is_itself(cfg):
    [typed, blank] = record_rows(
        cfg,
        [{"row": 6, "name": "Dân vận khéo", "model_code": "cam-lam-abcdef"}, {"row": 7, "name": "Khác"}],
    )
    assert typed.coded("cam-lam-abcdef") is typed  # nothing to change: no second copy
    other = typed.coded("cam-lam-ghijkl")
    assert other is not typed and (other.model_code, typed.model_code) == ("cam-lam-ghijkl", "cam-lam-abcdef")
    assert other.values[:1] == typed.values[:1] and (other.row, other.name) == (6, "Dân vận khéo")
    coded = blank.coded("cam-lam-xyzxyz")
    assert (coded.model_code, blank.model_code) == ("cam-lam-xyzxyz", None)
    assert blank.coded(None) is blank


def test_a_code_of_another_type_is_not_the_same_code(cfg):
    [row] = record_rows(cfg, [{"row": 6, "name": "Dân vận khéo", "model_code": 1}])
    coded = row.coded("1")
    assert coded is not row and coded.model_code == "1" and row.model_code == 1


def test_records_columns_are_one_object_for_equal_keys(cfg):
    keys = RecordColumns.of_config(cfg).keys
    assert RecordColumns.of(list(keys)) is RecordColumns.of(iter(keys)) is RecordColumns.of_config(cfg)
    rows = record_rows(cfg, [{"row": 6, "name": "a"}]) + record_rows(cfg, [{"row": 7, "name": "b"}], "y.xlsx")
    back = [pickle.loads(pickle.dumps(r)) for r in rows]  # as each file comes back from its worker
    assert all(r.columns is RecordColumns.of_config(cfg) for r in back)
    assert back == list(rows)


def test_freed_memory_is_given_back_by_the_c_library_when_it_can(monkeypatch):
    asked: list[int] = []
    monkeypatch.setattr(heap, "_trim", lambda: asked.append)
    assert heap.release() is True and asked == [0]
    monkeypatch.setattr(heap, "_trim", lambda: None)  # Windows, macOS, musl: nothing to ask
    assert heap.release() is False


def test_the_c_library_is_asked_only_where_it_has_the_call(monkeypatch):
    heap._trim.cache_clear()
    monkeypatch.setattr(heap.sys, "platform", "win32")
    try:
        assert heap._trim() is None and heap.release() is False
    finally:
        heap._trim.cache_clear()
    monkeypatch.undo()
    assert heap.release() is (heap._trim() is not None)  # here: glibc has it, musl not


def _candidate(code: str = "cam-lam") -> Candidate:
    return Candidate(Path(f"{code}.xlsx"), f"{code}.xlsx", 1, code[0] * 64, dt.datetime(2026, 12, 1))


def _unit(cfg, code: str, names: list[str], prefilled: str | None = None) -> UnitStatus:
    rows = [
        {"sheet": "Danh sách", "row": 4 + i, "field": 1, "name": name, "name_key": name, "status": "new"}
        | ({"model_code": prefilled} if prefilled and i == 0 else {})
        for i, name in enumerate(names)
    ]
    candidate = Candidate(Path(f"{code}.xlsx"), f"{code}.xlsx", 1, code[0] * 64, dt.datetime(2026, 12, 1))
    used = FileOutcome(
        candidate, FileStatus.ACCEPTED, unit=code, **FileOutcome.counts(record_rows(cfg, rows))
    )
    return UnitStatus(code, code, "g", 1, Submission.ON_TIME, used=used, files=[used])


def test_each_unit_is_merged_and_let_go_as_soon_as_it_is_continued(cfg):
    """The run's way (``aggregate``): each unit's status goes to ``each`` once its file is
    continued, before the next unit's; what ``each`` returns is what comes back."""
    statuses = [
        _unit(cfg, "cam-lam", ["Dân vận khéo", "Bếp ăn tình thương"]),
        UnitStatus("dien-khanh", "Diên Khánh", "g", 1, Submission.MISSING),
        _unit(cfg, "khanh-vinh", ["Khuyến học"]),
    ]
    outcomes = [s.used for s in statuses if s.used]
    other_periods = OtherPeriods(2026, "annual", compared=[])
    merged = merge.AcceptedRecords(cfg)
    given, kept = [], []

    def each(status: UnitStatus) -> UnitStatus:
        assert all(r.model_code for r in status.used.rows)  # continued: every row has its code
        given.append(status)
        merged.add(status)
        small = compacted_unit(status)
        kept.append(small)
        return small

    files, done = continuity.assign(outcomes, statuses, other_periods, cfg, each=each)
    assert [s.code for s in given] == ["cam-lam", "khanh-vinh"]  # only units that reported
    assert [done[0], done[2]] == kept and done[0] is kept[0] and done[2] is kept[1]
    assert all(s.used.rows is None and s.files == [s.used] for s in kept)  # nothing to fix: no rows
    assert files == [s.used for s in kept] and all(f is s.used for f, s in zip(files, kept, strict=True))
    frame = merged.frame()
    assert frame["name"].tolist() == ["Dân vận khéo", "Bếp ăn tình thương", "Khuyến học"]
    assert frame["model_code"].tolist() == [r.model_code for s in given for r in s.used.rows]
    # the same frame as the records of every continued unit merged at once
    whole = merge.accepted_records(given, cfg)
    pd.testing.assert_frame_equal(frame, whole, check_exact=True)
    assert merged.frame().empty  # (its columns were let go with the frame)


def test_what_only_reading_needs_is_let_go_before_merging(cfg, tmp_path, monkeypatch):
    """The units' names index (the files' stages) and the entries as sent are gone when
    merging starts: merging's own objects take their place."""
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("Dân vận khéo")])
    made: list[weakref.ref] = []
    real_processor, real_collect, real_resolve = running.FileProcessor, running.collect, merge.resolve

    def processor(*args, **kwargs):
        made.append(weakref.ref(one := real_processor(*args, **kwargs)))
        return one

    def collect(*args, **kwargs):
        items, emails, ignored = real_collect(*args, **kwargs)
        made.extend(weakref.ref(item) for item in items)
        return items, emails, ignored

    alive: list[bool] = []

    def resolve(*args, **kwargs):
        alive.extend(ref() is not None for ref in made)
        return real_resolve(*args, **kwargs)

    monkeypatch.setattr(running, "FileProcessor", processor)
    monkeypatch.setattr(running, "collect", collect)
    monkeypatch.setattr(merge, "resolve", resolve)
    result = running.aggregate(cfg, inbox, 2026, "annual")
    assert len(made) == 2 and alive == [False, False]
    assert result.summary["totals"]["models"] == 1


def _ranked_by_copying(records, limit, criteria, units, honoured):
    """``summarise.outstanding`` as it was: every record copied with its ranks, then sorted."""
    ranks = summarise.outstanding_ranks(records, criteria, units, honoured=honoured)
    ranked = records.assign(**ranks).sort_values(
        [*ranks, "row"], ascending=[*(False for _ in criteria), True, True], kind="stable"
    )
    return ranked.head(limit).drop(columns=list(ranks))


RECORD_DRAWN = {
    "unit": st.sampled_from(["cam-lam", "mttq", "nha-trang", "khac"]),
    "row": st.integers(4, 9),
    "stage": st.sampled_from(["honoured", "replicated", None]),
    "reward_form": st.sampled_from(["Bằng khen", " ", None]),
    "reward_decision": st.sampled_from(["12/QĐ", "", None]),
    "replications": st.sampled_from([None, 0, 2, 5]),
    "rating": st.sampled_from(["good", "fair", None]),
    "publicised": st.sampled_from(["yes", "no", None]),
    "name": st.sampled_from(["Dân vận khéo", "Khuyến học"]),
}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.fixed_dictionaries(RECORD_DRAWN), max_size=25),
    st.integers(-3, 30),
    st.lists(st.sampled_from(list(OUTSTANDING_MEASURES)), unique=True, max_size=6),
    st.permutations(["cam-lam", "mttq", "nha-trang"]),
)
def test_the_outstanding_models_are_picked_without_copying_every_record(drawn, limit, criteria, units):
    records = pd.DataFrame(drawn, columns=list(RECORD_DRAWN)).astype({"row": int})
    if limit == 0 or records.empty:
        return
    picked = summarise.outstanding(records, limit, tuple(criteria), units, honoured="honoured")
    expected = _ranked_by_copying(records, limit, tuple(criteria), units, "honoured")
    pd.testing.assert_frame_equal(picked, expected, check_exact=True)


said_before = st.tuples(
    st.sampled_from(["Bằng khen", "Giấy khen", " ", None]),
    st.sampled_from(["12/QĐ", "12/qđ.", "", None]),
    st.sampled_from(["yes", "no", None]),
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d"]), said_before),
        max_size=12,
    ),
    st.dictionaries(st.sampled_from(["a", "b", "c", "d", "e"]), st.lists(said_before, max_size=3)),
)
def test_the_earlier_years_are_asked_only_of_what_the_figures_read(drawn, earlier):
    records = pd.DataFrame(
        [(code, form, decision, press) for code, (form, decision, press) in drawn],
        columns=["model_code", "reward_form", "reward_decision", "publicised"],
    )
    asked = summarise.asked_of_earlier_years(records)
    told = {code: earlier[code] for code in asked if code in earlier}
    assert summarise.this_period(records, told) == summarise.this_period(records, earlier)
    quiet = [c for c, (form, _, press) in drawn if press != "yes" and (form is None or not form.strip())]
    assert len(asked) == len(drawn) - len(quiet)  # none asked of a record neither rewarded nor publicised
