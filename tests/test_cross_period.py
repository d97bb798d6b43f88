"""Where each cross-period warning lands: the row, the cell, the model, and nowhere else.

Three annual periods of two units into one outbox, through the command line. Each warning
of the register (``stage_backwards``, ``replications_down``, ``year_built_changed``,
``new_already_registered``, ``continuing_unmatched``, ``model_name_close``,
``model_not_reported``) is provoked on one row of one file, beside rows that continue a model
unchanged, advance it, or are new: every problem of a period is listed exactly, so a rule that
fires on the wrong row, the wrong unit or every continued model fails here.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from builders import HEADERS, model, workbook

from aggregator.cli import main
from aggregator.merging import register

FOUND, KEPT, HONOURED = "Phát hiện, bồi dưỡng", "Giới thiệu, nhân rộng", "Biểu dương, tôn vinh"
NEW = "Đăng ký mới"


def run(inbox: Path, outbox: Path, year: int) -> dict:
    args = ["--inbox", str(inbox), "--outbox", str(outbox), "--year", str(year)]
    assert main([*args, "--report-date", f"15/12/{year}", "--jobs", "1"]) == 0
    return json.loads((outbox / str(year) / "summary.json").read_text(encoding="utf-8"))


def codes(outbox: Path) -> dict[tuple[str, str], str]:
    """(unit, name) -> code, over every period of the register (a code never changes)."""
    with sqlite3.connect(outbox / register.DB_NAME) as db:
        return {(u, n): c for u, n, c in db.execute("SELECT unit, name, code FROM models")}


def problems(outbox: Path, year: int) -> list[tuple[str, str, str, str, str]]:
    """(file, code, cell, value, message) of every problem of the period, in the manifest's order."""
    manifest = json.loads((outbox / str(year) / "manifest.json").read_text(encoding="utf-8"))
    return [
        (f["path"], p["code"], p["cell"], p["value"], p["message"])
        for f in manifest["files"]
        for p in f["problems"]
    ]


@pytest.fixture(scope="module")
def periods(tmp_path_factory):
    root = tmp_path_factory.mktemp("periods")
    outbox = root / "outbox"
    workbook(
        root / "2024" / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, year=2023, stage=HONOURED, places=2),
            model("Đường hoa nông thôn", 9, year=2024, status=NEW, places=1),
            model("Gương sáng khuyến nông", 5, year=2021, places=5),  # not in 2025, back in 2026
        ],
        year=2024,
        report_date="01/12/2024",
    )
    run(root / "2024", outbox, 2024)
    workbook(
        root / "2025" / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, year=2023, places=2),  # row 4: honoured -> replicated
            model("Khuyến học khuyến tài", 5, year=2022, places=3),
            model("Sân chơi thiếu nhi", 8, year=2021, places=1),
            model("Đường hoa nông thôn", 9, year=2024, places=1),  # row 7: continues 2024's
            model("Bếp ăn tình thương", 10, year=2024, places=2),
            model("Tổ tự quản an ninh trật tự", 2, year=2020, places=1),
            model("Phong trào xanh sạch đẹp", 4, year=2020, places=1),
            model("Câu lạc bộ dưỡng sinh", 6, year=2022, stage=FOUND, places=0),
        ],
        year=2025,
        report_date="01/12/2025",
    )
    workbook(
        root / "2025" / "ldld.xlsx",
        [model("Sáng kiến công nhân", 2, "Cá nhân", year=2020, places=3)],
        code="ldld",
        name=None,
        year=2025,
        report_date="01/12/2025",
    )
    run(root / "2025", outbox, 2025)
    workbook(
        root / "2026" / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, year=2023, stage=FOUND, places=2),  # 4: stage lowered
            model("Khuyến học khuyến tài", 5, year=2022, places=1),  # 5: fewer places
            model("Sân chơi thiếu nhi", 8, year=2020, places=1),  # 6: another year built
            model("Đường hoa nông thôn", 9, year=2024, status=NEW, places=1),  # 7: "new", since 2024
            model("Bếp ăn tình thương", 10, year=2024, places=2),  # 8: unchanged: nothing said
            model("Nhà văn hóa sạch đẹp", 8, year=2026, places=1),  # 9: "continuing", no such model
            model("Tổ tự quản an ninh trật tựa", 2, year=2026, status=NEW, stage=FOUND, places=0),  # 10
            model("Câu lạc bộ dưỡng sinh", 6, year=2022, stage=HONOURED, places=4),  # 11: advanced
            model("Mô hình hoàn toàn mới", 7, year=2026, status=NEW, stage=FOUND, places=0),  # 12: new
            model("Gương sáng khuyến nông", 5, year=2021, places=2),  # 13: fewer than in 2024
        ],
        year=2026,
        report_date="01/12/2026",
    )
    workbook(
        root / "2026" / "ldld.xlsx",
        [
            model("Sáng kiến công nhân", 2, "Cá nhân", year=2020, places=3),  # unchanged
            # cam-lam's models by name: new for this unit, nothing said of them here
            model("Đường hoa nông thôn", 9, year=2026, status=NEW, stage=FOUND, places=0),
            model("Dân vận khéo ở thôn", 1, year=2026, status=NEW, stage=FOUND, places=0),
        ],
        code="ldld",
        name=None,
        year=2026,
        report_date="01/12/2026",
    )
    summary = run(root / "2026", outbox, 2026)
    return outbox, summary, codes(outbox)


def test_the_codes_carry_over_by_unit_and_name(periods):
    _, _, code = periods
    for name in ("Dân vận khéo ở thôn", "Đường hoa nông thôn"):
        assert code[("cam-lam", name)] != code[("ldld", name)]  # the same name, another unit's model
    assert len(set(code.values())) == len(code) == 15  # 12 of cam-lam, 3 of ldld
    # a code: its unit's code and six letters of base 32 (a hash of field and name)
    assert [c for (unit, _), c in code.items() if not re.fullmatch(rf"{unit}-[a-z2-7]{{6}}", c)] == []


def test_each_warning_of_the_second_period_on_its_row(periods):
    """2025 against 2024: the stage lowered on row 4 only; every row not in 2024 but said
    "continuing" questioned (5, 6, 8, 9, 10, 11), never 7, which continues 2024's model."""
    outbox, _, code = periods
    continuing = (
        'Tình trạng "Duy trì, phát huy" nhưng không thấy mô hình này trong báo cáo năm 2024. Kiểm tra '
        'lại tên, lĩnh vực hoặc ghi mã mô hình; nếu là mô hình mới, chọn "Đăng ký mới".'
    )
    assert problems(outbox, 2025) == [
        (
            "cam-lam.xlsx",
            "model_not_reported",
            "",
            "Gương sáng khuyến nông",
            f'Mô hình "Gương sáng khuyến nông" (mã {code["cam-lam", "Gương sáng khuyến nông"]}, '
            "lĩnh vực 5) có trong báo cáo năm 2024 nhưng không có trong báo cáo kỳ này. Nếu mô hình "
            "vẫn duy trì, đề nghị bổ sung; nếu đã dừng, ghi rõ để Ban theo dõi.",
        ),
        (
            "cam-lam.xlsx",
            "stage_backwards",
            "Danh sách!I4",
            KEPT,
            f'Giai đoạn "{KEPT}" lùi so với báo cáo năm 2024 ("{HONOURED}"). Kiểm tra lại giai đoạn.',
        ),
        *[
            ("cam-lam.xlsx", "continuing_unmatched", f"Danh sách!H{r}", "Duy trì, phát huy", continuing)
            for r in (5, 6, 8, 9, 10, 11)
        ],
    ]  # ldld: first in the register, nothing to continue, nothing questioned


def test_each_warning_of_the_third_period_on_its_row_and_model(periods):
    outbox, _, code = periods
    not_reported = (
        'Mô hình "{0}" (mã {1}, lĩnh vực {2}) có trong báo cáo năm 2025 nhưng không có trong báo cáo '
        "kỳ này. Nếu mô hình vẫn duy trì, đề nghị bổ sung; nếu đã dừng, ghi rõ để Ban theo dõi."
    )
    close = code["cam-lam", "Tổ tự quản an ninh trật tự"]
    assert problems(outbox, 2026) == [
        (
            "cam-lam.xlsx",
            "new_not_report_year",
            "Danh sách!G7",
            "2024",
            'Tình trạng "Đăng ký mới" nhưng năm xây dựng là 2024, không phải 2026. Kiểm tra lại: có '
            'phải "Duy trì, phát huy"?',
        ),
        (
            "cam-lam.xlsx",
            "model_not_reported",
            "",
            "Phong trào xanh sạch đẹp",
            not_reported.format("Phong trào xanh sạch đẹp", code["cam-lam", "Phong trào xanh sạch đẹp"], 4),
        ),
        (
            "cam-lam.xlsx",
            "model_not_reported",
            "",
            "Tổ tự quản an ninh trật tự",
            not_reported.format("Tổ tự quản an ninh trật tự", close, 2),
        ),
        (
            "cam-lam.xlsx",
            "stage_backwards",
            "Danh sách!I4",
            FOUND,
            f'Giai đoạn "{FOUND}" lùi so với báo cáo năm 2025 ("{KEPT}"). Kiểm tra lại giai đoạn.',
        ),
        (
            "cam-lam.xlsx",
            "replications_down",
            "Danh sách!M5",
            "1",
            "Số nơi nhân rộng 1 ít hơn báo cáo năm 2025 (3). Kiểm tra lại số liệu.",
        ),
        (
            "cam-lam.xlsx",
            "year_built_changed",
            "Danh sách!G6",
            "2020",
            "Năm xây dựng 2020 khác báo cáo năm 2025 (2021). Kiểm tra lại năm bắt đầu xây dựng mô hình.",
        ),
        (
            "cam-lam.xlsx",
            "new_already_registered",
            "Danh sách!H7",
            NEW,
            f'Tình trạng "Đăng ký mới" nhưng mô hình đã có trong sổ theo dõi (mã '
            f"{code['cam-lam', 'Đường hoa nông thôn']}, báo cáo năm 2024). Kiểm tra lại: có phải "
            '"Duy trì, phát huy"?',
        ),
        (
            "cam-lam.xlsx",
            "continuing_unmatched",
            "Danh sách!H9",
            "Duy trì, phát huy",
            'Tình trạng "Duy trì, phát huy" nhưng không thấy mô hình này trong báo cáo năm 2025. Kiểm '
            'tra lại tên, lĩnh vực hoặc ghi mã mô hình; nếu là mô hình mới, chọn "Đăng ký mới".',
        ),
        (  # against its latest record, of 2024: not in 2025
            "cam-lam.xlsx",
            "replications_down",
            "Danh sách!M13",
            "2",
            "Số nơi nhân rộng 2 ít hơn báo cáo năm 2024 (5). Kiểm tra lại số liệu.",
        ),
        (
            "cam-lam.xlsx",
            "model_name_close",
            "Danh sách!B10",
            "Tổ tự quản an ninh trật tựa",
            f'Tên mô hình gần giống mô hình "Tổ tự quản an ninh trật tự" (mã {close}) trong báo cáo '
            f'năm 2025. Nếu là cùng một mô hình, ghi mã {close} vào cột "Mã mô hình"; chương trình '
            "không tự nối.",
        ),
    ]  # ldld.xlsx: nothing, though two of its rows bear cam-lam's models' names


def test_the_third_period_counted(periods):
    _, summary, _ = periods
    block = {k: v for k, v in summary["continuity"].items() if k != "by_unit"}
    assert block == {
        "against": {"year": 2025, "period": "annual"},
        "matched": 7,  # cam-lam's rows 4-8, 11; ldld's Sáng kiến
        "new": 6,  # rows 9, 10, 12, 13 (not in 2025); ldld's two new
        "dropped": 2,  # Phong trào xanh sạch đẹp; Tổ tự quản an ninh trật tự (only close)
        "not_reported": 0,
        "advanced": 1,  # row 11
        "regressed": 1,  # row 4
        "replications_change": 2,  # row 5: 3 -> 1; row 11: 0 -> 4
        "claimed_continuing_unmatched": 2,  # rows 9 and 13
        "claimed_new_matched": 1,  # row 7
    }
    by_unit = {u["code"]: u for u in summary["continuity"]["by_unit"]}
    assert by_unit["cam-lam"] == {"code": "cam-lam", "matched": 6, "new": 4, "dropped": 2}
    assert by_unit["ldld"] == {"code": "ldld", "matched": 1, "new": 2, "dropped": 0}
    silent = [u for code, u in by_unit.items() if code not in ("cam-lam", "ldld")]
    assert len(silent) == 19 and silent == [
        {"code": u["code"], "matched": 0, "new": 0, "dropped": 0} for u in silent
    ]


def test_a_code_typed_twice_a_rule_turned_off_and_a_file_of_no_rows(tmp_path):
    """The second row typed with a code already used is refused at its code's cell, naming the
    first row; a cross-period rule set to "off" says nothing; a file that lists no model is
    refused for that alone (its unit's earlier models are not asked about)."""
    import shutil

    from aggregator import config

    outbox = tmp_path / "outbox"
    workbook(
        tmp_path / "2025" / "cam-lam.xlsx",
        [model("Dân vận khéo ở thôn", 1, places=2), model("Khuyến học khuyến tài", 5, places=3)],
        year=2025,
        report_date="01/12/2025",
    )
    workbook(
        tmp_path / "2025" / "ldld.xlsx",
        [model("Sáng kiến công nhân", 2, "Cá nhân", year=2020, places=3)],
        code="ldld",
        name=None,
        year=2025,
        report_date="01/12/2025",
    )
    run(tmp_path / "2025", outbox, 2025)
    code = codes(outbox)
    schemas = tmp_path / "schemas"
    shutil.copytree(config.BUNDLED, schemas)
    rules = schemas / "workbook.yaml"
    rules.write_text(
        rules.read_text(encoding="utf-8").replace("stage_backwards: warning", "stage_backwards: off"),
        encoding="utf-8",
    )
    typed = {"Mã mô hình": code["cam-lam", "Dân vận khéo ở thôn"]}
    workbook(
        tmp_path / "2026" / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, stage=FOUND, places=2, **typed),  # 4: lowered, not said
            model("Khuyến học khuyến tài", 5, places=3),
            model("Nhà văn hóa sạch đẹp", 8, places=2, **typed),  # 6: the same code again
        ],
        year=2026,
        report_date="01/12/2026",
        headers=[*HEADERS, "Mã mô hình"],
    )
    workbook(tmp_path / "2026" / "ldld.xlsx", [], code="ldld", name=None, year=2026, report_date="01/12/2026")
    args = ["--inbox", str(tmp_path / "2026"), "--outbox", str(outbox), "--year", "2026"]
    assert main([*args, "--report-date", "15/12/2026", "--jobs", "1", "--schemas", str(schemas)]) == 0
    found = [(f, c, cell, v) for f, c, cell, v, _ in problems(outbox, 2026)]
    assert found == [
        ("cam-lam.xlsx", "model_code_duplicate", "Danh sách!R6", code["cam-lam", "Dân vận khéo ở thôn"]),
        ("ldld.xlsx", "no_rows", "", ""),  # refused whole: its models are not asked about
    ]
    [duplicate] = [m for _, c, _, _, m in problems(outbox, 2026) if c == "model_code_duplicate"]
    assert "đã ghi ở dòng 4" in duplicate


def test_a_typed_code_with_no_register_at_hand_is_taken_as_typed_by_check(tmp_path, capsys):
    """``check`` with no register at hand judges no code: the row is valid, nothing said. A
    run's first period has a register, empty: a typed code is unknown there, and refused."""
    path = workbook(
        tmp_path / "in" / "cam-lam.xlsx",
        [
            model("Dân vận khéo ở thôn", 1, **{"Mã mô hình": "Cam-Lam-ABC DEF"}),
            model("Khuyến học", 5, **{"Mã mô hình": "mã tự đặt"}),  # no unit's code at all
            model("Bếp ăn", 10, **{"Mã mô hình": "ldld-abcdef"}),  # another unit's, by its form
        ],
        year=2025,
        report_date="01/12/2025",
        headers=[*HEADERS, "Mã mô hình"],
    )
    capsys.readouterr()
    assert main(["check", "--json", "--year", "2025", "--outbox", str(tmp_path / "none"), str(path)]) == 0
    [checked] = json.loads(capsys.readouterr().out)
    assert (checked["rows_valid"], checked["problems"]) == (3, [])
    outbox = tmp_path / "outbox"
    run(path.parent, outbox, 2025)
    assert [(c, cell, v) for _, c, cell, v, _ in problems(outbox, 2025)] == [
        ("model_code_unknown", f"Danh sách!R{row}", typed)
        for row, typed in ((4, "Cam-Lam-ABC DEF"), (5, "mã tự đặt"), (6, "ldld-abcdef"))
    ]
