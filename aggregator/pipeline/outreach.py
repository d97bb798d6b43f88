"""What goes out to units before the report: standard workbooks and reminders, as library calls.

Both read the register of models (brought up to date first when it can be: a run busy writing
holds the lock, and then the register is read as it is), so a unit's workbook comes back
pre-filled with its models of the latest earlier period.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aggregator.config import Config
from aggregator.merging import register
from aggregator.model import UnitStatus
from aggregator.outbox import swap
from aggregator.outbox import write as outputs
from aggregator.pipeline.run import aggregate, other_periods_of
from aggregator.rendering import drafts, template

TEMPLATES = "templates"  # outbox/templates/: the standard workbooks
REMINDERS = "nhac-nho"  # outbox/<period folder>/nhac-nho/: the reminders


@dataclass
class Templates:
    folder: Path
    written: list[Path]
    source: tuple[int, str] | None  # the latest period the workbooks are pre-filled from, if any
    models: dict[str, list[Any]]  # unit -> its models of its latest earlier period


@dataclass
class Reminders:
    folder: Path
    waiting: list[UnitStatus]  # the units reminded: nothing usable received yet
    unaddressed: list[str] = field(default_factory=list)  # units with no address at all
    # units with no registered address, written to the address their report came from
    from_sender: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # a damaged register, for staff


def templates(config: Config, outbox: Path, year: int, period: str) -> Templates:
    """One standard workbook per unit and a blank one, into ``outbox/templates``."""
    folder = outbox / TEMPLATES
    sync_register(outbox)
    source, models = register.latest_before(outbox, year, period, config.units)
    return Templates(folder, template.write_all(config, folder, year, period, models), source, models)


def reminders(
    config: Config,
    inbox: Path,
    outbox: Path,
    templates_dir: Path,
    year: int,
    period: str,
    report_date: dt.date,
    jobs: int = 1,
) -> Reminders:
    """A ready-to-send reminder for each unit with nothing usable yet, its workbook attached."""
    sync_register(outbox)
    other_periods, warnings = other_periods_of(outbox, year, period)
    with swap.scratch(outbox) as scratch:
        result = aggregate(
            config,
            inbox,
            year,
            period,
            jobs=jobs,
            outbox=outbox,
            scratch=scratch,
            other_periods=other_periods,
        )
    waiting = [u for u in result.statuses if u.waiting]
    folder = outbox / swap.folder_name(year, period) / REMINDERS
    _, models = register.latest_before(outbox, year, period, config.units)  # pre-filled
    known = earlier_senders(outbox, year, period)
    written: list[tuple[list[str], list[str]]] = []  # what the folder's build returned

    def build(target: Path) -> None:
        written.append(
            drafts.reminders(
                config,
                templates_dir,
                year,
                period,
                result.deadline,
                waiting,
                report_date,
                target,
                models,
                known,
            )
        )

    started = dt.datetime.now().astimezone()
    with swap.locked(outbox):  # a run's folder: its SHA256SUMS and the run log follow
        swap.replace_folder(folder, build)
        outputs.seal_later(folder.parent, REMINDERS, started)
    unaddressed, from_sender = written[-1]
    return Reminders(folder, waiting, unaddressed, from_sender, warnings)


def earlier_senders(outbox: Path, year: int, period: str) -> dict[str, str]:
    """The address each unit's latest report of an earlier period was mailed from, as that
    period's manifest has it: the best one to remind a unit with no registered address that
    has sent nothing yet this time. An email that carried several units' workbooks speaks for
    none; a damaged manifest gives nothing."""
    now = register.rank(year, period)
    found: dict[str, str] = {}
    earlier = [(key, f) for key, f in register.period_folders(outbox).items() if register.rank(*key) < now]
    for _, folder in sorted(earlier, key=lambda item: register.rank(*item[0])):
        try:
            files = json.loads((folder / swap.MANIFEST).read_text(encoding="utf-8"))["files"]
            units_of: dict[str, set[str]] = {}
            for f in files:
                if f.get("email") and f.get("unit"):
                    units_of.setdefault(f["email"], set()).add(f["unit"])
            for f in files:
                sender, unit = f.get("sender"), f.get("unit")
                if (
                    f.get("status") == "accepted"
                    and isinstance(unit, str)
                    and isinstance(sender, str)
                    and "@" in sender
                    and len(units_of.get(f.get("email") or "", {unit})) == 1
                ):
                    found[unit] = sender
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
    return found


def sync_register(outbox: Path) -> None:
    """The register brought up to date when there are period folders (a run busy writing
    holds the lock: then the register is read as it is)."""
    if register.period_folders(outbox):
        try:
            with swap.locked(outbox):
                register.sync(outbox)
        except swap.OutboxBusy:
            pass
