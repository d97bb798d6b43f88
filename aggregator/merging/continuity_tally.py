"""The comparison with the compared period, counted one unit at a time: what continued,
advanced, was dropped and grew (the contract's ``continuity`` block and the report's lists)."""

from __future__ import annotations

from typing import Any

from aggregator.config import Codes
from aggregator.merging.continuity_checks import key_of
from aggregator.merging.register_reading import OtherPeriods, UnitRecords
from aggregator.model import Comparison, Entry, Record, UnitStatus
from aggregator.periods import rank


def match(rows: list[Record], mine: UnitRecords) -> dict[int, str]:
    """Row index -> code of the compared record it continues: by code, else by name key."""
    by_code = {e.code: e for e in mine.compared}
    matched: dict[int, str] = {}
    used: set[str] = set()
    for i, row in enumerate(rows):
        if row.model_code in by_code:
            matched[i] = row.model_code
            used.add(row.model_code)
    by_key: dict[tuple[int, str], str] = {}
    for e in mine.compared:
        if e.code not in used:
            by_key.setdefault((e.field, e.name_key), e.code)
    for i, row in enumerate(rows):
        if i in matched:
            continue
        code = by_key.pop((row.field, key_of(row)), None)  # type: ignore[arg-type]  # an accepted row has its field
        if code is not None:
            matched[i] = code
    return matched


class Tally:
    """The comparison, counted one unit at a time; each list holds at most ``keep`` + 1
    items (a report lists no more than ``keep``), the counts are whole."""

    def __init__(self, other_periods: OtherPeriods, codes: Codes, keep: int = 2000):
        self.other_periods, self.codes, self.keep = other_periods, codes, keep
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
        rows: list[Record],
        mine: UnitRecords,
        pairs: dict[int, str] | None = None,
    ) -> None:
        """One reporting unit's accepted rows (with their codes) against its records then;
        ``pairs``: the rows' matches, when the caller has made them already."""
        counts, keep = self.counts, self.keep
        entries = {e.code: e for e in mine.compared}
        if pairs is None:
            pairs = match(rows, mine) if self.other_periods.has_compared else {}
        counts["models"] += len(rows)
        counts["matched"] += len(pairs)
        since = rank(*self.other_periods.against)
        for i, row in enumerate(rows):
            entry = entries[pairs[i]] if i in pairs else None
            if entry is None:
                counts["claimed_cont"] += row.status == self.codes.continuing
                earlier = mine.latest.get(row.model_code or "")
                counts["between"] += earlier is not None and rank(earlier.year, earlier.period) > since
            else:
                counts["claimed_new"] += row.status == self.codes.new
                now, then = self.codes.stage_rank(row.stage), self.codes.stage_rank(entry.stage)
                now, then = (-1 if now is None else now), (-1 if then is None else then)
                if now > then >= 0:
                    counts["advanced"] += 1
                    if len(self.advanced) <= keep:
                        self.advanced.append((_brief(status.code, row), entry))
                elif then > now >= 0:
                    counts["regressed"] += 1
                counts["change"] += (row.replications or 0) - (entry.replications or 0)
            if (
                row.stage == self.codes.honoured
                and (entry is None or entry.stage != self.codes.honoured)
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
        other_periods, counts = self.other_periods, self.counts
        if not other_periods.has_compared:
            return Comparison(None, [], self.honoured, [])
        reporting = set(self.per_unit)
        not_reported = other_periods.not_reported(reporting)
        year, period = other_periods.against
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


def _brief(unit: str, row: Record) -> dict[str, Any]:
    """What the report says of a record (a small copy: the row itself may be let go)."""
    return {"unit": unit, "name": row.name, "model_code": row.model_code, "stage": row.stage}
