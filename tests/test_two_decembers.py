"""Two Decembers in one inbox, the README's routine followed literally, figures counted by hand.

Staff choose the 2025 registry once (``registry use``), run December 2025, make the pre-filled
workbooks, and never touch ``inbox/`` again: in December 2026 the units' new files land beside
last year's. Every command runs with no flag but the year and the date, from the project folder,
as the staff guide says. The units (codes of ``presets/khanh-hoa-2025``):

| unit | 2025 | 2026 |
| --- | --- | --- |
| nha-trang | M1 (reward + press), M2 | its pre-filled workbook sent back unchanged |
| bac-nha-trang | M3, M4 | pre-filled, updated: M3 honoured with a decision, M7 new |
| tay-nha-trang | M5 | nothing (its 2025 file is still in the inbox) |
| nam-nha-trang | M6 | a list of M6 and M8, then a totals row and a signature block |
| bac-cam-ranh | nothing | its standard workbook, sent back empty |
"""

from __future__ import annotations

import json
import os
import shutil
from email import policy
from email.parser import BytesParser
from pathlib import Path

import openpyxl
import pytest
from builders import model, saved_on_date, workbook

from aggregator import cli, config
from aggregator.cli import main

ROOT = Path(__file__).resolve().parents[1]
PRESET_UNITS = 71


def name_of(code: str) -> str:
    names = {
        "nha-trang": "Đảng ủy phường Nha Trang",
        "bac-nha-trang": "Đảng ủy phường Bắc Nha Trang",
        "tay-nha-trang": "Đảng ủy phường Tây Nha Trang",
        "nam-nha-trang": "Đảng ủy phường Nam Nha Trang",
        "bac-cam-ranh": "Đảng ủy phường Bắc Cam Ranh",
    }
    return names[code]


def unit_book(path: Path, code: str, rows: list[dict], year: int, day: str, **kw) -> Path:
    return workbook(path, rows, code=code, name=name_of(code), year=year, report_date=day, **kw)


def december_2025(inbox: Path) -> None:
    m1 = model(
        "Dân vận khéo ở khu phố",
        1,
        year=2024,
        stage="Phát hiện, bồi dưỡng",
        places=1,
        **{
            "Hiệu quả đạt được": "Người dân đồng thuận.",
            "Hình thức khen thưởng": "Giấy khen",
            "Số, ngày quyết định khen thưởng": "12/QĐ-UBND ngày 01/10/2025",
            "Đã tuyên truyền trên báo chí": "Có",
        },
    )
    m2 = model("Khu phố văn minh, sạch đẹp", 8, year=2023, places=2)
    unit_book(inbox / "nha-trang-2025.xlsx", "nha-trang", [m1, m2], 2025, "01/12/2025")
    m3 = model("Chi bộ bốn tốt", 1, year=2022, stage="Giới thiệu, nhân rộng", places=3)
    m4 = model("Tổ tự quản an ninh", 4, year=2023, places=1)
    unit_book(inbox / "bac-nha-trang-2025.xlsx", "bac-nha-trang", [m3, m4], 2025, "02/12/2025")
    m5 = model("Bếp ăn tình thương", 10, year=2024, places=1)
    unit_book(inbox / "tay-nha-trang-2025.xlsx", "tay-nha-trang", [m5], 2025, "03/12/2025")
    m6 = model("Hũ gạo khuyến học", 5, year=2021, places=4)
    unit_book(inbox / "nam-nha-trang-2025.xlsx", "nam-nha-trang", [m6], 2025, "04/12/2025")


def send_back(template: Path, target: Path, day: str, edit=None) -> Path:
    """A unit's pre-filled workbook, its date typed in, perhaps edited, saved into the inbox."""
    book = openpyxl.load_workbook(template)
    info = book["Thông tin"]
    for row in info.iter_rows():
        if row[0].value and str(row[0].value).strip() == "Ngày báo cáo":
            row[1].value = day
    if edit:
        edit(book["Danh sách"])
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    saved_on_date(target, day)
    return target


def header_row(sheet) -> tuple[int, dict[str, int]]:
    for row in sheet.iter_rows():
        texts = {str(c.value).replace("(*)", "").strip(): c.column for c in row if c.value is not None}
        if "Tên mô hình, điển hình" in texts:
            return row[0].row, texts
    raise AssertionError("no header row")


def update_bac_nha_trang(sheet) -> None:
    """M3 honoured with a decision; M4 left as it was; M7 typed in the first empty row."""
    top, cols = header_row(sheet)
    names = {sheet.cell(r, cols["Tên mô hình, điển hình"]).value: r for r in range(top + 1, top + 40)}
    r3 = names["Chi bộ bốn tốt"]
    sheet.cell(r3, cols["Giai đoạn"]).value = "Biểu dương, tôn vinh"
    sheet.cell(r3, cols["Số nơi nhân rộng"]).value = 5
    sheet.cell(r3, cols["Hình thức khen thưởng"]).value = "Bằng khen của Tỉnh ủy"
    sheet.cell(r3, cols["Số, ngày quyết định khen thưởng"]).value = "345-QĐ/TU ngày 20/11/2026"
    free = max(r for n, r in names.items() if n) + 1
    for header, value in model(
        "Đêm hội trăng rằm",
        10,
        "Tập thể",
        year=2026,
        status="Đăng ký mới",
        stage="Phát hiện, bồi dưỡng",
        places=0,
    ).items():
        sheet.cell(free, cols[header]).value = value


def december_2026(project: Path) -> None:
    inbox, templates = project / "inbox", project / "outbox" / "templates"
    send_back(templates / "bieu-mau-nha-trang.xlsx", inbox / "nha-trang-2026.xlsx", "01/12/2026")
    send_back(
        templates / "bieu-mau-bac-nha-trang.xlsx",
        inbox / "bac-nha-trang-2026.xlsx",
        "02/12/2026",
        update_bac_nha_trang,
    )
    send_back(templates / "bieu-mau-bac-cam-ranh.xlsx", inbox / "bac-cam-ranh-2026.xlsx", "03/12/2026")
    unit_book(
        inbox / "nam-nha-trang-2026.xlsx",
        "nam-nha-trang",
        [
            model("Hũ gạo khuyến học", 5, year=2021, places=6),
            model("Sân chơi cho em", 5, year=2026, status="Đăng ký mới", places=1),
        ],
        2026,
        "04/12/2026",
        after=[
            [None, "Tổng cộng: 02 mô hình"],
            [],
            [None, None, None, None, "Nam Nha Trang, ngày 04 tháng 12 năm 2026"],
            [None, "Nơi nhận:", None, None, "T/M ĐẢNG ỦY"],
            [None, "- Ban Tuyên giáo và Dân vận Tỉnh ủy;", None, None, "PHÓ BÍ THƯ"],
            [None, "- Lưu VP."],
            [],
            [None, None, None, None, "Trần Thị Mai"],
        ],
    )


def command(*words: str) -> int:
    return main(list(words))


def manifest(project: Path, year: int) -> dict:
    return json.loads((project / "outbox" / str(year) / "manifest.json").read_text(encoding="utf-8"))


def summary(project: Path, year: int) -> dict:
    return json.loads((project / "outbox" / str(year) / "summary.json").read_text(encoding="utf-8"))


def draft(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the program's folders as staff have them: settings, templates, the preset."""
    folder = tmp_path / "project"
    shutil.copytree(config.BUNDLED, folder / "schemas")
    shutil.copytree(ROOT / "templates", folder / "templates")
    shutil.copytree(ROOT / "presets", folder / "presets")
    monkeypatch.setattr(config, "BUNDLED", folder / "schemas")
    monkeypatch.setattr(cli, "ROOT", folder)  # inbox/, outbox/, templates/ beside the program
    monkeypatch.chdir(folder)
    return folder


def test_two_decembers_in_one_inbox(project, capsys):
    # Once: the 2025 registry chosen, for every command after it.
    assert command("registry", "use", "presets/khanh-hoa-2025") == 0
    december_2025(project / "inbox")
    assert command("--year", "2025", "--report-date", "15/12/2025") == 0
    first = summary(project, 2025)
    assert first["totals"]["units_expected"] == PRESET_UNITS
    assert first["totals"]["models"] == 6 and first["totals"]["units_on_time"] == 4
    assert manifest(project, 2025)["registry"]["units"] == PRESET_UNITS
    assert command("template", "--year", "2026") == 0
    capsys.readouterr()

    # December 2026: the inbox is not emptied, the new files are saved beside the old.
    december_2026(project)
    os.utime(project / "inbox", None)

    # status: the silent unit is waiting for a file, not refused; last year's files left alone.
    assert command("status", "--year", "2026") == 0
    said = capsys.readouterr().out
    assert f"({PRESET_UNITS} đơn vị)" in said
    assert "Bỏ qua 4 tệp đã tổng hợp ở các kỳ trước" in said
    status_line = next(line for line in said.splitlines() if "Tây Nha Trang" in line)
    assert "loại" not in status_line

    # check of the whole inbox: the empty workbook is the one error; the old files are said.
    assert command("check", "inbox") == 1
    said = capsys.readouterr().out
    assert "đã tổng hợp ở kỳ năm 2025" in said

    # remind: the silent unit gets a plain reminder; the empty workbook's unit is asked for its list.
    assert command("remind", "--year", "2026", "--report-date", "06/12/2026") == 0
    reminders = project / "outbox" / "2026" / "nhac-nho"
    silent = draft(reminders / "tay-nha-trang.eml")
    assert "Tây Nha Trang" in silent["Subject"]
    assert "chưa dùng được" not in body(silent) and "phản hồi" not in body(silent)
    empty = body(draft(reminders / "bac-cam-ranh.eml"))
    assert "chưa có mô hình" in empty or "danh sách" in empty
    assert not (reminders / "nha-trang.eml").exists()
    # its attachment is its pre-filled workbook, and the reminder says so
    assert "đã điền sẵn 1 mô hình, điển hình đơn vị đã báo cáo kỳ trước" in body(silent)
    capsys.readouterr()

    # The December job.
    assert command("--year", "2026", "--report-date", "15/12/2026") == 0
    capsys.readouterr()
    facts = summary(project, 2026)
    shown = manifest(project, 2026)
    # last year's four files are left alone, with the period that used them
    earlier = [i for i in shown["ignored"] if i.get("earlier")]
    assert sorted(Path(i["path"]).name for i in earlier) == sorted(
        f"{c}-2025.xlsx" for c in ("nha-trang", "bac-nha-trang", "tay-nha-trang", "nam-nha-trang")
    )
    assert all("2025" in i["reason"] for i in earlier)
    assert shown["registry"]["units"] == PRESET_UNITS
    status = {u["code"]: u["status"] for u in facts["units"]}
    assert status["tay-nha-trang"] == "missing"  # its 2025 file makes it no refused unit
    assert status["bac-cam-ranh"] == "rejected"  # an empty workbook is not a report
    assert [status[c] for c in ("nha-trang", "bac-nha-trang", "nam-nha-trang")] == ["on_time"] * 3
    totals = facts["totals"]
    assert totals["units_on_time"] == 3 and totals["units_rejected"] == 1
    assert totals["units_missing"] == PRESET_UNITS - 4
    # M1, M2 (unchanged) + M3, M4, M7 + M6, M8; the totals row and the signature block are no rows
    assert totals["models"] == 7
    assert facts["rows"] == {"read": 7, "accepted": 7, "rejected": 0, "superseded": 0}
    continuity = facts["continuity"]
    assert continuity["against"] == {"year": 2025, "period": "annual"}
    assert continuity["matched"] == 5  # M1, M2, M3, M4, M6
    assert continuity["new"] == 2  # M7, M8
    assert continuity["not_reported"] == 1  # M5: its unit sent nothing this year
    assert continuity["dropped"] == 0
    assert continuity["advanced"] == 1  # M3
    # the pre-filled rows sent back unchanged keep every column: nothing to fix for nha-trang
    feedback = project / "outbox" / "2026" / "phan-hoi"
    assert not (feedback / "nha-trang.xlsx").exists()
    assert not (feedback / "tay-nha-trang.xlsx").exists()  # last year's file gets no feedback
    assert not (feedback / "nam-nha-trang.xlsx").exists()  # its signature block is nothing to fix
    assert (feedback / "bac-cam-ranh.eml").exists()
    report = (project / "outbox" / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert " 0 đơn vị" not in report
    assert "Bắc Cam Ranh" in report


def test_the_quick_start_sample_keeps_its_own_list_after_the_board_chose_another(project, capsys):
    """The sample inbox is written for the plan's 21 units: after ``registry use`` it still
    runs on them (the Quick start names their preset), never on the Board's own list."""
    assert command("registry", "use", "presets/khanh-hoa-2025") == 0
    shutil.copytree(ROOT / "examples" / "inbox", project / "examples" / "inbox")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme.split("## Quick start", 1)[1].split("```bash\n", 1)[1].splitlines()[0]
    words = first.split("aggregate.py ", 1)[1].split()
    capsys.readouterr()
    assert command(*words) == 0
    facts = json.loads((project / "outbox-mau" / "2026" / "summary.json").read_text(encoding="utf-8"))
    totals = facts["totals"]
    assert (totals["units_expected"], totals["units_on_time"], totals["models"]) == (21, 17, 85)
