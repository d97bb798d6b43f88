"""Feedback workbooks: the unit's own sheet, its own cell addresses, the bad cells marked."""

import re

import openpyxl
from builders import HEADERS, model, workbook

from aggregator.cli import main


def test_a_message_cell_is_the_red_cell_at_that_address(tmp_path):
    moved = ["Ghi chú", *[h for h in HEADERS if h != "Ghi chú"]]  # a column moved to the front
    workbook(
        tmp_path / "in" / "cam-lam.xlsx",
        [model("A"), model("B", 12), model("C", 3, "Cá nhân"), model("D", status="Đăng ký mới")],
        headers=moved,
        title_rows=4,
        list_sheet="Sheet1",
    )
    assert (
        main(
            [
                "--inbox",
                str(tmp_path / "in"),
                "--outbox",
                str(tmp_path / "out"),
                "--year",
                "2026",
                "--report-date",
                "15/12/2026",
            ]
        )
        == 0
    )
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


def tall_enough(sheet, widths_from=None):
    """Every row whose text wraps past its column has a height set for its lines."""
    checked = 0
    for row in sheet.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                continue
            width = sheet.column_dimensions[cell.column_letter].width or 8.43
            lines = sum(max(1, -(-len(part) // int(width * 1.2))) for part in cell.value.split("\n"))
            if lines > 1:
                height = sheet.row_dimensions[cell.row].height
                assert height and height >= lines * 14, (sheet.title, cell.coordinate, height)
                checked += 1
    return checked


def test_wrapped_text_gets_its_row_height_and_the_list_prints_landscape(tmp_path):
    workbook(tmp_path / "in" / "cam-lam.xlsx", [model("A", 12), model("B", 3, "Cá nhân")])
    out = tmp_path / "out"
    assert (
        main(
            [
                "--inbox",
                str(tmp_path / "in"),
                "--outbox",
                str(out),
                "--year",
                "2026",
                "--report-date",
                "15/12/2026",
            ]
        )
        == 0
    )
    feedback = openpyxl.load_workbook(out / "2026" / "phan-hoi" / "cam-lam.xlsx")
    assert tall_enough(feedback["Các lỗi"]) and tall_enough(feedback["Tóm tắt"])
    master = openpyxl.load_workbook(out / "2026" / "tong-hop.xlsx")
    assert tall_enough(master["Lỗi và lưu ý"]) and tall_enough(master["Dòng bị loại"])
    assert main(["template", "--outbox", str(out), "--year", "2026"]) == 0
    standard = openpyxl.load_workbook(out / "templates" / "bieu-mau-cam-lam.xlsx")
    assert tall_enough(standard["Hướng dẫn"])
    listing = standard["Danh sách"]
    header = next(
        r for r in listing.iter_rows(min_row=1, max_row=10) if r[1].value == "Tên mô hình, điển hình (*)"
    )[0].row
    assert listing.row_dimensions[header].height >= 2 * 14  # its headers wrap
    setup = listing.page_setup
    assert setup.orientation == "landscape" and setup.paperSize == 9
    assert listing.sheet_properties.pageSetUpPr.fitToPage
    assert (setup.fitToWidth or 1) == 1 and setup.fitToHeight == 0  # 1 is the default
    assert listing.print_title_rows.replace("$", "") == f"{header}:{header}"
