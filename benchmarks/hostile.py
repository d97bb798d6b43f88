#!/usr/bin/env python3
"""The worst single inputs we know, each beside good files: what each adds to a run.

Every input is made here, in code, and is at most 50 MB. Each is put alone beside the same
three good workbooks; `aggregate.py` runs on that inbox end to end (as staff run it, with its
worker processes) and the table shows the run's time and peak memory (summed PSS of the run
and its workers, sampled from /proc), what the input adds over the good files alone, the
exit code, the input's fate, and whether the good files' figures stayed exact.

    python benchmarks/hostile.py                 # every input
    python benchmarks/hostile.py --only ods-bomb far-cell

The target (issue 11): no single input of 50 MB or less adds more than 60 s or 1 GB.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import MemoryWatch
from builders import model, repeated_ods, workbook

GOOD = {"cam-lam": 3, "ldld": 2, "mttq": 1}
MB = 1 << 20


def good_inbox(folder: Path) -> Path:
    workbook(folder / "cam-lam.xlsx", [model("A"), model("B", 5), model("C", 2, "Cá nhân")])
    workbook(folder / "ldld.xlsx", [model("D"), model("E", 3, "Hộ gia đình")], code="ldld", name=None)
    workbook(folder / "mttq.xlsx", [model("F")], code="mttq", name=None)
    return folder


def ods_bomb(inbox: Path) -> str:
    """900 bytes that expand to 17 billion filled cells."""
    repeated_ods(inbox / "bom.ods", 1_048_576, 16_384, "x")
    return "bom.ods"


def ods_at_the_limit(inbox: Path) -> str:
    """The most an .ods may expand to and still be read: 999,000 cells of header text."""
    repeated_ods(inbox / "gioi-han.ods", 999, 1000)
    return "gioi-han.ods"


def far_cell(inbox: Path) -> str:
    """A good workbook with one stray cell at XFD1048576 (the reader would allocate TBs)."""
    path = workbook(inbox / "o-xa.xlsx", [model("Xa")], code="hoi-nong-dan", name=None)
    book = openpyxl.load_workbook(path)
    book["Danh sách"].cell(1_048_576, 16_384, "ô lạc")
    book.save(path)
    os.utime(path, (1_796_300_000, 1_796_300_000))  # saved on 03/12/2026, the date typed in it
    return "o-xa.xlsx"


def xlsx_at_the_limit(inbox: Path) -> str:
    """An .xlsx sheet of 999,900 distinct text cells, just under the cell limit."""
    path = inbox / "lon.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Tính toán")
    for r in range(49_995):
        for c in range(20):
            sheet.write_string(r, c, f"ô {r}-{c}")
    book.close()
    return "lon.xlsx"


def shared_string_amplifier(inbox: Path) -> str:
    """500,000 cells that all point at one shared string of 32,767 characters: 16 GB of
    text once read, from a file of a few MB (bounded only by the worker's memory limit)."""
    path = inbox / "khuech-dai.xlsx"
    book = xlsxwriter.Workbook(str(path))  # (constant_memory would write every copy inline)
    sheet = book.add_worksheet("Danh sách")
    text = ("Tên mô hình " * 3000)[:32_767]
    for r in range(25_000):
        for c in range(20):
            sheet.write_string(r, c, text)
    book.close()
    return "khuech-dai.xlsx"


def junk_50mb(inbox: Path) -> str:
    """50 MB of random bytes named .xlsx: hashed and refused."""
    (inbox / "rac.xlsx").write_bytes(random.Random(1).randbytes(50 * MB - 1))
    return "rac.xlsx"


def big_email(inbox: Path) -> str:
    """A 50 MB email: a zip of five 7 MB random members (all unpacked, all refused)."""
    rng = random.Random(2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for n in range(5):
            archive.writestr(f"bang-{n}.xlsx", rng.randbytes(7 * MB))
    mail = EmailMessage()
    mail["From"], mail["Subject"] = "a@b.vn", "Báo cáo"
    mail["Date"] = "Thu, 03 Dec 2026 09:15:00 +0700"
    mail.set_content("Kính gửi")
    mail.add_attachment(buffer.getvalue(), "application", "zip", filename="tat-ca.zip")
    (inbox / "thu-lon.eml").write_bytes(bytes(mail))
    return "thu-lon.eml"


def deep_email(inbox: Path) -> str:
    """A message nested 5,000 multiparts deep."""
    lines, closing = ["From: a@b.vn", "Subject: sâu", "MIME-Version: 1.0"], []
    for n in range(5000):
        lines += [f'Content-Type: multipart/mixed; boundary="b{n}"', "", f"--b{n}"]
        closing.append(f"--b{n}--")
    lines += ["Content-Type: text/plain", "", "đáy", *reversed(closing)]
    (inbox / "sau.eml").write_bytes("\r\n".join(lines).encode())
    return "sau.eml"


def many_parts_email(inbox: Path) -> str:
    """A 48 MB email of four million empty parts (parsed, it would take gigabytes)."""
    head = 'From: a@b.vn\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
    (inbox / "nhieu-phan.eml").write_bytes((head + "--B\r\n\r\nx\r\n" * 4_000_000 + "--B--\r\n").encode())
    return "nhieu-phan.eml"


def long_header_cells(inbox: Path) -> str:
    """The header search at its worst: 30 rows × 30 columns of cells of 16,000 short words,
    each cell different (no cache hits), not compressible enough to look like a bomb."""
    path = inbox / "chu-dai.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Danh sách")
    rng = random.Random(3)
    for r in range(30):
        for c in range(30):
            sheet.write_string(r, c, " ".join(rng.choice("abcdefghik") for _ in range(16_000)))
    book.close()
    return "chu-dai.xlsx"


INPUTS: dict[str, Callable[[Path], str]] = {
    "ods-bomb": ods_bomb,
    "ods-at-limit": ods_at_the_limit,
    "far-cell": far_cell,
    "xlsx-at-limit": xlsx_at_the_limit,
    "shared-strings": shared_string_amplifier,
    "junk-50mb": junk_50mb,
    "email-50mb": big_email,
    "email-deep": deep_email,
    "email-parts": many_parts_email,
    "header-search": long_header_cells,
}


def run(inbox: Path, outbox: Path) -> tuple[float, float, int]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "aggregate.py"),
            "--inbox",
            str(inbox),
            "--outbox",
            str(outbox),
            "--year",
            "2026",
            "--report-date",
            "15/12/2026",
            "--jobs",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watch = MemoryWatch(process.pid)
    code = process.wait()
    return time.perf_counter() - started, watch.peak_mb(), code


def fate_of(outbox: Path, name: str) -> tuple[str, bool]:
    folder = outbox / "2026"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    found = [f for f in manifest["files"] if f["path"] == name or f["path"].startswith(name)]
    fates = sorted(
        {f"{f['status']}: " + ",".join(p["code"] for p in f["problems"]) or f["status"] for f in found}
    )
    models = {u["code"]: u["models"] for u in summary["units"] if u["models"]}
    exact = all(models.get(code) == count for code, count in GOOD.items())
    return "; ".join(fates)[:90], exact


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=sorted(INPUTS), help="these inputs only")
    args = parser.parse_args()
    chosen = args.only or list(INPUTS)
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        base = good_inbox(Path(tmp) / "good")
        seconds, peak, code = run(base, Path(tmp) / "out-good")
        print(f"good files alone: {seconds:.1f} s, {peak:.0f} MB, exit {code}\n")
        print(
            "| input | size | run (s) | adds (s) | peak MB | adds (MB) | exit | fate | good figures exact |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for key in chosen:
            inbox = Path(tmp) / key
            shutil.copytree(base, inbox)
            name = INPUTS[key](inbox)
            size = os.path.getsize(inbox / name)
            took, memory, exit_code = run(inbox, Path(tmp) / f"out-{key}")
            fate, exact = fate_of(Path(tmp) / f"out-{key}", name)
            print(
                f"| {key} | {size / MB:.2f} MB | {took:.1f} | {took - seconds:+.1f} | "
                f"{memory:.0f} | {memory - peak:+.0f} | {exit_code} | {fate} | "
                f"{'yes' if exact else 'NO'} |",
                flush=True,
            )
            shutil.rmtree(inbox)


if __name__ == "__main__":
    main()
