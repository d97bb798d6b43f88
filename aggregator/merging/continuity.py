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
from aggregator.config import Config, registry
from aggregator.merging.register import History, UnitHistory, rank
from aggregator.model import Comparison, EarlierPeriods, Entry, FileOutcome, FileStatus, Period, UnitStatus
from aggregator.problems import Problem, ProblemCode, Severity
from aggregator.text import column_letter, loose_key, nfc

STAGE_ORDER = {"discovered": 0, "replicated": 1, "honoured": 2}
# Close spellings are looked for among names of 7 to CLOSE_MAX letters (a model's name is a few
# words; a longer text is not a name to propose), each through an index, and a file's rows make
# at most COMPARISONS_PER_FILE comparisons of two texts: the cost of a file is bounded.
CLOSE_MIN, CLOSE_MAX = 7, 160
COMPARISONS_PER_FILE = 5000


def make_code(unit: str, field: int, name_key: str, salt: int = 0) -> str:
    """A model's code: its unit's code and six letters from a hash of field and name.

    The same unit, field and name always give the same code; on the rare collision with a
    code already taken, ``salt`` counts up until the code is free.
    """
    text = f"{unit}|{field}|{name_key}|{salt}".encode()
    letters = base64.b32encode(hashlib.sha256(text).digest()[:5]).decode().lower()  # 6 letters: 30 bits
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
    if history.identities is None:  # whose each record is, by this registry
        history = history.with_units(config.units)
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
    if not used.rows:
        if tally is not None:
            tally.add(status, [], mine)
        accounted = _accounted(used, [], mine)
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
                while code in mine.codes or code in claimed or code in mine.taken:
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
        # after the code checks: a row rejected for its code speaks of its model all the same
        accounted = _accounted(used, parsed, mine, set(matched.values()), checker)
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


def _accounted(
    used: Any,
    rows: list[dict[str, Any]],
    mine: UnitHistory,
    continued: set[str] = frozenset(),  # type: ignore[assignment]  # never changed
    checker: _Checker | None = None,
) -> set[str]:
    """Codes of the compared period's models that this file speaks of although no accepted row
    continues them: a row emptied to its code (the unit says the model stopped), or a row
    rejected, with its own reason or for its code (by the code it carries, by its name, or by
    a code one or two letters off one of them). None is asked about again as "not reported":
    one cause, one problem."""
    compared = {e.code for e in mine.compared}
    by_key = {(e.field, e.name_key): e.code for e in mine.compared}
    found = {code for t in used.tables for c in t.stopped if (code := normalise_code(c)) in compared}
    pool = sorted(compared - continued)  # once: what a mistyped code may stand for
    for row in rows:
        if row["accepted"] and (checker is None or id(row) not in checker.set_aside):
            continue
        code = (checker.set_aside.get(id(row)) if checker else None) or normalise_code(row.get("model_code"))
        if (
            isinstance(row.get("field"), int)
            and isinstance(row.get("name"), str)
            and (known := by_key.get((row["field"], _key(row)))) is not None
        ):
            found.add(known)
        if code in compared:
            found.add(code)
        elif (
            code
            and checker is not None
            and len(code) <= CLOSE_MAX  # a code mistyped
            and (near := checker.first_near(code, [c for c in pool if c not in found])) is not None
        ):
            found.add(near)
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


def staff_notes(history: History, config: Config) -> list[str]:
    """For staff: records of the compared period under a code that today's registry gives a
    unit of another name, no successor named. They are not that unit's; a rename must be said
    in ``units.yaml`` (``formerly``) for the unit to keep its models."""
    if not history.has_compared:
        return []
    history = history if history.identities is not None else history.with_units(config.units)
    shown = registry.shown(config.units_file)
    against = period_text(*history.against)
    return [
        f'Sổ theo dõi mô hình có {n} mô hình của báo cáo {against} ghi mã đơn vị "{code}" khi mã '
        f'này là của "{then}"; nay mã "{code}" là của "{config.unit(code).name}", nên các mô hình '
        "đó không được coi là của đơn vị này (không so sánh, không điền sẵn, không nhắc). Nếu là "
        f"cùng một đơn vị chỉ đổi tên, thêm vào {shown}, ở đơn vị {code}: "
        f'formerly: [{{code: {code}, name: "{then}"}}] rồi chạy lại.'
        for code, then, n in history.reused()
    ]


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
        self.comparisons = 0  # of two texts, for close spellings: at most COMPARISONS_PER_FILE
        self.set_aside: dict[int, str] = {}  # by ``id``, rows whose code was said, not taken

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
        mine = code in self.mine.codes
        owner = None if mine else self.history.owner(code)
        failed: tuple[ProblemCode, dict[str, Any]] | None = None
        if mine or (owner is None and not self.history.checks_codes):
            pass  # its own (or, with no register at hand, taken as typed)
        elif owner is None:
            failed = (ProblemCode.MODEL_CODE_UNKNOWN, {})
        elif owner.code is None:  # a unit no longer in the registry (its code now another's)
            failed = (ProblemCode.MODEL_CODE_OTHER_UNIT, {"owner": f"{owner.name} (đơn vị trước đây)"})
        elif owner.code != self.status.code:
            failed = (ProblemCode.MODEL_CODE_OTHER_UNIT, {"owner": owner.name})
        if failed is None and code in claimed:
            failed = (ProblemCode.MODEL_CODE_DUPLICATE, {"first_row": claimed[code]["row"]})
        if failed is None and mine:
            failed = self._conflict(row, code)
        if failed is None:
            row["_code"] = code
            claimed[code] = row
        elif self._problem(failed[0], row, "model_code", row.get("model_code"), **failed[1]):
            row["accepted"] = False
        else:  # said, and the row taken by its name: the code set aside
            self.set_aside[id(row)] = code

    def _conflict(self, row: dict[str, Any], code: str) -> tuple[ProblemCode, dict[str, Any]] | None:
        """A code is not a licence: a row whose code's model has another field and another
        name, or whose field and name are another model's of the unit, is not that model (a
        list sorted without its code column, a code copied onto the wrong row)."""
        earlier = self.mine.nearest.get(code)
        if earlier is None or not isinstance(row.get("field"), int) or not isinstance(row.get("name"), str):
            return None
        key = _key(row)
        other = self.mine.by_key.get((row["field"], key))
        if other is not None and other != code:
            said = f", tên và lĩnh vực của mô hình mã {other}"
        elif (
            earlier.field != row["field"] and key != earlier.name_key and not self.near(key, earlier.name_key)
        ):
            said = ""
        else:
            return None
        return (
            ProblemCode.MODEL_CODE_CONFLICT,
            {
                "before": earlier.name,
                "before_field": earlier.field,
                "against": period_text(earlier.year, earlier.period),
                "name": row["name"],
                "field": row["field"],
                "other": said,
            },
        )

    def near(self, a: str, b: str) -> bool:
        """Two texts at most two letters apart, counted against the file's budget (a text over
        CLOSE_MAX letters, or past the budget: not near)."""
        if len(a) > CLOSE_MAX or len(b) > CLOSE_MAX or self.comparisons >= COMPARISONS_PER_FILE:
            return False
        self.comparisons += 1
        return _near(a, b)

    def first_near(self, text: str, candidates: list[str]) -> str | None:
        """The first of ``candidates`` (in their order) at most two letters off ``text``."""
        return next((c for c in candidates if abs(len(c) - len(text)) <= 2 and self.near(text, c)), None)

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
        if (
            row.get("status") == "continuing"
            and earlier is None
            and mine.latest
            and id(row) not in self.set_aside  # its code said already: one cause, one problem
        ):
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
        never merged. Each name is compared only with the earlier names the index gives it."""
        done = set(matched.values())
        left = [e for e in self.mine.compared if e.code not in done]
        if not left:
            return
        index = _Names(left)
        for i, row in enumerate(rows):
            if self.comparisons >= COMPARISONS_PER_FILE:
                break  # the file's budget spent: no further proposal
            if i in matched:
                continue
            key = _key(row)
            entry = next((e for e in index.candidates(row["field"], key) if self.near(key, e.name_key)), None)
            if entry is not None:
                self._problem(
                    ProblemCode.MODEL_NAME_CLOSE,
                    row,
                    "name",
                    row["name"],
                    before=entry.name,
                    model=entry.code,
                    against=period_text(*self.history.against),
                )


def _thirds(length: int) -> list[tuple[int, int]]:
    """A text of ``length`` letters cut in three pieces: (start, end) of each."""
    a, b = length // 3, 2 * length // 3
    return [(0, a), (a, b), (b, length)]


class _Names:
    """One unit's earlier names by pieces. A name at most two letters off another keeps one of
    the other's three pieces whole, at most two places from where it was: a name is compared
    only with the earlier names one of whose pieces it holds there (of its field, and of a
    length within two of its own)."""

    def __init__(self, entries: list[Entry]):
        self.order = {e.code: i for i, e in enumerate(entries)}
        self.pieces: dict[tuple[int, int, int, str], list[Entry]] = {}
        for entry in entries:
            key = entry.name_key
            if CLOSE_MIN - 2 <= len(key) <= CLOSE_MAX + 2:
                for t, (a, b) in enumerate(_thirds(len(key))):
                    self.pieces.setdefault((entry.field, len(key), t, key[a:b]), []).append(entry)

    def candidates(self, field: Any, key: str) -> list[Entry]:
        """The earlier names ``key`` may be one or two letters off, in the order given."""
        n = len(key)
        if not CLOSE_MIN <= n <= CLOSE_MAX:
            return []
        found: dict[str, Entry] = {}
        for length in range(max(n - 2, CLOSE_MIN - 2), n + 3):
            for t, (a, b) in enumerate(_thirds(length)):
                for start in range(max(a - 2, 0), min(a + 2, n - (b - a)) + 1):
                    for entry in self.pieces.get((field, length, t, key[start : start + b - a]), ()):
                        found.setdefault(entry.code, entry)
        return sorted(found.values(), key=lambda e: self.order[e.code])


def _common(a: str, b: str) -> int:
    """How many letters ``a`` and ``b`` begin with in common (compared by halves)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _near(a: str, b: str, most: int = 2) -> bool:
    """Whether two keys are at most ``most`` letters apart (and not the same)."""
    return a != b and abs(len(a) - len(b)) <= most and _within(a, b, most)


def _within(a: str, b: str, most: int) -> bool:
    """At most ``most`` edits apart: what both begin and end with set aside (compared by
    halves, never letter by letter), then each way of editing the first letter that differs.
    At most 3 ** ``most`` tries, whatever the length."""
    start = _common(a, b)
    a, b = a[start:], b[start:]
    end = _common(a[::-1], b[::-1])
    a, b = a[: len(a) - end], b[: len(b) - end]
    if not a or not b:
        return max(len(a), len(b)) <= most
    if most == 0:
        return False
    return _within(a[1:], b[1:], most - 1) or _within(a[1:], b, most - 1) or _within(a, b[1:], most - 1)


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
                "between",
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
        since = rank(*self.history.against)
        for i, row in enumerate(rows):
            entry = entries[pairs[i]] if i in pairs else None
            if entry is None:
                counts["claimed_cont"] += row.get("status") == "continuing"
                earlier = mine.latest.get(row.get("model_code") or "")
                counts["between"] += earlier is not None and rank(earlier.year, earlier.period) > since
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
        not_reported = history.not_reported(reporting)
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
        return Comparison(block, self.dropped, self.honoured, self.advanced, counts["between"])


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
