"""Checking, step 3: say which unit a workbook is from, and that it is this year's and this period's.

Units are found by code, then by name, alias or place (``names``: abbreviations such as HU,
TU, ĐU and MTTQ expanded alike on both sides), then by the title rows, the sender's registered
address and last by the file's name, each fallback flagged. Every piece of evidence is heard:
when two disagree the file is rejected, and the manifest keeps them all.

A letterhead names the body above the unit, then the unit ("ỦY BAN MTTQ VIỆT NAM TỈNH" over
"HỘI NÔNG DÂN TỈNH", "TỈNH ỦY KHÁNH HÒA" over "HUYỆN ỦY CAM LÂM"): of the title rows that name
a unit, the one agreeing with the code or the typed name speaks for the title, else the lowest
(the most specific). The rows above it naming other units are the superior bodies, kept in the
manifest (``above``) and never a conflict. A conflict is between peers: the information sheet
and the title's own unit, the sender, the file's name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from aggregator import problems
from aggregator.checking.names import Match, UnitMatcher
from aggregator.checking.values import read_date, whole_number
from aggregator.config import Config
from aggregator.labels import IDENTIFIED_BY
from aggregator.model import Period, WorkbookRead
from aggregator.problems import Problem, ProblemCode
from aggregator.text import Vocabulary, as_text, is_blank

_YEAR_IN_TEXT = re.compile(r"\b(19\d\d|20\d\d)\b")


@dataclass
class Identity:
    unit: str | None = None
    how: str = ""  # the first evidence: code | name | title | sender | filename
    year: int | None = None
    period: Period | None = None
    report_date: dt.date | None = None
    problems: list[Problem] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)  # how the unit was found, and near


def identify(
    book: WorkbookRead,
    matcher: UnitMatcher,
    relative: str,
    stem: str,
    year: int,
    period: str,
    sender: str | None = None,
) -> Identity:
    """The unit, year, period and report date of one workbook, with what went wrong."""
    identity = Identity()
    _unit(identity, book, matcher, relative, stem, sender)
    _year(identity, book, relative, year)
    _period(identity, book, matcher.config, relative, period)
    _report_date(identity, book, relative)
    return identity


def _info(book: WorkbookRead, key: str) -> Any:
    value = book.info.get(key)
    return book.meta.get(key) if is_blank(value) else value


def _unit(
    identity: Identity,
    book: WorkbookRead,
    matcher: UnitMatcher,
    relative: str,
    stem: str,
    sender: str | None = None,
) -> None:
    add = identity.problems.append
    raw_code, raw_name = _info(book, "unit_code"), book.info.get("unit_name")
    code = None if is_blank(raw_code) else matcher.by_code(raw_code)
    if code is None and not is_blank(raw_code) and is_blank(raw_name):
        raw_name = raw_code  # a name typed where the code belongs
    said: list[dict[str, Any]] = []
    if code is not None:
        said.append(_said("code", as_text(raw_code), Match((code,), "code")))
    typed = None if is_blank(raw_name) else matcher.match(as_text(raw_name))
    if typed is not None and typed.units:
        said.append(_said("name", as_text(raw_name), typed))
    titled = [(line, found) for line in book.title if len((found := _in_title(matcher, line)).units) == 1]
    above = _letterhead(titled, {u for e in said for u in e["units"]})
    said += [_said("title", line, found) for line, found in titled if (line, found) not in above]
    if registered := matcher.by_sender(sender):
        said.append(_said("sender", str(sender), Match(tuple(sorted(registered)), "sender")))
    if in_name := matcher.in_filename(stem):
        said.append(_said("filename", stem, Match(tuple(sorted(in_name)), "filename")))
    identity.evidence = {"evidence": said, "near": []}
    if above:
        identity.evidence["above"] = [{"text": line, "units": list(found.units)} for line, found in above]
    if code is None and typed is not None and not typed.units:  # typed, and fits no unit
        identity.evidence["near"] = list(typed.near)
        shown = as_text(raw_name)
        if typed.near:
            add(
                problems.make(
                    ProblemCode.UNIT_NEAR,
                    file=relative,
                    value=shown,
                    candidates=_unit_names(matcher, typed.near),
                )
            )
        else:
            add(problems.make(ProblemCode.UNIT_UNKNOWN, file=relative, value=shown))
        return
    if not said:
        add(problems.make(ProblemCode.UNIT_MISSING, file=relative))
        return
    together = set.intersection(*(set(e["units"]) for e in said))
    if not together:
        _disagree(identity, said, matcher, relative)
        return
    if len(together) > 1:
        identity.evidence["near"] = sorted(together)
        shown = said[0]["text"]
        add(
            problems.make(
                ProblemCode.UNIT_AMBIGUOUS,
                file=relative,
                value=shown,
                candidates=_unit_names(matcher, together),
            )
        )
        return
    unit, first = together.pop(), said[0]
    identity.unit, identity.how = unit, first["source"]
    identity.evidence.update(by=first["source"], match=first["match"])
    identity.evidence["near"] = sorted(set(first["near"]) | set(first["units"]) - {unit})
    name = matcher.config.unit(unit).name
    flagged = {
        "unmarked": ProblemCode.UNIT_BY_LOOSE_NAME,
        "close": ProblemCode.UNIT_BY_CLOSE_NAME,
        "sender": ProblemCode.UNIT_BY_SENDER,
        "filename": ProblemCode.UNIT_BY_FILENAME,
    }.get(first["match"])
    if flagged:
        add(problems.make(flagged, file=relative, value=first["text"], unit=name))


def _said(source: str, text: str, found: Match) -> dict[str, Any]:
    """One piece of evidence as the manifest keeps it."""
    return {
        "source": source,
        "text": text,
        "units": list(found.units),
        "match": found.how,
        "near": list(found.near),
    }


def _letterhead(titled: list[tuple[str, Match]], typed: set[str]) -> list[tuple[str, Match]]:
    """The title rows naming a body above the unit the title speaks for: the unit is the row
    agreeing with the code or typed name, else the lowest one; the rows above it naming
    other units are its superiors (a row below it naming another unit is no superior)."""
    if not titled:
        return []
    agreeing = [n for n, (_, found) in enumerate(titled) if typed & set(found.units)]
    unit = agreeing[-1] if agreeing else len(titled) - 1
    own = set(titled[unit][1].units)
    return [t for t in titled[:unit] if not own & set(t[1].units)]


def _in_title(matcher: UnitMatcher, line: str) -> Match:
    """A title row naming a unit, whole or after its label ("Đơn vị: Đảng ủy xã ...")."""
    if ":" in line:
        found = matcher.match(line.split(":", 1)[1], close=False)
        if found.units:
            return found
    return matcher.match(line, close=False)


def _unit_names(matcher: UnitMatcher, codes: Any) -> str:
    return ", ".join(sorted(matcher.config.unit(c).name for c in codes))


def _disagree(identity: Identity, said: list[dict[str, Any]], matcher: UnitMatcher, relative: str) -> None:
    """Evidence that names different units rejects the file, naming what each said."""
    by = {e["source"]: e for e in said}
    if "code" in by and "name" in by and not set(by["code"]["units"]) & set(by["name"]["units"]):
        code = by["code"]["units"][0]
        identity.problems.append(
            problems.make(
                ProblemCode.UNIT_CONFLICT,
                file=relative,
                value=by["name"]["text"],
                unit_code=code,
                code_name=matcher.config.unit(code).name,
                candidates=_unit_names(matcher, by["name"]["units"]),
            )
        )
        return
    details = "; ".join(
        f'{EVIDENCE_SOURCE[e["source"]]} "{e["text"]}": {_unit_names(matcher, e["units"])}' for e in said
    )
    identity.problems.append(
        problems.make(ProblemCode.UNIT_EVIDENCE_CONFLICT, file=relative, details=details)
    )


# how the Board calls each kind of evidence (in messages, the manifest and `check`)
EVIDENCE_SOURCE = IDENTIFIED_BY
EVIDENCE_MATCH = {
    "code": "theo mã",
    "name": "đúng tên",
    "alias": "đúng cách viết khác",
    "place": "theo địa danh",
    "unmarked": "viết không dấu",
    "close": "gần đúng chính tả",
    "sender": "theo địa chỉ đã đăng ký",
    "filename": "theo tên tệp",
}


def describe(evidence: dict[str, Any], config: Config) -> str:
    """How a file's unit was found, in one Vietnamese line (for `check`)."""
    said = evidence.get("evidence") or []
    parts = [
        f'{EVIDENCE_SOURCE[e["source"]]} "{e["text"]}" ({EVIDENCE_MATCH.get(e["match"], e["match"])}'
        f" → {', '.join(config.unit(c).name for c in e['units'])})"
        for e in said
    ]
    line = "; ".join(parts) if parts else "không có căn cứ nào khớp một đơn vị trong danh sách"
    above = evidence.get("above") or []
    if above:
        line += "; cơ quan cấp trên ở tiêu đề (không tính là mâu thuẫn): " + ", ".join(
            f'"{e["text"]}"' for e in above
        )
    near = evidence.get("near") or []
    if near:
        line += "; gần giống: " + ", ".join(config.unit(c).name for c in near)
    return line


def _year(identity: Identity, book: WorkbookRead, relative: str, year: int) -> None:
    raw = _info(book, "year")
    period = _info(book, "period")
    if is_blank(raw) and isinstance(period, str) and _YEAR_IN_TEXT.search(period):
        raw = period  # "Kỳ báo cáo: Năm 2026" carries the year too
    found = whole_number(raw)
    if found is None and isinstance(raw, str):
        match = _YEAR_IN_TEXT.search(raw)
        found = int(match.group(1)) if match else None
    if is_blank(raw):
        identity.problems.append(problems.make(ProblemCode.YEAR_ASSUMED, file=relative, expected=year))
        found = year
    elif found is None:
        identity.problems.append(
            problems.make(ProblemCode.INFO_INVALID, file=relative, column="Năm báo cáo", value=as_text(raw))
        )
        found = year
    elif found != year:
        identity.problems.append(
            problems.make(ProblemCode.YEAR_MISMATCH, file=relative, value=found, expected=year)
        )
    identity.year = found


def _period(identity: Identity, book: WorkbookRead, config: Config, relative: str, period: str) -> None:
    raw = _info(book, "period")
    expected = config.period_label(period)
    vocabulary = Vocabulary([(p.code, [p.code, p.label, *p.aliases]) for p in config.periods])
    text = _YEAR_IN_TEXT.sub("", as_text(raw)).strip(" -–")
    found = None if is_blank(raw) else vocabulary.lookup(text)
    if is_blank(raw) or found is None:
        code = ProblemCode.PERIOD_ASSUMED if is_blank(raw) else ProblemCode.INFO_INVALID
        identity.problems.append(
            problems.make(code, file=relative, expected=expected, column="Kỳ báo cáo", value=as_text(raw))
        )
        identity.period = Period(period)
        return
    identity.period = Period(str(found[0]))  # one of the two: the settings are checked for it
    if identity.period != period:
        identity.problems.append(
            problems.make(ProblemCode.PERIOD_MISMATCH, file=relative, value=as_text(raw), expected=expected)
        )


def _report_date(identity: Identity, book: WorkbookRead, relative: str) -> None:
    raw = book.info.get("report_date")
    if is_blank(raw):
        return
    identity.report_date = read_date(raw)
    if identity.report_date is None:
        identity.problems.append(
            problems.make(ProblemCode.INFO_INVALID, file=relative, column="Ngày báo cáo", value=as_text(raw))
        )
