"""Rendering: the review report of several years (báo cáo tổng kết), HTML and Word, from a ``Span``.

``context`` turns a span's figures into one content model (numbers, names, cells of text; no
sentences): both renderings are fed it and say it in the words of
``templates/review-sentences.j2``. The header, the "Nơi nhận" list and the signature are the
December report's (``templates/party.html.j2``, ``make_report_docx.masthead``/``closing``), and
so is the machinery (``report.render_html``/``render_docx``: autoescaped, fixed zip times).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from aggregator import labels
from aggregator.config import Config
from aggregator.merging.review import ModelTimeline, Span
from aggregator.rendering import charts, report

HTML = "review.html.j2"
DOCX = "review.docx"
# what the review is rendered from, in the templates folder
TEMPLATES = (HTML, "review-sentences.j2", "report-sentences.j2", "party.html.j2", DOCX)
SUBJECT = (
    "Tổng kết việc xây dựng và nhân rộng các mô hình, điển hình trong học tập và làm theo tư tưởng, "
    "đạo đức, phong cách Hồ Chí Minh giai đoạn {year_from} - {year_to}"
)  # report.yaml's ``subject.review`` says otherwise


def context(span: Span, config: Config, report_date: dt.date, sample: bool = False) -> dict[str, Any]:
    """Everything a review template may print, computed once; ``sample``: a period read was made
    from sample data, and the review says so at its top."""
    stages = [(c.code, c.label) for c in config.column("stage").choices]
    stage_label = dict(stages)
    held = list(span.years_held)
    limit = config.report.list_limit
    listed = span.total_models <= limit
    drawn, captions = _charts(span, config)
    subject = config.report.subject.get("review", SUBJECT)
    figures = {
        "period_label": config.period_label(span.period).lower(),
        "year_from": span.year_from,
        "year_to": span.year_to,
        "years_asked": list(span.years_asked),
        "years_held": held,
        "years_missing": list(span.years_missing),
        "years_damaged": list(span.years_damaged),
        "sources": [
            {
                "n": n,
                "year": s.year,
                "folder": s.folder,
                "sha256": s.sha256,
                "models": labels.number_vn(s.models),
            }
            for n, s in enumerate(span.sources, start=1)
        ],
        "total_models": span.total_models,
        "years": [
            {
                "year": y.year,
                "models": y.models,
                "new": y.new,
                "continuing": y.continuing,
                "replications": y.replications,
                "replicated": y.replicated,
                "honoured": y.honoured,
                "stages": [(stage_label[s], n) for s, n in y.by_stage],
            }
            for y in span.years
        ],
        "field_table": _field_table(span, config),
        "stage_table": _stage_table(span, stages),
        "replication_table": _replication_table(span),
        "replication_change": (span.years[-1].replications - span.years[0].replications)
        if len(held) > 1
        else 0,
        # each list in the report when it has no more than list_limit models (as the December
        # report's); beyond, its count only, and where the list is
        "counts": {
            "maintained": len(span.maintained),
            "advanced": len(span.advanced),
            "honoured": len(span.honoured),
        },
        "maintained": [_model(m, stage_label) for m in _upto(span.maintained, limit)],
        "advanced": [
            {
                **_model(a.model, stage_label),
                "before": stage_label.get(a.before, a.before),
                "after": stage_label.get(a.after, a.after),
            }
            for a in _upto(span.advanced, limit)
        ],
        "honoured": [_honoured(m, config.codes.honoured) for m in _upto(span.honoured, limit)],
        "unit_table": _unit_table(span),
        "below_quota": [  # units with models, below the quota in some year; then those with none
            {"name": u.name, "shortfalls": [(y, n, u.quota) for y, n in u.shortfalls]}
            for u in span.below_quota
            if u.total
        ],
        "without_models": [u.name for u in span.below_quota if not u.total],
        "list_models": listed,
        "history": _timeline_table(span, stage_label) if listed else {"headers": [], "rows": []},
        "list_limit": config.report.list_limit,
    }
    return {
        "header": config.report,
        "document_number": config.report.document_number,
        "report_date": report_date,
        "subject_line": subject.format(year_from=span.year_from, year_to=span.year_to, year=span.year_to),
        "review": figures,
        "sample": sample,
        "charts": drawn,
        "chart_captions": captions,
    }


def render(templates: Path, model: dict[str, Any], folder: Path, html: str, docx: str) -> list[Path]:
    """The review in HTML and Word into ``folder``, under these names."""
    report.write_html(templates, model, folder / html, HTML)
    report.render_docx(templates, model, folder / docx, DOCX)
    return [folder / html, folder / docx]


def _upto(items: tuple[Any, ...], limit: int) -> tuple[Any, ...]:
    """All of them when they are no more than ``limit``, else none (the count is said)."""
    return items if len(items) <= limit else ()


def _model(m: ModelTimeline, stage_label: dict[str, str]) -> dict[str, Any]:
    first, last = m.first, m.last
    return {
        "code": m.code,
        "name": m.name,
        "unit": m.unit,
        "field": m.field,
        "years": ", ".join(str(y) for y in m.years),
        "first_year": first.year,
        "last_year": last.year,
        "first_stage": stage_label.get(first.stage or "", ""),
        "last_stage": stage_label.get(last.stage or "", ""),
        "first_places": first.replications or 0,
        "last_places": last.replications or 0,
    }


def decision(text: str) -> str:
    """A reward's decision as a sentence names it: "quyết định 45-QĐ/HU …", never "quyết định
    Quyết định …" when the unit wrote the word (or "QĐ") itself."""
    said = text.lstrip()
    if said.casefold().startswith(("quyết định", "qđ")):
        return said[0].lower() + said[1:] if said[:1] == "Q" and said[1:2] != "Đ" else said
    return f"quyết định {text}"


def _honoured(m: ModelTimeline, honour_stage: str) -> dict[str, Any]:
    year = next(p.year for p in m.periods if p.stage == honour_stage)
    rewards = [
        (r.form or "Khen thưởng") + (f" ({decision(r.decision)})" if r.decision else "") + f", năm {r.year}"
        for r in m.rewards()
    ]
    return {
        "code": m.code,
        "name": m.name,
        "unit": m.unit,
        "field": m.field,
        "year": year,
        "rewards": rewards,
    }


def _field_table(span: Span, config: Config) -> dict[str, Any]:
    """Models by field (rows) and year (columns), as cells of text."""
    n = labels.number_vn
    rows = [
        [str(f.code), f.short, *[n(y.by_field[i]) for y in span.years]] for i, f in enumerate(config.fields)
    ]
    return {
        "headers": ["TT", "Lĩnh vực", *[f"Năm {y.year}" for y in span.years]],
        "rows": rows,
        "total": ["", "Tổng cộng", *[n(y.models) for y in span.years]],
    }


def _stage_table(span: Span, stages: list[tuple[str, str]]) -> dict[str, Any]:
    n = labels.number_vn
    return {
        "headers": [
            "Năm",
            "Số mô hình, điển hình",
            "Mới có trong sổ",
            "Đã có từ trước",
            *[label for _, label in stages],
        ],
        "rows": [
            [str(y.year), n(y.models), n(y.new), n(y.continuing), *[n(c) for _, c in y.by_stage]]
            for y in span.years
        ],
    }


def _replication_table(span: Span) -> dict[str, Any]:
    n = labels.number_vn
    rows, before = [], None
    for y in span.years:
        change = "" if before is None else report.signed(y.replications - before)
        rows.append([str(y.year), n(y.models), n(y.replicated), n(y.replications), change])
        before = y.replications
    return {
        "headers": [
            "Năm",
            "Số mô hình, điển hình",
            "Mô hình đã nhân rộng",
            "Số nơi nhân rộng",
            "Tăng, giảm so với năm trước",
        ],
        "rows": rows,
    }


def _unit_table(span: Span) -> dict[str, Any]:
    """Each unit: its quota, its models each year held ("*" below the quota), its total."""
    n = labels.number_vn
    rows = []
    for i, u in enumerate(span.units, start=1):
        short = {y for y, _ in u.shortfalls}
        rows.append(
            [
                str(i),
                u.name,
                "" if u.quota is None else n(u.quota),
                *[n(c) + (" *" if y in short else "") for y, c in u.counts],
                n(u.total),
            ]
        )
    return {
        "headers": ["TT", "Đơn vị", "Chỉ tiêu", *[f"Năm {y}" for y in span.years_held], "Cộng"],
        "rows": rows,
    }


def _timeline_table(span: Span, stage_label: dict[str, str]) -> dict[str, Any]:
    """The appendix: every model, then one cell per year held (its stage and places, or "—")."""
    rows = []
    for i, m in enumerate(span.models, start=1):
        by_year = {p.year: p for p in m.periods}
        cells = []
        for year in span.years_held:
            p = by_year.get(year)
            cells.append(
                "—"
                if p is None
                else f"{stage_label.get(p.stage or '', '')}; {labels.number_vn(p.replications or 0)} nơi"
            )
        rows.append([str(i), f"{m.name} ({m.code})", m.unit, str(m.field), *cells])
    return {
        "headers": [
            "TT",
            "Mô hình, điển hình (mã)",
            "Đơn vị",
            "Lĩnh vực",
            *[f"Năm {y}" for y in span.years_held],
        ],
        "rows": rows,
    }


def _charts(span: Span, config: Config) -> tuple[dict[str, charts.Chart], dict[str, str]]:
    """Models per year and places of replication per year (a year asked and not held is drawn
    as such, its label says so), and the span's models by field."""
    held = {y.year: y for y in span.years}
    names = [f"{y}" if y in held else f"{y} (chưa có số liệu)" for y in span.years_asked]
    captions = {
        "years": f"Số mô hình, điển hình qua các năm {span.year_from} - {span.year_to}",
        "replications": f"Số nơi nhân rộng mô hình, điển hình qua các năm {span.year_from} - {span.year_to}",
        "fields": f"Số mô hình, điển hình theo lĩnh vực, giai đoạn {span.year_from} - {span.year_to}",
    }
    by_field = {f.code: 0 for f in config.fields}
    for m in span.models:
        by_field[m.field] = by_field.get(m.field, 0) + 1
    drawn = {
        "years": charts.bars(
            captions["years"], names, [held[y].models if y in held else 0 for y in span.years_asked]
        ),
        "replications": charts.bars(
            captions["replications"],
            names,
            [held[y].replications if y in held else 0 for y in span.years_asked],
            unit="nơi",
        ),
        "fields": charts.bars(
            captions["fields"],
            [f"{f.code}. {f.short}" for f in config.fields],
            [by_field[f.code] for f in config.fields],
        ),
    }
    return drawn, captions
