"""Model identity across a registry change, a code that is not a licence, one problem for one
cause, the report's II.5 against its totals, and close spellings at a bounded cost."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from builders import HEADERS, model, record_rows, workbook
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregator import config as config_module
from aggregator.cli import main
from aggregator.merging import (
    continuity,
    continuity_names,
    register_files,
    register_reading,
    register_store,
    register_tables,
)
from aggregator.merging.continuity import make_code
from aggregator.merging.continuity_names import Names as _Names
from aggregator.merging.continuity_names import near as _near
from aggregator.merging.register_reading import OtherPeriods
from aggregator.model import Entry, FileOutcome, FileStatus, UnitStatus
from aggregator.text import loose_key

ROOT = Path(__file__).resolve().parents[1]
PRESET = str(ROOT / "presets" / "khanh-hoa-2025")
CODE = "Mã mô hình"
WITH_CODE = [*HEADERS, CODE]


def run(inbox: Path, outbox: Path, year: int, *extra: str) -> dict:
    args = ["--inbox", str(inbox), "--outbox", str(outbox), "--year", str(year)]
    assert main([*args, "--report-date", f"15/12/{year}", "--jobs", "1", *extra]) == 0
    folder = outbox / (f"{year}-6-thang" if "half_year" in extra else str(year))
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def codes_of(outbox: Path, year: int) -> dict[str, str]:
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        return dict(db.execute("SELECT name, code FROM models WHERE year = ? AND period = 'annual'", (year,)))


def problems_of(outbox: Path, folder: str) -> list[tuple[str, str, str]]:
    """(code, cell, value) of every problem of the period's files."""
    manifest = json.loads((outbox / folder / "manifest.json").read_text(encoding="utf-8"))
    return [(p["code"], p["cell"], p["value"]) for f in manifest["files"] for p in f["problems"]]


def district_2025(root: Path, outbox: Path) -> dict[str, str]:
    """2025, the plan's 21 units: the district of Cam Lâm and the Labour Federation report."""
    box = root / "in-2025"
    workbook(
        box / "cam-lam.xlsx",
        [model("Dân vận khéo ở thôn", 1, year=2023), model("Khuyến học", 5, year=2022)],
        year=2025,
        report_date="01/12/2025",
    )
    workbook(
        box / "ldld.xlsx",
        [model("Sáng kiến công nhân", 2, "Cá nhân", year=2020, places=3)],
        code="ldld",
        name="Liên đoàn Lao động tỉnh",
        year=2025,
        report_date="01/12/2025",
    )
    run(box, outbox, 2025)
    return codes_of(outbox, 2025)


# -- 2: model identity survives a registry change ------------------------------------------


def test_a_code_reused_by_another_unit_inherits_none_of_its_models(tmp_path):
    outbox = tmp_path / "outbox"
    c25 = district_2025(tmp_path, outbox)
    box = tmp_path / "in-2026"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Khuyến học", 5, year=2022),  # row 4: the district's name and field, the commune's own
            model("Bếp ăn tình thương", 10, year=2026, status="Đăng ký mới", stage="Phát hiện, bồi dưỡng"),
            model("Dân vận", 1, **{CODE: c25["Dân vận khéo ở thôn"]}),  # row 6: the district's code
        ],
        name="Đảng ủy xã Cam Lâm",
        year=2026,
        report_date="01/12/2026",
        headers=WITH_CODE,
    )
    summary = run(box, outbox, 2026, "--schemas", PRESET)
    block = summary["continuity"]
    by_unit = {u["code"]: u for u in block["by_unit"]}
    # the commune continues nothing and drops nothing: the district's models are of a unit
    # with no report (and the Labour Federation's, now MTTQ's, which did not report)
    assert by_unit["cam-lam"] == {"code": "cam-lam", "matched": 0, "new": 2, "dropped": 0}
    assert (block["matched"], block["dropped"], block["not_reported"]) == (0, 0, 3)
    # told nothing of the district's models; its own rows counted; the district's code refused
    assert problems_of(outbox, "2026") == [
        ("model_code_other_unit", "Danh sách!R6", c25["Dân vận khéo ở thôn"])
    ]
    manifest = json.loads((outbox / "2026" / "manifest.json").read_text(encoding="utf-8"))
    [refused] = [p for f in manifest["files"] for p in f["problems"]]
    assert "Huyện ủy Cam Lâm (đơn vị trước đây)" in refused["message"]
    # its "Khuyến học" gets a code of its own, never the district's
    c26 = codes_of(outbox, 2026)
    assert c26["Khuyến học"] == make_code("cam-lam", 5, loose_key("Khuyến học"), 1) != c25["Khuyến học"]
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        assert db.execute(
            "SELECT year, unit, unit_name FROM models WHERE name = 'Khuyến học' ORDER BY year"
        ).fetchall() == [(2025, "cam-lam", "Huyện ủy Cam Lâm"), (2026, "cam-lam", "Đảng ủy xã Cam Lâm")]
    # staff are told, with the line that would say it is the same unit renamed
    [note] = [n for n in manifest["staff_notes"] if "formerly" in n]
    assert '"Huyện ủy Cam Lâm"' in note and 'formerly: [{code: cam-lam, name: "Huyện ủy Cam Lâm"}]' in note


def test_the_commune_is_not_prefilled_with_the_districts_models(tmp_path):
    outbox = tmp_path / "outbox"
    c25 = district_2025(tmp_path, outbox)
    preset = config_module.load(PRESET)
    _, by_unit = register_reading.latest_before(outbox, 2026, "annual", preset.units)
    assert "cam-lam" not in by_unit
    assert [m["code"] for m in by_unit["mttq"]] == [c25["Sáng kiến công nhân"]]  # formerly: ldld
    _, plan = register_reading.latest_before(
        outbox, 2026, "annual", config_module.load(config_module.BUNDLED).units
    )
    assert sorted(m["code"] for m in plan["cam-lam"]) == sorted(
        [c25["Khuyến học"], c25["Dân vận khéo ở thôn"]]
    )


def test_a_successor_the_registry_names_inherits_the_models(tmp_path):
    """The preset says MTTQ reports for the Labour Federation since 2025 (``formerly``)."""
    outbox = tmp_path / "outbox"
    c25 = district_2025(tmp_path, outbox)
    box = tmp_path / "in-2026"
    workbook(
        box / "mttq.xlsx",
        [
            model("Sáng kiến công nhân", 2, "Cá nhân", year=2020, places=5),  # by name: ldld's
            model("Mặt trận vì người nghèo", 3, "Hộ gia đình", year=2026, status="Đăng ký mới"),
        ],
        code="mttq",
        name="Ủy ban MTTQ Việt Nam tỉnh",
        year=2026,
        report_date="01/12/2026",
    )
    summary = run(box, outbox, 2026, "--schemas", PRESET)
    block = summary["continuity"]
    assert {u["code"]: u for u in block["by_unit"]}["mttq"] == {
        "code": "mttq",
        "matched": 1,
        "new": 1,
        "dropped": 0,
    }
    assert (block["matched"], block["not_reported"], block["replications_change"]) == (1, 2, 2)
    assert codes_of(outbox, 2026)["Sáng kiến công nhân"] == c25["Sáng kiến công nhân"]
    assert problems_of(outbox, "2026") == []


@pytest.mark.parametrize(
    ("formerly", "says"),
    [
        ([{"code": "ldld", "name": "Liên đoàn Lao động tỉnh"}], "vẫn là một đơn vị trong danh sách"),
        ([{"code": "cam-lam", "name": "Huyện ủy Cam Lâm", "until": 2025}], "until"),
    ],
)
def test_a_formerly_that_cannot_hold_stops_with_the_file_and_key(tmp_path, capsys, formerly, says):
    import yaml

    units = yaml.safe_load((config_module.BUNDLED / "units.yaml").read_text(encoding="utf-8"))
    units["units"][0]["formerly"] = formerly
    (tmp_path / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    with pytest.raises(config_module.ConfigError) as raised:
        config_module.load(tmp_path)
    assert "units.yaml" in str(raised.value) and "units.0.formerly" in str(raised.value)
    assert says in str(raised.value)


def test_one_predecessor_has_one_successor(tmp_path):
    import yaml

    units = yaml.safe_load(Path(PRESET, "units.yaml").read_text(encoding="utf-8"))
    twice = {"code": "ldld", "name": "Liên đoàn Lao động tỉnh"}
    units["units"][0]["formerly"] = [twice]
    (tmp_path / "units.yaml").write_text(yaml.safe_dump(units, allow_unicode=True), encoding="utf-8")
    with pytest.raises(config_module.ConfigError, match="đã ghi ở formerly của đơn vị"):
        config_module.load(tmp_path)


def resum(source: Path) -> None:
    """The folder's SHA256SUMS line of a period file written anew, as its run would have it."""
    sums = source.parent / "SHA256SUMS"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    lines = [
        f"{digest}  {source.name}" if line.endswith(f"  {source.name}") else line
        for line in sums.read_text(encoding="utf-8").splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_period_file_written_before_names_takes_them_from_its_summary(tmp_path, monkeypatch):
    outbox = tmp_path / "outbox"
    district_2025(tmp_path, outbox)
    source = outbox / "2025" / register_files.PERIOD_FILE
    lines = source.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    at = header["columns"].index("unit_name")
    rows = [json.loads(line) for line in lines[1:-1]]  # the last line: the count and the hash
    for row in rows:
        row.pop(at)
    with monkeypatch.context() as before_names:  # the writer of a version without the column
        before_names.setattr(
            register_tables, "COLUMNS", [c for c in register_tables.COLUMNS if c != "unit_name"]
        )
        register_files.write_period_file(source, 2025, "annual", rows)
    resum(source)
    register_store.rebuild(outbox)
    with sqlite3.connect(outbox / register_tables.DB_NAME) as db:
        assert sorted(db.execute("SELECT unit, unit_name FROM models")) == [
            ("cam-lam", "Huyện ủy Cam Lâm"),
            ("cam-lam", "Huyện ủy Cam Lâm"),
            ("ldld", "Liên đoàn Lao động tỉnh"),
        ]


# -- 3: a code is not a licence -------------------------------------------------------------


def _prefilled(tmp_path: Path, capsys) -> tuple[Path, dict[str, str]]:
    outbox = tmp_path / "outbox"
    workbook(
        tmp_path / "in-2025" / "cam-lam.xlsx",
        [
            model("Dân vận khéo", 1, year=2023, stage="Phát hiện, bồi dưỡng", places=1),
            model("Khuyến học", 5, year=2022, places=2),
            model("Sân chơi thiếu nhi", 8, year=2021, places=3),
            model("Đường hoa", 9, year=2024, stage="Biểu dương, tôn vinh", places=4),
        ],
        year=2025,
        report_date="01/12/2025",
    )
    run(tmp_path / "in-2025", outbox, 2025)
    assert main(["template", "--outbox", str(outbox), "--year", "2026"]) == 0
    capsys.readouterr()
    return outbox, codes_of(outbox, 2025)


def test_a_list_sorted_without_its_code_column_is_a_conflict_shown_with_both_sides(tmp_path, capsys):
    outbox, c25 = _prefilled(tmp_path, capsys)
    path = outbox / "templates" / "bieu-mau-cam-lam.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Danh sách"]
    header = next(r for r in sheet.iter_rows(min_row=1, max_row=10) if any(c.value == CODE for c in r))
    code_at = next(c.column for c in header if c.value == CODE)
    top = header[0].row
    lines = [r for r in sheet.iter_rows(min_row=top + 1, max_row=top + 4)]
    before = {r[code_at - 1].value: r[0].row for r in lines}  # code -> its row
    values = [[c.value for c in r if c.column != code_at] for r in lines]
    values = values[1:] + values[:1]  # sorted on every column but the code: each code on another row
    for r, row_values in zip(lines, values, strict=True):
        for c, v in zip([c for c in r if c.column != code_at], row_values, strict=True):
            c.value = v
        r[9].value = "Cách làm kỳ này."  # Nội dung, cách làm (J): the unit writes this period's
    book.save(path)
    box = tmp_path / "in-2026"
    box.mkdir()
    (box / "cam-lam.xlsx").write_bytes(path.read_bytes())
    summary = run(box, outbox, 2026)

    found = problems_of(outbox, "2026")
    letter = openpyxl.utils.get_column_letter(code_at)
    # every row, at its code's cell, with the code it carries; nothing else said of them
    assert sorted(found) == sorted(
        ("model_code_conflict", f"Danh sách!{letter}{row}", code) for code, row in before.items()
    )
    manifest = json.loads((outbox / "2026" / "manifest.json").read_text(encoding="utf-8"))
    messages = {p["value"]: p["message"] for f in manifest["files"] for p in f["problems"]}
    first = messages[c25["Dân vận khéo"]]  # its row now says Khuyến học, field 5
    assert '"Dân vận khéo" (lĩnh vực 1, báo cáo năm 2025)' in first
    assert '"Khuyến học" (lĩnh vực 5), tên và lĩnh vực của mô hình mã ' + c25["Khuyến học"] in first
    # no silent continuation: no advance, regression or replication counted
    block = summary["continuity"]
    assert (block["matched"], block["advanced"], block["regressed"], block["replications_change"]) == (
        0,
        0,
        0,
        0,
    )
    assert summary["totals"]["models"] == 0 and summary["rows"]["rejected"] == 4


def test_a_renamed_model_keeping_its_field_and_code_still_continues(tmp_path, capsys):
    """Another name in the same field, or another field under the same name, is the model."""
    outbox, c25 = _prefilled(tmp_path, capsys)
    box = tmp_path / "in-2026"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Khuyến học, khuyến tài", 5, year=2022, **{CODE: c25["Khuyến học"]}),
            model("Sân chơi thiếu nhi", 10, year=2021, places=3, **{CODE: c25["Sân chơi thiếu nhi"]}),
            model("Dân vận khẻo", 2, year=2023, **{CODE: c25["Dân vận khéo"]}),  # a letter or two off
        ],
        report_date="01/12/2026",
        headers=WITH_CODE,
    )
    summary = run(box, outbox, 2026)
    assert summary["continuity"]["matched"] == 3
    assert not [p for p in problems_of(outbox, "2026") if p[0] == "model_code_conflict"]


def test_the_conflict_rule_set_to_warning_counts_the_row_by_its_name(tmp_path, capsys):
    outbox, c25 = _prefilled(tmp_path, capsys)
    import shutil

    schemas = tmp_path / "schemas"
    shutil.copytree(config_module.BUNDLED, schemas)
    book = schemas / "workbook.yaml"
    book.write_text(
        book.read_text(encoding="utf-8").replace(
            "model_code_conflict: error", "model_code_conflict: warning"
        ),
        encoding="utf-8",
    )
    box = tmp_path / "in-2026"
    workbook(
        box / "cam-lam.xlsx",
        [model("Nhà văn hóa", 8, year=2020, **{CODE: c25["Khuyến học"]})],
        report_date="01/12/2026",
        headers=WITH_CODE,
    )
    summary = run(box, outbox, 2026, "--schemas", str(schemas))
    # said once, the row taken by its name (a new model): Khuyến học is not asked about again,
    # nor is the row's "Duy trì, phát huy" questioned
    assert sorted(problems_of(outbox, "2026")) == [
        ("model_code_conflict", "Danh sách!R4", c25["Khuyến học"]),
        ("model_not_reported", "", "Dân vận khéo"),
        ("model_not_reported", "", "Sân chơi thiếu nhi"),
        ("model_not_reported", "", "Đường hoa"),
    ]
    assert summary["totals"]["models"] == 1 and summary["continuity"]["matched"] == 0
    assert codes_of(outbox, 2026)["Nhà văn hóa"] != c25["Khuyến học"]


# -- one cause, one problem ----------------------------------------------------------------


def test_a_row_rejected_for_its_code_is_not_also_not_reported(tmp_path, capsys):
    outbox, c25 = _prefilled(tmp_path, capsys)
    mistyped = c25["Khuyến học"][:-1] + ("a" if c25["Khuyến học"][-1] != "a" else "b")
    box = tmp_path / "in-2026"
    workbook(
        box / "cam-lam.xlsx",
        [
            model("Dân vận khéo", 1, year=2023, **{CODE: "cam-lam-zzzzzz"}),  # row 4: name is the model's
            model("Khuyến học, khuyến tài", 5, year=2022, **{CODE: mistyped}),  # row 5: a code one letter off
            model("Sân chơi thiếu nhi", 8, year=2021, places=3),
        ],
        report_date="01/12/2026",
        headers=WITH_CODE,
    )
    run(box, outbox, 2026)
    found = problems_of(outbox, "2026")
    assert [p for p in found if p[0] != "model_not_reported"] == [
        ("model_code_unknown", "Danh sách!R4", "cam-lam-zzzzzz"),
        ("model_code_unknown", "Danh sách!R5", mistyped),
    ]
    # only Đường hoa, of which the file says nothing, is asked about
    assert [p for p in found if p[0] == "model_not_reported"] == [("model_not_reported", "", "Đường hoa")]


# -- II.5 and the totals, with half-year and annual periods in one outbox -------------------


def test_half_year_between_two_annual_reports_leaves_section_ii5_adding_up(tmp_path):
    import re

    outbox = tmp_path / "outbox"
    two = [model("Dân vận khéo", 1, year=2023), model("Khuyến học", 5, year=2022)]
    workbook(tmp_path / "a25" / "cam-lam.xlsx", two, year=2025, report_date="01/12/2025")
    run(tmp_path / "a25", outbox, 2025)
    fresh = model("Bếp ăn", 10, year=2026, status="Đăng ký mới", stage="Phát hiện, bồi dưỡng", places=0)
    workbook(
        tmp_path / "h26" / "cam-lam.xlsx",
        [*two, fresh],
        year=2026,
        period="6 tháng",
        report_date="01/06/2026",
    )
    run(tmp_path / "h26", outbox, 2026, "--period", "half_year")
    kept = {**fresh, "Tình trạng": "Duy trì, phát huy"}  # registered at the half-year, kept on
    workbook(tmp_path / "a26" / "cam-lam.xlsx", [*two, kept], year=2026, report_date="01/12/2026")
    summary = run(tmp_path / "a26", outbox, 2026)
    totals, block = summary["totals"], summary["continuity"]
    assert (totals["models"], totals["new"], totals["continuing"]) == (3, 0, 3)
    assert (block["matched"], block["new"], block["claimed_continuing_unmatched"]) == (2, 1, 1)
    html = (outbox / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    said = re.search(r"<p>(So với kỳ báo cáo năm 2025:[^<]*)</p>", html)[1]
    assert said == (
        "So với kỳ báo cáo năm 2025: 2 mô hình, điển hình đã có trong báo cáo năm 2025 và 1 mô hình, "
        "điển hình chưa có (trong đó 1 mô hình đã có trong báo cáo 6 tháng 2026), cộng là 3 mô hình, "
        "điển hình của kỳ này. Số nơi nhân rộng của các mô hình đã có trong báo cáo năm 2025 không đổi."
    )
    # the gap to what units declared (II.1) is said once, with the rows that make it
    assert 'khác nhau vì 1 mô hình ghi "Duy trì, phát huy" nhưng không có trong báo cáo kỳ trước' in html
    assert "Đăng ký mới 0 mô hình, điển hình; duy trì, phát huy 3." in html  # II.1: 3 = 2 - 0 + 1


# -- 6: close spellings at a bounded cost ---------------------------------------------------


def _levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


texts = st.text(alphabet="abcđ ", max_size=14)


@settings(max_examples=400, deadline=None)
@given(texts, texts)
def test_near_is_two_letters_at_most(a, b):
    assert _near(a, b) == (a != b and _levenshtein(a, b) <= 2)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="abc ", min_size=5, max_size=16), max_size=12),
    st.text(alphabet="abc ", max_size=18),
)
def test_the_index_gives_every_name_two_letters_off(names, key):
    entries = [
        Entry(2025, "annual", f"u-{i}", "u", 1, n, n, None, None, None, None) for i, n in enumerate(names)
    ]
    given_ = {e.code for e in _Names(entries).candidates(1, key)}
    if 7 <= len(key) <= continuity_names.CLOSE_MAX:
        assert {e.code for e in entries if _levenshtein(key, e.name_key) <= 2} <= given_
    else:
        assert given_ == set()


def _letters(i: int) -> str:
    """Four letters, a different four for each ``i`` (never a digit)."""
    return "".join("abcdefghijklmnopqrstuvwxyz"[i // 26**k % 26] for k in range(4))


def _renamed(
    cfg, n: int, register_size: int, length: int, alike: bool = True, rows: list | None = None
) -> tuple[OtherPeriods, UnitStatus]:
    """A unit with ``register_size`` models of long names that differ only at the end, and a file
    of ``n`` models of the same length, each at least three letters off every one of them (the
    worst case: a scan compares every pair to the end); ``alike=False``: names unlike theirs."""
    stem = "mô hình dân vận khéo ở khu dân cư số " + "x" * max(0, length - 41)
    compared = [
        Entry(
            2025, "annual", f"cam-lam-{i:06d}", "cam-lam", 1, f"{stem}{i:04d}", f"{stem}{i:04d}", *[None] * 4
        )
        for i in range(register_size)
    ]
    other = "phong trào toàn dân đoàn kết " + "y" * max(0, length - 33)
    rows = rows or [
        {
            "sheet": "Danh sách",
            "row": 4 + i,
            "accepted": True,
            "field": 1,
            "name": f"{stem if alike else other}{_letters(i)}",
            "name_key": f"{stem if alike else other}{_letters(i)}",
            "status": "new",
        }
        for i in range(n)
    ]
    used = FileOutcome(
        candidate=SimpleNamespace(relative="x.xlsx"), status=FileStatus.ACCEPTED, rows=record_rows(cfg, rows)
    )
    other_periods = OtherPeriods(2026, "annual", compared=compared)
    return other_periods, UnitStatus(
        "cam-lam", "Huyện ủy Cam Lâm", "g", 3, "on_time", used=used, files=[used]
    )


def _comparisons(monkeypatch) -> list[int]:
    counted: list[int] = []
    real = continuity_names.near
    monkeypatch.setattr(continuity_names, "near", lambda a, b, most=2: counted.append(1) or real(a, b, most))
    return counted


@pytest.mark.parametrize("length", [60, 150])
def test_close_spelling_makes_a_bounded_number_of_comparisons(cfg, monkeypatch, length):
    """2,000 renamed rows against 21 earlier names alike but for their end: a scan would make
    42,000 comparisons, each to the end of both names; the file makes at most its budget."""
    counted = _comparisons(monkeypatch)
    other_periods, status = _renamed(cfg, 2000, 21, length)  # 21: the budget runs out within a row
    _, [done] = continuity.assign([status.used], [status], other_periods, cfg)
    assert len(counted) == continuity_names.COMPARISONS_PER_FILE
    assert not [p for p in done.used.problems if p.code == "model_name_close"]


def test_names_unlike_any_earlier_one_are_compared_with_none(cfg, monkeypatch):
    counted = _comparisons(monkeypatch)
    other_periods, status = _renamed(cfg, 2000, 20, 60, alike=False)
    continuity.assign([status.used], [status], other_periods, cfg)
    assert counted == []  # the index gives them no candidate


def test_a_text_longer_than_a_name_is_never_compared(cfg, monkeypatch):
    counted = _comparisons(monkeypatch)
    other_periods, status = _renamed(cfg, 300, 20, 20_000)
    continuity.assign([status.used], [status], other_periods, cfg)
    assert counted == []


def test_close_spelling_proposes_as_before(cfg):
    """The index changes what is compared, never what is found: one letter off, same field."""
    other_periods, _ = _renamed(cfg, 0, 3, 60)
    stem = other_periods.compared[0].name[:-4]
    rows = [
        {
            "sheet": "Danh sách",
            "row": 4,
            "accepted": True,
            "field": 1,
            "name": f"{stem}1101",
            "status": "new",
        },
        {
            "sheet": "Danh sách",
            "row": 5,
            "accepted": True,
            "field": 2,
            "name": f"{stem}0002",
            "status": "new",
        },
        {
            "sheet": "Danh sách",
            "row": 6,
            "accepted": True,
            "field": 1,
            "name": "khác hẳn mọi tên",
            "status": "new",
        },
    ]
    other_periods, status = _renamed(cfg, 0, 3, 60, rows=rows)
    _, [done] = continuity.assign([status.used], [status], other_periods, cfg)
    close = [(p.row, p.value) for p in done.used.problems if p.code == "model_name_close"]
    assert close == [(4, f"{stem}1101")]
    [said] = [p for p in done.used.problems if p.code == "model_name_close"]
    assert "cam-lam-000001" in said.message
