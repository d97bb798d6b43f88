"""The plain data sheets written by our own loop (``fastsheet``) read back as XlsxWriter wrote them:
the same cells, values and types, by calamine, openpyxl and LibreOffice; no formula ever."""

from __future__ import annotations

import datetime as dt
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from builders import SOFFICE, convert, model, workbook
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from aggregator.pipeline.run import aggregate
from aggregator.rendering import fastsheet, sheets
from aggregator.rendering.workbooks import write_master

HOSTILE: list[Any] = [
    '=HYPERLINK("http://x","bấm")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "<script>alert(1)</script>",
    "a & b ]]> c <![CDATA[ d ]]>",
    "".join(chr(c) for c in range(32)) + "x",
    "_x0041_ and _X004a_ typed literally",
    "\u202eRTL override\u202c and \u200f",
    "  leading spaces",
    "trailing spaces  ",
    "\x1cfile separator first",
    "line\nbreak\r\nand\ttab",
    "\ufffe\uffff non-characters",
    "x" * 40_000,
    "😀" * 20_000,  # 40,000 UTF-16 units: cut at 32,767 without splitting a pair
    "",
    2**53 + 1,
    10**17,
    -(10**20),
    0.1,
    -0.0,
    1e-300,
    1.5e300,
    float("nan"),
    None,
    True,
    False,
    dt.date(2026, 12, 5),
    dt.date(1900, 1, 1),
    dt.date(1900, 2, 28),
    dt.date(1900, 3, 1),
    dt.datetime(2026, 12, 5, 13, 30),
]


def _write(path: Path, rows: list[list[Any]], fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """One plain table (and a small formatted one beside it) through ``sheets.write_table``."""
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(sheets, "Book", xlsxwriter.Workbook)
        book = sheets.open_workbook(path, constant_memory=True)
        styles = sheets.Styles(book)
        width = max((len(r) for r in rows), default=1)
        sheets.write_table(
            book.add_worksheet("Dữ liệu"), styles, 0, [f"C{j}" for j in range(width)], rows, plain=True
        )
        sheets.write_table(book.add_worksheet("Khác"), styles, 0, ["a", "b"], [["x", 1], ["y", 2]])
        book.close()
    assert isinstance(book, fastsheet.Book) is fast


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {info.filename: package.read(info) for info in package.infolist()}


def _calamine(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _openpyxl(path: Path) -> dict[str, list[list[tuple[Any, str]]]]:
    book = openpyxl.load_workbook(path)
    cells = {
        ws.title: [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()] for ws in book.worksheets
    }
    assert all(kind != "f" for rows in cells.values() for row in rows for _, kind in row)
    return cells


def _same_reading(old: Path, new: Path) -> None:
    assert _calamine(new) == _calamine(old)
    assert _openpyxl(new) == _openpyxl(old)


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40) | st.sampled_from(
    [" a", "a ", "\x01", "_x0000_", "_x005F_x0001_", "&amp;", "\u3000x", "x\u2029", "\x1f", "a\n"]
)
VALUE = (
    TEXT
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_infinity=False)
    | st.none()
    | st.booleans()
    | st.dates(min_value=dt.date(1899, 1, 1))
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(VALUE, max_size=6), max_size=8))
@example([[v] for v in HOSTILE])
@example([])
@example([[None, ""], [float("nan")]])
def test_plain_rows_are_the_xml_xlsxwriter_writes(tmp_path_factory, monkeypatch, rows):
    # not a rich string to XlsxWriter (written raw by it): that one is escaped on purpose, below
    rows = [
        [v for v in r if not (isinstance(v, str) and v.startswith("<r>") and v.endswith("</r>"))]
        for r in rows
    ]
    folder = tmp_path_factory.mktemp("plain")
    _write(folder / "old.xlsx", rows, False, monkeypatch)
    _write(folder / "new.xlsx", rows, True, monkeypatch)
    old, new = _parts(folder / "old.xlsx"), _parts(folder / "new.xlsx")
    assert list(new) == list(old)
    for name in old:
        assert new[name] == old[name], name  # every part, uncompressed, byte for byte
    _same_reading(folder / "old.xlsx", folder / "new.xlsx")


def test_text_like_xlsxwriter_rich_string_xml_stays_the_text_typed(tmp_path, monkeypatch):
    typed = (
        '<r><t>x</t></r></is></c><c r="B2"><f>1+1</f><v>2</v></c><c r="C2" t="inlineStr"><is><r><t>y</t></r>'
    )
    _write(tmp_path / "new.xlsx", [[typed, 1]], True, monkeypatch)
    assert _calamine(tmp_path / "new.xlsx")["Dữ liệu"] == [["C0", "C1"], [typed, 1.0]]
    assert _openpyxl(tmp_path / "new.xlsx")["Dữ liệu"][1] == [(typed, "s"), (1, "n")]


@pytest.mark.parametrize("constant_memory", [True, False])
def test_rich_string_xml_typed_in_a_formatted_table_stays_text_too(tmp_path, constant_memory):
    typed = (
        '<r><t>x</t></r></is></c><c r="B2"><f>1+1</f><v>2</v></c><c r="C2" t="inlineStr"><is><r><t>y</t></r>'
    )
    shared = typed.replace("</is></c>", "</si>")  # the same, shaped for the shared strings' table
    book = sheets.open_workbook(tmp_path / "x.xlsx", constant_memory=constant_memory)
    sheets.write_table(book.add_worksheet("a"), sheets.Styles(book), 0, ["a", "b", "c"], [[typed, shared, 1]])
    book.close()
    assert _calamine(tmp_path / "x.xlsx")["a"][1] == [typed, shared, 1.0]
    assert [value for value, _ in _openpyxl(tmp_path / "x.xlsx")["a"][1]] == [typed, shared, 1]


def test_what_xlsxwriter_refuses_is_refused_alike(tmp_path, monkeypatch):
    for value, error in [(math.inf, TypeError), ("lone \udc80 surrogate", UnicodeEncodeError)]:
        for fast in (False, True):
            with pytest.raises(error):
                _write(tmp_path / f"{fast}.xlsx", [["a", value]], fast, monkeypatch)


def test_cells_written_below_a_plain_table_are_refused(tmp_path):
    book = sheets.open_workbook(tmp_path / "x.xlsx", constant_memory=True)
    sheet = book.add_worksheet("a")
    end = sheets.write_table(sheet, sheets.Styles(book), 0, ["a"], [["x"], ["y"]], plain=True)
    sheet.write_string(end, 0, "dưới bảng")
    with pytest.raises(ValueError, match="below"):
        book.close()


class _Register:
    """Every record also in last year's period: a timeline of two periods a model."""

    others = 1
    trend: dict[int, int] = {}

    def periods_of(self, now):
        for code, unit, name, year, kind, stage, replications in now:
            yield code, unit, name, year - 1, kind, stage, replications
            yield code, unit, name, year, kind, stage, replications


@pytest.fixture(scope="module")
def master(tmp_path_factory, cfg):
    """The master workbook of a run whose records carry every hostile value, old and new."""
    folder = tmp_path_factory.mktemp("master")
    rows = [model(f"Mô hình dân vận khéo số {i}", 1 + i % 3) for i in range(2 * len(HOSTILE))]
    workbook(folder / "inbox" / "cam-lam.xlsx", rows)
    result = aggregate(cfg, folder / "inbox", 2026, "annual")
    result.records = result.records.iloc[: len(HOSTILE)].reset_index(drop=True)
    result.records["note"] = HOSTILE
    result.records["name"] = [v if isinstance(v, str) and v else f"Tên {i}" for i, v in enumerate(HOSTILE)]
    result.other_periods = _Register()
    for name in ("old", "new", "again"):
        (folder / name).mkdir()
        with pytest.MonkeyPatch.context() as patch:
            if name == "old":
                patch.setattr(sheets, "Book", xlsxwriter.Workbook)
            write_master(result, folder / name / "tong-hop.xlsx")
    return folder


def test_the_master_workbook_reads_back_as_xlsxwriter_wrote_it(master):
    old, new = master / "old" / "tong-hop.xlsx", master / "new" / "tong-hop.xlsx"
    _same_reading(old, new)
    assert _parts(new) == _parts(old)  # no hostile value here is XlsxWriter rich-string XML
    records = _calamine(new)["Mô hình, điển hình"]
    assert len(records) == len(HOSTILE) + 1 and len(_calamine(new)["Lịch sử mô hình"]) == 2 * len(HOSTILE) + 1
    notes = [row[records[0].index("Ghi chú")] for row in records[1:]]
    assert notes[0] == HOSTILE[0] and notes[4] == "<script>alert(1)</script>"
    assert notes[HOSTILE.index("x" * 40_000)] == "x" * 32_767


def test_a_second_write_is_byte_identical(master):
    assert (master / "again" / "tong-hop.xlsx").read_bytes() == (
        master / "new" / "tong-hop.xlsx"
    ).read_bytes()


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_records_as_it_reads_xlsxwriters(master):
    read = {}
    for name in ("old", "new"):
        converted = convert(
            master / name / "tong-hop.xlsx", "xlsx", master / f"lo-{name}", master / "profile"
        )
        read[name] = _openpyxl(converted)  # asserts no formula
    assert read["new"] == read["old"]
    notes = [value for value, _ in read["new"]["Mô hình, điển hình"][1:][0]]
    assert '=HYPERLINK("http://x","bấm")' in notes


def test_the_master_workbook_read_back_from_the_period_file_is_the_one_from_the_records(tmp_path, cfg):
    # the process beside the run is sent no records frame: it reads the records back from the
    # period file the run has written, a row at a time; the workbook is the same, byte for byte
    from aggregator.outbox import write as outputs

    rows = [model(f"Mô hình dân vận khéo số {i}", 1 + i % 3) for i in range(2 * len(HOSTILE))]
    workbook(tmp_path / "inbox" / "cam-lam.xlsx", rows)
    result = aggregate(cfg, tmp_path / "inbox", 2026, "annual")
    kept = [v for v in HOSTILE if not isinstance(v, dt.date)]  # what a period file can hold
    result.records = result.records.iloc[: len(kept)].reset_index(drop=True)
    result.records["note"] = kept
    result.records["name"] = [v if isinstance(v, str) and v else f"Tên {i}" for i, v in enumerate(kept)]
    result.other_periods = _Register()
    write_master(result, tmp_path / "frame.xlsx")
    source = outputs._period_records(result, outputs._register_source(result, tmp_path))
    assert source is not None
    sent, *_ = outputs._slim(result, [], source)
    assert sent.records.empty and len(result.records) == len(kept)  # the run's own left whole
    write_master(sent, tmp_path / "period.xlsx", source)
    assert (tmp_path / "period.xlsx").read_bytes() == (tmp_path / "frame.xlsx").read_bytes()
    assert len(_calamine(tmp_path / "period.xlsx")["Mô hình, điển hình"]) == len(kept) + 1


def test_a_period_file_without_a_column_the_master_workbook_shows_is_not_read_back(tmp_path, cfg):
    # a column workbook.yaml adds is not in the period file: the records are sent as they are
    from aggregator.outbox import write as outputs

    workbook(tmp_path / "inbox" / "cam-lam.xlsx", [model("Mô hình dân vận khéo", 1)])
    result = aggregate(cfg, tmp_path / "inbox", 2026, "annual")
    path = outputs._register_source(result, tmp_path)
    source = outputs._period_records(result, path)
    assert source is not None and source.covers(["unit", "note", "model_code", "sha256"])
    assert not source.covers(["unit", "note", "ward"])
    lines = path.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    header["columns"] = [c if c != "note" else "ghi_chu" for c in header["columns"]]
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n", encoding="utf-8")
    assert outputs._period_records(result, path) is None
    sent, *_ = outputs._slim(result, [], None)
    assert len(sent.records) == len(result.records) == 1
