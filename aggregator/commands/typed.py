"""The typed options each handler receives: frozen records filled from the parsed arguments in one place.

Their fields are the options' ``dest`` names (``tests/test_command_table.py`` checks that each
command's record and its options in ``table`` match). The bases group what commands share.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar


@dataclass(frozen=True)
class Options:
    """What every command is given."""

    debug: bool


@dataclass(frozen=True)
class Configured(Options):
    """A command reading the settings folder."""

    schemas: Path


@dataclass(frozen=True)
class WithOutbox(Options):
    """A command writing to, or reading, the outbox (said at once if it names a file)."""

    outbox: Path


@dataclass(frozen=True)
class ForPeriod(Configured, WithOutbox):
    """A command about one period of reports."""

    year: int
    period: str


@dataclass(frozen=True)
class ReadsInbox(Options):
    """A command reading the units' files in the inbox, with worker processes."""

    inbox: Path
    jobs: int | None


@dataclass(frozen=True)
class RunOptions(ForPeriod, ReadsInbox):
    """What ``run`` is given."""

    templates: Path
    report_date: dt.date | None
    document_number: str | None
    signer: str | None
    json: bool
    to_mailbox: bool


@dataclass(frozen=True)
class TemplateOptions(ForPeriod):
    """What ``template`` is given."""


@dataclass(frozen=True)
class CheckOptions(ForPeriod):
    """What ``check`` is given."""

    files: Sequence[Path]
    json: bool


@dataclass(frozen=True)
class StatusOptions(ForPeriod, ReadsInbox):
    """What ``status`` is given."""


@dataclass(frozen=True)
class RemindOptions(ForPeriod, ReadsInbox):
    """What ``remind`` is given."""

    templates: Path
    report_date: dt.date | None
    to_mailbox: bool


@dataclass(frozen=True)
class VerifyOptions(Options):
    """What ``verify`` is given."""

    folder: Path
    inbox: Path | None
    run_log: Path | None


@dataclass(frozen=True)
class FetchOptions(Configured):
    """What ``fetch`` is given."""

    inbox: Path
    since: dt.date | None


@dataclass(frozen=True)
class RegisterOptions(ForPeriod):
    """What ``register`` is given."""

    action: str


@dataclass(frozen=True)
class RegistryOptions(Configured):
    """What ``registry`` is given."""

    action: str
    list: Path | None


@dataclass(frozen=True)
class ReviewOptions(Configured, WithOutbox):
    """What ``review`` is given."""

    year_from: int
    year_to: int
    period: str
    templates: Path
    report_date: dt.date | None
    document_number: str | None
    signer: str | None


Kind = TypeVar("Kind", bound=Options)


def given(kind: type[Kind], parsed: argparse.Namespace) -> Kind:
    """The typed options a handler receives, from the parsed arguments: the one place that reads them."""
    values = vars(parsed)
    return kind(**{f.name: values[f.name] for f in dataclasses.fields(kind)})
