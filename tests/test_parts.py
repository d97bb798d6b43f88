"""A workbook's zip looked at once (reading/parts.py): the same bytes, references and ranges
as the plain ways of reading them give."""

import io
import os
import re
import zipfile

from builders import model, workbook
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator.intake.sniff import PROLOGUE
from aggregator.reading import parts

# the patterns as first written: what the faster searches must find, no more, no less
PLAIN_REF = re.compile(rb"\sr=\"([A-Z]{0,3})([0-9]{1,9})\"")
PLAIN_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*[0-9]*:?([A-Z]{0,3})([0-9]{1,9})\"")
PIECES = [b" ", b"\t", b"\n", b"r", b"=", b'"', b"A", b"Z", b"1", b"9", b"<", b":", b"x", b"dimension"]
PIECES += [b' ref="', b'r="', b"<x:", b"AB12", b"<dimension", b"_"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_references_and_used_ranges_are_found_as_the_plain_patterns_find_them(pieces):
    text = b"".join(pieces)
    assert sorted(parts._REF.findall(text)) == sorted(PLAIN_REF.findall(text))
    assert sorted(parts._dimensions(text)) == sorted(PLAIN_DIMENSION.findall(text))


def test_a_part_inflated_from_the_bytes_is_what_zipfile_reads_of_it(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nho.xml", b"<x/>")
        archive.writestr("lon.xml", b"<x>" + b"y" * 200_000 + b"</x>")  # past the prologue
        archive.writestr("ngau-nhien.xml", os.urandom(70_000))
        archive.writestr("trong.xml", b"")
        archive.writestr("luu.xml", b"<stored/>", compress_type=zipfile.ZIP_STORED)
        archive.writestr("tên-việt.xml", b"<v/>")
    data = workbook(tmp_path / "a.xlsx", [model()]).read_bytes()
    for source in (buffer.getvalue(), data):
        with zipfile.ZipFile(io.BytesIO(source)) as archive:
            for info in archive.infolist():
                head = parts._deflated_head(source, info)
                with archive.open(info) as part:
                    assert head is None or head == part.read(PROLOGUE), info.filename
                assert (head is None) == (info.compress_type != zipfile.ZIP_DEFLATED)


def test_a_part_whose_bytes_do_not_agree_is_left_to_zipfile(tmp_path):
    """A wrong CRC or length: no head is made up; zipfile reads the part, and says why not."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.xml", b"<a>" + b"x" * 1000 + b"</a>")
    data = buffer.getvalue()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("a.xml")
    info.CRC ^= 1
    assert parts._deflated_head(data, info) is None
    info.CRC ^= 1
    info.file_size += 1
    assert parts._deflated_head(data, info) is None
    info.file_size -= 1
    assert parts._deflated_head(data, info) == b"<a>" + b"x" * 1000 + b"</a>"


def test_one_look_finds_extents_and_formulas(tmp_path):
    path = workbook(tmp_path / "a.xlsx", [model("A"), model("B")])
    limits = {"max_rows": 1000, "max_columns": 50}
    found = parts.scan(path.read_bytes(), parts.CandidateKind.XLSX, limits, "a.xlsx")
    assert found.refused is None and not found.formulas and found.extents["Danh sách"][0] >= 2
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["Danh sách"]["Z3"] = "=1+1"
    book.save(path)
    found = parts.scan(path.read_bytes(), parts.CandidateKind.XLSX, limits, "a.xlsx")
    assert found.formulas and found.extents["Danh sách"][1] == 26
    assert parts.has_formulas(path.read_bytes())
