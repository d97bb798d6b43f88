"""workbook.yaml's ``meanings``: which status codes are new and continuing, the order of the stages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from builders import model, workbook

from aggregator import config
from aggregator.cli import main
from aggregator.config import Codes


def copy_schemas(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(config.BUNDLED, target)
    return target


def edit_workbook(folder: Path, change) -> None:
    path = folder / "workbook.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def column(data: dict, key: str) -> dict:
    return next(c for c in data["columns"] if c["key"] == key)


def choice(data: dict, key: str, code: str) -> dict:
    return next(c for c in column(data, key)["choices"] if c["code"] == code)


def test_the_bundled_meanings():
    codes = config.load(config.BUNDLED).codes
    assert (codes.new, codes.continuing) == ("new", "continuing")
    assert codes.stages == ("discovered", "replicated", "honoured")
    assert codes.honoured == "honoured"
    assert [codes.stage_rank(s) for s in ("discovered", "replicated", "honoured")] == [0, 1, 2]
    assert codes.stage_rank(None) is None and codes.stage_rank("new") is None


def test_the_last_stage_is_the_honour_stage_and_the_order_is_the_rank():
    codes = Codes(new="moi", continuing="cu", stages=("a", "c", "b", "d"))
    assert codes.honoured == "d"
    assert [codes.stage_rank(s) for s in ("a", "b", "c", "d", "e", "")] == [0, 2, 1, 3, None, None]
    with pytest.raises(AttributeError):
        codes.new = "x"  # type: ignore[misc]


def _rename_new_in_choices(d: dict) -> None:
    choice(d, "status", "new")["code"] = "moi"


def _rename_honoured_in_choices(d: dict) -> None:
    choice(d, "stage", "honoured")["code"] = "ton_vinh"


@pytest.mark.parametrize(
    "change,key,named",
    [
        (_rename_new_in_choices, "meanings.new", '"new"'),
        (lambda d: d["meanings"].update(continuing="duy_tri"), "meanings.continuing", '"duy_tri"'),
        (_rename_honoured_in_choices, "meanings.stages", '"honoured"'),
        (
            lambda d: d["meanings"].update(stages=["ton_vinh", *d["meanings"]["stages"]]),
            "meanings.stages",
            '"ton_vinh"',
        ),
        (lambda d: d["meanings"]["stages"].remove("replicated"), "meanings.stages", '"replicated"'),
        (lambda d: d["meanings"]["stages"].append("discovered"), "meanings.stages", '"discovered"'),
        (lambda d: d["meanings"].update(continuing="new"), "meanings.continuing", '"new"'),
        (lambda d: d["meanings"].pop("stages"), "meanings", "stages"),
    ],
)
@pytest.mark.parametrize("command", ["run", "check", "status", "template"])
def test_a_renamed_code_stops_every_command_naming_file_and_key(
    tmp_path, capsys, change, key, named, command
):
    folder = copy_schemas(tmp_path)
    edit_workbook(folder, change)
    workbook(tmp_path / "inbox" / "cam-lam.xlsx", [model()])
    inbox, outbox = ["--inbox", str(tmp_path / "inbox")], ["--outbox", str(tmp_path / "out")]
    places = {
        "run": [*inbox, *outbox],
        "check": [str(tmp_path / "inbox")],
        "status": inbox,
        "template": outbox,
    }[command]
    assert main([command, *places, "--schemas", str(folder), "--year", "2026"]) == 2
    err = capsys.readouterr().err
    assert f"{folder / 'workbook.yaml'}, mục {key}" in err and named in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "2026").exists()


def test_codes_renamed_on_both_sides_are_counted_by_their_new_names(tmp_path):
    folder = copy_schemas(tmp_path)

    def rename(d: dict) -> None:
        choice(d, "status", "new")["code"] = "moi"
        choice(d, "status", "continuing")["code"] = "duy_tri"
        d["meanings"].update(new="moi", continuing="duy_tri")

    edit_workbook(folder, rename)
    rows = [
        model("Một", 1, status="Đăng ký mới", year=2026, stage="Biểu dương, tôn vinh"),
        model("Hai", 2, status="Đăng ký mới", year=2026),
        model("Ba", 3, "Hộ gia đình", status="Duy trì, phát huy"),
    ]
    workbook(tmp_path / "inbox" / "cam-lam.xlsx", rows)
    args = ["--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "out"), "--schemas", str(folder)]
    assert main([*args, "--year", "2026", "--report-date", "15/12/2026", "--jobs", "1"]) == 0
    totals = json.loads((tmp_path / "out" / "2026" / "summary.json").read_text(encoding="utf-8"))["totals"]
    assert (totals["models"], totals["new"], totals["continuing"]) == (3, 2, 1)
    assert totals["by_stage"] == {"discovered": 0, "replicated": 2, "honoured": 1}


def test_a_workbook_yaml_written_before_meanings_means_what_the_bundled_one_says(tmp_path, capsys):
    folder = copy_schemas(tmp_path)
    edit_workbook(folder, lambda d: d.pop("meanings"))
    assert config.load(folder).codes == config.load(config.BUNDLED).codes
    edit_workbook(folder, _rename_new_in_choices)  # and its choices are still held to them
    with pytest.raises(config.ConfigError, match="workbook.yaml, mục meanings.new"):
        config.load(folder)


def _four_stages(d: dict) -> None:
    """A stage "Tổng kết, đánh giá" between replication and honour."""
    column(d, "stage")["choices"].insert(2, {"code": "evaluated", "label": "Tổng kết, đánh giá"})
    d["meanings"]["stages"] = ["discovered", "replicated", "evaluated", "honoured"]


def test_a_fourth_stage_takes_its_place_in_the_order(tmp_path):
    folder = copy_schemas(tmp_path)
    edit_workbook(folder, _four_stages)
    codes = config.load(folder).codes
    assert codes.stages == ("discovered", "replicated", "evaluated", "honoured")
    assert codes.stage_rank("evaluated") == 2 and codes.honoured == "honoured"


def test_the_stage_order_decides_what_advanced_means(tmp_path):
    """2025 "Giới thiệu, nhân rộng", 2026 "Tổng kết, đánh giá": with four stages in the order
    replicated < evaluated, the model advanced (section II.5), it did not step back."""
    folder = copy_schemas(tmp_path)
    edit_workbook(folder, _four_stages)
    out = tmp_path / "out"
    for year, stage in ((2025, "Giới thiệu, nhân rộng"), (2026, "Tổng kết, đánh giá")):
        box = tmp_path / f"in-{year}"
        status = "Đăng ký mới" if year == 2025 else "Duy trì, phát huy"
        workbook(
            box / "cam-lam.xlsx", [model("Dân vận khéo", 1, status=status, year=2025, stage=stage)], year=year
        )
        args = ["--inbox", str(box), "--outbox", str(out), "--schemas", str(folder), "--year", str(year)]
        assert main([*args, "--report-date", f"15/12/{year}", "--jobs", "1"]) == 0
    block = json.loads((out / "2026" / "summary.json").read_text(encoding="utf-8"))["continuity"]
    assert (block["matched"], block["advanced"], block["regressed"]) == (1, 1, 0)
    manifest = json.loads((out / "2026" / "manifest.json").read_text(encoding="utf-8"))
    assert "stage_backwards" not in [p["code"] for f in manifest["files"] for p in f["problems"]]


def test_the_report_names_the_honour_stage_by_its_label(tmp_path):
    """The outstanding models' rule says the last stage as workbook.yaml labels it."""
    folder = copy_schemas(tmp_path)
    edit_workbook(folder, lambda d: choice(d, "stage", "honoured").update(label="Tôn vinh điển hình"))
    rows = [model("Một", 1, stage="Tôn vinh điển hình"), model("Hai", 2)]
    workbook(tmp_path / "inbox" / "cam-lam.xlsx", rows)
    args = ["--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "out"), "--schemas", str(folder)]
    assert main([*args, "--year", "2026", "--report-date", "15/12/2026", "--jobs", "1"]) == 0
    html = (tmp_path / "out" / "2026" / "bao-cao-tong-hop.html").read_text(encoding="utf-8")
    assert "đã đạt giai đoạn &#34;Tôn vinh điển hình&#34;; được khen thưởng có số" in html
    assert "đã đạt giai đoạn &#34;Biểu dương, tôn vinh&#34;" not in html
