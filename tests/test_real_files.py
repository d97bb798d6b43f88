"""Files made by a real office suite (tests/data/, see make_data.py) read with exact figures."""

import dataclasses
import json
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


def _holds(data: bytes, needles: list[bytes], depth: int = 0) -> list[bytes]:
    """Which of ``needles`` are in ``data``: as they are, in a zip's parts, in an email's parts."""
    import email
    import io
    import zipfile

    found = [n for n in needles if n in data]
    if depth < 3 and zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                found += [n for n in needles if n in info.filename.encode()]
                found += _holds(archive.read(info), needles, depth + 1)
    elif depth < 3 and data[:200].lower().count(b"mime-version"):
        for part in email.message_from_bytes(data).walk():
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                found += _holds(payload, needles, depth + 1)
    return found


def test_xlsm_reads_like_xlsx_and_no_macro_runs(cfg, tmp_path, monkeypatch):
    """A real macro-enabled workbook: a VBA project whose Auto_Open would leave a file behind.
    Its rows are read; no program is started on it (nothing is: no subprocess at all), the
    macro leaves no file, and no output carries the VBA project or its source."""
    import os
    import subprocess
    import zipfile

    from builders import MACRO_WORKBOOK_TYPE, VBA_PROJECT_TYPE, with_macro
    from ole import compressed

    from aggregator.cli import main

    ran = tmp_path / "macro-ran.txt"
    source = (
        f'Sub Auto_Open()\r\n    Open "{ran}" For Output As #1\r\n    Print #1, "ran"\r\n'
        "    Close #1\r\nEnd Sub\r\n"
    )
    path = workbook(tmp_path / "inbox" / "cam-lam.xlsm", [model("Mô hình có macro"), model("Khuyến học", 5)])
    with_macro(path, source)
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
        project = archive.read("xl/vbaProject.bin")
    assert VBA_PROJECT_TYPE in types and MACRO_WORKBOOK_TYPE in types
    module = compressed(f'Attribute VB_Name = "Module1"\r\n{source}'.encode("cp1252"))
    assert project[:8] == bytes.fromhex("D0CF11E0A1B11AE1") and module in project

    outcome = process(cfg, path)
    assert (outcome.status, outcome.unit) == ("accepted", "cam-lam")
    assert records(outcome)["name"].tolist() == ["Mô hình có macro", "Khuyến học"]

    def refused(*args, **kwargs):
        raise AssertionError(f"a program was started: {args}")

    for name in ("Popen", "run", "call", "check_call", "check_output"):
        monkeypatch.setattr(subprocess, name, refused)
    for name in ("system", "posix_spawn", "posix_spawnp", "execv", "execve", "execvp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, refused)
    outbox = tmp_path / "outbox"
    args = ["--inbox", str(path.parent), "--outbox", str(outbox), "--year", "2026", "--jobs", "1"]
    assert main([*args, "--report-date", "15/12/2026"]) == 0
    assert not ran.exists()
    written = [p for p in outbox.rglob("*") if p.is_file()]
    assert len(written) > 5
    needles = [b"vbaProject", b"Auto_Open", project[:512], module, VBA_PROJECT_TYPE.encode()]
    assert {p.relative_to(outbox).as_posix(): _holds(p.read_bytes(), needles) for p in written} == {
        p.relative_to(outbox).as_posix(): [] for p in written
    }
    # the rows are in the master workbook all the same
    summary = json.loads((outbox / "2026" / "summary.json").read_text(encoding="utf-8"))
    assert summary["totals"]["models"] == 2


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
