"""Rendering: the Board's report, rendered from Jinja templates in ``templates/``.

``context`` builds one content model from a run: figures, names and lists, no sentences. Both
renderings, HTML and Word, are fed the same model and say it in the same words, those of
``templates/report-sentences.j2``, so neither the figures nor the wording can disagree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, cast

import jinja2

from aggregator import labels
from aggregator.config.descriptors import OUTSTANDING_CRITERIA
from aggregator.labels import UNIT_STATUS, Labels
from aggregator.merging.summarise import outstanding, pivot
from aggregator.model import RunResult, Submission, UnitStatus
from aggregator.rendering import report_continuity
from aggregator.text import match_key

# what the report is rendered from, in the templates folder (``--templates``)
TEMPLATES = ("report.html.j2", "report-continuity.html.j2", "report-sentences.j2", "report.docx")


def environment(templates: Path) -> jinja2.Environment:
    """Autoescaping, strict, with the Vietnamese number, date and sign filters (registered here only)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
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


def render_html(templates: Path, model: dict[str, Any]) -> str:
    """The printable A4 report: charts inline as SVG."""
    from markupsafe import Markup

    # our own SVG, drawn from numbers: charts.py escapes the labels it writes into it
    charts = {f"chart_{k}": Markup(c.svg) for k, c in model["charts"].items()}
    return environment(templates).get_template("report.html.j2").render(**model, **charts)


def render_docx(templates: Path, model: dict[str, Any], path: Path) -> None:
    """The Word report staff edit and sign: docxtpl, autoescaped, charts as images."""
    import io

    from docx.shared import Mm
    from docxtpl import DocxTemplate, InlineImage

    document = DocxTemplate(str(templates / "report.docx"))
    charts = {
        f"chart_{k}": InlineImage(document, io.BytesIO(c.png), width=Mm(150))
        for k, c in model["charts"].items()
    }
    document.render({**model, **charts}, environment(templates), autoescape=True)
    _grid_from_cells(document.docx)
    stamp = dt.datetime.combine(model["report_date"], dt.time())
    properties = document.docx.core_properties
    properties.created = properties.modified = properties.last_printed = stamp
    properties.author = properties.last_modified_by = ""
    properties.revision = 1
    document.save(str(path))
    _pin_zip_times(path)


def _pin_zip_times(path: Path) -> None:
    """Rewrite a zip container with fixed entry times, so the same report gives the same bytes."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(
                zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def previous_summary(outbox: Path, folder: str) -> dict[str, Any] | None:
    """Last year's summary.json for the same period, when an earlier run left one."""
    path = outbox / folder / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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
        "outstanding_rule": [OUTSTANDING_CRITERIA[c] for c in config.report.outstanding_criteria],
        "voices": _voices(result),
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


def _grid_from_cells(document: Any) -> None:
    """Column widths from the cells of each table's first row.

    A table whose columns a template repeats ({%tc for %}: a column per field) gets its grid
    averaged by docxtpl; LibreOffice lays tables out by that grid, so the name column would
    shrink to the width of a number column.
    """
    from docx.oxml.ns import qn

    for table in document.element.body.iter(qn("w:tbl")):
        first = table.find(qn("w:tr"))  # the XML itself: python-docx's rows build every cell
        grid = table.find(qn("w:tblGrid"))
        if first is None or grid is None:
            continue
        widths = [tc.find(f"{qn('w:tcPr')}/{qn('w:tcW')}") for tc in first.findall(qn("w:tc"))]
        columns = grid.findall(qn("w:gridCol"))
        if widths and None not in widths and len(widths) == len(columns):
            for column, width in zip(columns, widths, strict=True):
                column.set(qn("w:w"), width.get(qn("w:w")))


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


def _voices(result: RunResult) -> dict[str, list[dict[str, Any]]]:
    """The units' own answers (results in II.6, difficulties in III, proposals in IV) as staff
    write them: each statement once, the units that made it after.

    Statements that are the same, or nearly (matching key, close spelling), are merged; those
    several units made come first, then the rest by unit group (the unit after its statement,
    unless the group heading already names it). Lines: ``{"heading": bool, "text": str, "units":
    [names]}``, said by the templates (a heading as it is, a statement with its units after).
    """
    voices: dict[str, list[dict[str, Any]]] = {key: [] for key in ("highlights", *CLOSE_MERGED)}
    groups = result.config.groups
    for label in result.config.assessment:
        said = Said(close=label.key in CLOSE_MERGED)
        for status in result.statuses:
            text = status.used.assessment.get(label.key) if status.used else None
            for statement in _statements(text or ""):
                said.add(statement, status)
        lines = [
            {"heading": False, "text": s.text, "units": [u.name for u in s.units]}
            for s in sorted((s for s in said.made if len(s.units) > 1), key=lambda s: -len(s.units))
        ]
        alone: dict[str, list[Statement]] = {}  # by unit group, in the order made
        for s in said.made:
            if len(s.units) == 1:
                alone.setdefault(s.units[0].group, []).append(s)
        for group, name in groups.items():
            if own := alone.get(group):
                lines.append({"heading": True, "text": name, "units": []})
                lines += [
                    {
                        "heading": False,
                        "text": s.text,
                        "units": [] if s.units[0].name == name else [s.units[0].name],
                    }
                    for s in own
                ]
        voices[label.key] = lines
    return voices


# answers whose statements spelled a letter or two apart are merged too; the others (the
# results, long and many) only when the same words
CLOSE_MERGED = ("difficulties", "proposals")


def _statements(text: str) -> list[str]:
    """A unit's answer as separate statements: one a line, bullets dropped."""
    found = []
    for line in text.splitlines():
        line = line.strip().lstrip("-–•+*").strip()
        if line:
            line = line[0].upper() + line[1:]  # a statement opens a sentence in the report
            found.append(line if line.endswith((".", "!", "?", ";", ":")) else line + ".")
    return found


def _statement_key(text: str) -> str:
    return match_key(text).rstrip(" .;:!?")


@dataclass(slots=True)
class Statement:
    """One statement as first made, its matching key, and the units that made it, in order."""

    text: str
    key: str
    units: list[UnitStatus]
    codes: set[str]


class Said:
    """The statements made so far under one heading, found again in time that does not grow
    with how much was said: the same words through a dict of matching keys; a spelling a
    letter or two apart (``close``) through an index of the keys' pairs of words, from
    which at most ``CANDIDATES`` statements, those sharing the most of its rarest pairs, are
    compared by the ratio of ``SequenceMatcher``: never every statement made so far."""

    # the postings read for one statement: its rarest pairs of words first, as many as fit
    BUDGET = 256
    CANDIDATES = 8
    # the pairs read that a spelling a letter or two apart may lack: two a letter changed,
    # dropped or added (three if it joins or splits words), for up to three letters
    LOST = 8

    def __init__(self, close: bool) -> None:
        self.close = close
        self.made: list[Statement] = []
        self.by_key: dict[str, Statement] = {}
        self.postings: dict[str, list[int]] = {}  # a pair of words → the statements having it

    def add(self, text: str, status: UnitStatus) -> None:
        """``status`` made ``text``: a new statement, or one more unit for the same."""
        key = _statement_key(text)
        same = self.by_key.get(key)
        if same is None and self.close:
            same = self._spelled_close(key)
        if same is None:
            self.by_key[key] = made = Statement(text, key, [status], {status.code})
            if self.close:
                for gram in _grams(key):
                    self.postings.setdefault(gram, []).append(len(self.made))
            self.made.append(made)
        elif status.code not in same.codes:
            same.units.append(status)
            same.codes.add(status.code)

    def _spelled_close(self, key: str) -> Statement | None:
        """The first statement made spelled a letter or two apart, looked for only among those
        sharing enough of ``key``'s rarer pairs of words (a statement all of whose pairs are
        common to hundreds of others finds none: the bound that keeps it linear)."""
        having = {g: p for g in _grams(key) if (p := self.postings.get(g))}
        shared: Counter[int] = Counter()
        read = pairs = 0
        for gram in sorted(having, key=lambda g: (len(having[g]), g)):  # rarest first
            read += len(having[gram])
            if read > self.BUDGET:
                break
            pairs += 1
            shared.update(having[gram])
        needed = max(pairs - self.LOST, (pairs + 1) // 2)
        slack = max(2, len(key) // 10)
        near = [
            n
            for n, count in shared.items()
            if count >= needed and abs(len(self.made[n].key) - len(key)) <= slack
        ]
        if not near:
            return None
        # those sharing the most, compared in the order made: the first close one is the answer
        best = sorted(sorted(near, key=lambda n: (-shared[n], n))[: self.CANDIDATES])
        similar = SequenceMatcher(None, "", key)  # what it learns of the key, learnt once
        for n in best:
            similar.set_seq1(self.made[n].key)
            if (
                similar.real_quick_ratio() >= 0.93
                and similar.quick_ratio() >= 0.93
                and similar.ratio() >= 0.93
            ):
                return self.made[n]
        return None


def _grams(key: str) -> set[str]:
    """The pairs of words next to each other in a key, its first and last word marked."""
    words = ["", *key.split(" "), ""]
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


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
