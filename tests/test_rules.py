"""The severities of schemas/workbook.yaml (rules:) for a whole file, end to end: a judgement
call the Board may turn off or make an error; a safety refusal or a fact it may not touch."""

import json
import shutil
from pathlib import Path

import pytest
from builders import model, workbook

from aggregator import config, problems
from aggregator.cli import main

CONFIGURABLE = {code for code in problems.ProblemCode if code.configurable}

ROOT = Path(__file__).resolve().parents[1]


def schemas_with(tmp_path: Path, *lines: str) -> Path:
    """A copy of the schemas with ``lines`` written under ``rules:`` as staff would type them."""
    folder = tmp_path / "schemas"
    shutil.copytree(config.BUNDLED, folder)
    path = folder / "workbook.yaml"
    text = path.read_text(encoding="utf-8")
    for line in lines:
        key = line.split(":")[0]
        kept = [old for old in text.splitlines() if not old.strip().startswith(f"{key}:")]
        text = "\n".join(kept) + "\n"
        text = text.replace("\nrules:\n", f"\nrules:\n  {line}\n", 1)
    path.write_text(text, encoding="utf-8")
    return folder


def run(inbox: Path, outbox: Path, schemas: Path | None = None) -> int:
    extra = ["--schemas", str(schemas)] if schemas else []
    return main(
        ["--inbox", str(inbox), "--outbox", str(outbox), "--year", "2026", "--report-date", "15/12/2026"]
        + extra
    )


def manifest_file(outbox: Path, name: str) -> dict:
    manifest = json.loads((outbox / "2026" / "manifest.json").read_text(encoding="utf-8"))
    return next(f for f in manifest["files"] if f["path"] == name)


def test_a_file_warning_turned_off_plainly_is_gone_from_manifest_and_feedback(tmp_path):
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("A"), model("B", 2), model("C", 5)], year=None)
    assert run(inbox, tmp_path / "before") == 0
    said = manifest_file(tmp_path / "before", "cam-lam.xlsx")
    assert [p["code"] for p in said["problems"]] == ["year_assumed"]
    assert (tmp_path / "before" / "2026" / "phan-hoi" / "cam-lam.xlsx").is_file()

    schemas = schemas_with(tmp_path, "year_assumed: off")  # unquoted, as the guide writes it
    assert run(inbox, tmp_path / "after", schemas) == 0
    said = manifest_file(tmp_path / "after", "cam-lam.xlsx")
    assert said["status"] == "accepted" and said["problems"] == [] and said["rows_counted"] == 3
    assert not (tmp_path / "after" / "2026" / "phan-hoi" / "cam-lam.xlsx").exists()


def test_a_unit_found_by_file_name_made_an_error_rejects_the_file(tmp_path):
    inbox = tmp_path / "inbox"
    workbook(inbox / "Huyện ủy Cam Lâm.xlsx", [model("A")], code=None, name=None)
    assert run(inbox, tmp_path / "before") == 0
    said = manifest_file(tmp_path / "before", "Huyện ủy Cam Lâm.xlsx")
    assert said["status"] == "accepted" and said["unit"] == "cam-lam"
    assert [(p["code"], p["severity"]) for p in said["problems"]] == [("unit_by_filename", "warning")]

    schemas = schemas_with(tmp_path, "unit_by_filename: error")
    out = tmp_path / "after"
    assert run(inbox, out, schemas) == 0
    said = manifest_file(out, "Huyện ủy Cam Lâm.xlsx")
    assert said["status"] == "rejected" and said["rows_counted"] == 0 and said["unit"] == "cam-lam"
    assert [(p["code"], p["severity"]) for p in said["problems"]] == [("unit_by_filename", "error")]
    assert len(said["reasons"]) == 1
    summary = json.loads((out / "2026" / "summary.json").read_text(encoding="utf-8"))
    assert next(u for u in summary["units"] if u["code"] == "cam-lam")["status"] == "rejected"
    assert summary["totals"]["models"] == 0


@pytest.mark.parametrize("key", ["file_bomb", "file_encrypted", "file_too_large", "file_superseded"])
def test_a_safety_refusal_or_a_fact_in_the_rules_exits_2_naming_file_and_key(tmp_path, capsys, key):
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("A")])
    schemas = schemas_with(tmp_path, f"{key}: off")
    assert run(inbox, tmp_path / "out", schemas) == 2
    err = capsys.readouterr().err
    assert "workbook.yaml" in err and f"rules.{key}" in err
    assert not (tmp_path / "out" / "2026").exists()


def test_every_configurable_rule_is_in_the_catalogue_and_in_the_shipped_rules():
    shipped = config.load(config.BUNDLED).rules
    assert set(shipped) == CONFIGURABLE
    # the shipped severities are the catalogue's own: listing a rule changes nothing
    assert all(shipped[code] == problems.ProblemCode(code).severity for code in shipped)


def test_file_rules_regrade_a_files_own_problems_and_leave_rows_alone():
    found = [
        problems.make("legacy_font", file="a.xlsx", fonts="VNI", count=3),
        problems.make("sheet_hidden", file="a.xlsx", sheet="Cũ"),
        problems.make("choice_guessed", file="a.xlsx", row=7, column="Giai đoạn", read_as="Phát hiện"),
    ]
    rules = {"legacy_font": "off", "sheet_hidden": "error", "choice_guessed": "off"}
    kept = problems.with_rules(found, rules)
    assert [(p.code, p.severity) for p in kept] == [("sheet_hidden", "error"), ("choice_guessed", "warning")]


def test_the_readme_names_every_configurable_rule():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [code for code in sorted(CONFIGURABLE) if f"`{code}`" not in readme] == []


def test_a_model_not_reported_cannot_be_made_an_error(tmp_path, capsys):
    """It is found after the files' fates are decided: an error there could reject nothing."""
    inbox = tmp_path / "inbox"
    workbook(inbox / "cam-lam.xlsx", [model("A")])
    assert run(inbox, tmp_path / "out", schemas_with(tmp_path, "model_not_reported: error")) == 2
    err = capsys.readouterr().err
    assert "workbook.yaml" in err and "rules.model_not_reported" in err and "warning" in err
    assert run(inbox, tmp_path / "out", schemas_with(tmp_path / "off", "model_not_reported: off")) == 0
