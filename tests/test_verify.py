"""verify covers everything it writes and everything it read (issue 21, point 8): every file of
the run's folder under SHA256SUMS, the reminders of ``remind`` included; inputs named exactly;
inputs added since the run; the manifest and SHA256SUMS held to the run log."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from builders import model, workbook

from aggregator.cli import main
from aggregator.outbox import swap


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(inbox: Path, out: Path) -> int:
    return main(
        [
            "--inbox",
            str(inbox),
            "--outbox",
            str(out),
            "--year",
            "2026",
            "--report-date",
            "15/12/2026",
            "--jobs",
            "1",
        ]
    )


def remind(inbox: Path, out: Path) -> int:
    return main(
        [
            "remind",
            "--inbox",
            str(inbox),
            "--outbox",
            str(out),
            "--year",
            "2026",
            "--report-date",
            "16/12/2026",
        ]
    )


@pytest.fixture
def done(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model()])
    workbook(inbox / "b › ldld.xlsx", [model("Bếp ăn tình thương")], code="ldld", name=None)
    out = tmp_path / "out"
    assert run(inbox, out) == 0
    capsys.readouterr()
    return inbox, out, out / "2026"


def verify(folder: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["verify", str(folder), *extra])
    return code, capsys.readouterr().out


def test_the_run_prints_the_manifests_hash_and_logs_both(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    workbook(inbox / "a.xlsx", [model()])
    assert run(inbox, tmp_path / "out") == 0
    said = capsys.readouterr().out.splitlines()
    folder = tmp_path / "out" / "2026"
    assert said[-1].startswith("Mã SHA-256 của") and said[-1].endswith(sha(folder / "manifest.json"))
    [entry] = [json.loads(line) for line in (tmp_path / "out" / swap.RUN_LOG).read_text().splitlines()]
    assert entry["manifest_sha256"] == sha(folder / "manifest.json")
    assert entry["sums_sha256"] == sha(folder / "SHA256SUMS")


def test_reminders_written_after_the_run_are_under_sha256sums(done, capsys):
    inbox, out, folder = done
    assert remind(inbox, out) == 0
    drafts = sorted((folder / "nhac-nho").glob("*.eml"))
    assert drafts
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8")
    assert all(f"  nhac-nho/{d.name}\n" in sums for d in drafts)
    assert verify(folder, capsys)[0] == 0
    if shutil.which("sha256sum"):  # the plain tool agrees
        subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=folder, check=True)
    assert remind(inbox, out) == 0  # again: its lines replaced, not added twice
    assert (folder / "SHA256SUMS").read_text(encoding="utf-8").count(f"nhac-nho/{drafts[0].name}") == 1
    assert verify(folder, capsys)[0] == 0

    drafts[0].write_bytes(drafts[0].read_bytes().replace(b"Subject:", b"Subject: [sua]", 1))
    code, said = verify(folder, capsys)
    assert code == 1 and f"Đã thay đổi: nhac-nho/{drafts[0].name}" in said
    assert remind(inbox, out) == 0
    (folder / "nhac-nho" / "them.eml").write_bytes(b"Subject: added\n\n")
    code, said = verify(folder, capsys)
    assert code == 1 and "Tệp lạ" in said and "nhac-nho/them.eml" in said


def test_a_draft_added_with_its_line_in_sha256sums_is_caught_by_the_run_log(done, capsys):
    inbox, out, folder = done
    assert remind(inbox, out) == 0
    added = folder / "nhac-nho" / "them.eml"
    added.write_bytes(b"Subject: added\n\n")
    with (folder / "SHA256SUMS").open("a", encoding="utf-8") as sums:
        sums.write(f"{sha(added)}  nhac-nho/them.eml\n")
    code, said = verify(folder, capsys)
    assert code == 1 and "SHA256SUMS KHÔNG khớp nhật ký chạy" in said


def test_an_input_named_with_the_separator_is_compared_exactly(done, capsys):
    inbox, _, folder = done
    assert verify(folder, capsys)[0] == 0
    name = "b › ldld.xlsx"
    workbook(inbox / name, [model("Mô hình khác")], code="ldld", name=None)  # swapped
    code, said = verify(folder, capsys)
    assert code == 1 and "Đã thay đổi: b \\u203a ldld.xlsx" in said  # named as the manifest shows it


def test_inputs_added_since_the_run_are_reported(done, capsys):
    inbox, _, folder = done
    (inbox / "Thumbs.db").write_bytes(b"left by Windows")  # no report: a re-run leaves it alone
    (inbox / "~$a.xlsx").write_bytes(b"a lock file")
    assert verify(folder, capsys)[0] == 0
    workbook(inbox / "thu-moi" / "c.xlsx", [model("Mô hình mới")], code="cam-ranh", name=None)
    code, said = verify(folder, capsys)
    assert code == 1 and "Tệp mới trong thư mục đầu vào" in said and "thu-moi/c.xlsx" in said
    assert "ĐÃ THAY ĐỔI HOẶC MẤT" not in said  # nothing of the run changed: one more input


def test_manifest_and_sums_rewritten_together_are_caught_by_the_run_log(done, capsys):
    _, _, folder = done
    manifest = folder / "manifest.json"
    record = json.loads(manifest.read_text(encoding="utf-8"))
    record["files"] = [f for f in record["files"] if f["path"] != "a.xlsx"]  # a file hidden
    record["ignored"].append({"path": "a.xlsx", "status": "ignored", "reason": "x"})
    manifest.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    sums = [
        f"{sha(manifest)}  manifest.json" if line.endswith("  manifest.json") else line
        for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    ]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    code, said = verify(folder, capsys)
    assert code == 1 and "manifest.json KHÔNG khớp lần chạy nào" in said
    assert "ĐÃ THAY ĐỔI" not in said.splitlines()[0]  # every file matches its (forged) sums
    assert said.rstrip().endswith("CÓ TỆP ĐÃ THAY ĐỔI HOẶC MẤT SAU LẦN TỔNG HỢP NÀY.")  # never "CÒN NGUYÊN"


def test_an_output_and_its_sums_line_rewritten_are_held_to_the_manifest(done, capsys):
    _, _, folder = done
    summary = folder / "summary.json"
    summary.write_text(summary.read_text(encoding="utf-8").replace("2026", "2025", 1), encoding="utf-8")
    sums = [
        f"{sha(summary)}  summary.json" if line.endswith("  summary.json") else line
        for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    ]
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    code, said = verify(folder, capsys)
    assert code == 1 and "Đã thay đổi: summary.json" in said


def test_without_the_run_log_verify_says_what_it_cannot_prove(done, tmp_path, capsys):
    _, out, folder = done
    moved = tmp_path / "usb" / "2026"
    shutil.copytree(folder, moved)  # the folder alone, on an auditor's disk
    log = (out / swap.RUN_LOG).rename(tmp_path / "usb" / "nhat-ky.jsonl")
    code, said = verify(moved, capsys)
    assert code == 1 and "Không thấy nhật ký chạy" in said
    code, said = verify(moved, capsys, "--run-log", str(log))
    assert code == 0 and "Khớp nhật ký chạy" in said


def test_an_archived_run_still_verifies(done, capsys):
    inbox, out, _ = done
    assert run(inbox, out) == 0
    capsys.readouterr()
    [archived] = (out / swap.ARCHIVE).iterdir()
    assert verify(archived, capsys)[0] == 0
    assert verify(out / "2026", capsys)[0] == 0


def test_a_run_log_line_cut_by_a_killed_writer_costs_the_next_run_nothing(done, capsys):
    inbox, out, folder = done
    with (out / swap.RUN_LOG).open("a", encoding="utf-8") as log:
        log.write('{"started": "2026-12-15T10:00:00+07:00", "fold')  # killed mid-line
    workbook(inbox / "c.xlsx", [model("Mô hình mới")], code="cam-ranh", name=None)  # a new manifest
    assert run(inbox, out) == 0
    capsys.readouterr()
    assert verify(folder, capsys)[0] == 0
