import shutil
from pathlib import Path

import pytest
import yaml

from aggregator import config

SCHEMAS = config.BUNDLED  # the shipped schemas, copied by conftest


def copy_schemas(tmp_path: Path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, target)
    return target


def edit(folder: Path, name: str, change) -> None:
    path = folder / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_default_schemas_load_with_the_plan_registry():
    cfg = config.load(SCHEMAS)
    assert len(cfg.units) == 21 and len(cfg.fields) == 11
    assert cfg.unit("cam-lam").name == "Huyện ủy Cam Lâm"
    assert cfg.field_by_code(3).subjects == ("household",)
    assert str(cfg.deadline(2026, "annual")) == "2026-12-05"


def test_a_registry_of_seventy_units_needs_no_code(tmp_path):
    folder = copy_schemas(tmp_path)

    def seventy(data):
        data["units"] = [
            {"code": f"xa-{i}", "name": f"Đảng ủy xã số {i}", "group": "truc-thuoc"} for i in range(70)
        ]

    edit(folder, "units", seventy)
    cfg = config.load(folder)
    assert len(cfg.units) == 70 and cfg.units[5].quota == 3


@pytest.mark.parametrize(
    "name,change,where",
    [
        ("units", lambda d: d["units"][2].update(quota=-1), "units.2.quota"),
        ("units", lambda d: d["units"][3].pop("name"), "units.3"),
        ("units", lambda d: d["units"][4].update(group="khong-co"), "units.4.group"),
        ("units", lambda d: d["units"][5].update(code="nha-trang"), "units.code"),
        ("fields", lambda d: d["fields"][2].update(subjects=["animal"]), "fields.2.subjects"),
        ("workbook", lambda d: d["rules"].update(duplicate_model="sometimes"), "rules.duplicate_model"),
        ("report", lambda d: d["deadlines"].update(annual="5/12"), "deadlines.annual"),
        ("report", lambda d: d.update(list_limit="nhiều"), "list_limit"),
        ("report", lambda d: d["signer"].update(on_behalf="có"), "signer.on_behalf"),
        ("report", lambda d: d.update(list_limt=100), "list_limt"),  # a misspelt key
        ("report", lambda d: d["board"].update(mail="ban@example.vn"), "board"),
    ],
)
def test_a_broken_schema_names_its_file_and_key(tmp_path, name, change, where):
    folder = copy_schemas(tmp_path)
    edit(folder, name, change)
    with pytest.raises(config.ConfigError) as caught:
        config.load(folder)
    assert f"{name}.yaml" in str(caught.value) and where in str(caught.value)


def test_yaml_syntax_error_is_reported_with_its_line(tmp_path):
    folder = copy_schemas(tmp_path)
    (folder / "report.yaml").write_text("province: [Khánh Hòa\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="report.yaml.*dòng"):
        config.load(folder)


def test_the_summary_schema_is_the_shared_contract():
    shared = SCHEMAS.parents[1] / "shared" / "contracts" / "summary.schema.json"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    assert (SCHEMAS / "summary.schema.json").read_bytes() == shared.read_bytes()


def _set_rule_line(folder: Path, rule: str, written: str) -> None:
    """Edit the rule's line as staff would in a text editor, keeping the file's own form."""
    path = folder / "workbook.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{rule}:"))
    lines[at] = f"  {rule}: {written}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_rule_written_plainly_off_is_off(tmp_path):
    folder = copy_schemas(tmp_path)
    _set_rule_line(folder, "reward_without_decision", "off")
    assert config.load(folder).rules["reward_without_decision"] == "off"


def test_a_misspelt_rule_key_is_refused_by_name(tmp_path):
    folder = copy_schemas(tmp_path)
    _set_rule_line(folder, "duplicate_model", "error\n  duplicate_modle: off")
    with pytest.raises(config.ConfigError) as caught:
        config.load(folder)
    assert "workbook.yaml" in str(caught.value) and "rules.duplicate_modle" in str(caught.value)


def test_no_message_that_reaches_a_report_or_a_unit_tells_staff_what_to_do():
    """Staff actions (rerun, edit schemas/, tidy the inbox) live in the staff hints only; the
    mailbox's messages are said at the command line, to staff, and may name them."""
    from aggregator import problems

    for code in problems.ProblemCode:
        template = code.template
        if not code.startswith("mailbox_"):
            for staff_word in ("chạy lại", "schemas/", "inbox"):
                assert staff_word not in template, (code, staff_word)


def test_report_settings_are_typed_with_their_defaults_in_one_place(tmp_path):
    import dataclasses

    from aggregator.config import descriptors

    folder = copy_schemas(tmp_path)
    optional = (
        "document_number",
        "time_zone",
        "outstanding_models",
        "outstanding_criteria",
        "list_limit",
        "chart_units_limit",
    )
    edit(folder, "report", lambda d: [d.pop(key) for key in optional] + [d["signer"].pop("head_title")])
    report = config.load(folder).report
    assert (report.document_number, report.time_zone) == ("…", "Asia/Ho_Chi_Minh")
    assert (report.outstanding_models, report.list_limit, report.chart_units_limit) == (5, 2000, 40)
    assert report.outstanding_criteria == ("honoured", "reward_decision", "replications", "rewarded")
    assert report.signer.head_title == "TRƯỞNG BAN" and report.board.symbol == "BTGDVTU"
    # the descriptor checks what the dataclass holds: the same keys, required where no default
    properties = descriptors.REPORT["properties"]
    for kind, schema in (
        (config.ReportSettings, descriptors.REPORT),
        (config.Board, properties["board"]),
        (config.Signer, properties["signer"]),
    ):
        fields = dataclasses.fields(kind)
        assert set(schema["properties"]) == {f.name for f in fields}
        assert set(schema["required"]) == {f.name for f in fields if f.default is dataclasses.MISSING}


def test_a_wrong_type_in_report_yaml_exits_2_naming_file_and_key(tmp_path, capsys):
    from aggregator.cli import main

    folder = copy_schemas(tmp_path)
    edit(folder, "report", lambda d: d.update(outstanding_models="năm"))
    (tmp_path / "inbox").mkdir()
    args = ["--inbox", str(tmp_path / "inbox"), "--outbox", str(tmp_path / "out"), "--schemas", str(folder)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "report.yaml" in err and "outstanding_models" in err
