"""One inbox across the years: what an earlier period took in is left alone later, quietly.

Staff never empty ``inbox/``. Each test runs the README's routine through two Decembers in one
inbox, end to end through the command line, on its own copy of the settings.
"""

import json
import shutil
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from builders import model, workbook
from test_email import message, save

from aggregator import config
from aggregator.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def schemas(tmp_path):
    """The settings as shipped, copied: the tests never read the Board's own ``schemas/``."""
    folder = tmp_path / "schemas"
    shutil.copytree(config.BUNDLED, folder)  # the tests' copy of the shipped settings
    return folder


def first_year(inbox: Path, tmp_path: Path) -> None:
    """December 2025: three units report, one of them in a saved email; an empty file too."""
    inbox.mkdir(parents=True)
    (inbox / "rong-2025.xlsx").write_bytes(b"")
    workbook(
        inbox / "cam-lam-2025.xlsx", [model("Dân vận khéo", year=2024)], year=2025, report_date="02/12/2025"
    )
    workbook(
        inbox / "khanh-son-2025.xlsx",
        [model("Nuôi bò sinh sản", 3, "Hộ gia đình", year=2025, status="Đăng ký mới")],
        code="khanh-son",
        name="Huyện ủy Khánh Sơn",
        year=2025,
        report_date="01/12/2025",
    )
    attached = workbook(
        tmp_path / "src" / "ldld-2025.xlsx",
        [model("Công nhân giỏi", 2, "Cá nhân", year=2023)],
        code="ldld",
        name=None,
        year=2025,
        report_date="03/12/2025",
    )
    mail = message(
        [("ldld-2025.xlsx", attached.read_bytes())],
        sender="ldld@khanhhoa.gov.vn",
        date="Wed, 03 Dec 2025 09:00:00 +0700",
        subject="Báo cáo mô hình 2025",
    )
    save(inbox / "thu" / "ldld-2025.eml", mail)


def second_year(inbox: Path) -> None:
    """December 2026, same inbox: two units report again; Khánh Sơn sends nothing; Hội CCB sends
    its 2025 file, never sent before (a mistake to explain to it)."""
    workbook(inbox / "cam-lam-2026.xlsx", [model("Dân vận khéo", year=2024)], report_date="02/12/2026")
    (inbox / "rong-2026.xlsx").write_bytes(b"")  # every empty file is alike: still refused
    workbook(
        inbox / "ldld-2026.xlsx",
        [model("Công nhân giỏi", 2, "Cá nhân", year=2023)],
        code="ldld",
        name=None,
        report_date="03/12/2026",
    )
    workbook(
        inbox / "hoi-ccb.xlsx",
        [model("Cựu chiến binh làm kinh tế giỏi", 2, "Cá nhân", year=2022)],
        code="hoi-ccb",
        name=None,
        year=2025,
        report_date="04/12/2025",
    )


def cli(*args: str) -> int:
    return main([str(a) for a in args])


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def two_years(tmp_path: Path, schemas: Path) -> tuple[Path, Path]:
    inbox, out = tmp_path / "inbox", tmp_path / "outbox"
    first_year(inbox, tmp_path)
    common = ["--inbox", inbox, "--outbox", out, "--schemas", schemas]
    assert cli("--year", "2025", "--report-date", "15/12/2025", *common) == 0
    second_year(inbox)
    return inbox, out


def test_last_years_files_are_left_alone_and_a_silent_unit_is_missing(tmp_path, schemas, capsys):
    inbox, out = two_years(tmp_path, schemas)
    common = ["--inbox", inbox, "--outbox", out, "--schemas", schemas]
    assert cli("--year", "2026", "--report-date", "15/12/2026", *common) == 0
    said = capsys.readouterr().out
    record = manifest(out / "2026")
    used_2025 = {e["sha256"] for e in manifest(out / "2025")["files"] + manifest(out / "2025")["emails"]}
    ignored = {e["path"]: e for e in record["ignored"]}
    assert set(ignored) == {"cam-lam-2025.xlsx", "khanh-son-2025.xlsx", "thu/ldld-2025.eml"}
    for entry in ignored.values():
        assert entry["status"] == "ignored" and entry["reason"] == "đã tổng hợp ở kỳ năm 2025"
        assert entry["earlier"] == "2025" and entry["sha256"] in used_2025
    # nothing of 2025 was read again: no outcome, no email unpacked
    assert sorted(f["path"] for f in record["files"]) == [
        "cam-lam-2026.xlsx",
        "hoi-ccb.xlsx",
        "ldld-2026.xlsx",
        "rong-2025.xlsx",
        "rong-2026.xlsx",
    ]
    assert {f["status"] for f in record["files"] if f["path"].startswith("rong")} == {"rejected"}
    assert record["emails"] == []
    figures = summary(out / "2026")
    units = {u["code"]: u["status"] for u in figures["units"]}
    assert units["khanh-son"] == "missing"  # not "rejected": it sent nothing this year
    assert units["hoi-ccb"] == "rejected"  # last year's file, never seen before: refused
    assert units["cam-lam"] == units["ldld"] == "on_time"
    assert figures["totals"]["units_rejected"] == 1 and figures["files"]["ignored"] == 3
    # feedback only for the file that was really refused
    feedback = sorted(p.name for p in (out / "2026" / "phan-hoi").glob("*.xlsx"))
    assert feedback == ["hoi-ccb.xlsx"]
    hoi_ccb = next(f for f in record["files"] if f["path"] == "hoi-ccb.xlsx")
    assert hoi_ccb["status"] == "rejected" and any("2025" in r for r in hoi_ccb["reasons"])
    report = (out / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "Khánh Sơn" in report and "cam-lam-2025.xlsx" not in report
    assert "1 có tệp bị loại" in said and "3 bỏ qua" in said
    # an auditor's check re-hashes the entries left alone too
    assert cli("verify", out / "2026") == 0
    with (inbox / "khanh-son-2025.xlsx").open("ab") as changed:
        changed.write(b"\0")
    assert cli("verify", out / "2026") == 1
    assert "Đã thay đổi: khanh-son-2025.xlsx" in capsys.readouterr().out


def test_status_remind_and_check_judge_the_inbox_as_the_run_does(tmp_path, schemas, capsys):
    inbox, out = two_years(tmp_path, schemas)
    capsys.readouterr()
    common = ["--inbox", inbox, "--outbox", out, "--schemas", schemas, "--year", "2026"]
    assert cli("status", *common) == 0
    lines = capsys.readouterr().out.splitlines()

    def row(unit: str) -> str:
        [found] = [line for line in lines if f"  {unit}  " in line]
        return found

    assert "Chưa gửi" in row("Huyện ủy Khánh Sơn")
    assert "Tệp bị loại" in row("Hội Cựu chiến binh tỉnh")
    assert "Đúng hạn" in row("Huyện ủy Cam Lâm")
    assert "Bỏ qua 3 tệp đã tổng hợp ở các kỳ trước" in lines[-1]

    assert cli("remind", *common, "--report-date", "07/12/2026") == 0
    reminders = out / "2026" / "nhac-nho"
    parse = BytesParser(policy=policy.default).parsebytes
    khanh_son = parse((reminders / "khanh-son.eml").read_bytes()).get_body(("plain",)).get_content()
    hoi_ccb = parse((reminders / "hoi-ccb.eml").read_bytes()).get_body(("plain",)).get_content()
    assert "chưa dùng được" not in khanh_son and "Kính gửi: Huyện ủy Khánh Sơn" in khanh_son
    assert "chưa dùng được" in hoi_ccb
    # the reason is said in the reminder itself: no feedback has gone out before a reminder
    assert "phản hồi" not in hoi_ccb and "2025" in hoi_ccb.split("chưa dùng được", 1)[1]
    assert not (reminders / "cam-lam.eml").exists()

    capsys.readouterr()
    assert cli("check", inbox, "--outbox", out, "--schemas", schemas, "--year", "2026", "--json") == 1
    checked = {e["file"]: e for e in json.loads(capsys.readouterr().out)}
    by_name = {Path(name).name: entry for name, entry in checked.items()}
    for name in ("cam-lam-2025.xlsx", "khanh-son-2025.xlsx", "ldld-2025.eml"):
        assert by_name[name]["status"] == "ignored" and by_name[name]["reason"] == "đã tổng hợp ở kỳ năm 2025"
    assert by_name["hoi-ccb.xlsx"]["status"] == "rejected"
    assert by_name["cam-lam-2026.xlsx"]["status"] == "accepted"
    # and a file named alone is judged the same
    assert (
        cli("check", inbox / "cam-lam-2025.xlsx", "--outbox", out, "--schemas", schemas, "--year", "2026")
        == 0
    )
    assert "bỏ qua, không đọc — đã tổng hợp ở kỳ năm 2025" in capsys.readouterr().out


def test_a_rerun_reads_its_own_files_and_a_third_year_still_knows_the_first(tmp_path, schemas, capsys):
    inbox, out = two_years(tmp_path, schemas)
    common = ["--inbox", inbox, "--outbox", out, "--schemas", schemas]
    assert cli("--year", "2025", "--report-date", "16/12/2025", *common) == 0  # 2025 again
    again = manifest(out / "2025")
    assert {f["path"] for f in again["files"] if f["status"] == "accepted"} >= {
        "cam-lam-2025.xlsx",
        "khanh-son-2025.xlsx",
    }
    assert not [i for i in again["ignored"] if i.get("earlier")]
    # that re-run read this year's files too (refused them as 2026's): they stay 2026's
    assert {f["path"] for f in again["files"] if f["year"] == 2026} == {"cam-lam-2026.xlsx", "ldld-2026.xlsx"}
    assert cli("--year", "2026", "--report-date", "15/12/2026", *common) == 0
    units = {u["code"]: u["status"] for u in summary(out / "2026")["units"]}
    assert units["cam-lam"] == units["ldld"] == "on_time" and units["khanh-son"] == "missing"
    assert units["hoi-ccb"] == "missing"  # its 2025 file, late, was taken in by 2025's re-run
    # 2027: the 2025 files are still there, and the 2025 folder archived away by hand
    shutil.move(out / "2025", tmp_path / "cat-di")
    assert cli("--year", "2027", "--report-date", "15/12/2027", *common) == 0
    record = manifest(out / "2027")
    reasons = {e["path"]: (e["reason"], e["earlier"]) for e in record["ignored"]}
    assert reasons["cam-lam-2025.xlsx"] == ("đã tổng hợp ở kỳ năm 2025", "2025")  # known through 2026
    assert reasons["cam-lam-2026.xlsx"] == ("đã tổng hợp ở kỳ năm 2026", "2026")
    assert [f["path"] for f in record["files"]] == ["rong-2025.xlsx", "rong-2026.xlsx"]  # empty: refused
    assert summary(out / "2027")["totals"]["units_rejected"] == 0


def test_a_half_year_is_earlier_than_its_year(tmp_path, schemas):
    inbox, out = tmp_path / "inbox", tmp_path / "outbox"
    workbook(inbox / "cam-lam-6t.xlsx", [model("Dân vận khéo")], period="6 tháng", report_date="10/06/2026")
    common = ["--inbox", inbox, "--outbox", out, "--schemas", schemas, "--year", "2026"]
    assert cli(*common, "--period", "half_year", "--report-date", "30/06/2026") == 0
    workbook(inbox / "cam-lam.xlsx", [model("Dân vận khéo")], report_date="02/12/2026")
    assert cli(*common, "--report-date", "15/12/2026") == 0
    record = manifest(out / "2026")
    assert [(i["path"], i["reason"]) for i in record["ignored"]] == [
        ("cam-lam-6t.xlsx", "đã tổng hợp ở kỳ 6 tháng năm 2026")
    ]


def test_a_damaged_manifest_is_said_and_its_files_read_as_new(tmp_path, schemas, caplog):
    inbox, out = two_years(tmp_path, schemas)
    (out / "2025" / "manifest.json").write_text('{"files": [', encoding="utf-8")
    common = ["--inbox", inbox, "--outbox", out, "--schemas", schemas]
    assert cli("--year", "2026", "--report-date", "15/12/2026", *common) == 0
    err = caplog.text  # said to staff as "Lưu ý: …" on the terminal
    assert "manifest.json bị hỏng" in err and "--year 2025" in err
    units = {u["code"]: u["status"] for u in summary(out / "2026")["units"]}
    assert units["khanh-son"] == "rejected"  # read again, as before this rule: noticed, not fatal


# -- the registry chosen once ---------------------------------------------------------------

PRESET = ROOT / "presets" / "khanh-hoa-2025"


def test_the_registry_chosen_once_serves_every_command(tmp_path, schemas, capsys):
    assert cli("registry", "use", PRESET, "--schemas", schemas) == 0
    said = capsys.readouterr().out
    assert "71 đơn vị" in said and "không cần thêm --schemas" in said
    chosen = (schemas / "units.yaml").read_text(encoding="utf-8")
    assert chosen.startswith("#> Danh sách đơn vị đang dùng: chép từ ")
    assert chosen.endswith((PRESET / "units.yaml").read_text(encoding="utf-8"))  # the list as it was
    [kept] = (schemas / "cu").glob("units-*.yaml")  # the plan's 21 units, kept
    assert kept.read_bytes() == (config.BUNDLED / "units.yaml").read_bytes()
    # chosen again: nothing written, nothing kept twice
    assert cli("registry", "use", PRESET / "units.yaml", "--schemas", schemas) == 0
    assert "đã là danh sách đang dùng" in capsys.readouterr().out
    assert len(list((schemas / "cu").glob("*"))) == 1

    inbox, out = tmp_path / "inbox", tmp_path / "outbox"
    workbook(inbox / "ninh-hoa.xlsx", [model()], code="ninh-hoa", name="Đảng ủy phường Ninh Hòa")
    settings = ["--schemas", schemas]  # the test's own settings folder, standing for schemas/
    assert cli("registry", "show", *settings) == 0
    assert "(71 đơn vị)" in capsys.readouterr().out
    assert cli("template", "--outbox", out, "--year", "2026", *settings) == 0
    assert len(list((out / "templates").glob("*.xlsx"))) == 72  # one per unit and a blank one
    assert "(71 đơn vị)" in capsys.readouterr().out
    assert cli("status", "--inbox", inbox, "--outbox", out, "--year", "2026", *settings) == 0
    said = capsys.readouterr().out
    assert "(71 đơn vị)" in said and "Còn 70 đơn vị chưa có báo cáo dùng được" in said
    assert cli("check", inbox / "ninh-hoa.xlsx", "--year", "2026", "--outbox", out, "--json", *settings) == 0
    assert json.loads(capsys.readouterr().out)[0]["unit"] == "ninh-hoa"
    run = ["--inbox", inbox, "--outbox", out, "--year", "2026", "--report-date", "07/12/2026", *settings]
    assert cli("remind", *run) == 0
    assert len(list((out / "2026" / "nhac-nho").glob("*.eml"))) == 70
    assert cli(*run) == 0
    said = capsys.readouterr().out
    assert "Danh sách đơn vị: " in said and "chép từ " in said and "(71 đơn vị)" in said
    record = manifest(out / "2026")["registry"]
    assert record["units"] == 71 and record["file"] == str((schemas / "units.yaml").resolve())
    assert record["origin"].endswith("presets/khanh-hoa-2025/units.yaml")
    assert summary(out / "2026")["totals"]["units_expected"] == 71
    assert cli("register", "rebuild", "--outbox", out, *settings) == 0


def test_a_broken_list_is_refused_and_nothing_written(tmp_path, schemas, capsys):
    broken = tmp_path / "rieng" / "units.yaml"
    broken.parent.mkdir()
    broken.write_text("groups: []\nunits: []\n", encoding="utf-8")
    before = (schemas / "units.yaml").read_bytes()
    assert cli("registry", "use", broken.parent, "--schemas", schemas) == 2
    err = capsys.readouterr().err
    assert "Lỗi cấu hình" in err and str(broken) in err
    assert cli("registry", "use", tmp_path / "khong-co", "--schemas", schemas) == 2
    assert "Không thấy danh sách đơn vị" in capsys.readouterr().err
    assert (schemas / "units.yaml").read_bytes() == before and not (schemas / "cu").exists()


def test_a_partial_settings_folder_takes_each_file_it_lacks_from_schemas(tmp_path, capsys):
    from aggregator.commands import common
    from aggregator.config import BUNDLED
    from aggregator.intake import mailbox

    partial = tmp_path / "rieng"
    partial.mkdir()
    shutil.copy(PRESET / "units.yaml", partial / "units.yaml")
    # the mailbox settings, absent here, are the bundled ones (fetch and --to-mailbox stopped)
    assert common.holding(partial, mailbox.SETTINGS_FILE) == BUNDLED
    assert mailbox.load_settings(common.holding(partial, mailbox.SETTINGS_FILE)).folder
    (partial / "mailbox.yaml").write_bytes((BUNDLED / "mailbox.yaml").read_bytes())
    assert common.holding(partial, mailbox.SETTINGS_FILE) == partial
    inbox, out = tmp_path / "inbox", tmp_path / "outbox"
    workbook(inbox / "ninh-hoa.xlsx", [model()], code="ninh-hoa", name="Đảng ủy phường Ninh Hòa")
    args = ["--inbox", inbox, "--outbox", out, "--year", "2026", "--report-date", "07/12/2026"]
    assert cli(*args, "--schemas", partial) == 0
    record = manifest(out / "2026")
    assert record["registry"] == {
        "file": str((partial / "units.yaml").resolve()),
        "origin": None,
        "units": 71,
    }
    assert record["schemas"]["report.yaml"] == manifest_hash(BUNDLED / "report.yaml")


def manifest_hash(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_last_years_file_never_seen_is_refused_for_its_year_alone(tmp_path, schemas):
    """A unit sends last year's file again by mistake (re-saved, so no manifest knows it): it is
    refused as last year's, and the unit is told that alone, never asked to correct last year's
    rows against this year's rules ("Đăng ký mới" built in 2025, replicated in no place)."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    workbook(
        inbox / "ldld-gui-lai.xlsx",
        [model("Tổ công đoàn mẫu", 2, year=2025, status="Đăng ký mới", places=0)],
        code="ldld",
        name=None,
        year=2025,
        report_date="01/12/2025",
    )
    args = ["--inbox", inbox, "--outbox", out, "--schemas", schemas, "--year", "2026"]
    assert cli(*args, "--report-date", "15/12/2026") == 0
    [entry] = manifest(out / "2026")["files"]
    assert entry["status"] == "rejected"
    assert [p["code"] for p in entry["problems"]] == ["year_mismatch"]
    parse = BytesParser(policy=policy.default).parsebytes
    letter = parse((out / "2026" / "phan-hoi" / "ldld.eml").read_bytes()).get_body(("plain",)).get_content()
    assert "báo cáo năm 2025, không phải năm 2026" in letter
    assert "Đăng ký mới" not in letter and "nhân rộng" not in letter
