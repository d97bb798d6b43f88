"""Repeated texts are held once (``record.shared_texts``, ``merge.accepted_records``) and the
values read back are the same: same records, same outcome across processes, same frame."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pandas as pd
from builders import record_rows
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.merging import merge
from aggregator.model import (
    Candidate,
    FileOutcome,
    FileStatus,
    RecordColumns,
    Submission,
    UnitStatus,
    frame_columns,
)
from aggregator.model.record import shared_texts

# few texts, so that they repeat; written apart each time (``"".join``), as a reader makes them
TEXTS = ["Đoàn Thanh niên", "Hội Phụ nữ", "cấp xã", "", "1", "Dân vận khéo"]
values = st.one_of(
    st.sampled_from(TEXTS).map(lambda t: "".join(list(t))),
    st.none(),
    st.integers(-3, 3),
    st.sampled_from([1.0, 0.5]),
    st.booleans(),
)
TEXT_KEYS = ("name", "performer", "location", "content", "note")


def _rows(cfg, drawn):
    return record_rows(
        cfg,
        [
            {
                "row": i + 6,
                **dict(zip(TEXT_KEYS, texts, strict=False)),
                "accepted": i % 3 != 2,
                "name_key": key,
            }
            for i, (texts, key) in enumerate(drawn)
        ],
    )


def _same_values(a, b):
    """Equal, value by value, and of the same type (1, 1.0 and True are equal, not the same)."""
    return len(a) == len(b) and all(type(x) is type(y) and x == y for x, y in zip(a, b, strict=True))


drawn_rows = st.lists(
    st.tuples(st.lists(values, min_size=5, max_size=5), st.sampled_from(TEXTS)), min_size=1, max_size=30
)


@settings(max_examples=200, deadline=None)
@given(drawn_rows)
def test_shared_texts_keeps_every_value_and_holds_each_text_once(cfg, drawn):
    rows = _rows(cfg, drawn)
    given_rows = [(r.values, r.name_key) for r in rows]
    shared = shared_texts(rows)
    assert [(r.values, r.name_key) for r in rows] == given_rows  # what it was given is left alone
    assert len(shared) == len(rows)
    for before, after in zip(rows, shared, strict=True):
        assert _same_values(before.values, after.values)
        assert (after.file, after.sheet, after.row, after.accepted, after.name_key) == (
            before.file,
            before.sheet,
            before.row,
            before.accepted,
            before.name_key,
        )
    texts = [v for r in shared for v in (*r.values, r.name_key) if type(v) is str]
    assert len({id(t) for t in texts}) == len(set(texts))  # each text one object


def _outcome(cfg, rows, relative="x.xlsx", sha="a" * 64):
    candidate = Candidate(Path(relative), relative, 1, sha, dt.datetime(2026, 12, 1))
    return FileOutcome(candidate, status=FileStatus.ACCEPTED, unit="u", **FileOutcome.counts(rows))


@settings(max_examples=100, deadline=None)
@given(drawn_rows)
def test_an_outcome_sent_between_processes_reads_back_the_same(cfg, drawn):
    outcome = _outcome(cfg, _rows(cfg, drawn))
    back = pickle.loads(pickle.dumps(outcome))
    assert back == outcome
    assert all(_same_values(a.values, b.values) for a, b in zip(outcome.rows, back.rows, strict=True))
    texts = [v for r in back.rows for v in r.values if type(v) is str]
    assert len({id(t) for t in texts}) == len(set(texts))  # each repeated text arrived once


@settings(max_examples=100, deadline=None)
@given(st.lists(drawn_rows, min_size=1, max_size=4))
def test_the_records_frame_is_the_frame_of_the_rows_each_text_held_once(cfg, files):
    statuses = []
    for n, drawn in enumerate(files):
        outcome = _outcome(cfg, _rows(cfg, drawn), f"don-vi-{n}.xlsx", str(n) * 64)
        statuses.append(UnitStatus(f"u{n}", f"Đơn vị {n}", "g", 1, Submission.ON_TIME, used=outcome))
    statuses.append(UnitStatus("none", "Chưa gửi", "g", 1, Submission.MISSING))
    frame = merge.accepted_records(statuses, cfg)
    rows = [
        (s.code, s.used.candidate.relative, s.used.candidate.sha256, r.sheet, r.row, *r.values, r.name_key)
        for s in statuses
        if s.used
        for r in s.used.rows
        if r.accepted
    ]
    columns = frame_columns(RecordColumns.of_config(cfg))
    expected = pd.DataFrame.from_records(rows, columns=columns).astype({"row": int})
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    for key in TEXT_KEYS:
        texts = [v for v in frame[key].array if type(v) is str]
        assert len({id(t) for t in texts}) == len(set(texts))  # one object per text, across files


def test_no_records_give_the_declared_columns(cfg):
    frame = merge.accepted_records([UnitStatus("none", "Chưa gửi", "g", 1, Submission.MISSING)], cfg)
    assert frame.empty and list(frame.columns) == frame_columns(RecordColumns.of_config(cfg))
