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


def bad_rows(path, n):
    """A unit's workbook of ``n`` rows, each with several problems (a field, a subject, a year)."""
    import hashlib

    def noise(i):  # text that does not compress away, as real descriptions
        return hashlib.sha256(str(i).encode()).hexdigest()[:48]

    rows = [
        model(
            f"Mô hình số {i} {noise(i)}",
            field=f"Lĩnh vực lạ {i}",
            subject="Ai đó",
            year=f"năm {i}",
            **{"Nội dung, cách làm": noise(-i)},
        )
        for i in range(n)
    ]
    return workbook(path, rows)


def run_with(inbox, out, *extra):
    args = ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026"]
    return main([*args, *extra])


def parse(path):
    from email import message_from_bytes, policy

    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_a_draft_for_a_workbook_of_bad_rows_stays_under_5_mb_with_every_problem_attached(tmp_path):
    # a 0.76 MB workbook of bad rows once made a 32 MB email: the body now lists the first
    # problems, the attached workbook every one
    source = bad_rows(tmp_path / "in" / "cam-lam.xlsx", 7000)
    assert 700_000 < source.stat().st_size < 900_000
    assert run_with(tmp_path / "in", tmp_path / "out") == 0
    folder = tmp_path / "out" / "2026" / "phan-hoi"
    draft = folder / "cam-lam.eml"
    assert draft.stat().st_size < 5_000_000
    message = parse(draft)
    body = message.get_body(("plain",)).get_content()
    listed = [line for line in body.splitlines() if line.startswith("- ")]
    more = re.search(r"- và (\d+) lỗi khác, xem tệp đính kèm \"cam-lam.xlsx\"", body)
    assert more and len(listed) == 31  # 30 problems, then the rest counted
    [attached] = list(message.iter_attachments())
    assert attached.get_content() == (folder / "cam-lam.xlsx").read_bytes()
    book = openpyxl.load_workbook(folder / "cam-lam.xlsx", read_only=True)
    in_workbook = sum(1 for _ in book["Các lỗi"].iter_rows(min_row=2))
    assert in_workbook == 30 + int(more.group(1)) and in_workbook > 14_000


def test_an_attachment_too_big_to_mail_is_left_out_and_said(tmp_path, capsys):
    import json
    import shutil
    from pathlib import Path

    import yaml

    schemas = tmp_path / "schemas"
    shutil.copytree(Path(__file__).resolve().parent.parent / "schemas", schemas)
    book = yaml.safe_load((schemas / "workbook.yaml").read_text(encoding="utf-8"))
    book["limits"]["max_draft_bytes"] = 1_100_000  # the feedback workbook needs more
    (schemas / "workbook.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    bad_rows(tmp_path / "in" / "cam-lam.xlsx", 1500)
    assert run_with(tmp_path / "in", tmp_path / "out", "--schemas", str(schemas)) == 0
    folder = tmp_path / "out" / "2026"
    draft = folder / "phan-hoi" / "cam-lam.eml"
    assert (
        draft.stat().st_size < 1_100_000 and (folder / "phan-hoi" / "cam-lam.xlsx").stat().st_size > 100_000
    )
    message = parse(draft)
    assert list(message.iter_attachments()) == []
    body = message.get_body(("plain",)).get_content()
    assert "quá lớn để gửi kèm thư này" in body and 'tệp "cam-lam.xlsx" Ban gửi riêng' in body
    notes = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["staff_notes"]
    assert any("quá lớn để gửi kèm thư nên thư không đính kèm: phan-hoi/cam-lam.xlsx." in n for n in notes)


def test_a_problem_message_is_cut_in_the_body_and_whole_in_the_attachment(tmp_path):
    long_name = "Khu Vân Phong " * 2000  # 28,000 characters typed as the unit's name
    workbook(tmp_path / "in" / "dai.xlsx", [model("A")], code=None, name=long_name)
    assert run_with(tmp_path / "in", tmp_path / "out") == 0
    [draft] = (tmp_path / "out" / "2026" / "phan-hoi").glob("khong-ro-don-vi-*.eml")
    body = parse(draft).get_body(("plain",)).get_content()
    assert len(body) < 10_000 and "Khu Vân Phong Khu Vân Phong" in body and "…" in body
