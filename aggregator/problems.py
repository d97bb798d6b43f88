"""Problems as data: the ``Problem`` record, made from the catalogue's codes, and the Board's rules.

Every problem found in a file or a row becomes a ``Problem`` made by ``make`` from a
``ProblemCode`` (the catalogue, ``aggregator.problems_catalogue``: codes, severities and
Vietnamese templates); nothing stops at the first one. Tests assert on ``code``; users read
``message``. ``ProblemCode`` and ``Severity`` are imported from here, as everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from aggregator.problems_catalogue import ProblemCode, Severity, Text

__all__ = ["Problem", "ProblemCode", "Severity", "Text", "make", "with_rules"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, a row or a cell, said in Vietnamese."""

    code: ProblemCode  # made by ``make``, from the catalogue
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    staff_hint: str = ""  # for Board staff only: see ProblemCode.staff_hint
    technical: str = ""  # what failed, for an engineer (English, exception text); never shown first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


def make(
    code: ProblemCode,
    *,
    severity: Severity | str | None = None,
    file: str = "",
    sheet: str = "",
    cell: str = "",
    row: int | None = None,
    column: str = "",
    value: object = "",
    technical: str = "",
    **params: object,
) -> Problem:
    """A problem from the catalogue, its message filled from the parameters."""
    code = ProblemCode.of(code)  # (a code given by its value, as the tests may, works too)
    shown = "" if value is None else str(value)
    message = code.template.format(value=shown, column=column, sheet=sheet, **params)
    return Problem(
        code=code,
        severity=Severity(severity or code.severity),
        message=message,
        file=file,
        sheet=sheet,
        cell=cell,
        row=row,
        column=column,
        value=shown,
        staff_hint=code.staff_hint.format(value=shown, **params),
        technical=technical[:500],
    )


def with_rules(found: list[Problem], rules: Mapping[str, str]) -> list[Problem]:
    """A file's own problems at the severity the Board set in ``rules:``: "off" dropped, "error"
    rejecting the file. (A row's problems take theirs as they are made, in validate.)"""
    kept = []
    for problem in found:
        severity = rules.get(problem.code) if problem.row is None else None
        if severity == "off":
            continue
        kept.append(replace(problem, severity=Severity(severity)) if severity else problem)
    return kept
