"""Files that are not workbooks, broken or hostile are refused with a reason, never read."""

import io
import zipfile

import pytest
from builders import model, workbook

from aggregator.intake import discover, sniff
from aggregator.model import CandidateKind
from aggregator.reading import parts

LIMITS = {
    "max_file_bytes": 5_000_000,
    "max_uncompressed_bytes": 50_000_000,
    "max_compression_ratio": 100,
    "max_rows": 1000,
    "max_columns": 50,
    "header_search_rows": 30,
}


def kind(path):
    """What intake says a file is, and, for a workbook, what reading it says (a workbook's XML
    parts are judged where it is read, before any parser sees them)."""
    found = sniff.fingerprint(path, path.parent, LIMITS)
    if found.kind in (CandidateKind.XLSX, CandidateKind.ODS) and not found.problems:
        refused = parts.scan(found.path.read_bytes(), found.kind, LIMITS, found.relative).refused
        if refused is not None:
            return CandidateKind.OTHER, [refused.code]
    return found.kind, [p.code for p in found.problems]


def test_workbooks_are_recognised_by_content_not_name(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [model()])
    renamed = tmp_path / "a.xls"
    renamed.write_bytes(path.read_bytes())
    assert kind(path) == ("xlsx", []) and kind(renamed) == ("xlsx", [])


@pytest.mark.parametrize(
    "name,content,code",
    [
        ("scan.pdf", b"%PDF-1.5 ...", "file_not_workbook"),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n....", "file_not_workbook"),
        ("note.xlsx", b"just some text", "file_not_workbook"),
        ("empty.xlsx", b"", "file_empty"),
        ("cut.xlsx", b"PK\x03\x04" + b"\x00" * 100, "file_unreadable"),
    ],
)
def test_not_a_workbook(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    assert kind(path) == ("other", [code])


def test_word_document_is_named_as_such(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    path = tmp_path / "cong-van.docx"
    path.write_bytes(buffer.getvalue())
    found = sniff.fingerprint(path, tmp_path, LIMITS)
    assert "Word" in found.problems[0].message


def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 60_000_000)
    assert kind(path) == ("other", ["file_bomb"])


def ole(path, stream):
    """A minimal OLE container naming one stream, as the sniffer sees real ones."""
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + stream.encode("utf-16-le") + b"\x00" * 500
    )
    return path


def test_password_protected_workbook(tmp_path):
    # An encrypted OOXML file is an OLE container holding an "EncryptedPackage" stream.
    found = sniff.fingerprint(ole(tmp_path / "khoa.xlsx", "EncryptedPackage"), tmp_path, LIMITS)
    assert found.problems[0].code == "file_encrypted" and "mật khẩu" in found.problems[0].message


def test_too_large(tmp_path):
    path = tmp_path / "big.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 5_000_001)
    assert kind(path) == ("other", ["file_too_large"])


def test_office_leftovers_are_left_alone_by_name_wherever_they_are(tmp_path):
    names = ("~$bao cao.xlsx", "Thumbs.db", ".~lock.bao cao.xlsx#", "sub/~$x.xlsx", "sub/desktop.ini")
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = discover.walk(tmp_path)
    assert found.entries == [] and sorted(i.relative for i in found.ignored) == sorted(names)


def test_every_file_is_found_recursively_in_a_stable_order(tmp_path):
    for name in ("b/2.xlsx", "a.pdf", "b/1.xlsx", "c/d/e.ods"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    found = [e.relative_to(tmp_path).as_posix() for e in discover.walk(tmp_path).entries]
    assert found == ["a.pdf", "b/1.xlsx", "b/2.xlsx", "c/d/e.ods"]


def _with_part(source, target, name, transform):
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            out.writestr(info, transform(data) if info.filename == name else data)
    return target


def test_xml_bomb_is_refused_before_any_parser_sees_it(tmp_path):
    base = workbook(tmp_path / "base.xlsx", [model()])
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10))
        + b"]>"
    )

    def bomb(data):
        return laughs + data.split(b"?>", 1)[-1]

    path = _with_part(base, tmp_path / "lol.xlsx", "xl/worksheets/sheet1.xml", bomb)
    assert kind(path) == ("other", ["file_xml_entities"])
    assert kind(base) == ("xlsx", [])


def test_a_prologue_hidden_behind_padding_is_refused(tmp_path):
    base = workbook(tmp_path / "base.xlsx", [model()])
    path = _with_part(
        base, tmp_path / "pad.xlsx", "xl/workbook.xml", lambda data: b"<!--" + b" " * 70000 + b"-->" + data
    )
    assert kind(path) == ("other", ["file_xml_entities"])


def test_many_parts_each_under_the_ratio_but_too_big_in_all(tmp_path):
    import os

    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(10):
            archive.writestr(f"xl/media/p{i}.bin", os.urandom(100_000) + b"\0" * 6_000_000)
    assert kind(path) == ("other", ["file_bomb"])


def test_an_outlook_msg_says_how_to_save_it_instead(tmp_path):
    found = sniff.fingerprint(ole(tmp_path / "thu.msg", "__substg1.0_0037001F"), tmp_path, LIMITS)
    assert [p.code for p in found.problems] == ["file_outlook_msg"] and ".eml" in found.problems[0].staff_hint


def test_a_workbook_whose_part_fails_its_crc_is_refused_as_a_broken_zip(tmp_path):
    """The parts' prologues are read where the workbook is read: a part that does not match its
    CRC is refused there as intake said it, a broken zip, before any parser sees it."""
    path = workbook(tmp_path / "base.xlsx", [model()])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/workbook.xml")
    data[info.header_offset + 14] ^= 0xFF  # the CRC the local header keeps is not checked...
    crc = data.rfind(info.CRC.to_bytes(4, "little"))  # ...the central directory's is
    data[crc] ^= 0xFF
    (tmp_path / "hong.xlsx").write_bytes(bytes(data))
    found = sniff.fingerprint(tmp_path / "hong.xlsx", tmp_path, LIMITS)
    refused = parts.scan(bytes(data), found.kind, LIMITS, found.relative).refused
    assert refused is not None and refused.code == "file_unreadable"
    assert "tệp nén hỏng: Bad CRC-32 for file 'xl/workbook.xml'" in refused.message
