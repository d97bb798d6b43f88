"""The December job as library calls: ``run`` does the whole job, ``aggregate`` the stages.

``run`` = the register brought up to date → ``aggregate`` → rendering and writing into a
temporary folder swapped in whole (``outbox.swap``) → the register updated → one line in the
run log. ``aggregate`` = intake → each file's stages → merge → continuity → summarise, and
returns data. The command line only parses arguments, says the outcome in Vietnamese and
chooses the exit code.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from aggregator import hashing, heap
from aggregator.config import Config
from aggregator.intake import discover, gather
from aggregator.merging import continuity, register
from aggregator.merging.register import DB_NAME, PERIOD_RANK, OtherPeriods
from aggregator.model import (
    SAMPLE_MARKER,
    FileOutcome,
    Ignored,
    Period,
    RunResult,
    SavedEmail,
    UnitStatus,
)
from aggregator.outbox import swap
from aggregator.pipeline import workers
from aggregator.pipeline.files import FileProcessor

log = logging.getLogger("aggregator")

# wraps the outcomes as they come, given how many are coming (a progress bar, or nothing)
Progress = Callable[[Iterable[FileOutcome], int], Iterable[FileOutcome]]


@dataclass
class Published:
    """A finished run: the folder its outputs are in, what it found, and what staff must know
    that is no output of its own (the register could not be updated)."""

    folder: Path
    result: RunResult
    warnings: list[str] = field(default_factory=list)
    staff_notes: list[str] = field(default_factory=list)  # what to do before signing and sending


def run(
    config: Config,
    inbox: Path,
    outbox: Path,
    year: int,
    period: str,
    templates: Path,
    report_date: dt.date,
    *,
    jobs: int = 1,
    progress: Progress = lambda outcomes, total: outcomes,
) -> Published:
    """The whole December job: inbox in, the period's folder of outputs out.

    Raises ``swap.OutboxBusy`` when another run holds the outbox.
    """
    # the renderers imported here, not with the package: a spawned reading worker needs none
    from aggregator.outbox import write as outputs
    from aggregator.rendering import report

    started = dt.datetime.now().astimezone()
    beside = outputs.beside()  # forked now, while the run is small; ended when dropped (a failed run)
    other_periods, warnings = other_periods_of(outbox, year, period, sync=True)
    with swap.scratch(outbox) as scratch:
        result = aggregate(
            config,
            inbox,
            year,
            period,
            progress,
            jobs,
            outbox=outbox,
            scratch=scratch,
            as_of=report_date,
            other_periods=other_periods,
            late_stays_late=True,
        )
    options = {
        "inbox": str(inbox.resolve()),
        "outbox": str(outbox.resolve()),
        "schemas": str(config.folder.resolve()),
        "templates": str(templates.resolve()),
    }
    result = replace(result, options=options)  # what the run was given, for the manifest
    previous = report.previous_summary(outbox, swap.folder_name(year - 1, period))
    notes: list[str] = []

    def write(tmp: Path, lap: Callable[[str], None]) -> None:
        notes.extend(outputs.write(result, tmp, templates, report_date, previous, lap, beside).staff_notes)
        _log_run(outbox, started, tmp, swap.folder_name(year, period), result.summary)  # before its name

    folder, said = publish(outbox, year, period, write)
    warnings.extend(w for w in said if w not in warnings)
    return Published(folder, result, warnings, notes)


def publish(
    outbox: Path, year: int, period: str, write: Callable[[Path, Callable[[str], None]], object]
) -> tuple[Path, list[str]]:
    """The period's outputs, written by ``write(folder, lap)`` into the run's temporary folder,
    swapped in whole (``swap.publish``), and the register brought up to date with them: made
    ready while they are written (from ``lap("period")``: the period file is written then),
    swapped in after. Returns the period's folder and what staff must know of the register."""
    name = swap.folder_name(year, period)
    ahead = register.Ahead(outbox, (year, period), name)
    said: list[str] = []

    def build(tmp: Path) -> None:
        def lap(stage: str) -> None:
            if stage == "period":
                ahead.start(tmp / register.PERIOD_FILE)

        write(tmp, lap)
        ahead.wait()  # its period file closed before the folder is renamed

    try:
        folder = swap.publish(outbox, name, build, after=lambda: said.extend(_sync_published(outbox, ahead)))
    finally:
        ahead.discard()
    return folder, said


def other_periods_of(
    outbox: Path | None, year: int, period: str, sync: bool = False
) -> tuple[OtherPeriods, list[str]]:
    """The register of earlier periods, brought up to date with the period folders first
    (``sync``, holding the outbox lock) or read as it is; without an outbox, codes as typed.
    With it, what staff must know (a damaged register: the files are read alone)."""
    if outbox is None:
        return OtherPeriods(year, period, checks_codes=False), []
    if sync:
        with swap.locked(outbox):
            path, notices = register.refresh(outbox)
        return register.other_periods(path, year, period), notices
    if not register.period_folders(outbox):  # nothing to judge typed codes by: taken as typed
        return OtherPeriods(year, period, checks_codes=False), []
    try:  # read as it is when it matches the period folders, else from them (nothing written)
        path, notices = register.refresh(outbox, write=False)
        return register.other_periods(path, year, period), notices
    except (OSError, sqlite3.Error):  # unreadable folders: the files are still read, alone
        return OtherPeriods(year, period, checks_codes=False), [
            f"Không đọc được sổ theo dõi mô hình {outbox / DB_NAME}: không đối chiếu mã mô hình "
            f'và các kỳ trước. Dựng lại sổ bằng lệnh "python aggregate.py register rebuild --outbox '
            f'{outbox}".'
        ]


CONTAINED = " › "  # between a saved email's (or zip's) path and a file it holds, in a manifest


def earlier_inputs(outbox: Path | None, year: int, period: str) -> discover.Seen:
    """What the period folders of the outbox before this period took in: the SHA-256 of every
    entry their manifests list (files, saved emails and zips, and entries they left alone as
    taken in before them). Archived runs (``luu-tru/``) are not asked, nor this period's own
    folder: a re-run reads its files again, and what it read as its own stays its own. A file
    an earlier period read as a later period's (an earlier year re-run after this year's files
    came in) is not that period's, nor is the email or zip it came in. A damaged manifest is
    said to staff and passed over: its files are read as new."""
    periods: dict[str, tuple[str, str]] = {}
    sizes: set[int] = set()
    now = register.rank(year, period)
    listing = sorted(outbox.iterdir()) if outbox is not None and outbox.is_dir() else []
    folders = [
        (when, f) for f in listing if (when := register.period_of(f.name)) and register.rank(*when) < now
    ]
    for when, folder in sorted(folders, key=lambda found: register.rank(*found[0])):
        if not (folder / swap.MANIFEST).is_file():
            continue  # no run there (a reminders folder alone has no manifest)
        try:
            listed = _listed(folder / swap.MANIFEST, when)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            log.warning(
                "Tệp %s bị hỏng, không đọc được: các tệp đã tổng hợp ở kỳ đó (nếu còn trong "
                'inbox) được đọc lại như tệp mới. Chạy lại kỳ đó ("python aggregate.py --year '
                '%s%s") để ghi lại tệp này.',
                folder / swap.MANIFEST,
                when[0],
                " --period half_year" if when[1] == Period.HALF_YEAR else "",
            )
            continue
        for digest, size, first in listed:
            first_when = register.period_of(first) if first else None
            source = (first, first_when) if first and first_when else (folder.name, when)
            periods.setdefault(digest, (source[0], _in_words(*source[1])))
            sizes.add(size)
    own = outbox / swap.folder_name(year, period) / swap.MANIFEST if outbox is not None else None
    if periods and own is not None and own.is_file():
        try:
            for digest, _, first in _listed(own, (year, period)):
                if first is None:
                    periods.pop(digest, None)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # this period's own record, about to be written again
    return discover.Seen(periods, frozenset(sizes))


def _in_words(year: int, period: str) -> str:
    return f"kỳ {'6 tháng ' if period == Period.HALF_YEAR else ''}năm {year}"


def _listed(path: Path, when: tuple[int, str]) -> list[tuple[str, int, str | None]]:
    """Each entry a manifest's period took in: its SHA-256, its size, and the earlier period
    folder that first took it in when the manifest left it alone as such (else None). Files it
    read as a later period's, and their emails and zips, are not its own."""
    data = json.loads(path.read_text(encoding="utf-8"))
    files, emails, ignored = data["files"], data.get("emails", []), data.get("ignored", [])
    later = set()
    for entry in files:
        year, its = entry.get("year"), entry.get("period")
        if isinstance(year, int) and register.rank(
            year, its if its in PERIOD_RANK else when[1]
        ) > register.rank(*when):
            later.add(entry["path"].split(CONTAINED)[0])  # the inbox entry it came in
    listed = []
    for entry in [*files, *emails, *ignored]:
        digest, size, earlier = entry.get("sha256"), entry.get("size"), entry.get("earlier")
        if entry["path"].split(CONTAINED)[0] in later:
            continue
        if isinstance(digest, str) and len(digest) == 64 and isinstance(size, int) and size > 0:
            listed.append((digest, size, earlier if isinstance(earlier, str) else None))
        # (else refused on sight, never hashed, or left alone by its name; or empty: every empty
        # file is the same, and one sent this year is refused as empty, as always)
    return listed


def _sync_published(outbox: Path, ahead: register.Ahead | None = None) -> list[str]:
    """The register brought up to date with a run just published: the one made ready ``ahead``
    when every period file is what it was made from, else refreshed from the period folders.
    It is only a cache of them: a failure here costs no output, and staff are told how to
    rebuild it."""
    try:
        if ahead is not None and ahead.swap_in():
            return []
        return register.refresh(outbox)[1]
    except (OSError, sqlite3.Error) as exc:
        return [
            f"Lưu ý: chưa cập nhật được sổ theo dõi mô hình ({type(exc).__name__}); kết quả "
            f"kỳ này đã ghi đầy đủ. Chạy: python aggregate.py register rebuild --outbox "
            f"{outbox}"
        ]


def _log_run(outbox: Path, started: dt.datetime, folder: Path, name: str, summary: dict) -> None:
    """One line per finished run: the only place that holds clock time, and the hashes of the
    manifest and SHA256SUMS that ``verify`` holds the folder to."""
    swap.append_log(
        outbox,
        {
            "started": started.isoformat(timespec="seconds"),
            "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "folder": name,
            "year": summary["year"],
            "period": summary["period"],
            "models": summary["totals"]["models"],
            "files": summary["files"],
            "manifest_sha256": hashing.sha256(folder / swap.MANIFEST),
            "sums_sha256": hashing.sha256(folder / swap.CHECKSUMS),
        },
    )


def aggregate(
    config: Config,
    inbox: Path,
    year: int,
    period: str,
    progress: Progress = lambda outcomes, total: outcomes,
    jobs: int = 1,
    lap: Callable[[str], None] = lambda stage: None,
    outbox: Path | None = None,
    scratch: Path | None = None,
    as_of: dt.date | None = None,
    other_periods: OtherPeriods | None = None,
    late_stays_late: bool = False,
) -> RunResult:
    """The stages on the whole inbox for one year and period, and what they found (nothing is
    written: ``run`` writes).

    Stages: intake (``collect``) → each file's stages (``files.FileProcessor``, in worker
    processes) → merge (fates and unit statuses) → continuity (model codes, the register) →
    summarise.

    ``jobs`` processes read files side by side; the result is the same for any number.
    ``lap`` is told as each stage ends: discover, read (and validate), merge, summarise.
    ``outbox``, when it is inside the inbox (or is it), is never read as input. Attachments
    are unpacked into ``scratch`` (the run's own temporary folder), else a system one.
    ``as_of`` is the run's report date: no file counts as received after it, unless that
    would make a file received after the deadline on time (``late_stays_late``: the report's
    run; a file received after ``as_of`` is warned of either way).
    ``other_periods`` is the register of earlier periods (none: every model counts as new).
    With an ``outbox``, the inbox entries its earlier periods took in are left alone
    (``gather.collect``): one inbox serves every year.
    """
    from aggregator.merging import merge, summarise  # (pandas: the run's, never a worker's)

    seen = earlier_inputs(outbox, year, period)
    with tempfile.TemporaryDirectory(prefix="dienhinh-", dir=scratch) as workdir:
        items, emails, ignored = collect(inbox, Path(workdir), config, outbox, seen=seen)
        processor = FileProcessor(config, year, period, as_of, late_stays_late, file_times_tell(items))
        lap("discover")
        read = workers.process_all(items, processor.process, config.limits, jobs)
        outcomes = list(progress(read, len(items)))
        # what only reading needs let go before merging builds its own (the units' names index,
        # the entries as sent: each outcome holds its own copy), so merging takes their place
        del read, processor, items, seen
        lap("read")
    deadline = config.deadline(year, period)
    outcomes, statuses = merge.resolve(outcomes, config, deadline)
    other_periods = (other_periods or OtherPeriods(year, period)).with_units(
        config.units
    )  # whose each record is
    tally = continuity.Tally(other_periods, config.codes, config.report.list_limit)
    merged = merge.AcceptedRecords(config)

    def merge_unit(status: UnitStatus) -> UnitStatus:  # its records merged, its rows let go
        merged.add(status)
        return compacted_unit(status)

    outcomes, statuses = continuity.assign(
        outcomes, statuses, other_periods, config, tally, merge_unit
    )  # a unit at a time
    records = merged.frame()
    comparison = tally.result(statuses)
    outcomes, statuses = compacted(outcomes, statuses)
    lap("merge")
    summary = summarise.build(
        config,
        year,
        period,
        statuses,
        outcomes,
        records,
        ignored=len(ignored),
        continuity=comparison.summary,
        earlier=other_periods.earlier_years(summarise.asked_of_earlier_years(records)),
    )
    lap("summarise")
    heap.release()  # what merging built and let go (the frame's columns), before anything forks
    return RunResult(
        config=config,
        year=year,
        period=Period(period),
        deadline=deadline,
        outcomes=outcomes,
        statuses=statuses,
        records=records,
        summary=summary,
        staff_notes=[
            *summarise.staff_notes(config, outcomes),
            *continuity.staff_notes(other_periods, config),
        ],
        emails=emails,
        ignored=ignored,
        sample=any(i.relative == SAMPLE_MARKER for i in ignored),
        other_periods=other_periods,
        comparison=comparison,
    )


def compacted(
    outcomes: list[FileOutcome], statuses: list[UnitStatus]
) -> tuple[list[FileOutcome], list[UnitStatus]]:
    """The outcomes once merged, without the parsed rows no output shows again, in their order,
    and the unit statuses holding those same outcomes (what is given is left as it was)."""
    small = [o.compacted() for o in outcomes]
    same = dict(zip(outcomes, small, strict=True))  # each file's compacted self, by the file itself
    return small, [
        replace(s, used=None if s.used is None else same[s.used], files=[same[f] for f in s.files])
        for s in statuses
    ]


def compacted_unit(status: UnitStatus) -> UnitStatus:
    """The unit with its file in use compacted (``FileOutcome.compacted``), in ``files`` too."""
    used = status.used
    if used is None or (small := used.compacted()) is used:
        return status
    return replace(status, used=small, files=[small if f is used else f for f in status.files])


def collect(
    inbox: Path,
    workdir: Path,
    config: Config,
    outbox: Path | None = None,
    paths: list[Path] | None = None,
    seen: discover.Seen | None = None,
) -> tuple[list[workers.Item], list[SavedEmail], list[Ignored]]:
    """Every entry to read, in inbox order: saved emails and zips give what they hold in their
    place; entries refused on sight come as candidates, so every entry has a fate.

    ``paths`` (entries below ``inbox``) instead of the whole inbox: ``check`` reads single files
    the way the run reads them, so the two always agree. ``seen``: what earlier periods took
    in (``earlier_inputs``), left alone.
    """
    skip = _own_outputs(inbox, outbox)
    return gather.collect(inbox, workdir, config.limits, config.board_zone, skip, paths, seen)


file_times_tell = gather.file_times_tell


def _own_outputs(inbox: Path, outbox: Path | None) -> tuple[Path, ...]:
    """The folders of this program's outputs found in the inbox: never read as input."""
    return swap.own_outputs(inbox, outbox)
