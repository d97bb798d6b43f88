"""Load the rules, units, fields and report settings from ``schemas/`` and check them.

A broken schema file stops the run (exit 2) with a Vietnamese message naming the file and key.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from aggregator.clock import DEFAULT_ZONE, zone
from aggregator.config import checks, descriptors
from aggregator.config.book import Book, parse_book
from aggregator.config.checks import PERIODS, ConfigError
from aggregator.hashing import sha256
from aggregator.text import Vocabulary

__all__ = ["PERIODS", "ConfigError", "Config", "Codes", "load"]


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    group: str
    quota: int
    aliases: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    formerly: tuple[tuple[str, str], ...] = ()  # (code, name) of units it succeeds: their models are its


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Field:
    code: int
    name: str
    short: str
    subjects: tuple[str, ...]
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    width: int = 14


@dataclass(frozen=True)
class Label:
    key: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codes:
    """What the codes of the status and stage columns mean (workbook.yaml ``meanings``): the one
    place the program learns which status is new or continuing and the order of the stages."""

    new: str  # the status of a model registered this period ("Đăng ký mới")
    continuing: str  # the status of a model carried on from earlier periods ("Duy trì, phát huy")
    stages: tuple[str, ...]  # the stages, lowest first
    honoured: str = field(init=False)  # the last stage: the model is held up ("Biểu dương, tôn vinh")

    def __post_init__(self) -> None:
        object.__setattr__(self, "honoured", self.stages[-1])

    def stage_rank(self, code: str | None) -> int | None:
        """Where a stage stands in the order (0 the lowest); None for no stage or an unknown one."""
        try:
            return self.stages.index(code) if code is not None else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Board:
    name: str  # in capitals, at the top left of the report
    full_name: str
    symbol: str  # of the document number: Số …-BC/<symbol>
    email: str = ""  # the address reminders and feedback are sent from


@dataclass(frozen=True)
class Signer:
    title: str
    name: str
    on_behalf: bool = False  # signs for the head: "K/T <head_title>" above the title
    head_title: str = "TRƯỞNG BAN"


@dataclass(frozen=True)
class ReportSettings:
    """schemas/report.yaml, typed: the report's header, signer and limits, the deadlines and the
    Board's clock. Every default is here, and nowhere else."""

    province: str
    place: str  # written before the date
    superior: str
    board: Board
    party_line: str
    plan: str
    title: str
    subject: dict[str, str]  # period: the subject line, {year} filled in
    deadlines: dict[str, str]  # period: "month-day", the last day on time
    signer: Signer
    recipients: tuple[str, ...]
    document_number: str = "…"  # left for the Board's office to fill in when it issues the report
    time_zone: str = DEFAULT_ZONE  # file and email times are read on this clock
    outstanding_models: int = 5  # models the report names as outstanding
    # what they are chosen by, first first (descriptors.OUTSTANDING_CRITERIA); ties: unit, row
    outstanding_criteria: tuple[str, ...] = descriptors.DEFAULT_OUTSTANDING
    list_limit: int = 2000  # beyond this many models the report lists none (the master workbook does)
    chart_units_limit: int = 40  # beyond this many units the chart draws those with the most models
    book: Book = Book()  # the book of models: which it publishes (config/book.py)

    @classmethod
    def from_yaml(cls, raw: dict[str, Any]) -> ReportSettings:
        """From report.yaml as loaded and checked against descriptors.REPORT."""
        return cls(
            **{
                **raw,
                "board": Board(**raw["board"]),
                "signer": Signer(**raw["signer"]),
                "subject": dict(raw["subject"]),
                "deadlines": dict(raw["deadlines"]),
                "recipients": tuple(raw["recipients"]),
                **(
                    {"outstanding_criteria": tuple(raw["outstanding_criteria"])}
                    if "outstanding_criteria" in raw
                    else {}
                ),
                **({"book": parse_book(raw["book"])} if "book" in raw else {}),
            }
        )


@dataclass
class Config:
    """Everything the run knows that is not code: read from one schemas folder."""

    folder: Path
    units: list[Unit]
    groups: dict[str, str]
    abbreviations: dict[str, str]
    ignore: list[str]
    subjects: list[Choice]
    fields: list[Field]
    periods: list[Choice]
    info: list[Label]
    assessment: list[Label]
    columns: list[Column]
    sheets: dict[str, str]
    rules: dict[str, str]
    totals_labels: list[str]
    signature: dict[str, list[str]]  # what a signature block under the list is written with
    earliest_year: int
    limits: dict[str, int]
    template_version: str
    report: ReportSettings
    summary_schema: dict[str, Any]
    codes: Codes  # what the status and stage codes mean
    hashes: dict[str, str] = field(default_factory=dict)
    organisations: list[str] = field(default_factory=list)  # words naming the organisation
    levels: dict[str, list[str]] = field(default_factory=dict)  # level: its abbreviations
    units_origin: str = ""  # the list units.yaml was copied from by ``registry use``, if it was

    @property
    def units_file(self) -> Path:
        """The registry this configuration uses: its folder's units.yaml, else the bundled one."""
        return source(self.folder, UNITS_FILE)

    def unit(self, code: str) -> Unit:
        return self._units_by_code[code]

    def column(self, key: str) -> Column:
        return self._columns_by_key[key]

    @cached_property
    def _units_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def _columns_by_key(self) -> dict[str, Column]:
        return {c.key: c for c in self.columns}

    def field_by_code(self, code: int) -> Field:
        return next(f for f in self.fields if f.code == code)

    def period_label(self, code: str) -> str:
        return next(p.label for p in self.periods if p.code == code)

    def deadline(self, year: int, period: str) -> dt.date:
        month, day = (int(part) for part in self.report.deadlines[period].split("-"))
        return dt.date(year, month, day)

    @cached_property
    def board_zone(self) -> dt.tzinfo:
        """The Board's time zone: file and email times are read on its clock."""
        return zone(self.report.time_zone)

    def vocabulary(self, choices: list[Choice] | tuple[Choice, ...]) -> Vocabulary:
        return Vocabulary([(c.code, [c.label, *c.aliases]) for c in choices])


def load(folder: Path | str) -> Config:
    """Read and check every schema file in ``folder``.

    A folder may hold only the files it changes (a preset such as presets/khanh-hoa-2025 holds
    only units.yaml): the others are the bundled ones in schemas/.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"Không thấy thư mục cấu hình {folder}.")
    raw = {name: read_yaml(source(folder, f"{name}.yaml")) for name in descriptors.SCHEMAS}
    _plain_off(raw["workbook"])
    _bundled_meanings(raw["workbook"])
    for name, data in raw.items():
        check_structure(source(folder, f"{name}.yaml"), data, descriptors.SCHEMAS[name])
    summary_path = source(folder, "summary.schema.json")
    summary_schema = _read_json(summary_path)
    config = _build(folder, raw, summary_schema)
    checks.references(config)
    config.hashes = {p.name: sha256(p) for p in sorted(folder.glob("*")) if p.is_file()}
    for name in [*(f"{n}.yaml" for n in descriptors.SCHEMAS), "summary.schema.json"]:
        if name not in config.hashes and source(folder, name).is_file():
            config.hashes[name] = sha256(source(folder, name))
    return config


BUNDLED = Path(__file__).resolve().parents[2] / "schemas"
UNITS_FILE = "units.yaml"  # the registry: the reporting units


def source(folder: Path, name: str) -> Path:
    """The schema file ``name`` of ``folder``, else the bundled one (the file a run uses)."""
    path = folder / name
    return path if path.is_file() or not (BUNDLED / name).is_file() else BUNDLED / name


# libyaml's safe loader where PyYAML was built with it (its wheels are): ten times faster on a
# registry of thousands of units; the same documents, the same errors
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"Thiếu tệp cấu hình {path}.")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (dòng {where.line + 1})" if where else ""
        raise ConfigError(f"Tệp {path} viết sai cú pháp YAML{line}: sửa lại rồi chạy lại.") from exc


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"Thiếu tệp {path} (bản sao của contracts/summary.schema.json).")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Tệp {path} không phải JSON hợp lệ: {exc}.") from exc


def check_structure(path: Path, data: Any, schema: dict[str, Any]) -> None:
    import jsonschema  # here: ``--help`` and a usage error load no settings

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.absolute_path) or "(gốc)"
        raise ConfigError(f"Tệp {path}, mục {where}: {descriptors.explain(first)}.")


def _build(folder: Path, raw: dict[str, Any], summary_schema: dict[str, Any]) -> Config:
    units_raw, fields_raw, book, report = (raw[n] for n in ("units", "fields", "workbook", "report"))
    return Config(
        folder=folder,
        units=[_unit(u) for u in units_raw["units"]],
        groups={g["code"]: g["name"] for g in units_raw["groups"]},
        abbreviations=dict(units_raw.get("matching", {}).get("abbreviations", {})),
        ignore=list(units_raw.get("matching", {}).get("ignore", [])),
        subjects=[_choice(s) for s in fields_raw["subjects"]],
        fields=[
            Field(
                code=f["code"],
                name=f["name"],
                short=f.get("short", f["name"]),
                subjects=tuple(f["subjects"]),
                aliases=tuple(f.get("aliases", [])),
            )
            for f in fields_raw["fields"]
        ],
        periods=[_choice(p) for p in book["periods"]],
        info=[_label(i) for i in book["info"]],
        assessment=[_label(i) for i in book["assessment"]],
        columns=[_column(c) for c in book["columns"]],
        sheets=dict(book["sheets"]),
        rules=dict(book["rules"]),
        totals_labels=list(book["totals_labels"]),
        signature={k: list(v) for k, v in book["signature"].items()},
        earliest_year=int(book["earliest_year"]),
        limits=dict(book["limits"]),
        template_version=str(book["template_version"]),
        report=ReportSettings.from_yaml(report),
        summary_schema=summary_schema,
        codes=Codes(
            new=str(book["meanings"]["new"]),
            continuing=str(book["meanings"]["continuing"]),
            stages=tuple(str(s) for s in book["meanings"]["stages"]),
        ),
        organisations=list(units_raw.get("matching", {}).get("organisations", [])),
        levels={k: list(v or []) for k, v in units_raw.get("matching", {}).get("levels", {}).items()},
        units_origin=str(units_raw.get("origin", "")),
    )


def _unit(u: dict[str, Any]) -> Unit:
    return Unit(
        code=u["code"],
        name=u["name"],
        group=u["group"],
        quota=u.get("quota", 3),
        aliases=tuple(u.get("aliases", [])),
        emails=tuple(u.get("emails", [])),
        formerly=tuple((f["code"], f["name"]) for f in u.get("formerly", [])),
    )


def _choice(c: dict[str, Any]) -> Choice:
    return Choice(code=str(c["code"]), label=c["label"], aliases=tuple(c.get("aliases", [])))


def _label(i: dict[str, Any]) -> Label:
    return Label(key=i["key"], label=i["label"], aliases=tuple(i.get("aliases", [])))


def _column(c: dict[str, Any]) -> Column:
    return Column(
        key=c["key"],
        header=c["header"],
        type=c["type"],
        required=bool(c.get("required", False)),
        aliases=tuple(c.get("aliases", [])),
        choices=tuple(_choice(x) for x in c.get("choices", [])),
        width=int(c.get("width", 14)),
    )


def _bundled_meanings(book: Any) -> None:
    """A workbook.yaml written before ``meanings`` existed (a Board's own copy) means what the
    bundled one says; its choices are still checked against them."""
    if isinstance(book, dict) and "meanings" not in book:
        bundled = read_yaml(BUNDLED / "workbook.yaml")
        if isinstance(bundled, dict) and "meanings" in bundled:
            book["meanings"] = bundled["meanings"]


def _plain_off(book: Any) -> None:
    """YAML 1.1 reads an unquoted ``off`` as false: the form the guide documents means "off"."""
    rules = book.get("rules") if isinstance(book, dict) else None
    if isinstance(rules, dict):
        for key, value in rules.items():
            if value is False:
                rules[key] = "off"
