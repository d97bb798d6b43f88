"""No single inbox entry can stop, swamp or fool the run: each kind, beside good files.

Every test puts one hostile entry beside good files, runs the December command and checks:
exit 0, the good files' figures exact, and the hostile entry listed with its fate and reason.
"""

import io
import json
import os
import re
import shutil
import struct
import sys
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from builders import model, repeated_ods, saved_on_date, workbook
from test_email import message, save

from aggregator import config as config_module
from aggregator import hashing
from aggregator.cli import main
from aggregator.pipeline.workers import start_method

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def inbox(tmp_path):
    """Two good units: 3 models of Cam Lâm, 2 of LĐLĐ."""
    box = tmp_path / "inbox"
    workbook(box / "cam-lam.xlsx", [model("A"), model("B", 5), model("C", 2, "Cá nhân")])
    workbook(box / "ldld.xlsx", [model("D"), model("E", 3, "Hộ gia đình")], code="ldld", name=None)
    return box


def resave(book, path):
    """A workbook changed by openpyxl, saved again on the day it is dated."""
    book.save(path)
    saved_on_date(path, "03/12/2026")


def good_bytes(tmp_path, name="Mô hình thư", code="hoi-nong-dan"):
    return workbook(tmp_path / "src" / f"{code}.xlsx", [model(name)], code=code, name=None).read_bytes()


def run(inbox, tmp_path, *extra, schemas=None):
    out = tmp_path / "outbox"
    args = [
        "--inbox",
        str(inbox),
        "--outbox",
        str(out),
        "--year",
        "2026",
        "--report-date",
        "15/12/2026",
        "--json",
        *extra,
    ]
    if schemas:
        args += ["--schemas", str(schemas)]
    code = main(args)
    folder = out / "2026"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return code, manifest, summary


def models_of(summary):
    return {u["code"]: u["models"] for u in summary["units"] if u["models"]}


GOOD = {"cam-lam": 3, "ldld": 2}


def fate(manifest, path):
    return next(f for f in manifest["files"] if f["path"] == path)


def codes(entry):
    return [p["code"] for p in entry["problems"]]


# CI runs this file under AGGREGATOR_START_METHOD=spawn too (as on Windows and macOS): a reader
# patched in this process reaches forked workers only, spawned ones import it afresh
FORKED_ONLY = pytest.mark.skipif(
    start_method() != "fork", reason="a patched reader reaches forked workers only"
)


# --- the file system -----------------------------------------------------------------------


def test_links_are_listed_never_followed(inbox, tmp_path):
    outside = tmp_path / "secret.xlsx"
    workbook(outside, [model("Ngoài inbox")], code="mttq", name=None)
    (inbox / "link.xlsx").symlink_to(outside)
    (inbox / "folder-link").symlink_to(tmp_path, target_is_directory=True)
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == GOOD
    for name in ("link.xlsx", "folder-link"):
        entry = fate(manifest, name)
        assert entry["status"] == "ignored" and codes(entry) == ["file_link"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_is_refused_without_being_opened(inbox, tmp_path):
    os.mkfifo(inbox / "pipe.xlsx")  # opening it to read would block for ever
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == GOOD
    entry = fate(manifest, "pipe.xlsx")
    assert entry["status"] == "rejected" and codes(entry) == ["file_special"]


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_a_name_that_is_not_utf8_is_listed_escaped_and_the_outputs_written(inbox, tmp_path):
    raw = os.fsencode(str(inbox)) + b"/b\xe1o c\xe1o.xlsx"  # Latin-1 bytes, not UTF-8
    with open(raw, "wb") as handle:
        handle.write(good_bytes(tmp_path))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    assert fate(manifest, "b\\xe1o c\\xe1o.xlsx")["status"] == "accepted"
    assert main(["verify", str(tmp_path / "outbox" / "2026")]) == 0  # found by its bytes


def test_a_file_that_vanishes_mid_run_is_refused_alone(inbox, tmp_path, cfg):
    from aggregator.pipeline import FileProcessor, collect, workers

    (inbox / "nhap.xlsx").write_bytes(good_bytes(tmp_path))
    items, _, _ = collect(inbox, tmp_path, cfg)
    (inbox / "nhap.xlsx").unlink()  # deleted (or saved over) after the inbox was listed
    processor = FileProcessor(cfg, 2026, "annual")
    outcomes = list(workers.process_all(items, processor.process, cfg.limits))
    gone = next(o for o in outcomes if o.candidate.relative == "nhap.xlsx")
    assert [p.code for p in gone.problems] == ["file_vanished"] and gone.status == "rejected"
    assert sum(o.rows_valid for o in outcomes if o.status == "accepted") == 5


def test_lock_files_and_the_inbox_readme_are_ignored_by_name(inbox, tmp_path):
    for name in (
        "~$cam-lam.xlsx",
        ".~lock.ldld.xlsx#",
        "Thumbs.db",
        "desktop.ini",
        "README.md",
        "sub/README.txt",
    ):
        (inbox / name).parent.mkdir(exist_ok=True)
        (inbox / name).write_bytes(b"PK\x03\x04 whatever")
    code, manifest, summary = run(inbox, tmp_path)
    ignored = {i["path"]: i["reason"] for i in manifest["ignored"]}
    assert set(ignored) == {
        "~$cam-lam.xlsx",
        ".~lock.ldld.xlsx#",
        "Thumbs.db",
        "desktop.ini",
        "README.md",
    } and all(ignored.values())
    # a README below the top is a unit's file like any other: read, and refused
    assert fate(manifest, "sub/README.txt")["status"] == "rejected"
    assert code == 0 and models_of(summary) == GOOD and summary["files"]["ignored"] == 5


@pytest.mark.parametrize("where", ["inside", "same"])
def test_the_outbox_in_the_inbox_is_never_read(inbox, tmp_path, where):
    out = inbox / "ket-qua" if where == "inside" else inbox
    args = ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026"]
    assert main(args) == 0 and main(args) == 0  # the second run sees the first one's outputs
    manifest = json.loads((out / "2026" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(f["path"] for f in manifest["files"]) == ["cam-lam.xlsx", "ldld.xlsx"]
    assert manifest["ignored"]


@pytest.mark.parametrize("where", ["inside", "same"])
def test_status_and_check_never_read_the_outbox_in_the_inbox_either(tmp_path, capsys, where):
    """The run's drafts carry each unit's feedback workbook: read back as the unit's own file,
    a unit whose file was refused would look as if it had sent a usable one."""
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("A")])
    workbook(inbox / "ldld.xlsx", [model("D")], code="ldld", name=None, year=2025)  # refused: last year's
    out = inbox / "ket-qua" if where == "inside" else inbox
    args = ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026"]
    assert main(args) == 0 and (out / "2026" / "phan-hoi" / "ldld.eml").is_file()
    capsys.readouterr()
    assert main(["status", "--inbox", str(inbox), "--outbox", str(out), "--year", "2026"]) == 0
    ldld = next(line for line in capsys.readouterr().out.splitlines() if "Liên đoàn Lao động" in line)
    assert "Tệp bị loại" in ldld
    assert main(["check", str(inbox), "--outbox", str(out), "--year", "2026", "--json"]) == 1
    checked = {
        Path(f["file"]).relative_to(inbox).as_posix(): f["status"]
        for f in json.loads(capsys.readouterr().out)
    }
    assert sorted(name for name, status in checked.items() if status != "ignored") == [
        "cam-lam.xlsx",
        "ldld.xlsx",
    ]


# --- emails -----------------------------------------------------------------------------------


def encrypted_zip(members):
    """A zip whose members are marked encrypted (traditional PKWARE), as units send them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            flags = struct.unpack_from("<H", data, start + offset)[0]
            struct.pack_into("<H", data, start + offset, flags | 1)
            start += 4
    return bytes(data)


def zipped(members, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_password_protected_zip_in_an_email_is_refused_alone(inbox, tmp_path):
    locked = encrypted_zip([("bao-cao.xlsx", good_bytes(tmp_path))])
    save(inbox / "thu.eml", message([("bao-cao.zip", locked)]))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == GOOD
    entry = fate(manifest, "thu.eml › bao-cao.zip › bao-cao.xlsx")
    assert entry["status"] == "rejected" and codes(entry) == ["member_encrypted"]
    assert entry["email"] == "thu.eml"


def test_zip_members_with_unsupported_compression_or_corrupt_data_are_refused(inbox, tmp_path):
    good = good_bytes(tmp_path)
    odd = bytearray(zipped([("la.xlsx", good)]))
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # method 99 (AES)
        start = odd.find(signature)
        struct.pack_into("<H", odd, start + offset, 99)
    broken = bytearray(zipped([("hong.xlsx", good)]))
    middle = broken.find(b"PK\x03\x04") + 30 + len("hong.xlsx") + 200
    broken[middle : middle + 64] = bytes(64)  # the deflated data damaged: CRC or inflate fails
    save(
        inbox / "thu.eml",
        message([("a.zip", bytes(odd)), ("b.zip", bytes(broken)), ("c.zip", zipped([("tot.xlsx", good)]))]),
    )
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    assert codes(fate(manifest, "thu.eml › a.zip › la.xlsx")) == ["member_unsupported"]
    assert codes(fate(manifest, "thu.eml › b.zip › hong.xlsx")) == ["member_corrupt"]
    assert fate(manifest, "thu.eml › c.zip › tot.xlsx")["status"] == "accepted"


def test_a_run_with_a_zip_in_the_inbox_verifies_and_a_big_zip_is_refused_whole(inbox, tmp_path, capsys):
    (inbox / "tai-ve.zip").write_bytes(zipped([("hnd.xlsx", good_bytes(tmp_path))]))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    listed = {e["path"]: e for e in manifest["emails"]}
    assert listed["tai-ve.zip"]["sha256"] == hashing.sha256(inbox / "tai-ve.zip")
    assert main(["verify", str(tmp_path / "outbox" / "2026")]) == 0  # its file through its hash
    (inbox / "tai-ve.zip").write_bytes(zipped([("hnd.xlsx", good_bytes(tmp_path, "Khác"))]))
    assert main(["verify", str(tmp_path / "outbox" / "2026")]) == 1
    assert "tai-ve.zip" in capsys.readouterr().out

    limits = limited_schemas(tmp_path, max_file_bytes=2000)
    big = inbox / "tai-ve.zip"
    code, manifest, _ = run(inbox, tmp_path, schemas=limits)
    entry = fate(manifest, "tai-ve.zip")
    assert codes(entry) == ["file_too_large"] and entry["size"] == big.stat().st_size


def test_a_zip_in_the_inbox_is_read_like_an_attachment_to_a_stated_depth(inbox, tmp_path):
    good = good_bytes(tmp_path)
    inner = message([("bc.zip", zipped([("bc.xlsx", good)]))], sender="hnd@khanhhoa.gov.vn")
    (inbox / "tat-ca.zip").write_bytes(
        zipped([("thu.eml", bytes(inner)), ("mttq.xlsx", good_bytes(tmp_path, "X", "mttq"))])
    )
    too_deep = zipped([("1.zip", zipped([("2.zip", zipped([("3.zip", zipped([("s.xlsx", good)]))]))]))])
    (inbox / "sau.zip").write_bytes(too_deep)
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1, "mttq": 1}
    # zip › email › zip › workbook: three levels, the stated depth, read
    assert fate(manifest, "tat-ca.zip › thu.eml › bc.zip › bc.xlsx")["status"] == "accepted"
    deep = fate(manifest, "sau.zip › 1.zip › 2.zip › 3.zip")
    assert deep["status"] == "rejected" and codes(deep) == ["nested_too_deep"]


def raw_email(headers, body):
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode()


def test_absurd_email_headers_are_sanitised_and_distrusted(inbox, tmp_path):
    import base64

    good = base64.b64encode(good_bytes(tmp_path)).decode()
    evil = "=?utf-8?b?" + base64.b64encode("Báo cáo\r\nBcc: x@y.z\x00\x07".encode()).decode() + "?="
    name = "=?utf-8?b?" + base64.b64encode(b"../../bc\r\n\x00.xlsx").decode() + "?="
    headers = [
        f"From: {evil} <hnd@khanhhoa.gov.vn>",
        f"Subject: {evil}",
        "Date: Fri, 31 Dec 9999 23:59:59 -9959",
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="B"',
    ]
    body = (
        "--B\r\nContent-Type: text/plain\r\n\r\nxin chào\r\n--B\r\n"
        f"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        f'filename="{name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n{good}\r\n--B--\r\n'
    )
    (inbox / "la.eml").write_bytes(raw_email(headers, body))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    mail = manifest["emails"][0]
    assert mail["date"] is None  # year 9999 is not trusted: the email file's time is used
    for text in (mail["subject"], mail["from"], *mail["attachments"]):
        assert not any(ord(c) < 32 for c in text), text
    attached = next(f for f in manifest["files"] if f["email"] == "la.eml")
    assert "/" not in attached["attachment"] and attached["status"] == "accepted"
    drafts = list((tmp_path / "outbox" / "2026").rglob("*.eml"))
    for draft in drafts:
        assert b"Bcc: x@y.z" not in draft.read_bytes()


def test_multipart_without_boundary_or_nested_too_deep_is_refused(inbox, tmp_path):
    (inbox / "khong-ranh-gioi.eml").write_bytes(
        raw_email(
            ["From: a@b.c", "Subject: x", "MIME-Version: 1.0", "Content-Type: multipart/mixed"],
            "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--\r\n",
        )
    )
    deep = EmailMessage()
    deep.set_content("đáy")
    for _ in range(200):
        outer = EmailMessage()
        outer.make_mixed()
        outer.attach(deep)
        deep = outer
    (inbox / "long-sau.eml").write_bytes(bytes(deep))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == GOOD
    assert codes(fate(manifest, "khong-ranh-gioi.eml")) == ["email_unreadable"]
    assert codes(fate(manifest, "long-sau.eml")) == ["nested_too_deep"]
    assert all(e["error"] for e in manifest["emails"])


def test_an_email_over_the_size_limit_is_refused_unopened(inbox, tmp_path):
    schemas = limited_schemas(tmp_path, max_email_bytes=20_000)
    save(inbox / "to.eml", message([("bc.xlsx", good_bytes(tmp_path) * 4)]))
    code, manifest, summary = run(inbox, tmp_path, schemas=schemas)
    assert code == 0 and models_of(summary) == GOOD
    assert codes(fate(manifest, "to.eml")) == ["email_too_large"]


def test_what_one_email_unpacks_is_bounded(inbox, tmp_path):
    schemas = limited_schemas(tmp_path, max_unpacked_bytes=30_000)
    good = good_bytes(tmp_path)
    save(inbox / "nhieu.eml", message([(f"bc{n}.zip", zipped([(f"bc{n}.xlsx", good)])) for n in range(5)]))
    code, manifest, summary = run(inbox, tmp_path, schemas=schemas)
    assert code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    fates = [f["status"] for f in manifest["files"] if f["email"]]
    assert "accepted" in fates and any(
        codes(f) == ["email_unpacked_too_large"] for f in manifest["files"] if f["email"]
    )


def limited_schemas(tmp_path, **limits):
    """A copy of the schemas with some limits changed."""
    import yaml

    folder = tmp_path / "schemas"
    shutil.copytree(config_module.BUNDLED, folder)
    book = yaml.safe_load((folder / "workbook.yaml").read_text(encoding="utf-8"))
    book["limits"].update(limits)
    (folder / "workbook.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return folder


# --- bounds on time and memory ---------------------------------------------------------------


def test_a_tiny_ods_that_expands_to_billions_of_cells_is_refused_before_reading(inbox, tmp_path):
    repeated_ods(inbox / "bom.ods", 1_048_576, 16_384)
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == GOOD
    assert codes(fate(manifest, "bom.ods")) == ["sheet_too_large"]


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]>"
)


def with_part(data, name, transform):
    """A zip's bytes with one part changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zipped:
        for info in src.infolist():
            part = src.read(info.filename)
            zipped.writestr(info, transform(part) if info.filename == name else part)
    return out.getvalue()


def test_a_workbook_declaring_entities_is_refused_through_the_run_wherever_it_came(inbox, tmp_path):
    """A workbook's XML parts are judged where it is read, before any parser: one that declares
    entities is refused as no workbook, in the inbox, attached, or in a zip, and the rest read."""
    good = good_bytes(tmp_path)
    laughs = with_part(good, "xl/worksheets/sheet2.xml", lambda data: LAUGHS + data.split(b"?>", 1)[-1])
    padded = with_part(good, "xl/workbook.xml", lambda data: b"<!--" + b" " * 70_000 + b"-->" + data)
    (inbox / "lol.xlsx").write_bytes(laughs)
    (inbox / "dem.xlsx").write_bytes(padded)
    save(inbox / "thu.eml", message([("lol.xlsx", laughs)]))
    (inbox / "nen.zip").write_bytes(zip_of({"lol.xlsx": laughs}))
    repeated_ods(tmp_path / "src" / "bang.ods", 3, 3)
    ods = (tmp_path / "src" / "bang.ods").read_bytes()
    (inbox / "lol.ods").write_bytes(
        with_part(ods, "content.xml", lambda data: LAUGHS + data.split(b"?>", 1)[-1])
    )
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == GOOD
    parts = {
        "lol.xlsx": "xl/worksheets/sheet2.xml",
        "dem.xlsx": "xl/workbook.xml",
        "thu.eml › lol.xlsx": "xl/worksheets/sheet2.xml",
        "nen.zip › lol.xlsx": "xl/worksheets/sheet2.xml",
        "lol.ods": "content.xml",
    }
    for path, part in parts.items():
        entry = fate(manifest, path)
        assert (entry["status"], entry["type"], codes(entry)) == ("rejected", "other", ["file_xml_entities"])
        assert (
            f"({part})" in entry["problems"][0]["message"] and "bất thường" in entry["problems"][0]["message"]
        )


def test_a_huge_used_range_or_a_far_cell_does_not_get_a_good_file_refused(inbox, tmp_path):
    import openpyxl

    far = workbook(inbox / "xa.xlsx", [model("Xa")], code="mttq", name=None)
    book = openpyxl.load_workbook(far)
    book["Danh sách"].cell(1_048_576, 16_384, "ô lạc")  # XFD1048576: the reader would take TBs
    resave(book, far)
    declared = workbook(tmp_path / "src" / "vung.xlsx", [model("Vùng")], code="hoi-nong-dan", name=None)
    with zipfile.ZipFile(declared) as src, zipfile.ZipFile(inbox / "vung.xlsx", "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
            out.writestr(info, data)
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "mttq": 1, "hoi-nong-dan": 1}
    assert "sheet_read_in_part" in codes(fate(manifest, "xa.xlsx"))
    assert "sheet_read_in_part" in codes(fate(manifest, "vung.xlsx"))


def test_a_large_helper_sheet_is_skipped_not_the_file(inbox, tmp_path):
    import openpyxl

    path = workbook(inbox / "phu.ods.xlsx", [model("Có trang phụ")], code="mttq", name=None)
    book = openpyxl.load_workbook(path)
    helper = book.create_sheet("Tính toán")
    for r in range(1, 3001):
        helper.append([r] * 40)
    resave(book, path)
    schemas = limited_schemas(tmp_path, max_cells_per_sheet=100_000)
    code, manifest, summary = run(inbox, tmp_path, schemas=schemas)
    assert code == 0 and models_of(summary) == {**GOOD, "mttq": 1}
    assert codes(fate(manifest, "phu.ods.xlsx")) == ["sheet_skipped_large"]


def test_a_hidden_list_is_never_read_and_is_named(inbox, tmp_path):
    import openpyxl

    path = workbook(inbox / "an.xlsx", [model("Thật")], code="mttq", name=None)
    book = openpyxl.load_workbook(path)
    old = book.copy_worksheet(book["Danh sách"])
    old.title = "Danh sách cũ"
    old.append(
        [
            9,
            "Mô hình cũ, ẩn",
            1,
            "Tập thể",
            "Chi bộ",
            None,
            2020,
            "Duy trì, phát huy",
            "Giới thiệu, nhân rộng",
            "Cũ",
            None,
            None,
            1,
        ]
    )
    old.sheet_state = "hidden"
    resave(book, path)
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "mttq": 1}
    entry = fate(manifest, "an.xlsx")
    assert codes(entry) == ["sheet_hidden"] and "Danh sách cũ" in entry["problems"][0]["message"]


def test_header_search_is_linear_in_the_text(cfg):
    from aggregator.reading.locate import find_headers

    # one cell of 32,767 one-letter words: a quadratic prefix search takes minutes here
    words = " ".join(["a"] * 16_000)
    sheet = Sheet("S", True, [[words] * 30 for _ in range(30)])
    assert find_headers([sheet], cfg.columns, "Danh sách", 30) == []


class Panic(BaseException):
    """Like python-calamine's PanicException: a BaseException that does not pickle."""

    def __reduce__(self):
        raise TypeError("cannot pickle a panic")


@FORKED_ONLY
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_reader_that_panics_costs_only_its_file(inbox, tmp_path, monkeypatch, jobs):
    from aggregator.pipeline import workers
    from aggregator.reading import load as read

    real = read.python_calamine.CalamineWorkbook

    panic = (ROOT / "tests/data/saved-by-libreoffice.xls").read_bytes()

    class Panicking:
        @staticmethod
        def from_filelike(handle):
            data = handle.read()  # (the file's bytes, as read once for every check of it)
            if data == panic:
                raise Panic("index out of bounds")
            return real.from_filelike(io.BytesIO(data))

    monkeypatch.setattr(read.python_calamine, "CalamineWorkbook", Panicking)
    monkeypatch.setattr(workers, "MIN_FILES_PER_WORKER", 1)
    shutil.copy(ROOT / "tests/data/saved-by-libreoffice.xls", inbox / "panic.xls")
    code, manifest, summary = run(inbox, tmp_path, "--jobs", jobs)
    assert code == 0 and models_of(summary) == GOOD
    entry = fate(manifest, "panic.xls")
    assert entry["status"] == "rejected" and codes(entry) == ["file_unreadable"]
    assert "Panic" in entry["problems"][0]["technical"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is kept by Linux")
@pytest.mark.parametrize(
    "limit,code",
    [
        ({"max_seconds_per_file": 1, "max_worker_memory_bytes": 8 << 30}, "file_timeout"),
        ({"max_worker_memory_bytes": 150_000_000}, "file_out_of_memory"),
    ],
)
def test_a_worker_over_its_time_or_memory_costs_only_its_file(inbox, tmp_path, limit, code, caplog):
    # 2.9 million filled cells, allowed by the cell limits here: 1.9 million took 1.5-3 s and
    # 600 MB to read on the machine these tests were written on
    repeated_ods(inbox / "nang.ods", 29_000, 100)
    (inbox / "sau.xlsx").write_bytes(good_bytes(tmp_path))  # read after it, by a new worker
    schemas = limited_schemas(
        tmp_path, max_cells_per_sheet=3_000_000, max_cells_per_workbook=3_000_000, **limit
    )
    exit_code, manifest, summary = run(inbox, tmp_path, "--jobs", "1", schemas=schemas)
    assert exit_code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    entry = fate(manifest, "nang.ods")
    assert entry["status"] == "rejected" and codes(entry) == [code]
    # staff see it at once, in Vietnamese: the file and what happened, never the code
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert said == [f"nang.ods: {entry['problems'][0]['message']}"]


@pytest.mark.parametrize("kind", ["spawn", "fork"])
def test_where_the_system_keeps_no_memory_limit_the_watchdog_does(inbox, tmp_path, monkeypatch, kind):
    # Windows and macOS have no RLIMIT_AS: the run itself watches each worker's memory
    from aggregator.pipeline import workers

    if kind not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip(f"no {kind} here")
    monkeypatch.setattr(workers, "_LIMITS_MEMORY", False)  # as on Windows and macOS
    monkeypatch.setenv(workers.START_METHOD_VARIABLE, kind)
    repeated_ods(inbox / "nang.ods", 29_000, 100)
    (inbox / "sau.xlsx").write_bytes(good_bytes(tmp_path))  # read after it, by a new worker
    schemas = limited_schemas(
        tmp_path,
        max_cells_per_sheet=3_000_000,
        max_cells_per_workbook=3_000_000,
        max_worker_memory_bytes=150_000_000,
    )
    exit_code, manifest, summary = run(inbox, tmp_path, "--jobs", "1", schemas=schemas)
    assert exit_code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    entry = fate(manifest, "nang.ods")
    assert entry["status"] == "rejected" and codes(entry) == ["file_out_of_memory"]


def test_a_very_long_unit_name_costs_little(inbox, tmp_path):
    # a 6 KB workbook whose unit name is 2,000 characters once took 7.5 GB to identify (every
    # spelling two letters off was listed): now it is read within a small memory limit
    long_name = "Đảng ủy " + "xã Phước Hậu " * 154
    workbook(inbox / "dai.xlsx", [model("Dài")], code=None, name=long_name[:2000])
    workbook(inbox / "phay.xlsx", [model("Phẩy")], code=None, name="Khu Vân Phong, " * 140)
    schemas = limited_schemas(tmp_path, max_worker_memory_bytes=200_000_000)
    exit_code, manifest, summary = run(inbox, tmp_path, "--jobs", "1", schemas=schemas)
    assert exit_code == 0 and models_of(summary) == GOOD
    for name in ("dai.xlsx", "phay.xlsx"):
        entry = fate(manifest, name)
        assert entry["status"] == "rejected" and codes(entry)[0].startswith("unit_"), codes(entry)


# --- counting right: dates and ties -----------------------------------------------------------


def saved_at(path, when):
    stamp = when.timestamp()
    os.utime(path, (stamp, stamp))


VN = __import__("datetime").timezone(__import__("datetime").timedelta(hours=7))


def test_file_times_are_read_on_the_boards_clock_not_the_machines(inbox, tmp_path, monkeypatch):
    import datetime as dt
    import time

    late = workbook(inbox / "mttq.xlsx", [model("M")], code="mttq", name=None, report_date=None)
    saved_at(late, dt.datetime(2026, 12, 6, 0, 30, tzinfo=VN))  # 5/12 17:30 on a UTC machine
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        code, manifest, summary = run(inbox, tmp_path)
    finally:
        monkeypatch.undo()
        time.tzset()
    unit = next(u for u in summary["units"] if u["code"] == "mttq")
    assert fate(manifest, "mttq.xlsx")["received"] == "2026-12-06" and unit["status"] == "late"


def test_an_implausible_report_date_is_not_trusted_for_lateness(inbox, tmp_path):
    import datetime as dt

    future = workbook(
        inbox / "mttq.xlsx", [model("M")], code="mttq", name=None, report_date="20/12/2026"
    )  # after the run's own date (15/12)
    saved_at(future, dt.datetime(2026, 12, 2, 9, tzinfo=VN))
    typed_late = workbook(
        inbox / "hnd.xlsx", [model("H")], code="hoi-nong-dan", name=None, report_date="09/12/2026"
    )  # a week after the file was saved
    saved_at(typed_late, dt.datetime(2026, 12, 1, 9, tzinfo=VN))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0
    for path in ("mttq.xlsx", "hnd.xlsx"):
        entry = fate(manifest, path)
        assert codes(entry) == ["report_date_untrusted"] and entry["received_source"] == "modified"
    status = {u["code"]: u["status"] for u in summary["units"]}
    assert status["mttq"] == status["hoi-nong-dan"] == "on_time"


def test_check_of_a_folder_copied_whole_trusts_report_dates_as_the_run_does(tmp_path, capsys):
    """Every file of a folder copied as a whole has the copy's time: no evidence against its
    "Ngày báo cáo", for ``check`` as for the run."""
    import datetime as dt
    import os

    box = tmp_path / "inbox"
    workbook(box / "cam-lam.xlsx", [model("A")], report_date="01/12/2026")
    workbook(box / "ldld.xlsx", [model("D")], code="ldld", name=None, report_date="02/12/2026")
    workbook(box / "mttq.xlsx", [model("M")], code="mttq", name=None, report_date="03/12/2026")
    copied = dt.datetime(2026, 11, 20, 9, tzinfo=VN).timestamp()
    for path in box.iterdir():
        os.utime(path, (copied, copied))
    code, manifest, _ = run(box, tmp_path)
    assert code == 0 and not any(f["problems"] for f in manifest["files"])
    capsys.readouterr()
    assert main(["check", str(box), "--outbox", str(tmp_path / "outbox"), "--year", "2026", "--json"]) == 0
    assert [f["problems"] for f in json.loads(capsys.readouterr().out)] == [[], [], []]


def test_status_never_calls_a_unit_late_before_the_deadline(tmp_path, capsys):
    import datetime as dt

    year = dt.date.today().year + 1  # the deadline (5/12 of next year) has not passed
    box = tmp_path / "inbox"
    workbook(
        box / "mttq.xlsx",
        [model("M", year=year - 1)],
        code="mttq",
        name=None,
        year=year,
        report_date=f"20/12/{year}",
    )  # typed in the future: the file is dated there too
    assert main(["status", "--inbox", str(box), "--year", str(year)]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "MTTQ" in line)
    assert "Trễ hạn" not in line and "trễ" not in line.lower(), line


def test_two_files_equally_new_are_a_tie_said_so_and_settled_by_the_rule(inbox, tmp_path):
    import datetime as dt

    for name, rows in (
        ("b-ban-sua.xlsx", [model("Sửa 1"), model("Sửa 2", 2, "Cá nhân")]),
        ("a-ban-dau.xlsx", [model("Đầu")]),
    ):
        path = workbook(inbox / "mttq" / name, rows, code="mttq", name=None, report_date="02/12/2026")
        saved_at(path, dt.datetime(2026, 12, 2, 10, tzinfo=VN))
    code, manifest, summary = run(inbox, tmp_path)
    used, other = fate(manifest, "mttq/b-ban-sua.xlsx"), fate(manifest, "mttq/a-ban-dau.xlsx")
    assert used["status"] == "accepted" and other["status"] == "superseded"
    assert "file_tie" in codes(used) and "file_tie" in codes(other)
    assert models_of(summary) == {**GOOD, "mttq": 2}


# --- absurd values, per row ------------------------------------------------------------------


def test_absurd_values_are_refused_per_row_and_long_text_cut_visibly(inbox, tmp_path):
    import openpyxl

    essay = "Cách làm hay. " * 3000  # 42,000 characters: more than a cell holds
    workbook(
        inbox / "mttq.xlsx",
        [
            model("Tốt"),
            model("Nhân rộng khắp nơi", places=10**12),
            model("Số quá dài", places="9" * 5000),
            model("Năm lạ", year=1e300),
            model("Năm trước 1945", year=1900),
            model("Năm sau", year=2027),
            model("Bài dài", **{"Nội dung, cách làm": essay}),
        ],
        code="mttq",
        name=None,
    )
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "mttq": 2}
    by_row = {}
    for p in fate(manifest, "mttq.xlsx")["problems"]:
        by_row.setdefault(p["row"], []).append(p["code"])
    assert by_row == {
        5: ["number_too_large"],
        6: ["number_invalid"],
        7: ["year_invalid"],
        8: ["year_invalid"],
        9: ["year_after_report_year"],
        10: ["text_truncated"],
    }
    master = openpyxl.load_workbook(tmp_path / "outbox" / "2026" / "tong-hop.xlsx", read_only=True)
    texts = [
        c
        for row in master.worksheets[0].iter_rows(values_only=True)
        for c in row
        if isinstance(c, str) and c.startswith("Cách làm hay. Cách")
    ]
    assert texts and all(len(t) <= 32_767 and t.endswith("…[đã cắt bớt]") for t in texts)


# --- verify, both ways ------------------------------------------------------------------------


def test_verify_checks_both_ways_and_refuses_paths_leading_out(inbox, tmp_path, capsys):
    code, manifest, _ = run(inbox, tmp_path)
    folder = tmp_path / "outbox" / "2026"
    assert main(["verify", str(folder)]) == 0
    (folder / "them-vao.xlsx").write_bytes(b"added later")
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "Tệp lạ" in out and "them-vao.xlsx" in out
    assert "ĐÃ THAY ĐỔI HOẶC MẤT" not in out  # nothing of the run changed: an extra file
    (folder / "them-vao.xlsx").unlink()

    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    (folder / "SHA256SUMS").write_text("\n".join(sums[1:]) + "\n", encoding="utf-8")
    assert main(["verify", str(folder)]) == 1
    assert "thiếu trong SHA256SUMS" in capsys.readouterr().out
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")

    tampered = dict(manifest, files=[dict(manifest["files"][0], path="../../../etc/passwd")])
    (folder / "manifest.json").write_text(json.dumps(tampered), encoding="utf-8")
    assert main(["verify", str(folder)]) == 1
    assert "ra ngoài thư mục" in capsys.readouterr().out

    (folder / "manifest.json").write_text(json.dumps({"files": []}), encoding="utf-8")
    assert main(["verify", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "manifest.json thiếu mục" in err and "Traceback" not in err


# --- any corruption of one attachment costs only that attachment -----------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from aggregator.model import Sheet  # noqa: E402


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["zip", "xlsx", "eml"]),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_random_corruption_of_one_attachment_costs_only_that_entry(tmp_path_factory, kind, flips):
    tmp_path = tmp_path_factory.mktemp("flip")
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("A"), model("B", 5), model("C", 2, "Cá nhân")])
    workbook(inbox / "ldld.xlsx", [model("D"), model("E", 3, "Hộ gia đình")], code="ldld", name=None)
    good = good_bytes(tmp_path)

    def corrupt(data):
        data = bytearray(data)
        for where, value in flips:
            data[int(where * len(data))] = value
        return bytes(data)

    if kind == "zip":
        mail = message([("bc.zip", corrupt(zipped([("bc.xlsx", good)])))])
    elif kind == "xlsx":
        mail = message([("bc.xlsx", corrupt(good))])
    else:
        mail = corrupt(bytes(message([("bc.xlsx", good)])))
    (inbox / "thu.eml").write_bytes(bytes(mail))

    code, manifest, summary = run(inbox, tmp_path)

    assert code == 0
    models = models_of(summary)
    assert {k: models.get(k) for k in GOOD} == GOOD  # everything else counted exactly
    assert models.get("hoi-nong-dan", 0) in (0, 1)
    entries = [f for f in manifest["files"] if f["path"].startswith("thu.eml")]
    assert entries  # the email, or what it held, has a fate
    for entry in entries:
        if entry["status"] == "rejected":
            assert entry["reasons"] and all(entry["reasons"])
    listed = {f["path"] for f in manifest["files"]}
    assert {"cam-lam.xlsx", "ldld.xlsx"} <= listed


def test_every_entry_has_its_fate_in_the_report_and_the_master_workbook(inbox, tmp_path):
    import openpyxl

    (inbox / "link.xlsx").symlink_to(inbox / "cam-lam.xlsx")
    (inbox / "trong.eml").write_bytes(raw_email(["From: a@b.vn", "Subject: quên"], "Gửi ạ"))
    save(inbox / "khoa.eml", message([("bc.zip", encrypted_zip([("bc.xlsx", b"x")]))]))
    code, manifest, _ = run(inbox, tmp_path)
    folder = tmp_path / "outbox" / "2026"
    html = (folder / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    sheet = openpyxl.load_workbook(folder / "tong-hop.xlsx", read_only=True)["Tệp nhận được"]
    shown = {row[0]: row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    for entry in manifest["files"]:
        assert entry["path"].replace(">", "&gt;") in html
        assert entry["path"] in shown
        if entry["status"] in ("rejected", "ignored"):
            reason = entry["problems"][0]["message"]
            assert reason in shown[entry["path"]] and reason.split(" (")[0] in html
    assert {"link.xlsx", "trong.eml", "khoa.eml › bc.zip › bc.xlsx"} <= set(shown)


# --- temporary space --------------------------------------------------------------------------


def test_unpacked_attachments_live_in_the_runs_own_folder_and_leftovers_are_taken_over(inbox, tmp_path):
    out = tmp_path / "outbox"
    dead = out / ".dang-mo-999999999"  # left by a run killed with kill -9
    (dead / "thu-00001").mkdir(parents=True)
    (dead / "thu-00001" / "00001.xlsx").write_bytes(b"left over")
    save(inbox / "thu.eml", message([("bc.xlsx", good_bytes(tmp_path))], sender="hnd@khanhhoa.gov.vn"))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == {**GOOD, "hoi-nong-dan": 1}
    assert not list(out.glob(".dang-mo-*"))  # the leftover taken over, this run's own removed


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="permissions do not stop root")
def test_a_folder_that_cannot_be_read_is_listed_and_the_rest_read(inbox, tmp_path):
    locked = inbox / "khoa"
    locked.mkdir()
    workbook(locked / "x.xlsx", [model("X")], code="mttq", name=None)
    locked.chmod(0)
    try:
        code, manifest, summary = run(inbox, tmp_path)
    finally:
        locked.chmod(0o755)
    assert code == 0 and models_of(summary) == GOOD
    assert codes(fate(manifest, "khoa")) == ["folder_unreadable"]


def test_an_email_or_zip_of_too_many_parts_is_refused_before_it_is_parsed(inbox, tmp_path):
    schemas = limited_schemas(tmp_path, max_parts=50)
    parts = "".join("--B\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(200))
    (inbox / "nhieu-phan.eml").write_bytes(
        raw_email(
            ["From: a@b.vn", "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="B"'],
            parts + "--B--\r\n",
        )
    )
    (inbox / "nhieu-tep.zip").write_bytes(zipped([(f"{n}.txt", b"x") for n in range(200)]))
    code, manifest, summary = run(inbox, tmp_path, schemas=schemas)
    assert code == 0 and models_of(summary) == GOOD
    assert codes(fate(manifest, "nhieu-phan.eml")) == ["too_many_parts"]
    assert codes(fate(manifest, "nhieu-tep.zip")) == ["too_many_parts"]


def test_an_inbox_of_every_kind_at_once_runs_to_exit_0_with_the_good_figures_exact(inbox, tmp_path):
    import datetime as dt

    good = good_bytes(tmp_path)
    outside = tmp_path / "ngoai.xlsx"
    outside.write_bytes(good)
    (inbox / "link.xlsx").symlink_to(outside)
    if hasattr(os, "mkfifo"):
        os.mkfifo(inbox / "pipe.xlsx")
    (inbox / "~$cam-lam.xlsx").write_bytes(b"lock")
    (inbox / "README.md").write_text("Lưu tệp đơn vị gửi vào đây.", encoding="utf-8")
    save(inbox / "khoa.eml", message([("bc.zip", encrypted_zip([("bc.xlsx", good)]))]))
    (inbox / "trong.eml").write_bytes(raw_email(["From: a@b.vn", "Subject: quên"], "Gửi ạ"))
    (inbox / "khong-ranh-gioi.eml").write_bytes(
        raw_email(["From: a@b.vn", "MIME-Version: 1.0", "Content-Type: multipart/mixed"], "--B\r\nx\r\n")
    )
    (inbox / "sau.zip").write_bytes(
        zipped([("1.zip", zipped([("2.zip", zipped([("3.zip", zipped([("s.xlsx", good)]))]))]))])
    )
    repeated_ods(inbox / "bom.ods", 1_048_576, 16_384)
    (inbox / "hong.xlsx").write_bytes(good[: len(good) // 2])
    (inbox / "rong.xlsx").write_bytes(b"")
    late = workbook(inbox / "tuong-lai.xlsx", [model("T")], code="mttq", name=None, report_date="31/12/9999")
    saved_at(late, dt.datetime(2026, 12, 2, 9, tzinfo=VN))
    (inbox / "tat-ca.zip").write_bytes(zipped([("hnd.xlsx", good)]))

    code, manifest, summary = run(inbox, tmp_path)

    assert code == 0
    assert models_of(summary) == {**GOOD, "mttq": 1, "hoi-nong-dan": 1}
    everything = {f["path"] for f in manifest["files"]} | {i["path"] for i in manifest["ignored"]}
    for name in (
        "link.xlsx",
        "~$cam-lam.xlsx",
        "README.md",
        "khoa.eml › bc.zip › bc.xlsx",
        "trong.eml",
        "khong-ranh-gioi.eml",
        "sau.zip › 1.zip › 2.zip › 3.zip",
        "bom.ods",
        "hong.xlsx",
        "rong.xlsx",
        "tuong-lai.xlsx",
        "tat-ca.zip › hnd.xlsx",
    ):
        assert name in everything, name
    for entry in manifest["files"]:
        if entry["status"] == "rejected":
            assert entry["reasons"], entry["path"]


def test_a_folder_copied_as_a_whole_says_nothing_against_the_dates_typed(inbox, tmp_path):
    import datetime as dt

    workbook(
        inbox / "hnd.xlsx", [model("H")], code="hoi-nong-dan", name=None, report_date="09/12/2026"
    )  # late, as typed
    copied = dt.datetime(2026, 11, 20, 8, tzinfo=VN)  # a checkout or a copy before that date
    for path in inbox.iterdir():
        saved_at(path, copied)
    code, manifest, summary = run(inbox, tmp_path)
    entry = fate(manifest, "hnd.xlsx")
    assert codes(entry) == [] and entry["received"] == "2026-12-09"
    assert next(u for u in summary["units"] if u["code"] == "hoi-nong-dan")["status"] == "late"


@FORKED_ONLY
def test_check_of_a_file_whose_reader_panics_says_so_and_exits_1(tmp_path, monkeypatch, capsys):
    from aggregator.reading import load as read

    class Panicking:
        @staticmethod
        def from_filelike(handle):
            raise Panic("called `Option::unwrap()` on a `None` value")

    monkeypatch.setattr(read.python_calamine, "CalamineWorkbook", Panicking)
    path = tmp_path / "panic.xls"
    shutil.copy(ROOT / "tests/data/saved-by-libreoffice.xls", path)
    assert main(["check", str(path)]) == 1  # its worker's answer cannot cross back: said so
    assert "Không mở được tệp" in capsys.readouterr().out


# --- a workbook's name means a workbook -------------------------------------------------------


def zip_of(parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(zipfile.ZipInfo(name, (2026, 12, 1, 8, 0, 0)), data)
    return buffer.getvalue()


@pytest.mark.parametrize("suffix", [".xlsx", ".xlsm", ".xlsb", ".ods", ".XLSX"])
def test_a_workbook_extension_is_read_or_refused_whole_never_unpacked(inbox, tmp_path, suffix):
    # its parts are good workbooks, named as no workbook names its parts: unpacked, each
    # would become an entry of its own (and be counted)
    good = good_bytes(tmp_path)
    odd = zip_of({"a.xlsx": good, "sub\\b.xlsx": good, "../c.xlsx": good, "xl\\sheet.xml": b"<x/>"})
    (inbox / f"gia{suffix}").write_bytes(odd)
    save(inbox / "thu.eml", message([(f"dinh-kem{suffix}", odd)]))
    (inbox / "nen.zip").write_bytes(zip_of({f"trong{suffix}": odd}))
    code, manifest, summary = run(inbox, tmp_path)
    assert code == 0 and models_of(summary) == GOOD
    paths = [f["path"] for f in manifest["files"]]
    for whole in (f"gia{suffix}", f"thu.eml › dinh-kem{suffix}", f"nen.zip › trong{suffix}"):
        assert fate(manifest, whole)["status"] == "rejected"
        assert not [p for p in paths if p.startswith(f"{whole} › ")], paths


def test_the_container_rule_is_one_function():
    from aggregator.intake.sniff import ZipKind, zip_kind

    def is_archive(name, parts):
        return zip_kind(name, parts) == ZipKind.ARCHIVE

    assert is_archive("nen.zip", ["a.xlsx", "b/c.xlsx"])
    assert not is_archive("nen.zip", ["XL\\Workbook.xml"])  # a workbook, by its parts
    for name in ("a.xlsx", "a.XLSM", "a.xlsb", "a.ods", "a.xlsx. ", "a.docx"):
        assert not is_archive(name, ["a.xlsx"])  # a document, by its name
