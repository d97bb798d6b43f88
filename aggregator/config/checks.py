"""Check a loaded configuration where JSON Schema cannot: unique codes, known references, meanings.

Every refusal is a ``ConfigError`` naming the file and the key, in Vietnamese, for Board staff.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from aggregator.config import descriptors
from aggregator.problems import ProblemCode
from aggregator.text import loose_key, match_key

if TYPE_CHECKING:  # the loaded configuration's type: this module is imported by its loader
    from aggregator.config import Config

PERIODS = ("annual", "half_year")


class ConfigError(Exception):
    """A schema file that cannot be used; the message is for Board staff."""


def references(config: Config) -> None:
    """Cross-file checks JSON Schema cannot express: unique codes and known references."""
    folder = config.folder
    _unique([u.code for u in config.units], folder / "units.yaml", "units.code")
    _unique([match_key(u.name) for u in config.units], folder / "units.yaml", "units.name")
    for i, unit in enumerate(config.units):
        if unit.group not in config.groups:
            raise ConfigError(
                f"Tệp {folder / 'units.yaml'}, mục units.{i}.group: nhóm "
                f'"{unit.group}" không có trong groups.'
            )
    _check_formerly(config)
    _unique([f.code for f in config.fields], folder / "fields.yaml", "fields.code")
    subject_codes = {s.code for s in config.subjects}
    for i, fld in enumerate(config.fields):
        for subject in fld.subjects:
            if subject not in subject_codes:
                raise ConfigError(
                    f"Tệp {folder / 'fields.yaml'}, mục fields.{i}.subjects: đối "
                    f'tượng "{subject}" không có trong subjects.'
                )
    if sorted(f.code for f in config.fields) != list(range(1, len(config.fields) + 1)):
        raise ConfigError(f"Tệp {folder / 'fields.yaml'}, mục fields.code: mã lĩnh vực phải liên tiếp từ 1.")
    _check_rules(config)
    _unique([c.key for c in config.columns], folder / "workbook.yaml", "columns.key")
    _unique([loose_key(c.header) for c in config.columns], folder / "workbook.yaml", "columns.header")
    for key in descriptors.REQUIRED_COLUMNS:
        if key not in {c.key for c in config.columns}:
            raise ConfigError(
                f'Tệp {folder / "workbook.yaml"}, mục columns: thiếu cột "{key}" mà chương trình cần.'
            )
    _check_meanings(config)
    if {p.code for p in config.periods} != set(PERIODS):
        raise ConfigError(
            f"Tệp {folder / 'workbook.yaml'}, mục periods: phải có đúng hai kỳ annual và half_year."
        )
    for period in PERIODS:
        try:
            config.deadline(2000, period)
        except (KeyError, ValueError) as exc:
            raise ConfigError(
                f'Tệp {folder / "report.yaml"}, mục deadlines.{period}: cần dạng "tháng-ngày", ví dụ "12-05".'
            ) from exc


def _check_formerly(config: Config) -> None:
    """A unit of an earlier registry has one successor, and is not a unit of this one: else the
    register could not tell whose its models are."""
    path = config.folder / "units.yaml"
    now = {(u.code, match_key(u.name)): u.code for u in config.units}
    claimed: dict[tuple[str, str], str] = {}
    for i, unit in enumerate(config.units):
        for j, (code, name) in enumerate(unit.formerly):
            key = (code, match_key(name))
            where = f"Tệp {path}, mục units.{i}.formerly.{j}"
            if now.get(key, unit.code) != unit.code:
                raise ConfigError(
                    f'{where}: "{name}" ({code}) vẫn là một đơn vị trong danh sách; chỉ ghi ở '
                    "formerly những đơn vị đã thôi báo cáo (đổi tên, sáp nhập)."
                )
            if claimed.setdefault(key, unit.code) != unit.code:
                raise ConfigError(
                    f'{where}: "{name}" ({code}) đã ghi ở formerly của đơn vị {claimed[key]}; '
                    "mỗi đơn vị cũ chỉ có một đơn vị nhận các mô hình của nó (khi chia tách, ghi "
                    "ở đơn vị giữ các mô hình đó)."
                )


def _check_meanings(config: Config) -> None:
    """The codes ``meanings`` gives a sense to are the status and stage columns' own: a code
    renamed on one side only would silently count nothing as new, continuing or honoured."""
    where = f"Tệp {config.folder / 'workbook.yaml'}, mục meanings"
    statuses = [c.code for c in config.column("status").choices]
    for key, code in (("new", config.codes.new), ("continuing", config.codes.continuing)):
        if code not in statuses:
            raise ConfigError(
                f'{where}.{key}: mã "{code}" không có trong các lựa chọn của cột status '
                f"({', '.join(statuses) or 'không có lựa chọn nào'}); đổi mã ở cả hai chỗ cho khớp."
            )
    if config.codes.new == config.codes.continuing:
        raise ConfigError(f'{where}.continuing: mã "{config.codes.continuing}" trùng với mã của new.')
    stages = [c.code for c in config.column("stage").choices]
    for code in config.codes.stages:
        if code not in stages:
            raise ConfigError(
                f'{where}.stages: giai đoạn "{code}" không có trong các lựa chọn của cột stage '
                f"({', '.join(stages) or 'không có lựa chọn nào'}); đổi mã ở cả hai chỗ cho khớp."
            )
    _unique(list(config.codes.stages), config.folder / "workbook.yaml", "meanings.stages")
    for code in stages:
        if code not in config.codes.stages:
            raise ConfigError(
                f'{where}.stages: thiếu giai đoạn "{code}" (một lựa chọn của cột stage); ghi đủ '
                "mọi giai đoạn, từ thấp đến cao."
            )


def _check_rules(config: Config) -> None:
    """A rule key that names no problem would silently do nothing, and one that names a safety
    refusal or a fact must not be turned off: refuse either by name (and an error that could
    reject nothing)."""
    for key, level in config.rules.items():
        try:
            code = ProblemCode.of(key)
        except ValueError:
            raise ConfigError(
                f"Tệp {config.folder / 'workbook.yaml'}, mục rules.{key}: không có "
                "quy tắc nào tên như vậy (xem danh sách mã trong README)."
            ) from None
        if not code.configurable:
            raise ConfigError(
                f"Tệp {config.folder / 'workbook.yaml'}, mục rules.{key}: không đổi được mức độ "
                "của mục này (đây là giới hạn an toàn hoặc một sự việc chương trình ghi nhận, "
                "không phải quy tắc kiểm tra); xóa dòng này."
            )
        if level == "error" and not code.may_reject:
            raise ConfigError(
                f"Tệp {config.folder / 'workbook.yaml'}, mục rules.{key}: chỉ đặt được warning "
                "hoặc off (mục này được xét sau khi đã chọn tệp dùng để tổng hợp nên không loại "
                "được tệp nào)."
            )


def _unique(values: list[Any], path: Path, where: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ConfigError(f'Tệp {path}, mục {where}: giá trị "{value}" bị trùng.')
        seen.add(value)
