"""Intake in one pass: every inbox file opened once, every zip judged once, by one container rule."""

import builtins
import io
import os
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from builders import model, workbook

from aggregator.intake import gather, sniff
from aggregator.model import CandidateKind

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "inbox"


def zipped(members, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def mail(attachments):
    message = EmailMessage()
    message["From"], message["Subject"] = "hoinongdan@khanhhoa.gov.vn", "Báo cáo"
    message["Date"] = "Fri, 04 Dec 2026 10:00:00 +0700"
    message.set_content("Kính gửi Ban.")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


def ole(stream):
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + stream.encode("utf-16-le") + b"\0" * 500


def bomb():
    return zipped([("xl/workbook.xml", "<workbook/>"), ("xl/worksheets/sheet1.xml", b"0" * 60_000_000)])


@pytest.fixture
def counted(monkeypatch):
    """Every open of a file by path (os.open, open, Path.open, zipfile by name) counted by its
    path, and every zip opened (by path or from bytes) counted."""
    opens: dict[Path, int] = {}
    zips = []
    real_os_open, real_open, real_zip_init = os.open, builtins.open, zipfile.ZipFile.__init__

    def note(path):
        if isinstance(path, (str, bytes, os.PathLike)) and not isinstance(path, int):
            key = Path(os.fsdecode(path)).resolve()
            opens[key] = opens.get(key, 0) + 1

    def os_open(path, *args, **kwargs):
        note(path)
        return real_os_open(path, *args, **kwargs)

    def any_open(file, *args, **kwargs):
        note(file)
        return real_open(file, *args, **kwargs)

    def zip_init(self, file, *args, **kwargs):
        zips.append(file if isinstance(file, (str, os.PathLike)) else "bytes")
        return real_zip_init(self, file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", any_open)
    monkeypatch.setattr(io, "open", any_open)
    monkeypatch.setattr(zipfile.ZipFile, "__init__", zip_init)
    return opens, zips


def test_each_inbox_file_is_opened_once_and_each_zip_judged_once(tmp_path, cfg, counted):
    inbox = tmp_path / "inbox"
    book = workbook(tmp_path / "src" / "cam-lam.xlsx", [model("A"), model("B", 3)]).read_bytes()
    files = {
        "cam-lam.xlsx": book,
        "con/ldld.xlsx": book,
        "khoi-co-quan.ods": next(SAMPLE.glob("*.ods")).read_bytes(),
        "mttq.xls": next(SAMPLE.glob("*.xls")).read_bytes(),
        "nen.zip": zipped([("khanh-son.xlsx", book), ("ghi-chu.txt", b"x")]),
        "thu.eml": mail([("Báo cáo.xlsx", book), ("cong-van.pdf", b"%PDF-1.4")]),
        "gia.xlsx": zipped([("a.xlsx", book)]),  # a plain zip under a workbook's name
        "scan.pdf": b"%PDF-1.5 ...",
    }
    for name, data in files.items():
        (inbox / name).parent.mkdir(parents=True, exist_ok=True)
        (inbox / name).write_bytes(data)
    work = tmp_path / "work"
    work.mkdir()
    opens, zips = counted
    opens.clear()  # (the inbox was written above)
    zips.clear()

    entries, emails, ignored = gather.collect(inbox, work, cfg.limits, cfg.board_zone)

    assert {
        p.relative_to(inbox.resolve()).as_posix(): n for p, n in opens.items() if inbox.resolve() in p.parents
    } == {name: 1 for name in files}
    # one zip opened per zip container, from the bytes in hand: five in the inbox (three
    # workbooks, the zip, the zip named .xlsx), the workbook in the zip, the attached one
    assert zips == ["bytes"] * 7
    assert [(e.relative, e.kind) for e in entries] == [
        ("cam-lam.xlsx", "xlsx"),
        ("con/ldld.xlsx", "xlsx"),
        ("gia.xlsx", "other"),
        ("khoi-co-quan.ods", "ods"),
        ("mttq.xls", "xls"),
        ("nen.zip › khanh-son.xlsx", "xlsx"),
        ("nen.zip › ghi-chu.txt", "attachment"),
        ("scan.pdf", "other"),
        ("thu.eml › Báo cáo.xlsx", "xlsx"),
        ("thu.eml › cong-van.pdf", "attachment"),
    ]
    assert [e.relative for e in emails] == ["nen.zip", "thu.eml"] and ignored == []
    # the hash of the one read is the file's own; its time is said once, for the run's question
    assert entries[0].sha256 == __import__("hashlib").sha256(book).hexdigest() and entries[0].size == len(
        book
    )
    assert [e.own_time is not None for e in entries] == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        True,
        False,
        False,
    ]


ODS = next(SAMPLE.glob("*.ods")).read_bytes()
# (name, bytes) → (its fate's type, its problem codes) by the one container rule, wherever it is
CONTAINER_CASES = [
    (
        "plain zip named .xlsx",
        "gia.xlsx",
        lambda book: zipped([("a.xlsx", book)]),
        "other",
        ["file_not_workbook"],
    ),
    (".ods named .xlsx", "ods.xlsx", lambda book: ODS, "ods", []),
    (
        "encrypted OLE named .xlsx",
        "khoa.xlsx",
        lambda book: ole("EncryptedPackage"),
        "other",
        ["file_encrypted"],
    ),
    ("zip bomb named .xlsx", "bom.xlsx", lambda book: bomb(), "other", ["file_bomb"]),
    ("valid xlsx", "tot.xlsx", lambda book: book, "xlsx", []),
    (
        "a document by its parts",
        "HOA.ZIP",
        lambda book: zipped([("XL\\Workbook.xml", "<w/>")]),
        "other",
        ["file_not_workbook"],
    ),
    (
        "Word named .zip",
        "cv.zip",
        lambda book: zipped([("word/document.xml", "<w/>")]),
        "other",
        ["file_not_workbook"],
    ),
]


@pytest.mark.parametrize("attached", [False, True], ids=["in the inbox", "attached to an email"])
@pytest.mark.parametrize(
    ("case", "name", "make", "kind", "codes"), CONTAINER_CASES, ids=[c[0] for c in CONTAINER_CASES]
)
def test_a_zip_is_judged_by_the_one_container_rule(tmp_path, cfg, attached, case, name, make, kind, codes):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = make(workbook(tmp_path / "src" / "cam-lam.xlsx", [model("A")]).read_bytes())
    if attached:
        (inbox / "thu.eml").write_bytes(mail([(name, data)]))
    else:
        (inbox / name).write_bytes(data)

    entries, _, _ = gather.collect(inbox, tmp_path, cfg.limits, cfg.board_zone)

    where = f"thu.eml › {name}" if attached else name
    assert [(e.relative, e.kind, [p.code for p in e.problems]) for e in entries] == [(where, kind, codes)]
    expected = CandidateKind(kind)
    assert sniff.sniff(data, len(data), where, ".xlsx", cfg.limits)[0] == expected  # the rule, alone


def test_a_plain_zip_is_unpacked_and_a_bomb_in_one_is_refused_as_one(tmp_path, cfg):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    book = workbook(tmp_path / "src" / "cam-lam.xlsx", [model("A")]).read_bytes()
    (inbox / "nen.zip").write_bytes(zipped([("a.xlsx", book), ("b/c.xlsx", book)]))
    (inbox / "bom.zip").write_bytes(bomb().replace(b"xl/workbook.xml", b"xl/w0rkbook.xml"))

    entries, emails, _ = gather.collect(inbox, tmp_path, cfg.limits, cfg.board_zone)

    assert [(e.relative, e.kind, [p.code for p in e.problems]) for e in entries] == [
        ("bom.zip", "other", ["file_bomb"]),
        ("nen.zip › a.xlsx", "xlsx", []),
        ("nen.zip › c.xlsx", "xlsx", []),
    ]
    assert [e.relative for e in emails] == ["bom.zip", "nen.zip"]


@pytest.mark.parametrize(
    ("name", "parts", "verdict"),
    [
        ("nen.zip", ["a.xlsx", "b/c.xlsx"], sniff.ZipKind.ARCHIVE),
        ("nen.zip", ["XL\\Workbook.xml"], sniff.ZipKind.OTHER),  # a document by its parts, no workbook
        ("nen.zip", ["[Content_Types].xml", "xl/workbook.xml"], sniff.ZipKind.XLSX),
        ("nen.zip", ["mimetype", "content.xml"], sniff.ZipKind.ODS),
        ("cv.zip", ["word/document.xml"], sniff.ZipKind.WORD),
        ("a.xlsx", ["a.xlsx"], sniff.ZipKind.OTHER),  # a document by its name: never unpacked
        ("a.XLSM. ", ["a.xlsx"], sniff.ZipKind.OTHER),
        ("a.docx", [], sniff.ZipKind.OTHER),
    ],
)
def test_the_container_rule(name, parts, verdict):
    assert sniff.zip_kind(name, parts) == verdict
