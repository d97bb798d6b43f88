"""The checks of one unit's rows against the register: typed codes, cross-period warnings and
close names, each said as a problem at its cell (continuity's ``Checker``).

The checker changes none of the rows it is given: what it decides is its own, by the row's
place in the file (``rejected``, ``set_aside``), and ``continuity`` builds the file's new rows
from it.
"""

from __future__ import annotations

from typing import Any

from aggregator import problems
from aggregator.config import Config
from aggregator.merging import continuity_names as names
from aggregator.merging.register_reading import OtherPeriods, UnitRecords
from aggregator.model import FileOutcome, Record, UnitStatus
from aggregator.periods import in_words
from aggregator.problems import Problem, ProblemCode, Severity
from aggregator.text import column_letter, loose_key, nfc


def normalise_code(value: Any) -> str:
    return nfc(value).lower().replace(" ", "") if value is not None else ""


def key_of(row: Record) -> str:
    """The row's name matching key, as the validator computed it (else computed here)."""
    return row.name_key or loose_key(row.name)


class Checker:
    """The checks of one unit's rows against the register, collecting problems."""

    def __init__(
        self,
        status: UnitStatus,
        used: FileOutcome,
        other_periods: OtherPeriods,
        mine: UnitRecords,
        config: Config,
    ):
        self.status, self.other_periods, self.mine, self.config = status, other_periods, mine, config
        self.outcome = used
        self.found: list[Problem] = []
        self.labels = {c.code: c.label for c in config.column("stage").choices}
        self.comparisons = 0  # of two texts, for close spellings: at most COMPARISONS_PER_FILE
        # by the row's place in the file: rows rejected for their code, and rows whose code was
        # said but not taken (the row taken by its name)
        self.rejected: set[int] = set()
        self.set_aside: dict[int, str] = {}

    def _problem(self, code: ProblemCode, row: Record, key: str, value: Any = "", **params: Any) -> bool:
        """Add a problem at the row's cell; True when it rejects the row."""
        severity = self.config.rules.get(code) or code.severity
        if severity == "off":
            return False
        columns = next((t.columns for t in self.outcome.tables if t.sheet == row.sheet), {})
        cell = f"{row.sheet}!{column_letter(columns[key])}{row.row}" if key in columns else ""
        self.found.append(
            problems.make(
                code,
                severity=severity,
                file=self.outcome.candidate.relative,
                sheet=row.sheet,
                cell=cell,
                row=row.row,
                column=self.config.column(key).header,
                value=value,
                **params,
            )
        )
        return severity == Severity.ERROR

    def typed(self, at: int, row: Record, code: str, claimed: dict[str, Record]) -> bool:
        """A typed code judged: True when the row takes it; else the row is rejected for it, or
        its code set aside (said, and the row taken by its name)."""
        mine = code in self.mine.codes
        owner = None if mine else self.other_periods.owner(code)
        failed: tuple[ProblemCode, dict[str, Any]] | None = None
        if mine or (owner is None and not self.other_periods.checks_codes):
            pass  # its own (or, with no register at hand, taken as typed)
        elif owner is None:
            failed = (ProblemCode.MODEL_CODE_UNKNOWN, {})
        elif owner.code is None:  # a unit no longer in the registry (its code now another's)
            failed = (ProblemCode.MODEL_CODE_OTHER_UNIT, {"owner": f"{owner.name} (đơn vị trước đây)"})
        elif owner.code != self.status.code:
            failed = (ProblemCode.MODEL_CODE_OTHER_UNIT, {"owner": owner.name})
        if failed is None and code in claimed:
            failed = (ProblemCode.MODEL_CODE_DUPLICATE, {"first_row": claimed[code].row})
        if failed is None and mine:
            failed = self._conflict(row, code)
        if failed is None:
            return True
        if self._problem(failed[0], row, "model_code", row.model_code, **failed[1]):
            self.rejected.add(at)
        else:
            self.set_aside[at] = code
        return False

    def _conflict(self, row: Record, code: str) -> tuple[ProblemCode, dict[str, Any]] | None:
        """A code is not a licence: a row whose code's model has another field and another
        name, or whose field and name are another model's of the unit, is not that model (a
        list sorted without its code column, a code copied onto the wrong row)."""
        earlier = self.mine.nearest.get(code)
        if earlier is None or not isinstance(row.field, int) or not isinstance(row.name, str):
            return None
        key = key_of(row)
        other = self.mine.by_key.get((row.field, key))
        if other is not None and other != code:
            said = f", tên và lĩnh vực của mô hình mã {other}"
        elif earlier.field != row.field and key != earlier.name_key and not self.near(key, earlier.name_key):
            said = ""
        else:
            return None
        return (
            ProblemCode.MODEL_CODE_CONFLICT,
            {
                "before": earlier.name,
                "before_field": earlier.field,
                "against": in_words(earlier.year, earlier.period),
                "name": row.name,
                "field": row.field,
                "other": said,
            },
        )

    def near(self, a: str, b: str) -> bool:
        """Two texts at most two letters apart, counted against the file's budget (a text over
        CLOSE_MAX letters, or past the budget: not near)."""
        if (
            len(a) > names.CLOSE_MAX
            or len(b) > names.CLOSE_MAX
            or self.comparisons >= names.COMPARISONS_PER_FILE
        ):
            return False
        self.comparisons += 1
        return names.near(a, b)

    def first_near(self, text: str, candidates: list[str]) -> str | None:
        """The first of ``candidates`` (in their order) at most two letters off ``text``."""
        return next((c for c in candidates if abs(len(c) - len(text)) <= 2 and self.near(text, c)), None)

    def across(self, at: int, row: Record) -> None:
        """Cross-period warnings against the model's latest earlier record."""
        other_periods, mine = self.other_periods, self.mine
        code = row.model_code or ""
        earlier = mine.latest.get(code)
        if row.status == self.config.codes.new and earlier is not None:
            since = mine.first_seen.get(code, (earlier.year, earlier.period))
            self._problem(
                ProblemCode.NEW_ALREADY_REGISTERED,
                row,
                "status",
                "Đăng ký mới",
                model=code,
                since=in_words(*since),
            )
        # (a unit with no record in the register at all: nothing to say it continues)
        if (
            row.status == self.config.codes.continuing
            and earlier is None
            and mine.latest
            and at not in self.set_aside  # its code said already: one cause, one problem
        ):
            against = in_words(*other_periods.against) if other_periods.has_compared else "các kỳ trước"
            self._problem(
                ProblemCode.CONTINUING_UNMATCHED, row, "status", "Duy trì, phát huy", against=against
            )
        if earlier is None:
            return
        against = in_words(earlier.year, earlier.period)
        now_rank, then_rank = (
            self.config.codes.stage_rank(row.stage),
            self.config.codes.stage_rank(earlier.stage),
        )
        if now_rank is not None and then_rank is not None and now_rank < then_rank:
            self._problem(
                ProblemCode.STAGE_BACKWARDS,
                row,
                "stage",
                self.labels[row.stage or ""],
                against=against,
                before=self.labels.get(earlier.stage or "", earlier.stage),
            )
        now, before = row.replications, earlier.replications
        if now is not None and before is not None and now < before:
            self._problem(
                ProblemCode.REPLICATIONS_DOWN, row, "replications", now, against=against, before=before
            )
        built = row.year_built
        if built is not None and earlier.year_built is not None and built != earlier.year_built:
            self._problem(
                ProblemCode.YEAR_BUILT_CHANGED,
                row,
                "year_built",
                built,
                against=against,
                before=earlier.year_built,
            )

    def close_names(self, rows: list[Record], matched: dict[int, str]) -> None:
        """A new record whose name is one or two letters off an unmatched earlier one: said,
        never merged. Each name is compared only with the earlier names the index gives it."""
        done = set(matched.values())
        left = [e for e in self.mine.compared if e.code not in done]
        if not left:
            return
        index = names.Names(left)
        for i, row in enumerate(rows):
            if self.comparisons >= names.COMPARISONS_PER_FILE:
                break  # the file's budget spent: no further proposal
            if i in matched:
                continue
            key = key_of(row)
            entry = next((e for e in index.candidates(row.field, key) if self.near(key, e.name_key)), None)
            if entry is not None:
                self._problem(
                    ProblemCode.MODEL_NAME_CLOSE,
                    row,
                    "name",
                    row.name,
                    before=entry.name,
                    model=entry.code,
                    against=in_words(*self.other_periods.against),
                )
