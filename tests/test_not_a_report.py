"""End to end: a workbook with no model row is not a report, and a signature block is no row.

The inbox, by hand:
- cam-lam.xlsx: three models (one named after a person), blank rows in the middle, a totals row
  and a signature block in columns B, E, J and N: 3 rows read, 3 accepted, nothing to fix.
- nha-trang.xlsx: the standard workbook sent back empty (its own signature under it): no report.
- ldld: a good file (1 model, 01/12), then the standard workbook sent back empty (03/12): the
  good one still counts (an empty file replaces nothing), on time.
So: 2 units reported (both on time), 1 rejected, 18 missing; rows read 4, accepted 4, rejected 0.
"""

import email
import email.policy
import json

from builders import model, workbook
from test_list_end import SIGNATURE, at, signed_list

from aggregator.cli import main


def inbox(tmp_path):
    box = tmp_path / "inbox"
    signed_list(box / "cam-lam.xlsx")
    workbook(box / "nha-trang.xlsx", [], code="nha-trang", name="Thành ủy Nha Trang", after=SIGNATURE)
    workbook(
        box / "ldld-1.xlsx", [model("E", 2, "Cá nhân")], code="ldld", name=None, report_date="01/12/2026"
    )
    workbook(
        box / "ldld-2.xlsx", [], code="ldld", name=None, report_date="03/12/2026", after=[at(B="Tổng cộng")]
    )
    return box


def run(box, outbox, *extra):
    argv = ["--inbox", str(box), "--outbox", str(outbox), "--year", "2026", "--report-date", "15/12/2026"]
    return main([*argv, *extra])


def parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def test_an_empty_workbook_does_not_count_as_a_report_and_a_signature_is_no_row(tmp_path, capsys):
    box, outbox = inbox(tmp_path), tmp_path / "outbox"
    assert run(box, outbox) == 0
    folder = outbox / "2026"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    totals = summary["totals"]
    assert (
        totals["units_on_time"],
        totals["units_late"],
        totals["units_missing"],
        totals["units_rejected"],
    ) == (
        2,
        0,
        18,
        1,
    )
    assert totals["models"] == 4
    assert summary["rows"] == {"read": 4, "accepted": 4, "rejected": 0, "superseded": 0}
    assert summary["files"]["accepted"] == 2 and summary["files"]["rejected"] == 2
    units = {u["code"]: u for u in summary["units"]}
    assert units["nha-trang"]["status"] == "rejected" and units["cam-lam"]["rejected_rows"] == 0
    assert units["ldld"]["status"] == "on_time" and units["ldld"]["file"] == "ldld-1.xlsx"

    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in manifest["files"]}
    assert files["nha-trang.xlsx"]["status"] == "rejected"
    assert [p["code"] for p in files["nha-trang.xlsx"]["problems"]] == ["no_rows"]
    assert files["ldld-2.xlsx"]["status"] == "rejected" and files["ldld-1.xlsx"]["status"] == "accepted"
    assert files["cam-lam.xlsx"]["problems"] == []
    # the totals row and the signature block, for auditors: sheet rows 9 to 17 but blank 16
    assert files["cam-lam.xlsx"]["sheets"][0]["left_out"] == [9, 10, 11, 12, 13, 14, 15, 17]

    # the report counts 2 units as having reported, of 21
    html = (folder / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "Đã có 2 đơn vị gửi báo cáo hợp lệ" in html

    # cam-lam has nothing to fix: no feedback at all (its signature block was never a row)
    feedback = folder / "phan-hoi"
    assert not (feedback / "cam-lam.xlsx").exists() and not (feedback / "cam-lam.eml").exists()
    text = parse(feedback / "nha-trang.eml").get_body(("plain",)).get_content()
    assert "không có dòng mô hình, điển hình nào" in text
    assert "chưa được tính là đơn vị đã báo cáo" in text and "điền danh sách các mô hình" in text
    assert "không cần gửi lại" not in text
    for said in ("Nơi nhận", "BÍ THƯ", "Nguyễn Văn Hùng", "Tổng cộng", "Vạn Ninh"):
        assert said not in text
    ldld = parse(feedback / "ldld.eml").get_body(("plain",)).get_content()
    assert 'Tệp được dùng để tổng hợp: "ldld-1.xlsx" (1 mô hình' in ldld
    assert 'Tệp này để trống nên không thay cho tệp "ldld-1.xlsx"' in ldld and "không cần gửi lại" in ldld

    # the feedback workbook of the empty file: no rows, the request for the list
    import openpyxl

    book = openpyxl.load_workbook(feedback / "nha-trang.xlsx")
    summary_text = " ".join(str(c.value) for c in book["Tóm tắt"]["A"] if c.value)
    assert "điền danh sách các mô hình" in summary_text
    assert book["Danh sách"].max_row <= 3  # the header only: the signature block is not shown
    out = capsys.readouterr().out
    assert "2 đúng hạn, 0 trễ hạn, 18 chưa gửi, 1 có tệp bị loại" in out


def test_status_and_remind_wait_for_a_unit_that_sent_the_empty_workbook(tmp_path, capsys):
    box, outbox = inbox(tmp_path), tmp_path / "outbox"
    assert main(["status", "--inbox", str(box), "--outbox", str(outbox), "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "Còn 19 đơn vị chưa có báo cáo dùng được" in out and "Thành ủy Nha Trang" in out
    argv = [
        "remind",
        "--inbox",
        str(box),
        "--outbox",
        str(outbox),
        "--year",
        "2026",
        "--report-date",
        "01/12/2026",
    ]
    assert main(argv) == 0
    reminders = outbox / "2026" / "nhac-nho"
    assert not (reminders / "ldld.eml").exists() and not (reminders / "cam-lam.eml").exists()
    text = parse(reminders / "nha-trang.eml").get_body(("plain",)).get_content()
    assert "chưa có danh sách mô hình, điển hình nào (biểu mẫu để trống)" in text
    assert "chưa dùng được để tổng hợp" not in text


def test_check_says_an_empty_workbook_is_no_report_and_a_signed_list_is_fine(tmp_path, capsys):
    box = inbox(tmp_path)
    assert main(["check", str(box / "nha-trang.xlsx"), "--year", "2026"]) == 1
    out = capsys.readouterr().out
    assert "BỊ LOẠI" in out and "chưa phải là báo cáo" in out
    assert main(["check", str(box / "cam-lam.xlsx"), "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "3 dòng, 3 hợp lệ, 0 có lỗi" in out and "Nơi nhận" not in out
