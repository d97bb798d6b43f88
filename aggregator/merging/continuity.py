"""Models across periods: give every accepted record its model code, check it against the
register, and count what continued, advanced, was dropped and grew.

Runs between deciding each unit's file (``merge.resolve``) and merging the records: a bad code
rejects its row like any other error. Takes the register's ``History`` as data; never opens
the outbox.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from aggregator import problems
from aggregator.config import Config
from aggregator.merging.register import History, UnitHistory
from aggregator.model import Comparison, EarlierPeriods, Entry, FileOutcome, FileStatus, Period, UnitStatus
from aggregator.problems import Problem, ProblemCode, Severity
from aggregator.text import column_letter, loose_key, nfc

STAGE_ORDER = {"discovered": 0, "replicated": 1, "honoured": 2}


def make_code(unit: str, field: int, name_key: str, salt: int = 0) -> str:
    """A model's code: its unit's code and six letters from a hash of field and name.

    The same unit, field and name always give the same code; on the rare collision with a
    code already taken, ``salt`` counts up until the code is free.
    """
    text = f"{unit}|{field}|{name_key}|{salt}".encode()
    letters = base64.b32encode(hashlib.sha256(text).digest()).decode().lower()
    return f"{unit}-{letters[:6]}"


def normalise_code(value: Any) -> str:
    return nfc(value).lower().replace(" ", "") if value is not None else ""


def period_text(year: int, period: str) -> str:
    return f"năm {year}" if period == Period.ANNUAL else f"6 tháng {year}"


def assign(
    statuses: list[UnitStatus], history: History, config: Config, tally: Tally | None = None
) -> tuple[list[UnitStatus], dict[int, FileOutcome]]:
    """Every accepted row of every unit's file in use gets ``model_code``; bad codes reject
    their row; cross-period warnings and the models not reported again are added; ``tally``
    counts the comparison on the way (the register is read one unit at a time).

    Returns the statuses with each file in use as continued, and those files by ``id`` of the
    file as merged (the statuses and files given are left as they were).
    """
    continued: dict[int, FileOutcome] = {}
    result = []
    for status in statuses:
        used = status.used
        if used is None or used.status != FileStatus.ACCEPTED:
            result.append(status)
            continue
        now = _continue(status, used, history, config, tally)
        continued[id(used)] = now
        result.append(replace(status, used=now, files=[now if f is used else f for f in status.files]))
    return result, continued


def _continue(
    status: UnitStatus, used: FileOutcome, history: History, config: Config, tally: Tally | None
) -> FileOutcome:
    """One unit's file in use, continued: its rows with codes, its cross-period problems."""
    mine = history.unit(status.code)
    accounted = _accounted(used, mine)
    if not used.rows:
        if tally is not None:
            tally.add(status, [], mine)
        return replace(
            used, problems=[*used.problems, *_not_reported(used, history, mine, config, accounted)]
        )
    checker = _Checker(status, used, history, mine, config)
    claimed: dict[str, dict[str, Any]] = {}
    parsed = [dict(row) for row in used.rows]  # validation's rows stay as it returned them
    for row in parsed:  # typed codes first: a typed code wins over a name match
        if row["accepted"] and (code := normalise_code(row.get("model_code"))):
            checker.typed(row, code, claimed)
    for row in parsed:
        if row["accepted"] and row.get("_code") is None:
            key = (status.code, row["field"], _key(row))
            known = mine.by_key.get(key[1:])
            if known is not None and known not in claimed:
                code = known
            else:
                salt = 0
                code = make_code(*key)
                while code in mine.codes or code in claimed:
                    salt += 1
                    code = make_code(*key, salt)
            row["_code"] = code
            claimed[code] = row
    for row in parsed:
        if "_code" in row:
            row["model_code"] = row.pop("_code") if row["accepted"] else None
    rows = [r for r in parsed if r["accepted"]]
    for row in rows:
        checker.across(row)
    matched = _match(rows, mine) if history.has_compared else {}
    not_reported = []
    if history.has_compared:
        checker.close_names(rows, matched)
        not_reported = _not_reported(used, history, mine, config, set(matched.values()) | accounted)
    if tally is not None:
        tally.add(status, rows, mine, matched)
    return replace(
        used,
        rows=parsed,  # the file's rows now: with codes, and bad codes rejected
        rows_read=len(parsed),
        rows_valid=len(rows),
        problems=[*used.problems, *not_reported, *checker.found],
    )


def _accounted(used: Any, mine: UnitHistory) -> set[str]:
    """Codes of the compared period's models that this file speaks of although no accepted row
    continues them: a row emptied to its code (the unit says the model stopped), or a row
    rejected with its own reason. Neither is asked about again as "not reported"."""
    compared = {e.code for e in mine.compared}
    by_key = {(e.field, e.name_key): e.code for e in mine.compared}
    found = {code for t in used.tables for c in t.stopped if (code := normalise_code(c)) in compared}
    for row in used.rows or []:
        if row["accepted"]:
            continue
        code = normalise_code(row.get("model_code"))
        if code in compared:
            found.add(code)
        elif (
            isinstance(row.get("field"), int)
            and isinstance(row.get("name"), str)
            and (known := by_key.get((row["field"], _key(row)))) is not None
        ):
            found.add(known)
    return found


def _key(row: dict[str, Any]) -> str:
    """The row's name matching key, as the validator computed it (else computed here)."""
    return row.get("name_key") or loose_key(row["name"])


def _match(rows: list[dict[str, Any]], mine: UnitHistory) -> dict[int, str]:
    """Row index -> code of the compared record it continues: by code, else by name key."""
    by_code = {e.code: e for e in mine.compared}
    matched: dict[int, str] = {}
    used: set[str] = set()
    for i, row in enumerate(rows):
        if row["model_code"] in by_code:
            matched[i] = row["model_code"]
            used.add(row["model_code"])
    by_key: dict[tuple[int, str], str] = {}
    for e in mine.compared:
        if e.code not in used:
            by_key.setdefault((e.field, e.name_key), e.code)
    for i, row in enumerate(rows):
        if i in matched:
            continue
        code = by_key.pop((row["field"], _key(row)), None)
        if code is not None:
            matched[i] = code
    return matched


def _not_reported(
    used: FileOutcome, history: History, mine: UnitHistory, config: Config, continued: set[str]
) -> list[Problem]:
    """A file-level warning for each model of the compared period this unit did not report."""
    severity = config.rules.get(ProblemCode.MODEL_NOT_REPORTED)
    if severity == "off" or not history.has_compared:
        return []
    against = period_text(*history.against)
    return [
        problems.make(
            ProblemCode.MODEL_NOT_REPORTED,
            severity=severity,
            file=used.candidate.relative,
            value=entry.name,
            model=entry.code,
            field=entry.field,
            against=against,
        )
        for entry in mine.compared
        if entry.code not in continued
    ]


class _Checker:
    """The checks of one unit's rows against the register, collecting problems."""

    def __init__(
        self, status: UnitStatus, used: FileOutcome, history: History, mine: UnitHistory, config: Config
    ):
        self.status, self.history, self.mine, self.config = status, history, mine, config
        self.outcome = used
        self.found: list[Problem] = []
        self.labels = {c.code: c.label for c in config.column("stage").choices}

    def _problem(
        self, code: ProblemCode, row: dict[str, Any], key: str, value: Any = "", **params: Any
    ) -> bool:
        """Add a problem at the row's cell; True when it rejects the row."""
        severity = self.config.rules.get(code) or code.severity
        if severity == "off":
            return False
        columns = next((t.columns for t in self.outcome.tables if t.sheet == row["sheet"]), {})
        cell = f"{row['sheet']}!{column_letter(columns[key])}{row['row']}" if key in columns else ""
        self.found.append(
            problems.make(
                code,
                severity=severity,
                file=self.outcome.candidate.relative,
                sheet=row["sheet"],
                cell=cell,
                row=row["row"],
                column=self.config.column(key).header,
                value=value,
                **params,
            )
        )
        return severity == Severity.ERROR

    def typed(self, row: dict[str, Any], code: str, claimed: dict[str, dict[str, Any]]) -> None:
        owner = self.status.code if code in self.mine.codes else self.history.owner(code)
        if owner is None and not self.history.checks_codes:
            owner = self.status.code
        failed: tuple[ProblemCode, dict[str, Any]] | None = None
        if owner is None:
            failed = (ProblemCode.MODEL_CODE_UNKNOWN, {})
        elif owner != self.status.code:
            failed = (
                ProblemCode.MODEL_CODE_OTHER_UNIT,
                {
                    "owner": self.config.unit(owner).name
                    if owner in {u.code for u in self.config.units}
                    else owner
                },
            )
        elif code in claimed:
            failed = (ProblemCode.MODEL_CODE_DUPLICATE, {"first_row": claimed[code]["row"]})
        if failed is None:
            row["_code"] = code
            claimed[code] = row
        elif self._problem(failed[0], row, "model_code", row.get("model_code"), **failed[1]):
            row["accepted"] = False

    def across(self, row: dict[str, Any]) -> None:
        """Cross-period warnings against the model's latest earlier record."""
        history, mine = self.history, self.mine
        earlier = mine.latest.get(row["model_code"])
        if row.get("status") == "new" and earlier is not None:
            since = mine.first_seen.get(row["model_code"], (earlier.year, earlier.period))
            self._problem(
                ProblemCode.NEW_ALREADY_REGISTERED,
                row,
                "status",
                "Đăng ký mới",
                model=row["model_code"],
                since=period_text(*since),
            )
        # (a unit with no record in the register at all: nothing to say it continues)
        if row.get("status") == "continuing" and earlier is None and mine.latest:
            against = period_text(*history.against) if history.has_compared else "các kỳ trước"
            self._problem(
                ProblemCode.CONTINUING_UNMATCHED, row, "status", "Duy trì, phát huy", against=against
            )
        if earlier is None:
            return
        against = period_text(earlier.year, earlier.period)
        if (
            row.get("stage") in STAGE_ORDER
            and earlier.stage in STAGE_ORDER
            and STAGE_ORDER[row["stage"]] < STAGE_ORDER[earlier.stage]
        ):
            self._problem(
                ProblemCode.STAGE_BACKWARDS,
                row,
                "stage",
                self.labels[row["stage"]],
                against=against,
                before=self.labels.get(earlier.stage, earlier.stage),
            )
        now, before = row.get("replications"), earlier.replications
        if now is not None and before is not None and now < before:
            self._problem(
                ProblemCode.REPLICATIONS_DOWN, row, "replications", now, against=against, before=before
            )
        built = row.get("year_built")
        if built is not None and earlier.year_built is not None and built != earlier.year_built:
            self._problem(
                ProblemCode.YEAR_BUILT_CHANGED,
                row,
                "year_built",
                built,
                against=against,
                before=earlier.year_built,
            )

    def close_names(self, rows: list[dict[str, Any]], matched: dict[int, str]) -> None:
        """A new record whose name is one or two letters off an unmatched earlier one: said,
        never merged."""
        done = set(matched.values())
        left = [e for e in self.mine.compared if e.code not in done]
        if not left:
            return
        for i, row in enumerate(rows):
            if i in matched:
                continue
            key = _key(row)
            for entry in left:
                if entry.field == row["field"] and len(key) > 6 and _near(key, entry.name_key):
                    self._problem(
                        ProblemCode.MODEL_NAME_CLOSE,
                        row,
                        "name",
                        row["name"],
                        before=entry.name,
                        model=entry.code,
                        against=period_text(*self.history.against),
                    )
                    break


def _near(a: str, b: str, most: int = 2) -> bool:
    """Whether two keys are at most ``most`` letters apart (and not the same)."""
    if a == b or abs(len(a) - len(b)) > most:
        return False
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        if min(current) > most:
            return False
        previous = current
    return previous[-1] <= most


# -- the figures ----------------------------------------------------------------------------


class Tally:
    """The comparison, counted one unit at a time; each list holds at most ``keep`` + 1
    items (a report lists no more than ``keep``), the counts are whole."""

    def __init__(self, history: History, keep: int = 2000):
        self.history, self.keep = history, keep
        self.per_unit: dict[str, dict[str, Any]] = {}
        self.advanced: list[tuple[dict[str, Any], Entry]] = []
        self.honoured: list[dict[str, Any]] = []
        self.dropped: list[Entry] = []
        self.counts = dict.fromkeys(
            (
                "matched",
                "models",
                "dropped",
                "advanced",
                "regressed",
                "change",
                "claimed_cont",
                "claimed_new",
            ),
            0,
        )

    def add(
        self,
        status: UnitStatus,
        rows: list[dict[str, Any]],
        mine: UnitHistory,
        pairs: dict[int, str] | None = None,
    ) -> None:
        """One reporting unit's accepted rows (with their codes) against its records then;
        ``pairs``: the rows' matches, when the caller has made them already."""
        counts, keep = self.counts, self.keep
        entries = {e.code: e for e in mine.compared}
        if pairs is None:
            pairs = _match(rows, mine) if self.history.has_compared else {}
        counts["models"] += len(rows)
        counts["matched"] += len(pairs)
        for i, row in enumerate(rows):
            entry = entries[pairs[i]] if i in pairs else None
            if entry is None:
                counts["claimed_cont"] += row.get("status") == "continuing"
            else:
                counts["claimed_new"] += row.get("status") == "new"
                now, then = (
                    STAGE_ORDER.get(row.get("stage") or "", -1),
                    STAGE_ORDER.get(entry.stage or "", -1),
                )
                if now > then >= 0:
                    counts["advanced"] += 1
                    if len(self.advanced) <= keep:
                        self.advanced.append((_brief(status.code, row), entry))
                elif then > now >= 0:
                    counts["regressed"] += 1
                counts["change"] += (row.get("replications") or 0) - (entry.replications or 0)
            if (
                row.get("stage") == "honoured"
                and (entry is None or entry.stage != "honoured")
                and len(self.honoured) <= keep
            ):
                self.honoured.append(_brief(status.code, row))
        continued = set(pairs.values())
        gone = [e for e in mine.compared if e.code not in continued]
        counts["dropped"] += len(gone)
        self.dropped += gone[: max(0, keep + 1 - len(self.dropped))]
        self.per_unit[status.code] = {
            "code": status.code,
            "matched": len(pairs),
            "new": len(rows) - len(pairs),
            "dropped": len(gone),
        }

    def result(self, statuses: list[UnitStatus]) -> Comparison:
        history, counts = self.history, self.counts
        if not history.has_compared:
            return Comparison(None, [], self.honoured, [])
        reporting = set(self.per_unit)
        not_reported = sum(n for unit, n in history.compared_counts.items() if unit not in reporting)
        year, period = history.against
        block = {
            "against": {"year": year, "period": period},
            "matched": counts["matched"],
            "new": counts["models"] - counts["matched"],
            "dropped": counts["dropped"],
            "not_reported": not_reported,
            "advanced": counts["advanced"],
            "regressed": counts["regressed"],
            "replications_change": int(counts["change"]),
            "claimed_continuing_unmatched": counts["claimed_cont"],
            "claimed_new_matched": counts["claimed_new"],
            "by_unit": [
                self.per_unit.get(s.code, {"code": s.code, "matched": 0, "new": 0, "dropped": 0})
                for s in statuses
            ],
        }
        return Comparison(block, self.dropped, self.honoured, self.advanced)


def compare(statuses: list[UnitStatus], history: History, keep: int = 2000) -> Comparison:
    """The contract's ``continuity`` block (None without a compared period) and its lists,
    from the accepted rows (with codes) of every unit's file in use."""
    tally = Tally(history, keep)
    for status in statuses:
        used = status.used
        if used is not None and used.status == FileStatus.ACCEPTED:
            rows = [r for r in used.rows or [] if r["accepted"]]
            tally.add(status, rows, history.unit(status.code))
    return tally.result(statuses)


def _brief(unit: str, row: dict[str, Any]) -> dict[str, Any]:
    """What the report says of a record (a small copy: the row itself may be let go)."""
    return {"unit": unit, "name": row["name"], "model_code": row["model_code"], "stage": row.get("stage")}


def history_rows(history: EarlierPeriods, records: Any, year: int, period: str) -> Iterator[tuple[Any, ...]]:
    """The master workbook's history: every code of this period or the compared one × every
    period it appears in, in time order (``records``: the run's accepted records frame)."""
    now = zip(
        records["model_code"].tolist(),
        records["unit"].tolist(),
        records["name"].tolist(),
        [year] * len(records),
        [period] * len(records),
        records["stage"].tolist(),
        [_whole(v) for v in records["replications"].tolist()],
        strict=True,
    )
    return history.periods_of(now)


def _whole(value: Any) -> int | None:
    """A count read as a float among blanks, as a whole number (a blank as None)."""
    if value is None or value != value:
        return None
    return int(value)
