"""Put a run on disk: report, master workbook, feedback workbooks, summary and manifest."""

from __future__ import annotations

import datetime as dt
import json
import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema

from aggregator import __version__
from aggregator.background import in_background
from aggregator.hashing import sha256
from aggregator.labels import RECEIVED_SOURCE
from aggregator.merging import register
from aggregator.model import FileOutcome, FileStatus, RunResult
from aggregator.outbox.swap import CHECKSUMS, MANIFEST
from aggregator.rendering import feedback, report, workbooks
from aggregator.text import loose_key

REPORT_HTML = "bao-cao-tong-hop.html"
REPORT_DOCX = "bao-cao-tong-hop.docx"
MASTER = "tong-hop.xlsx"
FEEDBACK = "phan-hoi"
SUMMARY = "summary.json"
TEMPLATES = (*report.TEMPLATES, feedback.TEMPLATE)  # what a run renders from ``--templates``


@dataclass
class Written:
    """What writing the outputs left: the files, and what staff should do (also in the manifest)."""

    files: list[Path]
    staff_notes: list[str]


def write(
    result: RunResult,
    folder: Path,
    templates: Path,
    report_date: dt.date,
    previous: dict[str, Any] | None = None,
    lap: Callable[[str], None] = lambda stage: None,
) -> Written:
    """Every output of the run into ``folder``; returns the files written and the notes for staff.

    ``lap`` is told when the reports are rendered ("render") and when all is written ("write").
    """
    model = report.context(result, report_date, previous)
    # first: its passing memory is free again before the master workbook's writer starts
    source = _register_source(result, folder)
    # the master workbook is the biggest single job: written beside the rest, on another CPU
    master = in_background(f"tệp tổng hợp {MASTER}", workbooks.write_master, result, folder / MASTER)
    try:
        jsonschema.validate(result.summary, result.config.summary_schema)
        written = [_json(folder / SUMMARY, result.summary), source]
        written += _reports(folder, templates, model)
        lap("render")
        sent, unaddressed = _feedback(result, folder, templates, report_date)
        written += sent
    except BaseException:
        master(False)
        raise
    master()
    written.append(folder / MASTER)
    notes = [*result.staff_notes, *unaddressed]
    record = manifest(result, report_date, notes)
    record["outputs"] = [{"path": p.relative_to(folder).as_posix(), "sha256": sha256(p)} for p in written]
    written.append(_json(folder / MANIFEST, record))
    lines = [f"{sha256(p)}  {p.relative_to(folder).as_posix()}\n" for p in written]
    (folder / CHECKSUMS).write_text("".join(lines), encoding="utf-8")
    lap("write")
    return Written([*written, folder / CHECKSUMS], notes)


def _reports(folder: Path, templates: Path, model: dict[str, Any]) -> list[Path]:
    (folder / REPORT_HTML).write_text(report.render_html(templates, model), encoding="utf-8")
    report.render_docx(templates, model, folder / REPORT_DOCX)
    return [folder / REPORT_HTML, folder / REPORT_DOCX]


def _feedback(
    result: RunResult, folder: Path, templates: Path, report_date: dt.date
) -> tuple[list[Path], list[str]]:
    """A workbook and a ready-to-send draft for every unit (or unknown sender) with problems;
    and, for staff, each draft that has no address yet."""
    written, unaddressed = [], []
    targets = feedback.targets(result)
    if targets:
        (folder / FEEDBACK).mkdir()
    for target in targets:
        path = folder / FEEDBACK / target.name
        feedback.write(result, target, path, report_date)
        draft = path.with_suffix(".eml")
        data, attached = feedback.email(result, target, path, templates, report_date)
        draft.write_bytes(data)
        written += [path, draft]
        if not attached:
            unaddressed.append(
                f"Tệp {FEEDBACK}/{path.name} quá lớn để gửi kèm thư nên thư {draft.name} không đính "
                "kèm nó: gửi tệp cho đơn vị theo cách khác (ổ chia sẻ, đĩa, chia nhỏ)."
            )
        if not target.recipients:
            unaddressed.append(
                f"Thư {FEEDBACK}/{draft.name} chưa có địa chỉ người nhận "
                '(đơn vị chưa đăng ký địa chỉ): điền ô "Đến" trước khi gửi.'
            )
    return written, unaddressed


def _register_source(result: RunResult, folder: Path, chunk: int = 5000) -> Path:
    """The period's accepted records with their codes: what the register is built from."""
    records = result.records
    floats = [i for i, c in enumerate(register.COLUMNS) if c in records and records[c].dtype.kind == "f"]

    def rows() -> Any:
        for start in range(0, len(records), chunk):  # a slice at a time: little memory
            part = records.iloc[start : start + chunk]
            keys = (
                part["name_key"].tolist()
                if "name_key" in part
                else [loose_key(n) for n in part["name"].tolist()]
            )
            columns = {"code": part["model_code"].tolist(), "name_key": keys}
            values = [columns[c] if c in columns else part[c].tolist() for c in register.COLUMNS]
            yield from _whole((list(row) for row in zip(*values, strict=True)), floats)

    return register.write_period_file(folder / register.PERIOD_FILE, result.year, result.period, rows())


def _whole(rows: Any, floats: list[int]) -> Any:
    """Rows with a column of numbers read as floats (blanks among them) back to whole
    numbers, and its blanks to null."""
    for row in rows:
        for i in floats:
            value = row[i]
            if value is not None:
                row[i] = None if value != value else int(value) if value.is_integer() else value
        yield row


def _json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def manifest(result: RunResult, report_date: dt.date, staff_notes: list[str]) -> dict[str, Any]:
    """Every input file with its fate, and what produced this run."""
    return {
        "program": {
            "name": "dienhinh-aggregator",
            "version": __version__,
            "python": platform.python_version(),
            "libraries": _versions(),
        },
        "run": {
            "year": result.year,
            "period": result.period,
            "deadline": result.deadline.isoformat(),
            "report_date": report_date.isoformat(),
            **result.options,
        },
        "schemas": result.config.hashes,
        "emails": [
            {
                "path": e.relative,
                "sha256": e.sha256,
                "size": e.size,
                "from": e.sender,
                "date": e.date.isoformat() if e.date else None,
                "subject": e.subject,
                "attachments": e.attachments,
                "error": e.error or None,
            }
            for e in result.emails
        ],
        "files": [_file(o, result) for o in result.outcomes],
        "staff_notes": staff_notes,
        # entries left alone by their name (lock files, Thumbs.db, the inbox's README, this
        # program's own outputs): never hashed nor opened
        "ignored": [{"path": i.relative, "status": "ignored", "reason": i.reason} for i in result.ignored],
    }


def _file(outcome: FileOutcome, result: RunResult) -> dict[str, Any]:
    c = outcome.candidate
    unit_name = result.config.unit(outcome.unit).name if outcome.unit else None
    return {
        "path": c.relative,
        "sha256": c.sha256,
        "size": c.size,
        "type": c.kind,
        "email": c.email,
        "attachment": c.attachment,
        "sender": c.sender,
        "email_date": c.email_date.isoformat() if c.email_date else None,
        "modified": c.modified.isoformat(),
        "status": outcome.status,
        "unit": outcome.unit,
        "unit_name": unit_name,
        "identified_by": outcome.identified_by or None,
        "identification": outcome.identification or None,
        "year": outcome.year,
        "period": outcome.period,
        "report_date": outcome.report_date.isoformat() if outcome.report_date else None,
        "received": outcome.received.isoformat() if outcome.status != FileStatus.IGNORED else None,
        "received_source": outcome.received_source,
        "received_source_text": RECEIVED_SOURCE[outcome.received_source],
        "sheets": [{"name": t.sheet, "header_row": t.header_row, "rows": t.count} for t in outcome.tables],
        "rows_read": outcome.rows_read,
        "rows_valid": outcome.rows_valid,
        "rows_invalid": outcome.rows_invalid,
        "rows_counted": outcome.rows_counted,
        "contact": outcome.contact,
        "reasons": [p.message for p in outcome.file_errors],
        "problems": [p.to_dict() for p in outcome.problems],
    }


def _versions() -> dict[str, str]:
    found = {}
    for name in ("pandas", "python-calamine", "openpyxl", "XlsxWriter", "Jinja2", "PyYAML"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "?"
    return found
