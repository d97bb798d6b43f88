"""The report's section on models across periods: what continued, advanced, was dropped,
reached the last stage, and models per year. Data in, data out: the templates say it."""

from __future__ import annotations

from typing import Any

from aggregator import periods
from aggregator.labels import Labels
from aggregator.model import RunResult
from aggregator.rendering import charts


def context(result: RunResult) -> dict[str, Any]:
    """``continuity`` for the templates, and the trend chart (in ``charts``) when there are
    at least two years of this period kind."""
    config, comparison, other_periods = result.config, result.comparison, result.other_periods
    names = Labels(config)
    block = comparison.summary if comparison else None
    limit = config.report.list_limit
    stages = {c.code: c.label for c in config.column("stage").choices}
    order = {u.code: i for i, u in enumerate(config.units)}
    section: dict[str, Any] = {
        "compared": block is not None,
        "against": "",  # the period compared with, as the report names it
        "figures": {},  # the summary's continuity block: matched, new, dropped, …
        "between": 0,  # of the new ones, models already in the period between (a half-year)
        "between_period": "",  # that period, as the report names it
        "dropped_groups": [],
        "dropped_rows": [],
        "dropped_count": 0,
        "advanced": [],
        "honoured": [],
        "listed": True,
        "trend": False,
        "trend_caption": "",
    }
    if block is not None and comparison is not None:
        section["against"] = periods.in_words(block["against"]["year"], block["against"]["period"])
        section["figures"] = block
        section["between"] = comparison.between
        section["between_period"] = periods.in_words(
            *periods.following(block["against"]["year"], block["against"]["period"])
        )
        dropped = sorted(comparison.dropped, key=lambda e: (order.get(e.unit, 1 << 30), e.field, e.name_key))
        section["dropped_count"] = block["dropped"]
        section["listed"] = block["dropped"] <= limit and block["advanced"] <= limit
        if section["listed"]:
            groups: dict[str, list[dict[str, Any]]] = {}
            for entry in dropped:
                groups.setdefault(entry.unit, []).append(
                    {
                        "code": entry.code,
                        "name": entry.name,
                        "field": entry.field,
                        "stage": stages.get(entry.stage or "", ""),
                    }
                )
            section["dropped_groups"] = [
                {"name": names.units.get(u, u), "models": m} for u, m in groups.items()
            ]
            section["dropped_rows"] = [
                {**m, "unit": g["name"]} for g in section["dropped_groups"] for m in g["models"]
            ]
            section["advanced"] = [
                {
                    "unit": names.units.get(row["unit"], row["unit"]),
                    "name": row["name"],
                    "code": row["model_code"],
                    "before": stages.get(entry.stage or "", ""),
                    "now": stages.get(row["stage"], ""),
                }
                for row, entry in comparison.advanced
            ]
    if comparison is not None and len(comparison.honoured) <= limit:
        section["honoured"] = [
            {"unit": names.units.get(r["unit"], r["unit"]), "name": r["name"], "code": r["model_code"]}
            for r in comparison.honoured
        ]
    drawn = {}
    trend = dict(other_periods.trend) if other_periods else {}
    trend[result.year] = result.summary["totals"]["models"]
    if len(trend) >= 2:
        caption = f"Số mô hình, điển hình qua các năm (kỳ báo cáo {periods.kind_words(result.period)})"
        years = sorted(trend)
        drawn["trend"] = charts.bars(caption, [str(y) for y in years], [trend[y] for y in years])
        section["trend"], section["trend_caption"] = True, caption
    return {"continuity": section, "charts": drawn}
