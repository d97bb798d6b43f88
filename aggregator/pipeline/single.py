"""Single files read exactly as the run reads them: the ``check`` command's library half.

A saved email gives its attachments, a folder every file in it, each through the same listing
(``run.collect``) and the same per-file stages (``files.FileProcessor``), so ``check`` and the
run always agree. With a register (read as it is, never written), each file's model codes and
cross-period checks are applied as the run applies them to the unit's file in use.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from aggregator.config import Config
from aggregator.merging.continuity import assign
from aggregator.merging.register import OtherPeriods
from aggregator.model import FileOutcome, FileStatus, Submission, UnitStatus
from aggregator.pipeline import workers
from aggregator.pipeline.files import FileProcessor
from aggregator.pipeline.run import collect, earlier_inputs, file_times_tell

NOT_FOUND, EMPTY_FOLDER = "not_found", "empty_folder"


@dataclass
class Checked:
    """One entry of what was asked to be checked, in the order it was found.

    ``kind``: ``NOT_FOUND`` (no such path), ``EMPTY_FOLDER``, ``FileStatus.IGNORED`` for an
    entry left alone by its name (``reason``), else the file's ``outcome`` (a saved email that
    is unreadable or holds nothing has one too, its problem saying which).
    """

    name: str  # as staff gave it: the path, or the folder joined with the entry's own path
    kind: str
    outcome: FileOutcome | None = None
    reason: str = ""


def check(
    config: Config,
    paths: list[Path],
    year: int,
    period: str,
    other_periods: OtherPeriods,
    outbox: Path | None = None,
) -> Iterator[Checked]:
    """Every entry of every path, each read and judged as the run would (a folder's ``outbox``,
    if it holds it, left alone as the run leaves it)."""
    processor = FileProcessor(config, year, period)
    own = outbox.resolve() if outbox is not None else None  # compared with the resolved folders
    seen = earlier_inputs(outbox, year, period)  # left alone as the run leaves them
    with tempfile.TemporaryDirectory(prefix="dienhinh-") as workdir:
        for n, path in enumerate(paths):
            if not path.exists():
                yield Checked(str(path), NOT_FOUND)
                continue
            base = path.resolve() if path.is_dir() else path.resolve().parent
            folder = Path(workdir) / f"{n:05d}"
            folder.mkdir()
            items, emails, ignored = collect(
                base, folder, config, own, paths=None if path.is_dir() else [path.resolve()], seen=seen
            )
            # a folder copied whole says nothing by its files' times, for check as for the run
            reading = processor.telling(file_times_tell(items))
            if not items and not emails and not ignored:
                yield Checked(str(path), EMPTY_FOLDER)
            shown = _shown(path)
            for left in ignored:
                yield Checked(shown(left.relative), FileStatus.IGNORED, reason=left.reason)
            for outcome in workers.process_all(items, reading.process, config.limits):
                outcome = against_register(outcome, other_periods, config)
                yield Checked(shown(outcome.candidate.relative), outcome.status, outcome)


def _shown(path: Path) -> Callable[[str], str]:
    """An entry's name as staff gave the path: the folder joined with it, or the file's own."""
    if path.is_dir():
        return lambda relative: str(path / relative)
    return lambda relative: str(path) + relative[len(path.name) :]


def against_register(outcome: FileOutcome, other_periods: OtherPeriods, config: Config) -> FileOutcome:
    """One file checked against the register as if it were its unit's file in use: codes,
    cross-period warnings, models not reported again (no other period: nothing to check)."""
    if not other_periods.others or outcome.status == FileStatus.IGNORED or outcome.unit is None:
        return outcome
    unit = config.unit(outcome.unit)
    status = UnitStatus(
        code=unit.code,
        name=unit.name,
        group=unit.group,
        quota=unit.quota,
        status=Submission.ON_TIME,
        used=outcome,
        files=[outcome],
    )
    return assign([outcome], [status], other_periods, config)[0][0]
