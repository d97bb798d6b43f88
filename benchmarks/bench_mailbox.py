#!/usr/bin/env python3
"""Measure ``aggregate.py fetch`` on a real Dovecot: a folder of N messages, first and second fetch.

Starts Dovecot under a temporary configuration on a loopback port (the same helper the tests
use), fills one user's INBOX by IMAP APPEND with N emails (most with a unit's workbook attached,
some forwards and zips, about a tenth with no workbook), then times the library's fetch over
IMAPS into an empty inbox (everything new) and again (nothing new), and prints one table row.

    python benchmarks/bench_mailbox.py                 # 1,000 messages
    python benchmarks/bench_mailbox.py --messages 200 --repeat 3
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import sys
import tempfile
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import dovecot
from builders import model, workbook

from aggregator.intake import mailbox

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def emails(count: int, folder: Path) -> list[bytes]:
    """N emails as units send them: a workbook, a forward, a zip, or only words."""
    data = workbook(folder / "bc.xlsx", [model(f"Mô hình {i}") for i in range(30)]).read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("Báo cáo.xlsx", data)
    zipped = buffer.getvalue()
    made = []
    for n in range(count):
        mail = EmailMessage()
        mail["From"] = f"Đơn vị {n} <donvi{n}@khanhhoa.gov.vn>"
        mail["To"] = "btgdv@khanhhoa.gov.vn"
        mail["Subject"] = f"Báo cáo mô hình, điển hình năm 2026 - đơn vị {n}"
        mail["Date"] = f"Thu, {1 + n % 28:02d} Dec 2026 {8 + n % 10:02d}:{n % 60:02d}:00 +0700"
        mail["Message-ID"] = f"<bench-{n}@khanhhoa.gov.vn>"
        mail.set_content("Kính gửi Ban Tuyên giáo và Dân vận Tỉnh ủy,\nĐơn vị gửi báo cáo.")
        kind = n % 10
        if kind == 0:
            pass  # a question, no workbook
        elif kind == 1:
            mail.add_attachment(zipped, "application", "zip", filename="bao cao.zip")
        elif kind == 2:
            inner = EmailMessage()
            inner["Subject"], inner["From"] = "Báo cáo", f"donvi{n}@khanhhoa.gov.vn"
            inner.set_content("Chuyển tiếp.")
            inner.add_attachment(data, *XLSX, filename=f"Báo cáo đơn vị {n}.xlsx")
            mail.add_attachment(inner)
        else:
            mail.add_attachment(data, *XLSX, filename=f"Báo cáo mô hình đơn vị {n}.xlsx")
        made.append(bytes(mail))
    return made


def measure(count: int, repeat: int) -> dict[str, float]:
    server = dovecot.start()
    work = Path(tempfile.mkdtemp(prefix="dienhinh-bench-mail-"))
    try:
        user, password = server.new_user()
        messages = emails(count, work)
        started = time.perf_counter()
        server.append(user, password, messages)
        filled = time.perf_counter() - started
        settings = mailbox.load_settings(server.settings(work / "schemas", user))
        first, second = [], []
        for attempt in range(repeat):
            inbox = work / f"inbox-{attempt}"
            for times in (first, second):
                client = mailbox.connect(settings, password)
                started = time.perf_counter()
                result = mailbox.fetch(client, settings, inbox)
                times.append(time.perf_counter() - started)
                mailbox.close(client)
            if result.saved:  # the second fetch must find everything already there
                raise SystemExit("the second fetch saved again: idempotence is broken")
        saved = len(list((work / "inbox-0").iterdir()))
        size = sum(len(m) for m in messages)
        return {
            "messages": count,
            "MB": size / 1_048_576,
            "saved": saved,
            "append": filled,
            "first": min(first),
            "second": min(second),
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=1, help="fetches per size; the fastest is shown")
    args = parser.parse_args()
    if not dovecot.DOVECOT:
        sys.exit("Dovecot is not installed (apt install dovecot-imapd).")
    print(
        "| messages | MB in the folder | saved (with a workbook) | filling by APPEND (s) "
        "| first fetch, all new (s) | ms per message | second fetch, nothing new (s) "
        "| peak RSS (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for count in args.messages:
        row = measure(count, args.repeat)
        print(
            f"| {row['messages']} | {row['MB']:.1f} | {row['saved']} | {row['append']:.2f} "
            f"| {row['first']:.2f} | {1000 * row['first'] / row['messages']:.1f} "
            f"| {row['second']:.2f} | {row['rss']:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
