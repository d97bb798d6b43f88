"""Summarising: the figures of the run, from accepted records only, as ``summary.json`` has them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from aggregator import config as config_module
from aggregator.collector import on_new_objects
from aggregator.config import Config
from aggregator.config.descriptors import DEFAULT_OUTSTANDING
from aggregator.model import FileOutcome, FileStatus, Submission, UnitStatus
from aggregator.text import is_blank, loose_key


def unit_by_field(records: pd.DataFrame, config: Config) -> dict[str, dict[int, int]]:
    """Models per unit (registry order) and field (1–11, in order), zeros included: the rows
    counted in one pass (not a table grouped by pandas, one group at a time)."""
    counted = Counter(zip(records["unit"].tolist(), records["field"].tolist(), strict=True))
    codes = [f.code for f in config.fields]
    return {u.code: {code: counted.get((u.code, code), 0) for code in codes} for u in config.units}


def _counts(series: pd.Series, codes: list[str]) -> dict[str, int]:
    counted = series.value_counts()
    return {code: int(counted.get(code, 0)) for code in codes}


@on_new_objects
def build(
    config: Config,
    year: int,
    period: str,
    statuses: list[UnitStatus],
    outcomes: list[FileOutcome],
    records: pd.DataFrame,
    ignored: int = 0,
    continuity: dict[str, Any] | None = None,
    earlier: Mapping[str, Sequence[tuple[Any, Any, Any]]] | None = None,
) -> dict[str, Any]:
    """The summary of one run: the contract's keys, plus a few extra for people.

    ``ignored``: inbox entries left alone by their name (never read, still counted);
    ``continuity``: how this period continues the register's earlier ones (None: no register);
    ``earlier``: each model's reward and press coverage in earlier years (``this_period``).
    """
    by_unit = unit_by_field(records, config)
    keys = {f.code: str(f.code) for f in config.fields}  # each field's key, one text for every unit
    subjects = [s.code for s in config.subjects]
    stages = [c.code for c in config.column("stage").choices]
    status_codes = {c.code: int((records["status"] == c.code).sum()) for c in config.column("status").choices}
    by_status = {s: sum(1 for u in statuses if u.status == s) for s in Submission}
    rewarded, publicised = this_period(records, earlier or {})
    return {
        "year": year,
        "period": period,
        "deadline": config.deadline(year, period).isoformat(),
        "units": [_unit(u, by_unit[u.code], keys) for u in statuses],
        "fields": _fields(config, records, subjects),
        "totals": {
            "models": len(records),
            "units_expected": len(statuses),
            "units_on_time": by_status[Submission.ON_TIME],
            "units_late": by_status[Submission.LATE],
            "units_missing": by_status[Submission.MISSING],
            "units_rejected": by_status[Submission.REJECTED],
            "units_below_quota": sum(1 for u in statuses if not u.meets_quota),
            "by_subject": _counts(records["subject"], subjects),
            "by_stage": _counts(records["stage"], stages),
            "new": status_codes.get(config.codes.new, 0),
            "continuing": status_codes.get(config.codes.continuing, 0),
            "replications": int(pd.to_numeric(records["replications"]).fillna(0).sum()),
            "rewarded": int(records["reward_form"].notna().sum()),
            "rewarded_this_period": rewarded,
            "publicised": int((records["publicised"] == "yes").sum()),
            "publicised_this_period": publicised,
        },
        "rows": _rows(outcomes),
        "files": {
            status: sum(1 for o in outcomes if o.status == status)
            + (ignored if status == FileStatus.IGNORED else 0)
            for status in FileStatus
        },
        "continuity": continuity,
    }


def this_period(
    records: pd.DataFrame, earlier: Mapping[str, Sequence[tuple[Any, Any, Any]]]
) -> tuple[int, int]:
    """The records rewarded this period and publicised this period: each reward and each press
    coverage counts once, in the period it is first reported.

    A record's reward (its form) is carried, not this period's, when the same model (its code)
    reported the same reward in a period of an earlier year: the same form, and the same
    decision or a decision on one side only (by matching key, punctuation aside; a decision
    filled in later is the same reward). A record's "Có" in the press column is carried when
    the same model said "Có" in a period of an earlier year. ``earlier``: code -> (form,
    decision, publicised) of each earlier-year record (``register_reading.OtherPeriods.earlier_years``).
    """
    if records.empty:
        return 0, 0
    rewarded = publicised = 0
    for code, form, decision, press in zip(
        records["model_code"].tolist(),
        records["reward_form"].tolist(),
        records["reward_decision"].tolist(),
        records["publicised"].tolist(),
        strict=True,
    ):
        before = earlier.get(code, ())
        if not is_blank(form):
            rewarded += not any(same_reward(form, decision, f, d) for f, d, _ in before)
        if press == "yes":
            publicised += not any(p == "yes" for _, _, p in before)
    return rewarded, publicised


def asked_of_earlier_years(records: pd.DataFrame) -> list[str]:
    """The codes ``this_period`` asks the earlier years about: of the records rewarded, or
    publicised, this period (no other record's earlier years change a figure)."""
    if records.empty:
        return []
    return [
        code
        for code, form, press in zip(
            records["model_code"].tolist(),
            records["reward_form"].tolist(),
            records["publicised"].tolist(),
            strict=True,
        )
        if press == "yes" or not is_blank(form)
    ]


def same_reward(form: Any, decision: Any, other_form: Any, other_decision: Any) -> bool:
    """Whether two reports of a reward are the same reward: the same form, and the same
    decision or a decision on one side only (by matching key, punctuation aside)."""
    said, other = _key(decision), _key(other_decision)
    return (
        not is_blank(other_form)
        and _key(form) == _key(other_form)
        and (not said or not other or said == other)
    )


def _key(value: Any) -> str:
    return "" if is_blank(value) else loose_key(str(value))


def _unit(status: UnitStatus, by_field: dict[Any, int], keys: Mapping[Any, str]) -> dict[str, Any]:
    return {
        "code": status.code,
        "name": status.name,
        "group": status.group,
        "status": status.status,
        "received": status.received.isoformat() if status.received else None,
        "file": status.used.candidate.relative if status.used else None,
        "models": status.models,
        "quota": status.quota,
        "meets_quota": status.meets_quota,
        "by_field": {keys[code]: int(n) for code, n in by_field.items()},
        "rejected_rows": status.used.rows_invalid if status.used else 0,
    }


def _fields(config: Config, records: pd.DataFrame, subjects: list[str]) -> list[dict[str, Any]]:
    """Each field's models, and by subject: the rows counted in one pass."""
    fields = records["field"].tolist()
    models = Counter(fields)
    by_subject = Counter(zip(fields, records["subject"].tolist(), strict=True))
    return [
        {
            "code": f.code,
            "name": f.name,
            "models": models.get(f.code, 0),
            "by_subject": {s: by_subject.get((f.code, s), 0) for s in subjects},
        }
        for f in config.fields
    ]


def _rows(outcomes: list[FileOutcome]) -> dict[str, int]:
    accepted = [o for o in outcomes if o.status == FileStatus.ACCEPTED]
    superseded = sum(o.rows_read for o in outcomes if o.status == FileStatus.SUPERSEDED)
    rows = {
        "accepted": sum(o.rows_valid for o in accepted),
        "rejected": sum(o.rows_invalid for o in accepted),
        "superseded": superseded,
    }
    return {"read": sum(rows.values()), **rows}


def outstanding(
    records: pd.DataFrame,
    limit: int,
    criteria: tuple[str, ...] = DEFAULT_OUTSTANDING,
    units: Sequence[str] = (),
    *,
    honoured: str,
) -> pd.DataFrame:
    """The models the report holds up, ranked by ``criteria`` (report.yaml
    ``outstanding_criteria``, first first), ties by unit (in the registry's order, the report's
    own: ``units``, codes) and row. ``honoured``: the last stage's code (``config.codes``)."""
    if records.empty or limit == 0:
        return records.head(0)
    ranks = outstanding_ranks(records, criteria, units, honoured=honoured)
    # the ranks sorted alone, and only the rows picked taken (not every record copied, sorted)
    keys = pd.DataFrame({**ranks, "_row": records["row"]}).reset_index(drop=True)
    ranked = keys.sort_values(
        [*ranks, "_row"], ascending=[*(False for _ in criteria), True, True], kind="stable"
    )
    return records.iloc[ranked.index[:limit]]


def outstanding_ranks(
    records: pd.DataFrame, criteria: tuple[str, ...], units: Sequence[str], *, honoured: str
) -> dict[str, pd.Series]:
    """Each record's rank by each of ``criteria`` (``_by_…``, higher first), then by its unit's
    place (``_unit``): what ``outstanding`` sorts by, before the row."""

    def filled(key: str) -> pd.Series:
        return records[key].notna() & (records[key].astype(str).str.strip() != "")

    measures = {
        "honoured": lambda: records["stage"] == honoured,
        "reward_decision": lambda: filled("reward_decision"),
        "rewarded": lambda: filled("reward_form") | filled("reward_decision"),
        "replications": lambda: pd.to_numeric(records["replications"]).fillna(0),
        "rated_good": lambda: records["rating"] == "good",
        "publicised": lambda: records["publicised"] == "yes",
    }
    ranks = {f"_by_{key}": measures[key]() for key in criteria}
    order = {code: i for i, code in enumerate(units)}
    ranks["_unit"] = records["unit"].map(lambda code: (order.get(code, len(order)), code))
    return ranks


def pivot(summary: dict[str, Any]) -> dict[str, Any]:
    """The unit × field table as summary.json has it, with its totals, for every rendering."""
    codes = [str(f["code"]) for f in summary["fields"]]
    rows = [
        {"name": u["name"], "counts": [u["by_field"][c] for c in codes], "total": u["models"]}
        for u in summary["units"]
    ]
    return {
        "rows": rows,
        "totals": [f["models"] for f in summary["fields"]],
        "total": summary["totals"]["models"],
    }


def staff_notes(config: Config, outcomes: list[FileOutcome]) -> list[str]:
    """What Board staff should do, never printed in the report nor sent to a unit: a
    placeholder number or signer, and each problem's staff hint once per file."""
    notes = []
    report = config.report
    files = {
        f"schemas/{name}": _shown(config_module.source(config.folder, name))
        for name in ("units.yaml", "report.yaml")
    }  # the files this run really used

    def said(text: str) -> str:
        for bundled, used in files.items():
            text = text.replace(bundled, used)
        return text

    if _placeholder(report.document_number):
        notes.append(
            said(
                "Số văn bản chưa có: chạy lại với --so SỐ (ví dụ --so 123), hoặc điền "
                "mục document_number trong schemas/report.yaml; số được ghi ở đầu báo cáo và "
                "dưới tên mỗi phụ lục, cả bản Word và HTML, không phải gõ lại trong Word."
            )
        )
    signer = report.signer.name
    if _placeholder(signer) or signer in PLACEHOLDER_NAMES:
        notes.append(
            said(
                f'Người ký "{signer}" là tên mẫu: chạy lại với --nguoi-ky "Họ và tên", hoặc '
                "sửa schemas/report.yaml, mục signer.name (và signer.title), rồi chạy lại."
            )
        )
    seen = set()
    for outcome in outcomes:
        for p in outcome.problems:
            if p.staff_hint and (p.file, p.code) not in seen:
                seen.add((p.file, p.code))
                notes.append(f"{p.file}: {p.message} {said(p.staff_hint)}")
    return notes


def _shown(path: Path) -> str:
    """A schema file's path as staff would type it: from here when below here."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


# names the shipped schemas and Vietnamese forms use as stand-ins for a real person
PLACEHOLDER_NAMES = {"Nguyễn Văn A", "Nguyễn Văn B", "Nguyễn Thị A", "Nguyễn Thị B"}


def _placeholder(text: str) -> bool:
    return not text.strip(" .…xX")
