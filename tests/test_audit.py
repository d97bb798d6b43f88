"""Audit trail: lineage, reproducible bytes, verification, a safe outbox, machine output."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from builders import model, workbook

from aggregator import config as config_module
from aggregator.cli import main
from aggregator.outbox import swap as outbox

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "inbox"


def run(inbox, out, *extra):
    return main(
        ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026", *extra]
    )


def test_every_figure_is_recomputed_from_the_master_workbook(tmp_path, cfg):
    assert run(SAMPLE, tmp_path) == 0
    summary = json.loads((tmp_path / "2026" / "summary.json").read_text(encoding="utf-8"))
    book = openpyxl.load_workbook(tmp_path / "2026" / "tong-hop.xlsx")

    def table(name):
        rows = list(book[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    records, status = table("Mô hình, điển hình"), table("Tình hình gửi")
    subject = {s.label: s.code for s in cfg.subjects}
    stage = {c.label: c.code for c in cfg.column("stage").choices}
    field = [int(r["Lĩnh vực"].split(".")[0]) for r in records]
    totals = summary["totals"]
    assert totals["models"] == len(records)
    for code in subject.values():
        assert totals["by_subject"][code] == sum(subject[r["Đối tượng"]] == code for r in records)
    for code in stage.values():
        assert totals["by_stage"][code] == sum(stage[r["Giai đoạn"]] == code for r in records)
    assert totals["new"] == sum(r["Tình trạng"] == "Đăng ký mới" for r in records)
    assert totals["continuing"] == sum(r["Tình trạng"] == "Duy trì, phát huy" for r in records)
    assert totals["replications"] == sum(r["Số nơi nhân rộng"] or 0 for r in records)
    assert totals["rewarded"] == sum(bool(r["Hình thức khen thưởng"]) for r in records)
    assert totals["publicised"] == sum(r["Đã tuyên truyền trên báo chí"] == "Có" for r in records)
    for f in summary["fields"]:
        assert f["models"] == field.count(f["code"])
    by_name = {u["name"]: u for u in summary["units"]}
    for row in status:
        unit = by_name[row["Tên đơn vị"]]
        mine = [r for r in records if r["Đơn vị"] == row["Tên đơn vị"]]
        assert unit["models"] == row["Số mô hình"] == len(mine)
        assert unit["rejected_rows"] == row["Số dòng bị loại"]
        assert unit["quota"] == row["Chỉ tiêu"]
        assert unit["meets_quota"] == (row["Đạt chỉ tiêu"] == "Đạt")
        for code, n in unit["by_field"].items():
            assert n == sum(int(r["Lĩnh vực"].split(".")[0]) == int(code) for r in mine)
    labels = {"on_time": "Đúng hạn", "late": "Trễ hạn", "missing": "Chưa gửi", "rejected": "Tệp bị loại"}
    for code, label in labels.items():
        assert totals[f"units_{code}"] == sum(r["Tình trạng"] == label for r in status)
    rejected = table("Dòng bị loại")
    used = [r for r in rejected if r["Tình trạng tệp"] == "Được dùng để tổng hợp"]
    assert summary["rows"]["rejected"] == len(used)
    for r in records:  # lineage: each record names a file, sheet, row and the file's hash
        source = r["Tệp nguồn"].split(" › ")[0]  # an attachment is traced to its email
        assert (SAMPLE / source).is_file() and r["Trang"] and r["Dòng"] > 0
        assert len(r["SHA-256 của tệp"]) == 64


def test_same_inputs_give_byte_identical_outputs(tmp_path):
    assert run(SAMPLE, tmp_path) == 0
    assert run(SAMPLE, tmp_path) == 0
    [archived] = (tmp_path / "luu-tru").iterdir()
    new = {
        p.relative_to(tmp_path / "2026"): p.read_bytes()
        for p in (tmp_path / "2026").rglob("*")
        if p.is_file()
    }
    old = {p.relative_to(archived): p.read_bytes() for p in archived.rglob("*") if p.is_file()}
    assert new.keys() == old.keys() and len(new) >= 6
    assert [str(k) for k in new if new[k] != old[k]] == []
    log = [json.loads(line) for line in (tmp_path / "run-log.jsonl").read_text().splitlines()]
    assert len(log) == 2 and log[0]["started"] <= log[1]["finished"]
    assert log[1]["models"] == 85


def test_verify_catches_a_changed_byte_in_an_input_or_an_output(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model()])
    workbook(inbox / "b.xlsx", [model()], code="ldld", name=None)
    assert run(inbox, tmp_path / "out") == 0
    folder = tmp_path / "out" / "2026"
    assert main(["verify", str(folder)]) == 0
    assert "Mọi tệp còn nguyên" in capsys.readouterr().out
    data = bytearray((inbox / "a.xlsx").read_bytes())
    data[100] ^= 1
    (inbox / "a.xlsx").write_bytes(bytes(data))
    assert main(["verify", str(folder)]) == 1
    assert "Đã thay đổi: a.xlsx" in capsys.readouterr().out
    (inbox / "b.xlsx").unlink()
    summary = folder / "summary.json"
    summary.write_text(summary.read_text(encoding="utf-8").replace("2026", "2025", 1), encoding="utf-8")
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "Không còn: b.xlsx" in out and "Đã thay đổi: summary.json" in out
    assert main(["verify", str(tmp_path)]) == 2


def test_json_output_for_scripts(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model(), model("B", 3, "Cá nhân")])
    assert run(inbox, tmp_path / "out", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["totals"]["models"] == 1 and result["rows"]["rejected"] == 1
    assert "tong-hop.xlsx" in result["outputs"] and result["problems"]["errors"] == 1
    assert main(["check", str(inbox / "a.xlsx"), "--year", "2026", "--json"]) == 1
    [checked] = json.loads(capsys.readouterr().out)
    assert checked["rows_invalid"] == 1
    assert checked["problems"][0]["code"] == "subject_not_allowed"


def test_a_second_run_at_once_is_refused_and_a_crashed_lock_is_taken_over(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model()])
    out = tmp_path / "out"
    out.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (out / outbox.LOCK_NAME).write_text(str(live.pid))
        assert run(inbox, out) == 1
        assert "Đang có một lần chạy khác" in capsys.readouterr().err
        assert not (out / "2026").exists()
    finally:
        live.kill()
        live.wait()
    (out / outbox.LOCK_NAME).write_text(str(live.pid))  # that process is gone now
    (out / ".dang-ghi-2026-999999").mkdir()  # and left half an output behind
    assert run(inbox, out) == 0
    assert not (out / outbox.LOCK_NAME).exists() and not list(out.glob(".dang-ghi-*"))


@pytest.mark.skipif(os.name != "posix", reason="uses POSIX signals")
def test_a_run_killed_at_random_moments_never_leaves_a_half_written_report(tmp_path):
    out = tmp_path / "out"
    command = [
        sys.executable,
        str(ROOT / "aggregate.py"),
        "--inbox",
        str(SAMPLE),
        "--outbox",
        str(out),
        "--year",
        "2026",
        "--report-date",
        "15/12/2026",
        "--schemas",
        str(config_module.BUNDLED),
    ]
    rng = random.Random(5)
    for _ in range(6):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for folder in [out / "2026", *(out / "luu-tru").glob("*")]:
            if folder.exists():  # whatever is in place is whole and checks out
                assert main(["verify", str(folder)]) == 0
    assert subprocess.run(command, capture_output=True).returncode == 0
    assert main(["verify", str(out / "2026")]) == 0
    assert not list(out.glob(".dang-ghi-*"))
