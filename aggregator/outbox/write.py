"""Put a run on disk: report, master workbook, feedback workbooks, summary and manifest."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import multiprocessing
import os
import platform
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema

from aggregator import __version__, heap
from aggregator.background import Beside
from aggregator.hashing import sha256
from aggregator.labels import RECEIVED_SOURCE
from aggregator.merging import register
from aggregator.model import FileOutcome, FileStatus, Ignored, RunResult
from aggregator.outbox import swap
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


@dataclass(frozen=True)
class _Sent:
    """One feedback target's workbook and draft, their SHA-256 (taken as written), and whether
    the draft carries the workbook."""

    workbook: Path
    draft: Path
    digests: dict[Path, str]
    attached: bool


@dataclass
class _Beside:
    """What the process beside the run wrote: the master workbook's SHA-256 (hashed as written,
    not read again to seal), and the feedback it took, by the target's index."""

    master: str
    sent: dict[int, _Sent]


class _Shares:
    """The feedback targets handed out one at a time, to whichever of the two processes is free
    first (the one beside, after the master workbook; the run's, after the reports): the two
    CPUs end together however long each part takes on this machine. The counter is shared
    across the fork; where nothing forks, the work beside runs first and takes them all."""

    def __init__(self, count: int, counter: Any):
        self.count = count
        self.next = counter  # ``counter()``'s, made before the fork

    def take(self) -> int | None:
        with self.next.get_lock():
            index = self.next.value
            if index >= self.count:
                return None
            self.next.value = index + 1
            return index


def counter() -> Any:
    """What the two processes count the feedback targets handed out with (``_Shares``)."""
    return multiprocessing.Value("i", 0)


def beside() -> Beside:
    """The process beside the run, forked now (early in the run: see ``write``)."""
    return Beside(counter())


def write(
    result: RunResult,
    folder: Path,
    templates: Path,
    report_date: dt.date,
    previous: dict[str, Any] | None = None,
    lap: Callable[[str], None] = lambda stage: None,
    early: Beside | None = None,
) -> Written:
    """Every output of the run into ``folder``; returns the files written and the notes for staff.

    ``lap`` is told when the period file is written ("period": the register can take it in
    from then), when the reports are rendered ("render") and when all is written ("write").
    ``early``: the process beside the run (``beside()``), forked at the run's start; without
    it, one is forked here.
    """
    # the period file first, here: the register is made ready from it while the rest is
    # written (``lap("period")``, once the process beside has its work), and the master
    # workbook reads the records back from it. Then one process beside the run, on the other
    # CPU, while this one checks the summary and builds and renders the report: the master
    # workbook and the feedback, about as much work as the report's. One process, not one
    # each (a third process for the feedback took the peak PSS from 556 to 643 MB). Forked at
    # the run's start (``early``), not here: a process forked here holds a copy of every page
    # the run touches after the fork (the run touched 134 of the 174 MB it shared with it at
    # 2,000 units, 1.2 GB at 20,000); it is sent what it needs instead, without the records
    # frame (it reads the period file a row at a time). Its failure fails the run.
    source = _register_source(result, folder)
    targets = feedback.targets(result)  # found here: the process beside touches only theirs
    if targets:
        (folder / FEEDBACK).mkdir()
    what = f"tệp tổng hợp {MASTER} và các tệp phản hồi"
    if early is None:  # forked now: all it needs by the fork
        shared = counter()
        inherited = (result, targets, len(targets), folder, templates, report_date, None)
        beside = Beside(shared, *inherited).start(what, _beside)
    else:
        shared = early.inherited[0]
        given: tuple[RunResult, list[feedback.Feedback], workbooks.PeriodRecords | None]
        given = (result, targets, None)  # where nothing forks, it runs here and now
        if early.forked:  # forked while the run was small: sent what it needs, no records frame
            given = _slim(result, targets, _period_records(result, source))
        job = (given[0], given[1], len(targets), folder, templates, report_date, given[2])
        beside = early.start(what, _beside, *job)
    shares = _Shares(len(targets), shared)
    try:
        lap("period")  # after the fork: a thread started before it could leave a lock held there
        jsonschema.validate(result.summary, result.config.summary_schema)
        model = report.context(result, report_date, previous)
        summary = _json(folder / SUMMARY, result.summary)
        reports = _reports(folder, templates, model)
        # the report's content let go before this process takes feedback beside the other
        # (the peak of the two together): 140 MB at 20,000 units, given back to the system
        del model
        heap.release()
        lap("render")
        mine = _feedback(result, targets, shares, folder, templates, report_date)  # what is left
    except BaseException:
        beside(False)
        raise
    done: _Beside = beside()
    sent = [done.sent.get(i) or mine[i] for i in range(len(targets))]  # in the targets' order
    files = [f for s in sent for f in (s.workbook, s.draft)]
    written = [summary, source, *reports, *files, folder / MASTER]
    notes = [*result.staff_notes, *_feedback_notes(targets, sent)]
    digests = {folder / MASTER: done.master, **{f: d for s in sent for f, d in s.digests.items()}}
    written = seal(folder, written, manifest(result, report_date, notes), digests)
    lap("write")
    return Written(written, notes)


def _beside(
    shared: Any,
    result: RunResult,
    targets: list[feedback.Feedback],
    count: int,
    folder: Path,
    templates: Path,
    report_date: dt.date,
    source: workbooks.PeriodRecords | None,
) -> _Beside:
    """The master workbook, then feedback targets until none is left (counted on ``shared``)."""
    shares = _Shares(count, shared)
    workbooks.write_master(result, folder / MASTER, source)
    master = sha256(folder / MASTER)
    return _Beside(master, _feedback(result, targets, shares, folder, templates, report_date))


def _period_records(result: RunResult, path: Path) -> workbooks.PeriodRecords | None:
    """The records as the master workbook reads them back from the period file just written
    (None: the file lacks a column the workbook shows, one workbook.yaml adds)."""
    records = result.records
    if "file" not in records or "sha256" not in records:
        return None
    hashes = dict(zip(records["file"].tolist(), records["sha256"].tolist(), strict=True))
    keys = {w: r for r, w in register.WORKBOOK_KEY.items()}
    source = workbooks.PeriodRecords(path, hashes, keys)
    return source if source.covers(workbooks.master_columns(result.config)) else None


def _slim(
    result: RunResult, targets: list[feedback.Feedback], source: workbooks.PeriodRecords | None
) -> tuple[RunResult, list[feedback.Feedback], workbooks.PeriodRecords | None]:
    """What the process beside the run is sent: the result without what it does not read (the
    records, when read back from the period file; the units' statuses; of a file no feedback
    is for, what only the report and the manifest read)."""
    kept = {o for t in targets for o in t.outcomes}  # (an outcome hashes as the object it is)
    outcomes = [
        o
        if o in kept
        else replace(
            o,
            identification={},
            assessment={},
            contact={},
            seconds={},
            tables=o.tables if o.rows else [],  # its sheets: read only for rows shown again
        )
        for o in result.outcomes
    ]
    records = result.records.iloc[:0] if source else result.records
    return replace(result, records=records, statuses=[], outcomes=outcomes), targets, source


def seal(
    folder: Path, written: list[Path], record: dict[str, Any], digests: dict[Path, str] | None = None
) -> list[Path]:
    """The manifest (``record`` with every output and its SHA-256) and SHA256SUMS (every output,
    the manifest included) of a folder of outputs; returns every file, these two last.
    ``digests``: the SHA-256 of outputs already known (hashed as they were written)."""
    known = dict(digests or {})
    for path in written:
        if path not in known:
            known[path] = sha256(path)
    record["outputs"] = [{"path": p.relative_to(folder).as_posix(), "sha256": known[p]} for p in written]
    written = [*written, _json(folder / MANIFEST, record)]
    known[folder / MANIFEST] = sha256(folder / MANIFEST)
    lines = [f"{known[p]}  {p.relative_to(folder).as_posix()}\n" for p in written]
    (folder / CHECKSUMS).write_text("".join(lines), encoding="utf-8")
    return [*written, folder / CHECKSUMS]


def _reports(folder: Path, templates: Path, model: dict[str, Any]) -> list[Path]:
    report.write_html(templates, model, folder / REPORT_HTML)
    report.render_docx(templates, model, folder / REPORT_DOCX)
    return [folder / REPORT_HTML, folder / REPORT_DOCX]


def _feedback(
    result: RunResult,
    targets: list[feedback.Feedback],
    shares: _Shares,
    folder: Path,
    templates: Path,
    report_date: dt.date,
) -> dict[int, _Sent]:
    """A workbook and a ready-to-send draft for each unit (or unknown sender) with problems,
    for the targets this process takes from ``shares``, by their index."""
    sent: dict[int, _Sent] = {}
    while (index := shares.take()) is not None:
        target = targets[index]
        path = folder / FEEDBACK / target.name
        feedback.write(result, target, path, report_date)
        draft = path.with_suffix(".eml")
        data, attached = feedback.email(result, target, path, templates, report_date)
        draft.write_bytes(data)
        digests = {path: sha256(path), draft: hashlib.sha256(data).hexdigest()}
        sent[index] = _Sent(path, draft, digests, attached)
        if not gc.isenabled():  # a process beside the run: a workbook's cycles freed as it is done
            gc.collect(1)  # (not collected, 155 workbooks held 50 MB more at 2,000 units)
    return sent


def _feedback_notes(targets: list[feedback.Feedback], sent: list[_Sent]) -> list[str]:
    """For staff: the drafts that could not carry their workbook, those sent to the address a
    unit sent from, and those with no address yet (each list in the targets' order)."""
    nowhere, from_sender, too_big = [], [], []
    for target, done in zip(targets, sent, strict=True):
        if not done.attached:  # once per draft: its own file to send another way
            too_big.append(f"{FEEDBACK}/{done.workbook.name}")
        if not target.recipients:  # a unit by its name, a file of no known unit by its draft
            where = f"{FEEDBACK}/{done.draft.name}"
            nowhere.append(where if target.unknown else f"{target.title} ({where})")
        elif target.sender:
            from_sender.append(f"{target.title} ({target.sender})")
    notes = []
    if too_big:
        notes.append(
            f"{len(too_big)} tệp phản hồi quá lớn để gửi kèm thư nên thư không đính kèm: "
            f"{', '.join(too_big)}. Gửi các tệp này cho đơn vị theo cách khác (ổ chia sẻ, đĩa, chia nhỏ)."
        )
    if from_sender:  # once for all the drafts, not once per draft
        notes.append(
            f"Thư phản hồi cho {len(from_sender)} đơn vị chưa đăng ký địa chỉ thư đã gửi đến địa chỉ "
            f"đơn vị dùng để gửi báo cáo: {', '.join(from_sender)}. Nên bổ sung các địa chỉ này "
            "vào mục emails của đơn vị trong danh sách đơn vị (units.yaml)."
        )
    if nowhere:
        notes.append(
            f"{len(nowhere)} thư chưa có địa chỉ người nhận (chưa đăng ký địa chỉ, báo cáo không "
            f'gửi qua thư): {", ".join(nowhere)}. Điền ô "Đến" trước khi gửi.'
        )
    return notes


def _register_source(result: RunResult, folder: Path, chunk: int = 5000) -> Path:
    """The period's accepted records with their codes: what the register is built from."""
    records = result.records
    floats = [i for i, c in enumerate(register.COLUMNS) if c in records and records[c].dtype.kind == "f"]
    names = {u.code: u.name for u in result.config.units}

    def rows() -> Any:
        for start in range(0, len(records), chunk):  # a slice at a time: little memory
            part = records.iloc[start : start + chunk]
            keys = (
                part["name_key"].tolist()
                if "name_key" in part
                else [loose_key(n) for n in part["name"].tolist()]
            )
            columns = {
                "name_key": keys,
                "unit_name": [names.get(u, u) for u in part["unit"].tolist()],  # who the code meant
            }
            values = [
                columns[c] if c in columns else part[k].tolist() if k in part else [None] * len(part)
                for c in register.COLUMNS
                for k in [register.WORKBOOK_KEY.get(c, c)]
            ]  # every column the register keeps; one the workbook lacks, empty
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
        "program": program(),
        "run": {
            "year": result.year,
            "period": result.period,
            "deadline": result.deadline.isoformat(),
            "report_date": report_date.isoformat(),
            **result.options,
        },
        "schemas": result.config.hashes,
        "registry": {  # the unit list this run used
            "file": str(result.config.units_file.resolve()),
            "origin": result.config.units_origin or None,
            "units": len(result.config.units),
        },
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
        # program's own outputs): never hashed nor opened; or by their SHA-256, taken in by an
        # earlier period (its folder in ``earlier``): never opened
        "ignored": [_ignored(i) for i in result.ignored],
    }


def program() -> dict[str, Any]:
    """What produced a folder of outputs: this program's version, Python's, the libraries'."""
    return {
        "name": "dienhinh-aggregator",
        "version": __version__,
        "python": platform.python_version(),
        "libraries": _versions(),
    }


def _ignored(entry: Ignored) -> dict[str, Any]:
    listed: dict[str, Any] = {"path": entry.relative, "status": "ignored", "reason": entry.reason}
    if entry.sha256:
        listed.update(sha256=entry.sha256, size=entry.size, earlier=entry.earlier)
    return listed


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
        # left_out: the sheet rows under the header that are no rows (totals, a signature block)
        "sheets": [
            {"name": t.sheet, "header_row": t.header_row, "rows": t.count, "left_out": t.left_out}
            for t in outcome.tables
        ],
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


def seal_later(folder: Path, part: str, started: dt.datetime) -> str | None:
    """A run's folder given files after the run (``part``, e.g. the reminders of ``remind``):
    SHA256SUMS lists them too, in place of that part's earlier lines, and the run log records
    the new SHA256SUMS hash beside the manifest's, so ``verify`` holds the part to them.
    Returns the new hash (None: no run in this folder, nothing to seal). Call it holding the
    outbox lock."""
    sums, manifest = folder / CHECKSUMS, folder / MANIFEST
    for leftover in folder.glob(f".{CHECKSUMS}.dang-ghi-*"):  # a killed remind's
        leftover.unlink(missing_ok=True)
    if not (sums.is_file() and manifest.is_file()):
        return None
    kept = [
        line
        for line in sums.read_text(encoding="utf-8").splitlines(keepends=True)
        if not line.partition("  ")[2].startswith(f"{part}/")
    ]
    added = sorted(p for p in (folder / part).rglob("*") if p.is_file() and not p.is_symlink())
    kept += [f"{sha256(p)}  {p.relative_to(folder).as_posix()}\n" for p in added]
    temporary = folder / f".{CHECKSUMS}.dang-ghi-{os.getpid()}"
    temporary.write_text("".join(kept), encoding="utf-8")
    digest = sha256(temporary)
    record = json.loads(manifest.read_text(encoding="utf-8"))["run"]
    swap.append_log(
        folder.parent,
        {
            "event": part,
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "folder": folder.name,
            "year": record["year"],
            "period": record["period"],
            "manifest_sha256": sha256(manifest),
            "sums_sha256": digest,
        },
    )  # logged first: killed before the rename, the old SHA256SUMS is still a logged one
    os.replace(temporary, sums)
    return digest
