"""The 2025 preset end to end, on a sample inbox built for it by examples/make_inbox.py."""

import importlib.util
import json
from pathlib import Path

from aggregator.cli import main

ROOT = Path(__file__).resolve().parents[1]
PRESET = ROOT / "presets" / "khanh-hoa-2025"


def _make_inbox():
    spec = importlib.util.spec_from_file_location("make_inbox", ROOT / "examples" / "make_inbox.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_2025_preset_runs_end_to_end_and_credits_every_file_to_its_own_unit(tmp_path):
    maker = _make_inbox()
    sent = maker.make_registry(tmp_path / "inbox", PRESET)
    assert (
        main(
            [
                "--inbox",
                str(tmp_path / "inbox"),
                "--outbox",
                str(tmp_path / "out"),
                "--schemas",
                str(PRESET),
                "--year",
                "2026",
                "--report-date",
                "15/12/2026",
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    folder = tmp_path / "out" / "2026"
    manifest = json.loads((folder / "manifest.json").read_text())
    credited = {f["path"]: f["unit"] for f in manifest["files"]}
    assert credited == {name: unit or None for name, unit in sent.items()}
    by_name = [f for f in manifest["files"] if f["identified_by"] == "name"]
    assert len(by_name) == len(maker.WRITTEN_2025)  # every unit that typed only its name
    nha_trang = next(f for f in by_name if f["unit"] == "nha-trang")
    assert nha_trang["identification"]["match"] == "place"
    assert set(nha_trang["identification"]["near"]) == {"bac-nha-trang", "tay-nha-trang", "nam-nha-trang"}
    summary = json.loads((folder / "summary.json").read_text())
    statuses = {u["code"]: u["status"] for u in summary["units"]}
    assert len(statuses) == 71
    assert sorted(c for c, s in statuses.items() if s == "missing") == ["bien-phong", "mttq"]
    assert all(statuses[code] in ("on_time", "late") for code in maker.WRITTEN_2025)
    assert "DU Khu kinh te Van Phong - mo hinh.xlsx" in credited


def test_staff_are_pointed_at_the_registry_file_the_run_used(tmp_path):
    from builders import model, workbook

    workbook(tmp_path / "inbox" / "la.xlsx", [model("A")], code=None, name="Đảng ủy Khu kinh tế Vân Phong")
    assert (
        main(
            [
                "--inbox",
                str(tmp_path / "inbox"),
                "--outbox",
                str(tmp_path / "out"),
                "--schemas",
                str(PRESET),
                "--year",
                "2026",
                "--report-date",
                "15/12/2026",
            ]
        )
        == 0
    )
    notes = json.loads((tmp_path / "out" / "2026" / "manifest.json").read_text("utf-8"))["staff_notes"]
    unknown = [n for n in notes if "Vân Phong" in n]
    assert unknown and "presets/khanh-hoa-2025/units.yaml" in unknown[0]
    assert not any("schemas/units.yaml" in n for n in notes)
