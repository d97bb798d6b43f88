"""The commands that read the units' files: run (the whole job), check (single files), status."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from aggregator import config as config_module
from aggregator import pipeline
from aggregator.checking.identify import describe
from aggregator.commands.common import (
    busy,
    has_templates,
    holding,
    jobs,
    print_json,
    progress,
    read_other_periods,
    registry_line,
)
from aggregator.commands.typed import CheckOptions, RunOptions, StatusOptions
from aggregator.config import Config
from aggregator.hashing import sha256
from aggregator.labels import FILE_STATUS, SEVERITY, UNIT_STATUS, date_vn
from aggregator.model import FileOutcome, FileStatus, Period
from aggregator.outbox import swap as outbox
from aggregator.outbox import write as outputs
from aggregator.pipeline import aggregate
from aggregator.pipeline.single import EMPTY_FOLDER, NOT_FOUND, Checked


def run(given: RunOptions) -> int:
    """The December job: inbox in, report and workbooks out."""
    config = config_module.load(given.schemas)
    if not given.inbox.is_dir():
        print(
            f"Không thấy thư mục hộp thư đến {given.inbox}. Tạo thư mục này và lưu các tệp đơn vị "
            "gửi vào đó.",
            file=sys.stderr,
        )
        return 2
    if not has_templates(given.templates, outputs.TEMPLATES):
        return 2
    if given.to_mailbox:  # a broken mailbox.yaml said before the long run
        from aggregator.intake import mailbox  # (here: most runs send no email)

        mailbox.load_settings(holding(given.schemas, mailbox.SETTINGS_FILE))
    config = signed_by(config, given.document_number, given.signer)
    try:
        published = pipeline.run(
            config,
            given.inbox,
            given.outbox,
            given.year,
            given.period,
            given.templates,
            given.report_date or dt.date.today(),
            jobs=jobs(given.jobs),
            progress=progress("Đang đọc", " tệp"),
        )
    except outbox.OutboxBusy:
        return busy(given.outbox)
    folder, result = published.folder, published.result
    for warning in published.warnings:
        print(warning, file=sys.stderr)
    if given.json:
        print_json(
            {
                "outbox": str(folder),
                "year": given.year,
                "period": given.period,
                "outputs": sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
                **{k: result.summary[k] for k in ("totals", "rows", "files")},
                "problems": _problem_counts(result.outcomes),
                "manifest_sha256": sha256(folder / outbox.MANIFEST),
            }
        )
    else:
        _closing(result.summary, folder, config)
        _staff_notes(published.staff_notes)
        print(
            f"Mã SHA-256 của {folder / outbox.MANIFEST} (ghi lại vào sổ, để sau này đối chiếu bằng "
            f"lệnh verify): {sha256(folder / outbox.MANIFEST)}"
        )
    if given.to_mailbox:
        from aggregator.commands.imap import to_mailbox

        return to_mailbox(folder / outputs.FEEDBACK, "thư phản hồi", given.schemas, json=given.json)
    return 0


def signed_by(config: Config, number: str | None, name: str | None) -> Config:
    """The document number and the signer given on the command line (``--so``, ``--nguoi-ky``)
    in place of report.yaml's: entered once, they reach every place the report prints them."""
    number = (number or "").strip()
    name = " ".join((name or "").split())
    if not number and not name:
        return config
    report = config.report
    return dataclasses.replace(
        config,
        report=dataclasses.replace(
            report,
            document_number=number or report.document_number,
            signer=dataclasses.replace(report.signer, name=name or report.signer.name),
        ),
    )


def _staff_notes(notes: list[str]) -> None:
    """What staff should do next: said here and in the manifest, never in the report."""
    if notes:
        print("Việc cần làm trước khi trình ký, gửi thư:")
        for note in notes:
            print(f"  - {note}")


def _problem_counts(outcomes: list[FileOutcome]) -> dict[str, int]:
    found = [p for o in outcomes for p in o.problems]
    return {"errors": sum(p.is_error for p in found), "warnings": sum(not p.is_error for p in found)}


def _closing(summary: dict, folder: Path, config: Config) -> None:
    t, rows, files = summary["totals"], summary["rows"], summary["files"]
    print(f"Đã tổng hợp kỳ {'năm' if summary['period'] == Period.ANNUAL else '6 tháng'} {summary['year']}:")
    print(f"  {registry_line(config)}")
    print(
        f"  Đơn vị: {t['units_expected']} phải báo cáo; {t['units_on_time']} đúng hạn, "
        f"{t['units_late']} trễ hạn, {t['units_missing']} chưa gửi, "
        f"{t['units_rejected']} có tệp bị loại."
    )
    print(f"  Mô hình, điển hình được tính: {t['models']}; dòng bị loại: {rows['rejected']}.")
    print(
        f"  Tệp: {files['accepted']} dùng, {files['superseded']} được thay bằng tệp mới hơn, "
        f"{files['rejected']} bị loại, {files['ignored']} bỏ qua."
    )
    print(f"  Báo cáo (Word, để sửa và ký): {folder / outputs.REPORT_DOCX}")
    print(f"  Báo cáo (xem, in): {folder / outputs.REPORT_HTML}")
    print(f"  Tệp tổng hợp: {folder / outputs.MASTER}")
    if (folder / outputs.FEEDBACK).is_dir():
        print(f"  Tệp phản hồi gửi các đơn vị: {folder / outputs.FEEDBACK}")


def check(given: CheckOptions) -> int:
    """Problems of single files, for staff looking at one email; exit 1 if any has an error."""
    config = config_module.load(given.schemas)
    other_periods = read_other_periods(given.outbox, given.year, given.period)
    failed = False
    report: list[dict[str, Any]] = []  # one entry per file, for --json
    for entry in pipeline.check(
        config, list(given.files), given.year, given.period, other_periods, given.outbox
    ):
        outcome = entry.outcome
        if entry.kind == NOT_FOUND:
            failed = True
            report.append({"file": entry.name, "status": NOT_FOUND, "problems": []})
        elif entry.kind == FileStatus.IGNORED and outcome is None:
            report.append(
                {"file": entry.name, "status": FileStatus.IGNORED, "reason": entry.reason, "problems": []}
            )
        elif entry.kind == EMPTY_FOLDER:
            report.append({"file": entry.name, "status": EMPTY_FOLDER, "problems": []})
        elif outcome is not None:
            failed = failed or outcome.status == FileStatus.REJECTED or outcome.rows_invalid > 0
            report.append(
                {
                    "file": entry.name,
                    "status": outcome.status,
                    "unit": outcome.unit,
                    "rows_read": outcome.rows_read,
                    "rows_valid": outcome.rows_valid,
                    "rows_invalid": outcome.rows_invalid,
                    "identification": outcome.identification or None,
                    "problems": [p.to_dict() for p in outcome.problems],
                }
            )
        if not given.json:
            _print_check(entry, config)
    if given.json:
        print_json(report)
    return 1 if failed else 0


def _print_check(entry: Checked, config: Config) -> None:
    name, outcome = entry.name, entry.outcome
    if entry.kind == NOT_FOUND:
        print(f"{name}: không thấy tệp.")
        return
    if entry.kind == EMPTY_FOLDER:
        print(f"{name}: thư mục không có tệp nào.")
        return
    if outcome is None:  # left alone by its name
        print(f"{name}: bỏ qua, không đọc — {entry.reason}.")
        return
    if outcome.status == FileStatus.IGNORED:  # (a saved email with nothing attached says so)
        print(f"{name}: {FILE_STATUS[FileStatus.IGNORED].lower()}.")
        for p in outcome.problems:
            print(f"  [{SEVERITY[p.severity]}] {p.message}")
        return
    unit = config.unit(outcome.unit).name if outcome.unit else "không rõ đơn vị"
    verdict = "BỊ LOẠI" if outcome.status == FileStatus.REJECTED else "dùng được"
    rows = (
        f"; {outcome.rows_read} dòng, {outcome.rows_valid} hợp lệ, {outcome.rows_invalid} có lỗi"
        if outcome.tables
        else ""
    )
    print(f"{name}: {verdict} — {unit}{rows}.")
    if outcome.identification:
        print(f"  Căn cứ xác định đơn vị: {describe(outcome.identification, config)}.")
    for p in outcome.problems:
        where = f" {p.cell}" if p.cell else ""
        print(f"  [{SEVERITY[p.severity]}]{where} {p.message}")


def status(given: StatusOptions) -> int:
    """Which units have sent, when, and who is still missing, as of today."""
    config = config_module.load(given.schemas)
    if not given.inbox.is_dir():
        print(f"Không thấy thư mục hộp thư đến {given.inbox}.", file=sys.stderr)
        return 2
    today = dt.date.today()  # no unit is late before the deadline: nothing is received after today
    result = aggregate(
        config,
        given.inbox,
        given.year,
        given.period,
        jobs=jobs(given.jobs),
        outbox=given.outbox,
        as_of=today,
        other_periods=read_other_periods(given.outbox, given.year, given.period),
    )
    left = (result.deadline - today).days
    period = config.period_label(given.period).lower()
    print(
        f"Tình hình nhận báo cáo kỳ {period} {given.year} đến ngày {date_vn(today)} "
        f"(hạn {date_vn(result.deadline)}, "
        + (f"còn {left} ngày)" if left >= 0 else f"đã quá hạn {-left} ngày)")
    )
    print(registry_line(config))
    width = max(len(u.name) for u in result.statuses)
    print(f"{'TT':>3}  {'Đơn vị':<{width}}  {'Tình trạng':<12}  {'Ngày nhận':<10}  Số mô hình")
    for n, unit in enumerate(result.statuses, start=1):
        print(
            f"{n:>3}  {unit.name:<{width}}  {UNIT_STATUS[unit.status]:<12}  "
            f"{date_vn(unit.received):<10}  {unit.models if unit.used else ''}"
        )
    waiting = [u.name for u in result.statuses if u.waiting]
    print(
        f"Còn {len(waiting)} đơn vị chưa có báo cáo dùng được: " + ", ".join(waiting) + "."
        if waiting
        else "Mọi đơn vị đã có báo cáo dùng được."  # never "Còn 0 đơn vị"
    )
    earlier = sum(bool(i.earlier) for i in result.ignored)
    if earlier:
        print(f"Bỏ qua {earlier} tệp đã tổng hợp ở các kỳ trước (cứ để trong inbox, không cần xóa).")
    return 0
