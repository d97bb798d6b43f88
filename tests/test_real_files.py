"""Files made by a real office suite (tests/data/, see make_data.py) read with exact figures."""

import dataclasses
from pathlib import Path

import pytest
from builders import model, records, saved_on_date, workbook

from aggregator.intake.sniff import fingerprint
from aggregator.pipeline import FileProcessor

DATA = Path(__file__).resolve().parent / "data"


def process(cfg, path, year=2026):
    return FileProcessor(cfg, year, "annual").process(fingerprint(path, path.parent, cfg.limits))


@pytest.mark.parametrize(
    "name", ["saved-by-libreoffice.ods", "saved-by-libreoffice.xls", "saved-by-libreoffice.xlsx"]
)
def test_files_saved_by_libreoffice(cfg, name):
    outcome = process(cfg, DATA / name)
    assert (outcome.status, outcome.unit) == ("accepted", "khanh-son")
    assert records(outcome)["accepted"].tolist() == [True, False, True]
    assert records(outcome)["field"].tolist() == [5, 3, 11]
    assert [p.code for p in outcome.problems if p.is_error] == ["subject_not_allowed"]
    assert str(outcome.report_date) == "2026-12-04"


def test_a_really_password_protected_workbook(cfg):
    outcome = process(cfg, DATA / "password-protected.xlsx")
    assert outcome.status == "rejected" and [p.code for p in outcome.problems] == ["file_encrypted"]
    assert "mật khẩu" in outcome.problems[0].message


def test_xlsm_reads_like_xlsx_and_no_macro_runs(cfg, tmp_path):
    path = workbook(tmp_path / "co-macro.xlsm", [model()])
    assert process(cfg, path).status == "accepted"


def test_a_stray_far_cell_is_cut_off_not_a_reason_to_refuse(cfg, tmp_path):
    import openpyxl

    path = workbook(tmp_path / "huge.xlsx", [model()])
    book = openpyxl.load_workbook(path)
    book["Danh sách"].cell(5000, 300, "x")
    book.save(path)
    saved_on_date(path, "03/12/2026")
    small = dataclasses.replace(
        cfg, limits={**cfg.limits, "max_rows": 1000, "max_columns": 100, "max_cells_per_sheet": 100_000}
    )
    outcome = FileProcessor(small, 2026, "annual").process(fingerprint(path, tmp_path, small.limits))
    assert [p.code for p in outcome.problems] == ["sheet_read_in_part"]
    assert "5.000 dòng × 300 cột" in outcome.problems[0].message
    assert outcome.status == "accepted" and outcome.rows_valid == 1
