"""Stage 7: the Board's report, rendered from Jinja templates in ``templates/``.

``context`` builds one content model from a run; every rendering (HTML now, Word later) is fed
the same model, so the figures cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jinja2

from . import labels
from .labels import UNIT_STATUS, Labels
from .pipeline import RunResult
from .summarise import outstanding, unit_by_field


def environment(templates: Path) -> jinja2.Environment:
    """Autoescaping, strict, with the Vietnamese number and date filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=labels.number_vn, date=labels.date_vn,
                       long_date=labels.long_date_vn, percent=labels.percent_vn)
    return env


def render_html(result: RunResult, templates: Path, report_date: dt.date,
                previous: dict[str, Any] | None = None) -> str:
    env = environment(templates)
    return env.get_template("report.html.j2").render(
        **context(result, report_date, previous))


def previous_summary(outbox: Path, folder: str) -> dict[str, Any] | None:
    """Last year's summary.json for the same period, when an earlier run left one."""
    path = outbox / folder / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def context(result: RunResult, report_date: dt.date,
            previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything a report template may print, computed once."""
    config, summary = result.config, result.summary
    names = Labels(config)
    totals = summary["totals"]
    units = summary["units"]
    reporting = totals["units_on_time"] + totals["units_late"]
    return {
        "header": config.report,
        "year": result.year,
        "period": result.period,
        "period_label": config.period_label(result.period),
        "subject_line": config.report["subject"][result.period].format(year=result.year),
        "report_date": report_date,
        "deadline": result.deadline,
        "summary": summary,
        "totals": totals,
        "rates": {"reporting": labels.percent_vn(reporting, totals["units_expected"]),
                  "on_time": labels.percent_vn(totals["units_on_time"], totals["units_expected"])},
        "units_by_status": {s: [u for u in units if u["status"] == s] for s in UNIT_STATUS},
        "status_label": UNIT_STATUS,
        "below_quota": [u for u in units if not u["meets_quota"] and u["status"] in ("on_time", "late")],
        "subjects": [(s.code, s.label) for s in config.subjects],
        "stages": [(c.code, c.label) for c in config.column("stage").choices],
        "fields": summary["fields"],
        "field_short": {f.code: f.short for f in config.fields},
        "pivot": _pivot(result, names),
        "models_by_unit": _models_by_unit(result, names),
        "outstanding": _outstanding(result, names),
        "outstanding_count": config.report.get("outstanding_models", 5),
        "voices": _voices(result),
        "files": _files(result, names),
        "comparison": _comparison(summary, previous),
    }


def _pivot(result: RunResult, names: Labels) -> dict[str, Any]:
    table = unit_by_field(result.records, result.config)
    rows = [{"name": names.units[code], "counts": [int(v) for v in counts],
             "total": int(counts.sum())} for code, counts in table.iterrows()]
    return {"rows": rows, "totals": [int(v) for v in table.sum()], "total": int(table.sum().sum())}


def _models_by_unit(result: RunResult, names: Labels) -> list[dict[str, Any]]:
    groups = []
    records = result.records.sort_values(["field", "row"], kind="stable")
    for status in result.statuses:
        mine = records[records["unit"] == status.code]
        if mine.empty:
            continue
        groups.append({"name": status.name, "models": [
            {key: names.value(key, record.get(key)) for key in record} | {"row": record["row"]}
            for record in mine.to_dict("records")]})
    return groups


def _outstanding(result: RunResult, names: Labels) -> list[dict[str, Any]]:
    picked = outstanding(result.records, result.config.report.get("outstanding_models", 5))
    return [{**{k: names.value(k, v) for k, v in r.items() if k not in ("unit", "row")},
             "unit": names.units[r["unit"]], "row": r["row"]} for r in picked.to_dict("records")]


def _voices(result: RunResult) -> dict[str, list[dict[str, str]]]:
    """What each reporting unit wrote on its assessment sheet, attributed."""
    voices: dict[str, list[dict[str, str]]] = {k.key: [] for k in result.config.assessment}
    for status in result.statuses:
        if status.used is None:
            continue
        for key, text in status.used.assessment.items():
            if text:
                voices[key].append({"unit": status.name, "text": text})
    return voices


def _files(result: RunResult, names: Labels) -> list[dict[str, Any]]:
    return [{"path": o.candidate.relative, "sha256": o.candidate.sha256,
             "unit": names.units.get(o.unit or "", ""), "status": labels.FILE_STATUS[o.status],
             "received": o.received, "rows": o.rows_read, "accepted": o.rows_counted,
             "reasons": [p.message for p in o.file_errors]} for o in result.outcomes]


def _comparison(summary: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    if not previous:
        return None
    try:
        before = {f["code"]: f["models"] for f in previous["fields"]}
        return {"year": previous["year"], "total": previous["totals"]["models"],
                "fields": {f["code"]: f["models"] - before.get(f["code"], 0)
                           for f in summary["fields"]},
                "before": before}
    except (KeyError, TypeError):
        return None
