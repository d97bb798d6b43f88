"""Rendering: the Board's report, rendered from Jinja templates in ``templates/``.

``context`` builds one content model from a run: figures, names and lists, no sentences. Both
renderings, HTML and Word, are fed the same model and say it in the same words, those of
``templates/report-sentences.j2``, so neither the figures nor the wording can disagree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import jinja2

from aggregator import labels
from aggregator.collector import on_new_objects
from aggregator.config.descriptors import OUTSTANDING_CRITERIA
from aggregator.labels import UNIT_STATUS, Labels
from aggregator.merging.summarise import outstanding, pivot
from aggregator.model import RunResult, Submission
from aggregator.rendering import compiled, report_continuity, statements

# what the report is rendered from, in the templates folder (``--templates``)
TEMPLATES = (
    "report.html.j2",
    "report-continuity.html.j2",
    "report-sentences.j2",
    "party.html.j2",
    "report.docx",
)


def environment(templates: Path) -> jinja2.Environment:
    """Autoescaping, strict, with the Vietnamese number, date and sign filters (registered here
    only); templates compiled once, then kept (``compiled``)."""
    env = compiled.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        bytecode_cache=compiled.cache(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=labels.number_vn,
        date=labels.date_vn,
        long_date=labels.long_date_vn,
        percent=labels.percent_vn,
        signed=signed,
    )
    return env


def signed(change: int) -> str:
    """A change with its sign: +2, -1, and 0 bare."""
    return f"{change:+d}" if change else "0"


@on_new_objects
def render_html(templates: Path, model: dict[str, Any], template: str = "report.html.j2") -> str:
    """The printable A4 report (or another of ``template``): charts inline as SVG."""
    return "".join(_html(templates, model, template))


@on_new_objects
def write_html(templates: Path, model: dict[str, Any], path: Path, template: str = "report.html.j2") -> None:
    """``render_html`` into a file as it is rendered, never held whole (a report listing many
    units is large)."""
    with path.open("w", encoding="utf-8") as target:
        target.writelines(_batched(_html(templates, model, template)))


def _html(templates: Path, model: dict[str, Any], template: str) -> Iterator[str]:
    from markupsafe import Markup

    # our own SVG, drawn from numbers: charts.py escapes the labels it writes into it
    charts = {f"chart_{k}": Markup(c.svg) for k, c in model["charts"].items()}
    return environment(templates).get_template(template).generate(**model, **charts)


def _batched(pieces: Iterator[str], size: int = 1 << 16) -> Iterator[str]:
    """Jinja's many small pieces joined into some ``size`` characters at a time."""
    gathered: list[str] = []
    length = 0
    for piece in pieces:
        gathered.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(gathered)
            gathered, length = [], 0
    yield "".join(gathered)


@on_new_objects
def render_docx(templates: Path, model: dict[str, Any], path: Path, template: str = "report.docx") -> None:
    """The Word report staff edit and sign (or another of ``template``): docxtpl, autoescaped,
    charts as images."""
    import io

    from docx.shared import Mm
    from docxtpl import InlineImage

    from aggregator.rendering import docx_render

    document = docx_render.Template(str(templates / template), fit_tables=True)
    charts = {
        f"chart_{k}": InlineImage(document, io.BytesIO(c.png), width=Mm(150))
        for k, c in model["charts"].items()
    }
    document.render({**model, **charts}, environment(templates), autoescape=True)
    stamp = dt.datetime.combine(model["report_date"], dt.time())
    properties = document.docx.core_properties
    properties.created = properties.modified = properties.last_printed = stamp
    properties.author = properties.last_modified_by = ""
    properties.revision = 1
    docx_render.save(document, path)  # zipped once, entry times fixed


def _pin_zip_times(path: Path) -> None:
    """Rewrite a zip container with fixed entry times, so the same report gives the same bytes."""
    from aggregator.rendering import docx_render

    docx_render.pin_zip_times(path)


def previous_summary(outbox: Path, folder: str) -> dict[str, Any] | None:
    """Last year's summary.json for the same period, when an earlier run left one."""
    path = outbox / folder / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@on_new_objects
def context(
    result: RunResult, report_date: dt.date, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a report template may print, computed once."""
    config, summary = result.config, result.summary
    names = Labels(config)
    totals = summary["totals"]
    units = summary["units"]
    reporting = totals["units_on_time"] + totals["units_late"]
    by_status = {s: [u for u in units if u["status"] == s] for s in UNIT_STATUS}
    below = [
        u for u in units if not u["meets_quota"] and u["status"] in (Submission.ON_TIME, Submission.LATE)
    ]
    comparison = _comparison(summary, previous)
    listed = totals["models"] <= config.report.list_limit
    models = _models_by_unit(result, names) if listed else []
    charts, chart_captions = _charts(summary, config)
    across = report_continuity.context(result)  # models across periods, and the trend chart
    charts.update(across.pop("charts"))
    across["continuity"]["declared"] = _declared(result, across["continuity"])
    return {
        "document_number": config.report.document_number,
        "period_phrase": labels.period_phrase(result.period),
        "status_rows": [
            {**u, "n": n, "status_label": UNIT_STATUS[u["status"]]} for n, u in enumerate(units, start=1)
        ],
        "all_models": [
            {**m, "n": n, "unit": g["name"]}
            for n, (g, m) in enumerate(((g, m) for g in models for m in g["models"]), start=1)
        ],
        "list_models": listed,
        "charts": charts,
        "chart_captions": chart_captions,
        "header": config.report,
        "year": result.year,
        "period": result.period,
        "period_label": config.period_label(result.period),
        "subject_line": config.report.subject[result.period].format(year=result.year),
        "report_date": report_date,
        "deadline": result.deadline,
        "summary": summary,
        "totals": totals,
        "rates": {
            "reporting": labels.percent_vn(reporting, totals["units_expected"]),
            "on_time": labels.percent_vn(totals["units_on_time"], totals["units_expected"]),
        },
        "units_by_status": by_status,
        "status_label": UNIT_STATUS,
        "below_quota": below,
        "subjects": [(s.code, s.label) for s in config.subjects],
        "stages": [(c.code, c.label) for c in config.column("stage").choices],
        "fields": summary["fields"],
        "field_short": {f.code: f.short for f in config.fields},
        "pivot": pivot(summary),
        "models_by_unit": models,
        "outstanding": _outstanding(result, names),
        "outstanding_count": config.report.outstanding_models,
        "outstanding_rule": [
            OUTSTANDING_CRITERIA[c].format(honoured=names.value("stage", config.codes.honoured))
            for c in config.report.outstanding_criteria
        ],
        "voices": statements.voices(result),
        "sample": result.sample,
        "files": [{**f, "n": n} for n, f in enumerate(_files(result, names), start=1)],
        "comparison": comparison,
        "field_table": _field_table(summary, config, comparison),
        **across,
    }


def _field_table(summary: dict[str, Any], config: Any, comparison: dict[str, Any] | None) -> dict[str, Any]:
    """Section II.2 as cells of text: its columns depend on the subjects and on last year."""
    n, totals = labels.number_vn, summary["totals"]
    subjects = [s.code for s in config.subjects]
    headers = ["TT", "Lĩnh vực", "Số mô hình, điển hình", *[s.label for s in config.subjects]]
    if comparison:
        headers.append(f"So với năm {comparison['year']}")
    rows = []
    for f in summary["fields"]:
        row = [str(f["code"]), f["name"], n(f["models"]), *[n(f["by_subject"][s]) for s in subjects]]
        if comparison:
            row.append(signed(comparison["fields"][f["code"]]))
        rows.append(row)
    total = ["", "Tổng cộng", n(totals["models"]), *[n(totals["by_subject"][s]) for s in subjects]]
    if comparison:
        total.append(signed(totals["models"] - comparison["total"]))
    return {"headers": headers, "rows": rows, "total": total}


def _charts(summary: dict[str, Any], config: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The two charts, and their captions; beyond ``chart_units_limit`` units, the top ones."""
    from aggregator.rendering import charts

    short = {f.code: f.short for f in config.fields}
    units = summary["units"]
    limit = config.report.chart_units_limit
    caption = "Số mô hình, điển hình theo đơn vị"
    if len(units) > limit:  # the units with the most: never a unit with none
        having = [u for u in units if u["models"]]
        units = sorted(having, key=lambda u: (-u["models"], labels.sort_key(u["name"])))[:limit]
        if len(having) > limit:
            caption += f" ({labels.number_vn(limit)} đơn vị có nhiều mô hình, điển hình nhất)"
        else:
            caption += (
                f" ({labels.number_vn(len(having))} đơn vị có mô hình, điển hình; "
                f"{labels.number_vn(len(summary['units']) - len(having))} đơn vị chưa có)"
                if having
                else " (chưa đơn vị nào có mô hình, điển hình)"
            )
    captions = {"fields": "Số mô hình, điển hình theo lĩnh vực", "units": caption}
    drawn = {
        "fields": charts.bars(
            captions["fields"],
            [f"{f['code']}. {short[f['code']]}" for f in summary["fields"]],
            [f["models"] for f in summary["fields"]],
        ),
        "units": charts.bars(caption, [u["name"] for u in units], [u["models"] for u in units]),
    }
    return drawn, captions


def _models_by_unit(result: RunResult, names: Labels) -> list[dict[str, Any]]:
    groups = []
    records = result.records.sort_values(["field", "row"], kind="stable")
    by_unit = dict(list(records.groupby("unit", sort=False)))
    for status in result.statuses:
        mine = by_unit.get(status.code)
        if mine is None:
            continue
        groups.append(
            {
                "name": status.name,
                "models": [
                    {key: names.value(key, record.get(key)) for key in record} | {"row": record["row"]}
                    for record in cast(list[dict[str, Any]], mine.to_dict("records"))  # (keys: column names)
                ],
            }
        )
    return groups


def _outstanding(result: RunResult, names: Labels) -> list[dict[str, Any]]:
    report = result.config.report
    picked = outstanding(
        result.records,
        report.outstanding_models,
        report.outstanding_criteria,
        [u.code for u in result.config.units],
        honoured=result.config.codes.honoured,
    )
    chosen = [
        {
            **{k: names.value(k, v) for k, v in r.items() if k not in ("unit", "row")},
            "unit": names.units[r["unit"]],
            "row": r["row"],
        }
        for r in cast(list[dict[str, Any]], picked.to_dict("records"))  # (keys: column names)
    ]
    for m in chosen:  # each said as a sentence of its own, whatever the unit typed
        for key in ("content", "results"):
            m[key] = _sentence(m.get(key))
        form, decision = (_text(m.get(k)) for k in ("reward_form", "reward_decision"))
        m["reward"] = _sentence(
            f"Được khen thưởng: {form}" + (f" (quyết định {decision})" if decision else "")
            if form
            else f"Được khen thưởng theo quyết định {decision}"
            if decision
            else ""
        )
    return chosen


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()  # (NaN: no value)


def _sentence(value: Any) -> str:
    """Text the unit typed as one sentence: capital first, a full stop last (none if empty)."""
    text = " ".join(_text(value).split())
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "…")) else text.rstrip(";:,") + "."


def _declared(result: RunResult, section: dict[str, Any]) -> dict[str, Any]:
    """II.1 counts new and continuing models as units declared them ("Tình trạng"); II.5 as the
    register finds them. When they differ, by how much and why: the rows declared otherwise,
    which the feedback and the master workbook list (unless ``rules:`` turned them off)."""
    totals, figures = result.summary["totals"], section.get("figures") or {}
    if not section.get("compared"):
        return {"differs": False}
    rules = result.config.rules
    return {
        "differs": totals["new"] != figures["new"] or totals["continuing"] != figures["matched"],
        "new": totals["new"],
        "continuing": totals["continuing"],
        "continuing_unmatched": figures["claimed_continuing_unmatched"],
        "new_matched": figures["claimed_new_matched"],
        "listed": rules.get("continuing_unmatched", "warning") != "off"
        and rules.get("new_already_registered", "warning") != "off",
    }


def _files(result: RunResult, names: Labels) -> list[dict[str, Any]]:
    return [
        {
            "path": o.candidate.relative,
            "sha256": o.candidate.sha256,
            "unit": names.units.get(o.unit or "", ""),
            "status": labels.FILE_STATUS[o.status],
            "received": o.received,
            "rows": o.rows_read,
            "accepted": o.rows_counted,
            "reasons": [p.message for p in o.file_errors]
            + [p.message for p in o.problems if p.code == "sender_unregistered" and not p.is_error]
            + [p.message for p in o.problems if p.code.explains_fate and not p.is_error],
            "sender": o.candidate.sender or "",
        }
        for o in sorted(result.outcomes, key=lambda o: labels.sort_key(o.candidate.relative))
    ]


def _comparison(summary: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any] | None:
    if not previous:
        return None
    try:
        before = {f["code"]: f["models"] for f in previous["fields"]}
        return {
            "year": previous["year"],
            "total": previous["totals"]["models"],
            "fields": {f["code"]: f["models"] - before.get(f["code"], 0) for f in summary["fields"]},
            "before": before,
        }
    except (KeyError, TypeError):
        return None
