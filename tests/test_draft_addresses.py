"""Drafts people can send: every subject names the unit, and a unit with no registered address
is written to the address its identified report came from, the draft saying so.

With the 2025 registry (presets/khanh-hoa-2025: no addresses at all):
- phường Nha Trang mailed its workbook from vanphong@nhatrang.vn, one row bad: its feedback
  goes there, with the note;
- phường Cam Ranh mailed the empty workbook from dangu@camranh.vn: its reminder goes there;
- phường Bắc Nha Trang's file was saved by hand (no email), one row bad: no address, said once;
- a ministry forwarded two units' workbooks in one email: that sender speaks for neither.
"""

import email
import email.policy
import json
from pathlib import Path

from builders import model, workbook
from test_email import message, save

from aggregator.cli import main

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "khanh-hoa-2025"
TOPIC = "Phản hồi báo cáo mô hình, điển hình năm 2026"


def parse(path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def body(draft):
    return draft.get_body(("plain",)).get_content()


def inbox(tmp_path):
    src, box = tmp_path / "src", tmp_path / "inbox"
    nha_trang = workbook(
        src / "nt.xlsx",
        [model("A"), model("B", 3, "Cá nhân")],
        code="nha-trang",
        name="Đảng ủy phường Nha Trang",
    )
    save(
        box / "nha-trang.eml",
        message([("bao-cao.xlsx", nha_trang.read_bytes())], sender="vanphong@nhatrang.vn"),
    )
    empty = workbook(src / "cr.xlsx", [], code="cam-ranh", name="Đảng ủy phường Cam Ranh")
    save(box / "cam-ranh.eml", message([("bao-cao.xlsx", empty.read_bytes())], sender="dangu@camranh.vn"))
    workbook(
        box / "bac-nha-trang.xlsx",
        [model("C"), model("D", 3, "Cá nhân")],
        code="bac-nha-trang",
        name="Đảng ủy phường Bắc Nha Trang",
    )
    one = workbook(
        src / "1.xlsx", [model("E", 3, "Cá nhân")], code="tay-nha-trang", name="Đảng ủy phường Tây Nha Trang"
    )
    two = workbook(
        src / "2.xlsx", [model("F", 3, "Cá nhân")], code="nam-nha-trang", name="Đảng ủy phường Nam Nha Trang"
    )
    save(
        box / "chuyen-tiep.eml",
        message([("1.xlsx", one.read_bytes()), ("2.xlsx", two.read_bytes())], sender="vanthu@tinh.vn"),
    )
    return box


def test_feedback_drafts_go_to_the_reports_sender_and_name_the_unit(tmp_path, capsys):
    box, out = inbox(tmp_path), tmp_path / "outbox"
    argv = ["--inbox", str(box), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026"]
    assert main([*argv, "--schemas", str(PRESET)]) == 0
    folder = out / "2026" / "phan-hoi"
    nha_trang = parse(folder / "nha-trang.eml")
    assert nha_trang["To"] == "vanphong@nhatrang.vn"
    assert nha_trang["Subject"] == f"[Đảng ủy phường Nha Trang] {TOPIC}"
    note = "Ghi chú: thư này gửi đến địa chỉ vanphong@nhatrang.vn, là địa chỉ đơn vị đã dùng để gửi báo cáo"
    assert body(nha_trang).rstrip().endswith(note + ", vì đơn vị chưa đăng ký địa chỉ thư điện tử với Ban.")
    cam_ranh = parse(folder / "cam-ranh.eml")  # the empty workbook: asked for its list, at its sender
    assert cam_ranh["To"] == "dangu@camranh.vn" and "điền danh sách" in body(cam_ranh)
    by_hand = parse(folder / "bac-nha-trang.eml")
    assert not by_hand["To"] and "Ghi chú" not in body(by_hand)
    assert by_hand["Subject"] == f"[CHƯA CÓ ĐỊA CHỈ NGƯỜI NHẬN] [Đảng ủy phường Bắc Nha Trang] {TOPIC}"
    for code in ("tay-nha-trang", "nam-nha-trang"):  # a forwarder's address is no unit's
        forwarded = parse(folder / f"{code}.eml")
        assert not forwarded["To"] and "[CHƯA CÓ ĐỊA CHỈ NGƯỜI NHẬN]" in forwarded["Subject"]

    notes = json.loads((out / "2026" / "manifest.json").read_text(encoding="utf-8"))["staff_notes"]
    nowhere = [n for n in notes if "chưa có địa chỉ người nhận" in n]
    assert nowhere == [
        "3 thư chưa có địa chỉ người nhận (chưa đăng ký địa chỉ, báo cáo không gửi qua thư): "
        "Đảng ủy phường Bắc Nha Trang (phan-hoi/bac-nha-trang.eml), "
        "Đảng ủy phường Tây Nha Trang (phan-hoi/tay-nha-trang.eml), "
        "Đảng ủy phường Nam Nha Trang (phan-hoi/nam-nha-trang.eml). "
        'Điền ô "Đến" trước khi gửi.'
    ]
    [sent] = [n for n in notes if "đã gửi đến địa chỉ" in n]
    assert "Đảng ủy phường Nha Trang (vanphong@nhatrang.vn)" in sent
    assert "Đảng ủy phường Cam Ranh (dangu@camranh.vn)" in sent and sent.startswith(
        "Thư phản hồi cho 2 đơn vị"
    )
    printed = capsys.readouterr().out
    assert printed.count("chưa có địa chỉ người nhận") == 1


def test_reminders_go_to_the_reports_sender_and_name_the_unit(tmp_path, capsys):
    box, out = inbox(tmp_path), tmp_path / "outbox"
    argv = [
        "remind",
        "--inbox",
        str(box),
        "--outbox",
        str(out),
        "--year",
        "2026",
        "--report-date",
        "01/12/2026",
    ]
    assert main([*argv, "--schemas", str(PRESET)]) == 0
    folder = out / "2026" / "nhac-nho"
    cam_ranh = parse(folder / "cam-ranh.eml")
    assert cam_ranh["To"] == "dangu@camranh.vn"
    assert cam_ranh["Subject"] == "[Đảng ủy phường Cam Ranh] Đề nghị gửi báo cáo mô hình, điển hình năm 2026"
    assert "Ghi chú: thư này gửi đến địa chỉ dangu@camranh.vn" in body(cam_ranh)
    missing = parse(folder / "ba-ngoi.eml")  # sent nothing: nowhere to write yet
    assert not missing["To"] and missing["Subject"].startswith(
        "[CHƯA CÓ ĐỊA CHỈ NGƯỜI NHẬN] [Đảng ủy phường Ba Ngòi]"
    )
    printed = capsys.readouterr().out
    assert printed.count("Chưa có địa chỉ người nhận") == 1
    assert "Đảng ủy phường Cam Ranh (dangu@camranh.vn)" in printed


def test_every_subject_keeps_its_spaces_in_a_strict_mail_reader():
    """RFC 2047 readers ignore whitespace between encoded words: every space of a subject is
    kept inside a word, for every unit name of the 2025 preset, addressed or not."""
    import datetime as dt
    from email.header import decode_header, make_header

    import yaml

    from aggregator.rendering.drafts import NO_ADDRESS, draft

    units = yaml.safe_load((ROOT / "presets" / "khanh-hoa-2025" / "units.yaml").read_text(encoding="utf-8"))
    for unit in units["units"]:
        for to in (["vp@example.vn"], []):
            text = f"[{unit['name']}] Đề nghị gửi báo cáo mô hình, điển hình năm 2026"
            raw = draft("bantg@example.vn", to, text, "x", [], dt.date(2026, 12, 6)).decode("ascii")
            head = raw.split("\n\n", 1)[0]
            folded = head.split("Subject: ", 1)[1].split("\nDate:", 1)[0]
            assert str(make_header(decode_header(folded))) == (text if to else NO_ADDRESS + text)
            assert max(len(line) for line in head.splitlines()) <= 78


def test_a_reminder_goes_to_the_address_last_years_report_came_from(tmp_path, capsys):
    """December 2026, nothing sent yet: a unit with no registered address is reminded at the
    address its 2025 report was mailed from; a unit whose report came in another's email, and
    one that reported by hand, have none."""
    src, box, out = tmp_path / "src", tmp_path / "inbox-2025", tmp_path / "outbox"
    sent = workbook(
        src / "nt.xlsx", [model("A")], code="nha-trang", name="Đảng ủy phường Nha Trang", year=2025
    )
    save(box / "nha-trang.eml", message([("bao-cao.xlsx", sent.read_bytes())], sender="vanphong@nhatrang.vn"))
    one = workbook(
        src / "1.xlsx", [model("E")], code="tay-nha-trang", name="Đảng ủy phường Tây Nha Trang", year=2025
    )
    two = workbook(
        src / "2.xlsx", [model("F")], code="nam-nha-trang", name="Đảng ủy phường Nam Nha Trang", year=2025
    )
    save(
        box / "chuyen-tiep.eml",
        message([("1.xlsx", one.read_bytes()), ("2.xlsx", two.read_bytes())], sender="vanthu@tinh.vn"),
    )
    common = ["--outbox", str(out), "--schemas", str(PRESET)]
    assert main(["--inbox", str(box), *common, "--year", "2025", "--report-date", "15/12/2025"]) == 0
    (tmp_path / "inbox-2026").mkdir()
    argv = ["remind", "--inbox", str(tmp_path / "inbox-2026"), *common, "--year", "2026"]
    assert main([*argv, "--report-date", "01/12/2026"]) == 0
    folder = out / "2026" / "nhac-nho"
    nha_trang = parse(folder / "nha-trang.eml")
    assert nha_trang["To"] == "vanphong@nhatrang.vn"
    assert "Ghi chú: thư này gửi đến địa chỉ vanphong@nhatrang.vn" in body(nha_trang)
    assert not parse(folder / "tay-nha-trang.eml")["To"]  # the sender of two units' email: neither's
