"""The figures of a review (sơ kết, tổng kết) of several years, from the register of models alone.

``load_span`` reads the register (``so-mo-hinh.sqlite``, as the period folders give it) for the
years asked and one period kind, and computes a ``Span``: typed, frozen figures, no sentences.
A year asked that the register does not hold is named in ``years_missing``, never skipped in
silence. Which unit a record is of follows the register's rule (``register.Identities``): the
unit of today's registry bearing its code and name then, or the one whose ``formerly`` names
them; a record of a unit no longer in the registry keeps its name then.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aggregator.config import Config
from aggregator.merging import register
from aggregator.merging.summarise import same_reward
from aggregator.text import is_blank, loose_key, without_direction


class NothingHeld(Exception):
    """No year of the span is in the register: nothing to review."""


@dataclass(frozen=True)
class Source:
    """One period the span is read from: its folder and the SHA-256 of its records file."""

    year: int
    folder: str
    sha256: str
    models: int


@dataclass(frozen=True)
class YearFigures:
    """One year held: its models, by field (``Config.fields`` order) and stage, and replication."""

    year: int
    models: int
    by_field: tuple[int, ...]
    by_stage: tuple[tuple[str, int], ...]  # (stage code, models), the stages in their order
    new: int  # models whose code the register holds in no earlier period of this kind
    continuing: int  # the others
    replications: int  # places the year's models were replicated in, added up
    replicated: int  # models replicated in at least one place
    honoured: int  # models at the last stage


@dataclass(frozen=True)
class Appearance:
    """A model in one period of the span, as the unit reported it then."""

    year: int
    name: str
    stage: str | None
    replications: int | None
    reward_form: str | None
    reward_decision: str | None


@dataclass(frozen=True)
class Reward:
    """A reward (form, decision), in the first year of the span it was reported."""

    year: int
    form: str
    decision: str


@dataclass(frozen=True)
class ModelTimeline:
    """A model of the span (one code), period by period."""

    code: str
    unit: str  # the unit's name: today's, or as recorded for a unit no longer in the registry
    unit_code: str | None  # today's unit, None for a unit no longer in the registry
    name: str  # as last reported in the span
    field: int
    periods: tuple[Appearance, ...]  # in time order, the years it was reported in

    @property
    def first(self) -> Appearance:
        return self.periods[0]

    @property
    def last(self) -> Appearance:
        return self.periods[-1]

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(p.year for p in self.periods)

    def rewards(self) -> tuple[Reward, ...]:
        """Each reward once, in the first year it was reported: the same form with the same
        decision, or with a decision on one side only, is the same reward (the December
        report's rule), and a decision filled in later is kept with it."""
        found: list[Reward] = []
        for p in self.periods:
            if is_blank(p.reward_form) and is_blank(p.reward_decision):
                continue
            form, decision = (
                str(v).strip() if not is_blank(v) else "" for v in (p.reward_form, p.reward_decision)
            )
            same = next(
                (
                    i
                    for i, r in enumerate(found)
                    if (
                        same_reward(form, decision, r.form, r.decision)
                        if form
                        else not r.form and loose_key(decision) == loose_key(r.decision)  # a decision alone
                    )
                ),
                None,
            )
            if same is None:
                found.append(Reward(p.year, form, decision))
            elif decision and not found[same].decision:
                found[same] = Reward(found[same].year, found[same].form, decision)
        return tuple(found)


@dataclass(frozen=True)
class Advance:
    """A model at a higher stage at its last report of the span than at its first."""

    model: ModelTimeline
    before: str  # stage code at its first report of the span
    after: str  # at its last


@dataclass(frozen=True)
class UnitRecord:
    """A unit over the years held: its models each year against its quota."""

    code: str | None  # None: a unit no longer in the registry (no quota)
    name: str
    quota: int | None
    counts: tuple[tuple[int, int], ...]  # (year, models), every year held
    shortfalls: tuple[tuple[int, int], ...]  # (year, models) of the years below the quota

    @property
    def total(self) -> int:
        return sum(n for _, n in self.counts)


@dataclass(frozen=True)
class Span:
    """What the register says of the years ``year_from`` to ``year_to`` (one period kind)."""

    year_from: int
    year_to: int
    period: str
    years_asked: tuple[int, ...]
    years_held: tuple[int, ...]
    years_missing: tuple[int, ...]  # asked, not in the register: named in the report
    sources: tuple[Source, ...]
    notices: tuple[str, ...]  # what the register said (a damaged period file left out)
    years: tuple[YearFigures, ...]  # one per year held
    models: tuple[ModelTimeline, ...]  # every model of the span: the appendix
    maintained: tuple[ModelTimeline, ...]  # reported in every year held (two or more)
    advanced: tuple[Advance, ...]
    honoured: tuple[ModelTimeline, ...]  # at the last stage in some year of the span
    units: tuple[UnitRecord, ...]  # today's registry in its order, then units no longer in it
    rows: tuple[Mapping[str, Any], ...]  # the register's models rows of the span, by column name
    # of the years missing, those whose period folder is in the outbox but its records file was
    # left out of the register (damaged or altered): to be re-run, not merely not run yet
    years_damaged: tuple[int, ...] = ()

    @property
    def below_quota(self) -> tuple[UnitRecord, ...]:
        return tuple(u for u in self.units if u.shortfalls)

    @property
    def total_models(self) -> int:
        """Distinct models (codes) of the span."""
        return len(self.models)


def load_span(outbox: Path, config: Config, year_from: int, year_to: int, period: str) -> Span:
    """The span's figures from the outbox's register, read as the period folders give it
    (nothing written: call ``register.sync`` first, holding the lock, to bring it up to date).
    Raises ``NothingHeld`` when no year asked is in the register."""
    if year_to < year_from:
        raise ValueError("year_to before year_from")
    path, notices = register.refresh(outbox, write=False)
    connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        sources = tuple(
            Source(*row)
            for row in connection.execute(
                "SELECT year, folder, source_sha256, models FROM periods "
                "WHERE period = ? AND year BETWEEN ? AND ? ORDER BY year",
                (period, year_from, year_to),
            )
        )
        rows = tuple(
            {k: without_direction(v) if isinstance(v, str) else v for k, v in dict(row).items()}
            for row in connection.execute(
                "SELECT * FROM models WHERE period = ? AND year BETWEEN ? AND ? ORDER BY year, unit, code",
                (period, year_from, year_to),
            )
        )
        earlier = {
            code: first
            for code, first in connection.execute(
                "SELECT code, min(year) FROM models WHERE period = ? AND year <= ? GROUP BY code",
                (period, year_to),
            )
        }
    finally:
        connection.close()
    asked = tuple(range(year_from, year_to + 1))
    held = tuple(s.year for s in sources)
    if not held:
        raise NothingHeld(", ".join(map(str, asked)))
    span = _figures(config, year_from, year_to, period, asked, held, sources, tuple(notices), rows, earlier)
    folders = register.period_folders(outbox)
    return replace(span, years_damaged=tuple(y for y in span.years_missing if (y, period) in folders))


def _figures(
    config: Config,
    year_from: int,
    year_to: int,
    period: str,
    asked: tuple[int, ...],
    held: tuple[int, ...],
    sources: tuple[Source, ...],
    notices: tuple[str, ...],
    rows: tuple[dict[str, Any], ...],
    first_year: dict[str, int],
) -> Span:
    identities = register.Identities.of(config.units)
    order = {u.code: i for i, u in enumerate(config.units)}
    stages = list(config.codes.stages)  # in their order (workbook.yaml's meanings)
    fields = [f.code for f in config.fields]
    owners: dict[str, tuple[str | None, str]] = {}  # code -> (today's unit, name shown)
    by_code: dict[str, list[dict[str, Any]]] = {}
    by_year: dict[int, list[dict[str, Any]]] = {}  # each row read once, not once a year held
    for row in rows:
        by_code.setdefault(row["code"], []).append(row)
        by_year.setdefault(row["year"], []).append(row)
        owner = identities.owner(row["unit"], row["unit_name"])
        name = identities.names[owner] if owner else (row["unit_name"] or row["unit"])
        owners[row["code"]] = (owner, name)  # the latest record's (rows in time order)
    models = tuple(
        sorted(
            (_timeline(code, mine, owners[code]) for code, mine in by_code.items()),
            key=lambda m: (order.get(m.unit_code or "", len(order)), m.unit, m.field, m.name, m.code),
        )
    )
    years = tuple(_year(y, by_year.get(y, []), fields, stages, first_year) for y in held)
    rank = config.codes.stage_rank
    advanced = tuple(
        Advance(m, str(m.first.stage), str(m.last.stage))
        for m in models
        if (first := rank(m.first.stage)) is not None
        and (last := rank(m.last.stage)) is not None
        and last > first
    )
    return Span(
        year_from=year_from,
        year_to=year_to,
        period=period,
        years_asked=asked,
        years_held=held,
        years_missing=tuple(y for y in asked if y not in held),
        sources=sources,
        notices=notices,
        years=years,
        models=models,
        maintained=tuple(m for m in models if len(held) > 1 and m.years == held),
        advanced=advanced,
        honoured=tuple(m for m in models if any(p.stage == config.codes.honoured for p in m.periods)),
        units=_units(config, models, held),
        rows=rows,
    )


def _timeline(code: str, rows: list[dict[str, Any]], owner: tuple[str | None, str]) -> ModelTimeline:
    periods = tuple(
        Appearance(
            r["year"], r["name"], r["stage"], r["replications"], r["reward_form"], r["reward_decision"]
        )
        for r in sorted(rows, key=lambda r: r["year"])
    )
    last = max(rows, key=lambda r: r["year"])
    return ModelTimeline(code, owner[1], owner[0], last["name"], last["field"], periods)


def _year(
    year: int, rows: list[dict[str, Any]], fields: list[int], stages: list[str], first_year: dict[str, int]
) -> YearFigures:
    new = sum(1 for r in rows if first_year.get(r["code"]) == year)
    places = [r["replications"] or 0 for r in rows]
    return YearFigures(
        year=year,
        models=len(rows),
        by_field=tuple(sum(1 for r in rows if r["field"] == f) for f in fields),
        by_stage=tuple((s, sum(1 for r in rows if r["stage"] == s)) for s in stages),
        new=new,
        continuing=len(rows) - new,
        replications=sum(places),
        replicated=sum(1 for p in places if p > 0),
        honoured=sum(1 for r in rows if r["stage"] == stages[-1]),  # the honour stage: the last
    )


def _units(
    config: Config, models: tuple[ModelTimeline, ...], held: tuple[int, ...]
) -> tuple[UnitRecord, ...]:
    """Today's units in the registry's order, each with its models per year held and the
    years below its quota; then the units no longer in the registry that had models."""
    counts: dict[tuple[str | None, str], dict[int, int]] = {}
    for m in models:
        key = (m.unit_code, m.unit if m.unit_code is None else "")
        mine = counts.setdefault(key, {})
        for year in m.years:
            mine[year] = mine.get(year, 0) + 1
    found = []
    for unit in config.units:
        mine = counts.get((unit.code, ""), {})
        per_year = tuple((y, mine.get(y, 0)) for y in held)
        found.append(
            UnitRecord(
                unit.code,
                unit.name,
                unit.quota,
                per_year,
                tuple((y, n) for y, n in per_year if n < unit.quota),
            )
        )
    gone = sorted((name, mine) for (code, name), mine in counts.items() if code is None)
    for name, mine in gone:
        found.append(UnitRecord(None, name, None, tuple((y, mine.get(y, 0)) for y in held), ()))
    return tuple(found)
