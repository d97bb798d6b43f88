"""One file's path through the stages (pipeline/files.py): what the outcome is assembled from.

Written for mutants of ``files.py`` that the suite let through (tools/mutate.py); each test
names the part of it that it pins.
"""

import datetime as dt
import os
import time

import openpyxl
from builders import model, workbook

from aggregator import problems
from aggregator.intake import discover, sniff
from aggregator.merging.register_reading import OtherPeriods
from aggregator.pipeline import FileProcessor, files, single
from aggregator.problems import ProblemCode

VN = dt.timezone(dt.timedelta(hours=7))


def candidate(path, cfg):
    return sniff.fingerprint(path, path.parent, cfg.limits, board=cfg.board_zone)


def saved_on(path, day, month):
    stamp = dt.datetime(2026, month, day, 12, tzinfo=VN).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def codes(outcome):
    return [p.code for p in outcome.problems]


def test_stage_times_are_durations_within_the_call(tmp_path, cfg):
    """_stages: each stage's seconds are its own, never negative, and add up to at most the call."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", 2)])
    processor = FileProcessor(cfg, 2026, "annual")
    started = time.perf_counter()
    outcome = processor.process(candidate(path, cfg))
    took = time.perf_counter() - started
    assert set(outcome.seconds) == {"read", "validate", "identify"}
    assert all(0 <= s <= took for s in outcome.seconds.values())
    assert sum(outcome.seconds.values()) <= took


def test_a_report_date_is_trusted_up_to_the_runs_date_and_a_day_after_the_files_time(tmp_path, cfg):
    """_report_date: the bounds, both kept (the run's own date; the file's day plus one)."""
    cases = {
        "on-the-day.xlsx": ("15/12/2026", (15, 12)),  # the run's date itself
        "after-the-run.xlsx": ("16/12/2026", (16, 12)),
        "next-day.xlsx": ("02/12/2026", (1, 12)),  # typed the day after saving
        "two-days.xlsx": ("03/12/2026", (1, 12)),
    }
    processor = FileProcessor(cfg, 2026, "annual", as_of=dt.date(2026, 12, 15))
    trusted = {}
    for name, (typed, saved) in cases.items():
        path = saved_on(workbook(tmp_path / name, [model()], report_date=typed), *saved)
        outcome = processor.process(candidate(path, cfg))
        assert outcome.status == "accepted"
        trusted[name] = (outcome.report_date_trusted, codes(outcome))
    assert trusted == {
        "on-the-day.xlsx": (True, []),
        # saved after the run's date too: a contradiction, said
        "after-the-run.xlsx": (False, ["report_date_untrusted", "received_after_report_date"]),
        "next-day.xlsx": (True, []),
        "two-days.xlsx": (False, ["report_date_untrusted"]),
    }


def test_check_on_its_own_does_not_trust_a_date_typed_well_after_the_file_was_saved(tmp_path, cfg):
    """FileProcessor.file_times_tell: true unless a run finds its inbox copied as one folder;
    ``check`` reads single files and keeps it."""
    path = saved_on(workbook(tmp_path / "cam-lam.xlsx", [model()], report_date="09/12/2026"), 1, 12)
    [checked] = single.check(cfg, [path], 2026, "annual", OtherPeriods(2026, "annual"))
    assert checked.outcome is not None and checked.outcome.status == "accepted"
    assert codes(checked.outcome) == ["report_date_untrusted"]
    assert checked.outcome.received == dt.date(2026, 12, 1)


def test_a_file_that_fails_after_its_rows_were_read_counts_no_rows(tmp_path, cfg, monkeypatch):
    """_outcome: a failure at any stage rejects the file with no rows, whatever came before."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", 2, year=3000)])

    def crash(*args, **kwargs):
        raise RuntimeError("identify crashed")

    monkeypatch.setattr(files, "identify", crash)
    outcome = FileProcessor(cfg, 2026, "annual").process(candidate(path, cfg))
    assert outcome.status == "rejected" and [p.code for p in outcome.file_errors] == ["file_unreadable"]
    assert (outcome.rows, outcome.rows_read, outcome.rows_invalid, outcome.tables) == (None, 0, 0, [])
    assert outcome.contact == {} and outcome.assessment == {}


def test_a_failure_shows_the_first_160_characters_and_keeps_more_for_the_engineer(tmp_path, cfg, monkeypatch):
    """process: the detail in the unit's message is cut; ``technical`` keeps 500 characters."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model()])

    def crash(*args, **kwargs):
        raise RuntimeError("x" * 600)

    monkeypatch.setattr(files, "load_book", crash)
    [problem] = FileProcessor(cfg, 2026, "annual").process(candidate(path, cfg)).problems
    technical = "RuntimeError: " + "x" * 600
    expected = problems.make(ProblemCode.FILE_UNREADABLE, file="cam-lam.xlsx", detail=technical[:160])
    assert (problem.code, problem.message) == ("file_unreadable", expected.message)
    assert problem.technical == technical[:500]


def test_a_file_out_of_memory_is_told_its_limit_in_megabytes(tmp_path, cfg, monkeypatch):
    """process: the limit shown is the configured one, as megabytes."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model()])

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(files, "load_book", exhausted)
    [problem] = FileProcessor(cfg, 2026, "annual").process(candidate(path, cfg)).problems
    limit = discover.megabytes(cfg.limits["max_worker_memory_bytes"])
    expected = problems.make(ProblemCode.FILE_OUT_OF_MEMORY, file="cam-lam.xlsx", limit=limit)
    assert (problem.code, problem.is_error, problem.message) == ("file_out_of_memory", True, expected.message)


def test_the_contact_is_read_as_text_trimmed(tmp_path, cfg):
    """_outcome: the preparer's name and phone as a person reads them, whatever the cell held."""
    path = workbook(tmp_path / "cam-lam.xlsx", [model()])
    book = openpyxl.load_workbook(path)
    book["Thông tin"].append(["Người lập biểu", "  Nguye\u0302\u0303n Va\u0306n A "])  # decomposed, padded
    book["Thông tin"].append(["Điện thoại", "\u00a00258 3822 111 "])  # a no-break space before
    book.save(path)
    outcome = FileProcessor(cfg, 2026, "annual").process(candidate(path, cfg))
    assert outcome.contact == {"preparer": "Nguyễn Văn A", "phone": "0258 3822 111"}


def test_a_phone_typed_as_a_number_is_shown_as_typed_not_as_a_float(tmp_path, cfg):
    path = workbook(tmp_path / "cam-lam.xlsx", [model()])
    book = openpyxl.load_workbook(path)
    book["Thông tin"].append(["Điện thoại", 2583822111])  # Excel drops the leading 0 of a number
    book.save(path)
    outcome = FileProcessor(cfg, 2026, "annual").process(candidate(path, cfg))
    assert outcome.contact["phone"] == "2583822111"


def test_a_list_without_a_single_row_is_said_so(tmp_path, cfg):
    """_outcome: a list table with no model in it is no report: the file is rejected, and it
    is still the unit's (its feedback asks for the list)."""
    path = workbook(tmp_path / "cam-lam.xlsx", [])
    outcome = FileProcessor(cfg, 2026, "annual").process(candidate(path, cfg))
    assert (outcome.status, outcome.unit, outcome.rows_read) == ("rejected", "cam-lam", 0)
    assert codes(outcome) == ["no_rows"] and outcome.file_errors == outcome.problems


def test_rows_as_typed_are_kept_only_for_a_file_with_something_to_show(tmp_path, cfg):
    """_outcome: the feedback workbook shows a unit its rows as typed; a clean file needs none."""
    clean = workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", 2)])
    warned = workbook(
        tmp_path / "ldld.xlsx",
        [model("C"), model("D", stage="Gioi thieu, nhan rong")],
        code="ldld",
        name=None,
    )
    processor = FileProcessor(cfg, 2026, "annual")
    typed = {}
    for path in (clean, warned):
        outcome = processor.process(candidate(path, cfg))
        typed[path.name] = (codes(outcome), [len(t.typed) for t in outcome.tables])
    assert typed == {"cam-lam.xlsx": ([], [0]), "ldld.xlsx": (["choice_guessed"], [2])}


def test_an_outcome_crosses_back_from_its_worker_whole(tmp_path, cfg):
    """What a worker sends back (pickled) is read back equal: its rows, fields in order."""
    import pickle

    path = workbook(tmp_path / "cam-lam.xlsx", [model("A"), model("B", 5)])
    outcome = FileProcessor(cfg, 2026, "annual").process(candidate(path, cfg))
    assert outcome.rows and len(outcome.rows) == 2
    back = pickle.loads(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == outcome and back.rows == outcome.rows
    assert [r.get("name") for r in back.rows] == ["A", "B"] and back.rows[0].columns.at == outcome.rows[
        0
    ].columns.at
