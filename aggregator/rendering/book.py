"""The book of models (Sổ tay mô hình, điển hình): the span's chosen models, for print, portal and open data.

``write`` takes the register's ``models`` rows of a span (every period of every model), keeps
of each row only the columns in ``PUBLISHED`` (the one allow-list: what a unit wrote about its
model, never its note, its file, sheet or row; contacts are never in the register at all),
chooses the models that meet ``book:`` in schemas/report.yaml, and writes one content model
three ways: a Word booklet (book_docx), a static HTML catalogue (``so-tay/``) and open data
(``du-lieu-mo/``: CSV and JSON with a JSON Schema). The same rows give the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from aggregator import labels
from aggregator.config.book import LABELS
from aggregator.merging.register import rank
from aggregator.rendering import book_docx
from aggregator.rendering.report import environment
from aggregator.text import is_blank, loose_key, nfc, without_direction

if TYPE_CHECKING:  # for the annotation only
    from aggregator.config import Config

# The register columns a book may publish: nothing else of a row is ever read. Left out on
# purpose: seq, rating (the unit's own grading), publicised, note (Ghi chú: staff and unit
# notes, where contacts get written), name_key, file, sheet, row (provenance).
PUBLISHED = (
    "year",
    "period",
    "code",
    "unit",
    "unit_name",
    "name",
    "field",
    "subject",
    "performer",
    "location",
    "year_built",
    "stage",
    "content",
    "results",
    "replications",
    "reward_form",
    "reward_decision",
)
DEFAULT_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TEMPLATES = ("book.html.j2", "book.css", "book.js", "book.schema.json")  # what the book renders from
DOCX = "so-tay-mo-hinh.docx"
CATALOGUE = "so-tay"  # the portal's folder: index.html and its own style and script
OPEN_DATA = "du-lieu-mo"
STEM = "so-tay-mo-hinh"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")  # a CSV cell Excel would read as a formula
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")  # XML carries none


def write(
    rows: Sequence[Mapping[str, Any]],
    years: Sequence[int],
    config: Config,
    folder: Path,
    *,
    templates: Path = DEFAULT_TEMPLATES,
    date: dt.date | None = None,
) -> list[Path]:
    """The book of the span ``years`` into ``folder``; returns the files written, relative to it.

    ``date`` (the review's report date) is printed on the cover and stamped in the booklet;
    without it the cover says the last year of the span.
    """
    book = contents(rows, years, config, date)
    written = [*open_data(book, templates, folder), *catalogue(book, templates, folder)]
    book_docx.write(book, folder / DOCX)
    return [*written, Path(DOCX)]


def contents(
    rows: Sequence[Mapping[str, Any]], years: Sequence[int], config: Config, date: dt.date | None = None
) -> dict[str, Any]:
    """The book as one content model: its words, its criteria and its entries in print order."""
    settings, report = config.report.book, config.report
    periods: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        public = {key: row[key] for key in PUBLISHED}
        periods.setdefault(str(public["code"]), []).append(public)
    order = {u.code: n for n, u in enumerate(config.units)}
    entries = []
    for code in sorted(periods):
        timeline = sorted(periods[code], key=lambda r: rank(int(r["year"]), str(r["period"])))
        entry = _entry(timeline, config)
        entry["chosen_by"] = chosen_by(entry, settings)
        if entry["chosen_by"]:
            entries.append(entry)
    entries.sort(
        key=lambda e: (
            e["field"],
            order.get(e["unit"], len(order)),
            e["unit"],
            labels.sort_key(e["name"]),
            e["code"],
        )
    )
    for number, entry in enumerate(entries, start=1):
        entry.update(
            number=number,
            stage_line=stage_line(entry),
            timeline_line=timeline_line(entry),
            honours_line=honours_line(entry),
        )
    first, last = min(years), max(years)
    names = {f.code: f.name for f in config.fields}  # and a field fields.yaml no longer has, by its code
    fields = [
        {
            "code": code,
            "name": names.get(code, f"Lĩnh vực {code}"),
            "entries": [e for e in entries if e["field"] == code],
        }
        for code in sorted({*names, *(e["field"] for e in entries)})
    ]
    known = {u.code: u.name for u in config.units}
    named = {e["unit"]: known.get(e["unit"], e["unit_name"]) for e in reversed(entries)}  # one name a unit
    units = sorted(named.items(), key=lambda u: (order.get(u[0], len(order)), u))
    return {
        "title": settings.title,
        "subtitle": settings.subtitle,
        "superior": report.superior,
        "board_name": report.board.name,
        "publisher": report.board.full_name,
        "party_line": report.party_line,
        "place": report.place,
        "plan": report.plan,
        "from": first,
        "to": last,
        "span": str(first) if first == last else f"{first} – {last}",
        "years": list(range(first, last + 1)),
        "date": date.isoformat() if date else None,
        "dated": f"{report.place}, {labels.long_date_vn(date)}" if date else f"{report.place}, năm {last}",
        "criteria": settings.sentences(),
        "entries": entries,
        "fields": [f for f in fields if f["entries"]],
        "units": [{"code": c, "name": n} for c, n in units],
        "stages": [c.label for c in config.column("stage").choices],
    }


def chosen_by(entry: Mapping[str, Any], settings: Any) -> list[str]:
    """The criteria of ``book:`` the entry meets (their keys, in the settings' order)."""
    met = {
        "honoured": settings.honoured and entry["honoured"],
        "reward_decision": settings.reward_decision and any(h["decision"] for h in entry["honours"]),
        "replications": bool(settings.replications) and (entry["replications"] or 0) >= settings.replications,
        "years": bool(settings.years) and len(entry["years"]) >= settings.years,
    }
    return [key for key, ok in met.items() if ok]


def _entry(timeline: list[dict[str, Any]], config: Config) -> dict[str, Any]:
    """One model: its latest period's words, its honours and its timeline across the span
    (the open data's "history")."""
    latest = timeline[-1]
    stage = {c.code: c.label for c in config.column("stage").choices}
    subjects = {s.code: s.label for s in config.subjects}
    fields = {f.code: f.name for f in config.fields}
    known = {u.code: u.name for u in config.units}
    honours: list[dict[str, Any]] = []
    for row in timeline:
        form, decision = _text(row["reward_form"]), _text(row["reward_decision"])
        if form or decision:
            _honour(honours, int(row["year"]), form, decision)
    return {
        "code": _text(latest["code"]),
        "name": _text(latest["name"]),
        "unit": _text(latest["unit"]),
        "unit_name": _text(latest["unit_name"]) or known.get(latest["unit"], "") or _text(latest["unit"]),
        "field": int(latest["field"]),
        "field_name": fields.get(int(latest["field"]), f"Lĩnh vực {latest['field']}"),
        "subject": subjects.get(latest["subject"], _text(latest["subject"])),
        "performer": _text(latest["performer"]),
        "location": _text(latest["location"]),
        "year_built": _number(latest["year_built"]),
        "stage": stage.get(latest["stage"], _text(latest["stage"])),
        "replications": _number(latest["replications"]),
        "content": _text(latest["content"]),
        "results": _text(latest["results"]),
        "honours": honours,
        "history": [
            {
                "year": int(row["year"]),
                "period": str(row["period"]),
                "stage": stage.get(row["stage"], _text(row["stage"])),
                "replications": _number(row["replications"]),
            }
            for row in timeline
        ],
        "years": sorted({int(row["year"]) for row in timeline}),
        "honoured": any(row["stage"] == config.codes.honoured for row in timeline),
    }


def _honour(honours: list[dict[str, Any]], year: int, form: str, decision: str) -> None:
    """A reward added to a model's list unless it is one already there: the same form and the
    same decision, or a decision on one side only (filled in later), as the report counts it."""
    for known in honours:
        if loose_key(known["form"]) != loose_key(form):
            continue
        if loose_key(known["decision"]) == loose_key(decision) or not (known["decision"] and decision):
            known["decision"] = known["decision"] or decision
            return
    honours.append({"year": year, "form": form, "decision": decision})


def _text(value: Any) -> str:
    """A unit's text as it wrote it (NFC), lines kept, with no character XML cannot carry."""
    if value is None or is_blank(value):
        return ""
    return _CONTROL.sub("", without_direction(nfc(str(value))).replace("\r\n", "\n").replace("\r", "\n"))


def _number(value: Any) -> int | None:
    return None if value is None or is_blank(value) else int(value)


def _places(count: int | None) -> str:
    # in brackets: a stage's name has its own comma ("Giới thiệu, nhân rộng")
    return f" ({count} nơi nhân rộng)" if count else ""


def stage_line(entry: Mapping[str, Any]) -> str:
    """The model's stage now and its places: "Giới thiệu, nhân rộng (3 nơi nhân rộng)"."""
    return f"{entry['stage']}{_places(entry['replications'])}"


def timeline_line(entry: Mapping[str, Any]) -> str:
    """The model's periods in one line: "2024: Phát hiện, bồi dưỡng; 2025: … (3 nơi nhân rộng)"."""
    parts = []
    for step in entry["history"]:
        when = f"{step['year']}" + (" (6 tháng)" if step["period"] == "half_year" else "")
        parts.append(f"{when}: {step['stage']}{_places(step['replications'])}")
    return "; ".join(parts)


def honours_line(entry: Mapping[str, Any]) -> str:
    """The model's honours in one line: "Bằng khen của UBND tỉnh, QĐ số 12/QĐ-UBND (2025); …"."""
    return "; ".join(
        ", ".join(p for p in (h["form"], h["decision"]) if p) + f" ({h['year']})" for h in entry["honours"]
    )


# --- open data ---------------------------------------------------------------------------


def published(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as the open data holds it: the keys the JSON Schema documents, in its order."""
    return {
        key: entry[key]
        for key in (
            "code",
            "name",
            "unit",
            "unit_name",
            "field",
            "field_name",
            "subject",
            "performer",
            "location",
            "year_built",
            "stage",
            "replications",
            "content",
            "results",
            "honours",
            "history",
            "years",
            "chosen_by",
        )
    }


def csv_cells(entry: Mapping[str, Any]) -> dict[str, str | int]:
    """An open-data entry as one CSV row (keys as the JSON's): lists in one cell as the schema says."""
    cells: dict[str, str | int] = {}
    for key, value in entry.items():
        if key == "honours":
            cells[key] = honours_line(entry)
        elif key == "history":
            cells[key] = timeline_line(entry)
        elif key == "years":
            cells[key] = ", ".join(str(v) for v in value)
        elif key == "chosen_by":  # in Vietnamese for Excel's readers; the JSON keeps the keys
            cells[key] = "; ".join(LABELS[v] for v in value)
        else:
            cells[key] = "" if value is None else value
    return cells


def inert(value: str | int) -> str | int:
    """A CSV cell Excel cannot run: text that starts as a formula would gets a leading apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def open_data(book: Mapping[str, Any], templates: Path, folder: Path) -> list[Path]:
    """du-lieu-mo/: the entries as JSON (with its schema beside it) and as CSV for Excel."""
    target = folder / OPEN_DATA
    target.mkdir(parents=True, exist_ok=True)
    schema = json.loads((templates / "book.schema.json").read_text(encoding="utf-8"))
    entries = [published(e) for e in book["entries"]]
    document = {
        "title": book["title"],
        "subtitle": book["subtitle"],
        "publisher": book["publisher"],
        "from": book["from"],
        "to": book["to"],
        "date": book["date"],
        "criteria": book["criteria"],
        "entries": entries,
    }
    (target / f"{STEM}.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n"
    )
    shutil.copyfile(templates / "book.schema.json", target / f"{STEM}.schema.json")
    columns = schema["$defs"]["entry"]["properties"]
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow([columns[key]["title"] for key in columns])
    for entry in entries:
        cells = csv_cells(entry)
        out.writerow([inert(cells[key]) for key in columns])
    (target / f"{STEM}.csv").write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return [Path(OPEN_DATA, f"{STEM}.{kind}") for kind in ("json", "schema.json", "csv")]


# --- the portal's catalogue ----------------------------------------------------------------


def catalogue(book: Mapping[str, Any], templates: Path, folder: Path) -> list[Path]:
    """so-tay/: index.html, its style and its script, nothing fetched from elsewhere."""
    target = folder / CATALOGUE
    target.mkdir(parents=True, exist_ok=True)
    env = environment(templates)  # the report's: autoescaping, strict
    data = {
        "entries": [
            {k: e[k] for k in ("code", "name", "unit", "unit_name", "field", "field_name", "performer")}
            | {k: e[k] for k in ("location", "content", "results", "stage", "years")}
            for e in book["entries"]
        ]
    }
    html = env.get_template("book.html.j2").render(**book, data=Markup(script_json(data)))
    (target / "index.html").write_text(html, encoding="utf-8", newline="\n")
    for name, written in (("book.css", "so-tay.css"), ("book.js", "so-tay.js")):
        shutil.copyfile(templates / name, target / written)
    return [Path(CATALOGUE, name) for name in ("index.html", "so-tay.css", "so-tay.js")]


def script_json(data: Any) -> str:
    """JSON to sit in a <script type="application/json"> block: no "<", ">" or "&" can end it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
