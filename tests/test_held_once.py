"""What the run holds once: a row continuity leaves under its own code is not copied, the
records' columns are one object however many files bring them, and freed memory is handed
back to the system where the C library can (``pipeline.heap``)."""

from __future__ import annotations

import pickle

from builders import record_rows

from aggregator.model import RecordColumns
from aggregator.pipeline import heap


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
