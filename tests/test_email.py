"""Saved emails in the inbox: attachments read like inbox files, dates from the email."""

import base64
import io
import json
import zipfile
from email.message import EmailMessage
from pathlib import Path

from builders import model, workbook

from aggregator import config as config_module
from aggregator.cli import main
from aggregator.pipeline import aggregate

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def message(
    attachments,
    sender="huyenuy@camlam.khanhhoa.gov.vn",
    date="Thu, 03 Dec 2026 09:15:00 +0700",
    subject="Báo cáo mô hình, điển hình 2026",
):
    mail = EmailMessage()
    mail["From"], mail["To"] = f"Văn phòng <{sender}>", "btgdv@khanhhoa.gov.vn"
    mail["Subject"], mail["Date"] = subject, date
    mail.set_content("Kính gửi Ban Tuyên giáo và Dân vận,\nĐơn vị gửi báo cáo.", cte="quoted-printable")
    for name, data in attachments:
        if isinstance(data, EmailMessage):
            mail.add_attachment(data)  # a forwarded email, as message/rfc822
        else:
            mail.add_attachment(data, *XLSX, filename=name)
    return mail


def save(path, mail):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(mail))
    return path


def workbooks(tmp_path):
    a = workbook(tmp_path / "src" / "a.xlsx", [model("A"), model("B", 5)], report_date="01/12/2026")
    b = workbook(
        tmp_path / "src" / "b.xlsx",
        [model("C", 2, "Cá nhân")],
        code="ldld",
        name=None,
        report_date="01/12/2026",
    )
    return a.read_bytes(), b.read_bytes()


def test_emails_give_the_same_figures_as_the_files_with_the_emails_dates(tmp_path, cfg):
    a, b = workbooks(tmp_path)
    files = tmp_path / "files"
    files.mkdir()
    (files / "a.xlsx").write_bytes(a)
    (files / "b.xlsx").write_bytes(b)
    mails = tmp_path / "mails"
    save(mails / "cam-lam.eml", message([("Báo cáo mô hình - HU Cam Lâm.xlsx", a)]))
    inner = message(
        [("LĐLĐ tỉnh.xlsx", b)], sender="ldld@khanhhoa.gov.vn", date="Sun, 06 Dec 2026 16:00:00 +0700"
    )
    save(
        mails / "chuyen-tiep.eml",
        message(
            [("", inner)],
            sender="ldld@khanhhoa.gov.vn",
            date="Sun, 06 Dec 2026 17:30:00 +0700",
            subject="Fwd: Báo cáo",
        ),
    )
    by_file, by_mail = aggregate(cfg, files, 2026, "annual"), aggregate(cfg, mails, 2026, "annual")
    for key in ("totals", "fields", "rows"):
        if key == "totals":
            same = {k: v for k, v in by_file.summary[key].items() if not k.startswith("units_")}
            assert same == {k: v for k, v in by_mail.summary[key].items() if not k.startswith("units_")}
        else:
            assert by_file.summary[key] == by_mail.summary[key]
    units = {u["code"]: u for u in by_mail.summary["units"]}
    assert units["cam-lam"]["received"] == "2026-12-03" and units["cam-lam"]["status"] == "on_time"
    assert units["ldld"]["received"] == "2026-12-06" and units["ldld"]["status"] == "late"
    outcome = next(o for o in by_mail.outcomes if o.unit == "ldld")
    assert outcome.received_source == "email" and str(outcome.report_date) == "2026-12-01"
    assert outcome.candidate.relative == "chuyen-tiep.eml › LĐLĐ tỉnh.xlsx"


def test_rfc2047_names_base64_and_other_attachments(tmp_path, cfg):
    a, _ = workbooks(tmp_path)
    encoded = "=?utf-8?b?" + base64.b64encode("Báo cáo Cam Lâm.xlsx".encode()).decode() + "?="
    raw = (
        "From: huyenuy@camlam.khanhhoa.gov.vn\r\nTo: btgdv@khanhhoa.gov.vn\r\n"
        "Subject: =?utf-8?q?B=C3=A1o_c=C3=A1o?=\r\nDate: Wed, 02 Dec 2026 08:00:00 +0700\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\n"
        "--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Kính gửi Ban.\r\n"
        f'--XYZ\r\nContent-Type: application/octet-stream; name="{encoded}"\r\n'
        f'Content-Disposition: attachment; filename="{encoded}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(a).decode()
        + "--XYZ\r\nContent-Type: application/pdf\r\n"
        'Content-Disposition: attachment; filename="cong-van.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(b"%PDF-1.4 x").decode()
        + "--XYZ--\r\n"
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "thu.eml").write_bytes(raw.encode())
    result = aggregate(cfg, tmp_path / "in", 2026, "annual")
    fate = {o.candidate.relative: o.status for o in result.outcomes}
    assert fate == {"thu.eml › Báo cáo Cam Lâm.xlsx": "accepted", "thu.eml › cong-van.pdf": "ignored"}
    assert result.summary["files"]["ignored"] == 1 and result.summary["totals"]["models"] == 2
    assert result.emails[0].subject == "Báo cáo" and result.emails[0].sender.endswith("gov.vn")


def test_workbooks_inside_a_zip_attachment(tmp_path, cfg):
    a, b = workbooks(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bao-cao/a.xlsx", a)
        archive.writestr("bao-cao/b.xlsx", b)
        archive.writestr("bao-cao/anh.jpg", b"\xff\xd8\xff\xe0 jpeg")
    mail = message([])
    mail.add_attachment(buffer.getvalue(), "application", "zip", filename="bao-cao.zip")
    save(tmp_path / "in" / "zip.eml", mail)
    result = aggregate(cfg, tmp_path / "in", 2026, "annual")
    fate = sorted((o.candidate.attachment, o.status) for o in result.outcomes)
    assert fate == [
        ("bao-cao.zip › a.xlsx", "accepted"),
        ("bao-cao.zip › anh.jpg", "ignored"),
        ("bao-cao.zip › b.xlsx", "accepted"),
    ]


def test_hostile_attachment_names_stay_inside(tmp_path, cfg):
    a, _ = workbooks(tmp_path)
    names = [
        "../../../etc/passwd.xlsx",
        "/tmp/tuyet-doi.xlsx",
        "..\\..\\windows\\x.xlsx",
        "a\x01b\tc.xlsx",
        "....xlsx",
    ]
    save(tmp_path / "in" / "xau.eml", message([(n, a) for n in names]))
    before = {p for p in tmp_path.parent.iterdir()}
    assert main(["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    assert {p for p in tmp_path.parent.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out", "src"]
    manifest = json.loads((tmp_path / "out" / "2026" / "manifest.json").read_text())
    shown = [f["attachment"] for f in manifest["files"]]
    assert shown == ["passwd.xlsx", "tuyet-doi.xlsx", "x.xlsx", "abc.xlsx", "xlsx"]
    written = [p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")]
    assert all(".." not in w and "passwd" not in w for w in written)


def test_a_sender_not_registered_is_a_warning(tmp_path, cfg):
    a, _ = workbooks(tmp_path)
    save(tmp_path / "in" / "la.eml", message([("a.xlsx", a)], sender="someone@gmail.com"))
    result = aggregate(cfg, tmp_path / "in", 2026, "annual")
    [outcome] = result.outcomes
    assert outcome.status == "accepted"
    [warning] = [p for p in outcome.problems if p.code == "sender_unregistered"]
    assert "someone@gmail.com" in warning.message and not warning.is_error


def test_a_broken_email_is_listed_not_fatal_and_verify_covers_emails(tmp_path, capsys):
    a, _ = workbooks(tmp_path)
    save(tmp_path / "in" / "tot.eml", message([("a.xlsx", a)]))
    (tmp_path / "in" / "hong.eml").write_bytes(b"\x00\xff not an email at all")
    assert main(["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    manifest = json.loads((tmp_path / "out" / "2026" / "manifest.json").read_text())
    assert sorted(e["path"] for e in manifest["emails"]) == ["hong.eml", "tot.eml"]
    assert main(["verify", str(tmp_path / "out" / "2026")]) == 0
    (tmp_path / "in" / "tot.eml").write_bytes(b"changed")
    assert main(["verify", str(tmp_path / "out" / "2026")]) == 1
    assert "Đã thay đổi: tot.eml" in capsys.readouterr().out


def parse(path):
    import email
    from email import policy

    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=policy.default)


def test_feedback_drafts_carry_the_problems_and_the_workbook(tmp_path):
    a, _ = workbooks(tmp_path)
    save(tmp_path / "in" / "a.eml", message([("a.xlsx", a)]))
    workbook(tmp_path / "in" / "b.xlsx", [model("X", 3, "Cá nhân")], code="ldld", name=None)
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
    draft = parse(tmp_path / "out" / "2026" / "phan-hoi" / "ldld.eml")
    assert draft["To"] == "ldld@khanhhoa.gov.vn" and draft["X-Unsent"] == "1"
    assert draft["From"] == "btgdv@khanhhoa.gov.vn" and "+0700" in draft["Date"]
    text = draft.get_body(("plain",)).get_content()
    assert "Kính gửi: Liên đoàn Lao động tỉnh" in text and "Danh sách!D4" in text
    assert "sớm nhất có thể (hạn gửi là đến hết ngày 05/12/2026)" in text  # after the deadline
    [attached] = list(draft.iter_attachments())
    assert attached.get_filename() == "ldld.xlsx"
    assert attached.get_content() == (tmp_path / "out" / "2026" / "phan-hoi" / "ldld.xlsx").read_bytes()


def test_status_table_as_of_today(tmp_path, capsys):
    workbook(tmp_path / "in" / "a.xlsx", [model()])
    assert main(["status", "--inbox", str(tmp_path / "in"), "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "Tình hình nhận báo cáo kỳ năm 2026" in out and "hạn 05/12/2026" in out
    assert "Huyện ủy Cam Lâm" in out and "Còn 20 đơn vị chưa có báo cáo dùng được" in out


def test_reminders_for_missing_units_with_their_own_workbook(tmp_path, capsys):
    workbook(tmp_path / "in" / "a.xlsx", [model()])
    # ldld sent only last year's file: rejected, so nothing usable yet, and it is reminded too
    workbook(tmp_path / "in" / "ldld.xlsx", [model()], code="ldld", name=None, year=2025)
    out = tmp_path / "out"
    assert (
        main(
            [
                "remind",
                "--inbox",
                str(tmp_path / "in"),
                "--outbox",
                str(out),
                "--year",
                "2026",
                "--report-date",
                "07/12/2026",
            ]
        )
        == 0
    )
    drafts = sorted((out / "2026" / "nhac-nho").glob("*.eml"))
    assert len(drafts) == 20 and not (out / "2026" / "nhac-nho" / "cam-lam.eml").exists()
    assert (out / "2026" / "nhac-nho" / "ldld.eml").exists()
    draft = parse(out / "2026" / "nhac-nho" / "khanh-son.eml")
    assert draft["To"] == "huyenuy@khanhson.khanhhoa.gov.vn"
    text = draft.get_body(("plain",)).get_content()
    assert "Kính gửi: Huyện ủy Khánh Sơn" in text and "ngay khi nhận được thư này" in text
    [attached] = list(draft.iter_attachments())
    saved = tmp_path / attached.get_filename()
    saved.write_bytes(attached.get_content())
    # the unit's own workbook, identified as its own; sent back as it is, it is no report yet
    assert main(["check", str(saved), "--year", "2026", "--json"]) == 1
    [checked] = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert checked["unit"] == "khanh-son" and [p["code"] for p in checked["problems"]] == ["no_rows"]
    assert (
        main(
            [
                "remind",
                "--inbox",
                str(tmp_path / "in"),
                "--outbox",
                str(out),
                "--year",
                "2026",
                "--report-date",
                "01/12/2026",
            ]
        )
        == 0
    )
    text = parse(out / "2026" / "nhac-nho" / "khanh-son.eml").get_body(("plain",)).get_content()
    assert "về Ban đến hết ngày 05/12/2026." in text and "trước ngày" not in text


def test_a_real_email_saved_by_a_mail_client(tmp_path, cfg):
    import shutil
    from pathlib import Path

    data = Path(__file__).resolve().parent / "data"
    (tmp_path / "in").mkdir()
    shutil.copy(data / "saved-by-mutt.eml", tmp_path / "in")
    result = aggregate(cfg, tmp_path / "in", 2026, "annual")
    [outcome] = result.outcomes
    assert outcome.candidate.attachment == "Báo cáo mô hình - HU Khánh Sơn.xlsx"
    assert (outcome.unit, outcome.status, outcome.received_source) == ("khanh-son", "accepted", "email")
    assert str(outcome.received) == "2026-11-24" and outcome.rows_valid == 2
    assert result.emails[0].subject == "Báo cáo mô hình, điển hình năm 2026"
    assert result.emails[0].sender == "huyenuy@khanhson.khanhhoa.gov.vn"
    assert not [p for p in outcome.problems if p.code == "sender_unregistered"]


def test_email_dates_are_read_in_vietnam_time_whatever_the_machine(tmp_path, cfg, monkeypatch):
    import time

    a, _ = workbooks(tmp_path)
    save(tmp_path / "in" / "a.eml", message([("a.xlsx", a)], date="Sat, 05 Dec 2026 17:30:00 +0000"))
    monkeypatch.setenv("TZ", "Pacific/Honolulu")
    time.tzset()
    try:
        result = aggregate(cfg, tmp_path / "in", 2026, "annual")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    unit = next(u for u in result.statuses if u.code == "cam-lam")
    assert str(unit.received) == "2026-12-06" and unit.status == "late"  # 00:30 on 06/12 in VN


def test_an_unregistered_sender_shows_in_the_reports_appendix(tmp_path):
    import docx

    a, _ = workbooks(tmp_path)
    save(tmp_path / "in" / "la.eml", message([("a.xlsx", a)], sender="someone@gmail.com"))
    assert main(["--inbox", str(tmp_path / "in"), "--outbox", str(tmp_path / "out"), "--year", "2026"]) == 0
    folder = tmp_path / "out" / "2026"
    html = (folder / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "Thư từ someone@gmail.com" in html and "không phải địa chỉ đã đăng ký" in html
    cells = [
        c.text
        for t in docx.Document(str(folder / "bao-cao-tong-hop.docx")).tables
        for row in t.rows
        for c in row.cells
    ]
    assert any("Thư từ someone@gmail.com" in c and "đã đăng ký" in c for c in cells)


def test_check_reads_a_saved_email_a_zip_and_a_folder_as_the_run_does(tmp_path, capsys):
    a, b = workbooks(tmp_path)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("ldld.xlsx", b)
    box = tmp_path / "in"
    mail = message([("Báo cáo Cam Lâm.xlsx", a)])
    mail.add_attachment(b"%PDF-1.4 scan", "application", "pdf", filename="cong-van.pdf")
    save(box / "cam-lam.eml", mail)
    zipped = message([], sender="ldld@khanhhoa.gov.vn")
    zipped.add_attachment(archive.getvalue(), "application", "zip", filename="bao-cao.zip")
    save(box / "thu" / "ldld.eml", zipped)
    (box / "thu" / "cong-van.pdf").write_bytes(b"%PDF-1.4 scan")
    (box / "thu" / "~$ldld.xlsx").write_bytes(b"lock")

    assert main(["check", str(box / "cam-lam.eml"), "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "cam-lam.eml › Báo cáo Cam Lâm.xlsx: dùng được — Huyện ủy Cam Lâm; 2 dòng" in out
    assert "cam-lam.eml › cong-van.pdf: bỏ qua" in out and "không phải bảng tính" not in out

    assert main(["check", str(box), "--year", "2026", "--json"]) == 1  # the loose PDF
    checked = {
        Path(f["file"]).relative_to(box).as_posix(): f["status"] for f in json.loads(capsys.readouterr().out)
    }
    assert (
        main(
            [
                "--inbox",
                str(box),
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
    manifest = json.loads((tmp_path / "out" / "2026" / "manifest.json").read_text("utf-8"))
    ran = {f["path"]: f["status"].replace("superseded", "accepted") for f in manifest["files"]}
    ran |= {f["path"]: f["status"] for f in manifest["ignored"]}
    assert checked == ran and checked["thu/~$ldld.xlsx"] == "ignored"
    assert ran["thu/ldld.eml › bao-cao.zip › ldld.xlsx"] == "accepted"


def test_check_says_each_entry_once_and_a_zip_is_no_email(tmp_path, capsys):
    """An email with nothing attached is one entry (its warning says why); a zip saved in the
    inbox is no email "with no attachment"; an empty folder is said in --json too."""
    a, _ = workbooks(tmp_path)
    box = tmp_path / "in"
    save(box / "trong.eml", message([]))
    with zipfile.ZipFile(box / "tai-ve.zip", "w") as z:
        z.writestr("cam-lam.xlsx", a)
    (box / "rong").mkdir()
    paths = [str(box / "trong.eml"), str(box / "tai-ve.zip"), str(box / "rong")]
    assert main(["check", *paths, "--year", "2026", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [Path(f["file"]).name for f in entries] == ["trong.eml", "tai-ve.zip › cam-lam.xlsx", "rong"]
    said = {Path(f["file"]).name: f for f in entries}
    assert [p["code"] for p in said["trong.eml"]["problems"]] == ["email_no_attachments"]
    assert said["tai-ve.zip › cam-lam.xlsx"]["status"] == "accepted"
    assert said["rong"]["status"] == "empty_folder"
    assert main(["check", *paths, "--year", "2026"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sum(line.startswith(str(box / "trong.eml")) for line in out) == 1
    assert any("Thư không có tệp đính kèm" in line for line in out)
    assert not any(line.startswith(f"{box / 'tai-ve.zip'}:") for line in out)


def drafts_of(tmp_path, report_date):
    box, out = tmp_path / "in", tmp_path / f"out-{report_date.replace('/', '')}"
    if not box.exists():
        workbook(box / "cam-lam-2025.xlsx", [model("Cũ")], year=2025, report_date="01/12/2025")
        workbook(box / "cam-lam-2026.xlsx", [model("A"), model("B", 5)], report_date="01/12/2026")
        workbook(
            box / "ninh-hoa.xlsx",
            [model("C")],
            code="ninh-hoa",
            name=None,
            year=None,
            report_date="01/12/2026",
        )  # warnings only: the year assumed
        workbook(
            box / "ldld.xlsx",
            [model("D"), model("E", 3, "Cá nhân")],
            code="ldld",
            name=None,
            report_date="01/12/2026",
        )  # a row not counted
        workbook(box / "la.xlsx", [model("F")], code=None, name="Đảng ủy Khu kinh tế Vân Phong")
    assert (
        main(["--inbox", str(box), "--outbox", str(out), "--year", "2026", "--report-date", report_date]) == 0
    )
    folder = out / "2026" / "phan-hoi"
    return {p.stem: parse(p) for p in folder.glob("*.eml")}, json.loads(
        (out / "2026" / "manifest.json").read_text("utf-8")
    )


def body_of(draft):
    return draft.get_body(("plain",)).get_content()


def test_feedback_drafts_ask_to_resend_only_when_rows_were_lost(tmp_path, capsys):
    drafts, manifest = drafts_of(tmp_path, "15/12/2026")
    cam_lam = body_of(drafts["cam-lam"])  # a stray old file: the 2026 one is what counts
    assert 'Tệp được dùng để tổng hợp: "cam-lam-2026.xlsx" (2 mô hình' in cam_lam
    assert "không cần gửi lại" in cam_lam and "Đề nghị đơn vị sửa" not in cam_lam
    ninh_hoa = body_of(drafts["ninh-hoa"])  # warnings only: an acknowledgement with them
    assert "không cần gửi lại" in ninh_hoa and "đã coi là năm 2026" in ninh_hoa
    ldld = body_of(drafts["ldld"])
    assert "gửi lại cả tệp sớm nhất có thể (hạn gửi là đến hết ngày 05/12/2026)" in ldld
    [unknown] = [k for k in drafts if k.startswith("khong-ro-don-vi")]
    text = body_of(drafts[unknown])
    assert "chưa xác định được tệp thuộc đơn vị nào" in text
    assert "schemas" not in text and "chạy lại" not in text and "units.yaml" not in text
    assert drafts[unknown]["Subject"].startswith("[CHƯA CÓ ĐỊA CHỈ NGƯỜI NHẬN]")
    out = capsys.readouterr().out
    assert (
        "1 thư chưa có địa chỉ người nhận (chưa đăng ký địa chỉ, báo cáo không gửi qua thư): "
        f"phan-hoi/{unknown}.eml." in out
    )
    # the staff hint, in the terminal, naming the file this run used (the tests' copy of schemas/)
    assert f"bổ sung vào {config_module.BUNDLED / 'units.yaml'}" in out
    assert 'Người ký "Nguyễn Văn A" là tên mẫu' in out and "Số văn bản chưa có" in out
    assert any("units.yaml" in n for n in manifest["staff_notes"])
    before, _ = drafts_of(tmp_path, "01/12/2026")  # a draft dated before the deadline
    assert "gửi lại cả tệp đến hết ngày 05/12/2026." in body_of(before["ldld"])


def test_a_workbook_mailed_from_another_units_registered_address_is_rejected(tmp_path, cfg):
    _, b = workbooks(tmp_path)  # LĐLĐ's workbook, from Cam Lâm's registered address
    save(tmp_path / "in" / "nham.eml", message([("LĐLĐ.xlsx", b)]))
    [outcome] = aggregate(cfg, tmp_path / "in", 2026, "annual").outcomes
    assert outcome.status == "rejected" and outcome.unit is None
    [conflict] = [p for p in outcome.problems if p.code == "unit_evidence_conflict"]
    assert "Liên đoàn Lao động tỉnh" in conflict.message and "Huyện ủy Cam Lâm" in conflict.message
    sources = [e["source"] for e in outcome.identification["evidence"]]
    assert sources == ["code", "sender", "filename"]  # "LĐLĐ.xlsx" names LĐLĐ too
