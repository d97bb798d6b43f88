"""Feedback workbooks: the unit's own sheet, its own cell addresses, the bad cells marked."""

import re

import openpyxl
from builders import HEADERS, model, workbook

from aggregator.cli import main


def test_a_message_cell_is_the_red_cell_at_that_address(tmp_path):
    moved = ["Ghi chú", *[h for h in HEADERS if h != "Ghi chú"]]  # a column moved to the front
    workbook(tmp_path / "in" / "cam-lam.xlsx", [
        model("A"), model("B", 12), model("C", 3, "Cá nhân"), model("D", status="Đăng ký mới")],
        headers=moved, title_rows=4, list_sheet="Sheet1")
    assert main(["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "out"),
                 "--year", "2026", "--report-date", "15/12/2026"]) == 0
    source = openpyxl.load_workbook(tmp_path / "in" / "cam-lam.xlsx")["Sheet1"]
    book = openpyxl.load_workbook(tmp_path / "out" / "2026" / "phan-hoi" / "cam-lam.xlsx")
    assert "Sheet1" in book.sheetnames and "Danh sách" not in book.sheetnames
    cited = [row[2] for row in book["Các lỗi"].iter_rows(min_row=2, values_only=True) if row[2]]
    assert len(cited) >= 3
    for address in cited:
        sheet, cell = re.fullmatch(r"(.+)!([A-Z]+\d+)", address).groups()
        assert sheet == "Sheet1"
        marked = book[sheet][cell]
        assert marked.fill.fgColor.rgb in ("FFFFC7CE", "FFFFEB9C"), address  # red or yellow
        assert (marked.value or "") == str(source[cell].value or ""), address
        assert marked.comment is not None
    summary = " ".join(str(c.value) for c in book["Tóm tắt"]["A"] if c.value)
    assert "Danh sách" not in summary
