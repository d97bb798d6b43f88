"""The registry chosen once: a unit list copied into the settings folder, saying where it came from.

Staff choose the list (the plan's 21 units, the 2025 preset, their own) with one command; from
then on every command reads ``schemas/units.yaml`` with no flag. A copy, not a pointer: the list
in use is one file staff can read and edit (addresses, aliases), and updating the program never
changes it. The list it replaces is kept in ``schemas/cu/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from aggregator.config import UNITS_FILE, ConfigError, load

HEADER = "#> "  # the lines ``use`` writes above the list (taken off again when it is copied on)
BACKUPS = "cu"  # schemas/cu/: the lists replaced, one file each
_ORIGIN = re.compile(r"^origin:.*\n?", re.MULTILINE)  # the one top-level key ``use`` writes


@dataclass(frozen=True)
class Chosen:
    path: Path  # the settings' units.yaml, now the list chosen
    origin: str  # the list it was copied from, as staff would type it
    units: int
    backup: Path | None  # the list it replaced, kept
    unchanged: bool  # the list was already in use: nothing written


def use(chosen: Path, schemas: Path, today: dt.date) -> Chosen:
    """Copy the unit list ``chosen`` (a units.yaml, or a folder holding one) into ``schemas``,
    after checking it loads; the list it replaces is kept in ``schemas/cu/``.

    A ConfigError, naming the file, when it cannot be used (nothing is written then).
    """
    source = chosen / UNITS_FILE if chosen.is_dir() else chosen
    if not source.is_file():
        raise ConfigError(
            f"Không thấy danh sách đơn vị {source}: ghi đường dẫn tới thư mục có tệp {UNITS_FILE} "
            "(ví dụ presets/khanh-hoa-2025) hoặc tới chính tệp đó."
        )
    try:
        body = _body(source.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            f"Tệp {source} không phải văn bản UTF-8: lưu lại dạng UTF-8 rồi chạy lại."
        ) from None
    units = _checked(source, body)
    origin = re.sub(r"[\x00-\x1f\x7f]", "?", shown(source))  # one line in the header, whatever the name
    target = schemas / UNITS_FILE
    if target.is_file() and _body(target.read_text(encoding="utf-8", errors="replace")) == body:
        return Chosen(target, origin, units, None, unchanged=True)
    schemas.mkdir(parents=True, exist_ok=True)
    backup = None
    if target.is_file():
        (schemas / BACKUPS).mkdir(exist_ok=True)
        backup = schemas / BACKUPS / f"units-{dt.datetime.now():%Y%m%d-%H%M%S}.yaml"
        shutil.copy2(target, backup)
    header = (
        f"{HEADER}Danh sách đơn vị đang dùng: chép từ {origin} ngày {today:%d/%m/%Y} bằng lệnh\n"
        f'{HEADER}"python aggregate.py registry use {origin}". Mọi lệnh dùng tệp này, không cần\n'
        f"{HEADER}thêm --schemas. Sửa thẳng tại đây (địa chỉ thư, cách viết tên khác…). Chọn danh\n"
        f"{HEADER}sách khác: chạy lại lệnh trên với đường dẫn khác; tệp này khi đó được giữ lại\n"
        f"{HEADER}trong schemas/{BACKUPS}/.\n"
        f"origin: {json.dumps(origin, ensure_ascii=False)}\n"
    )
    handle, temporary = tempfile.mkstemp(prefix=".units-", suffix=".yaml", dir=schemas)
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
        out.write(header + body)
    os.replace(temporary, target)  # whole or not at all
    return Chosen(target, origin, units, backup, unchanged=False)


def shown(path: Path) -> str:
    """A path as staff would type it: from the current folder when below it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)


def _body(text: str) -> str:
    """A list's text without the lines ``use`` wrote above it: what staff chose, as it was."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith(HEADER):
        lines.pop(0)
    return _ORIGIN.sub("", "".join(lines))


def _checked(source: Path, body: str) -> int:
    """How many units the list holds, once it loads as the settings' list would (the other
    settings files the bundled ones); its errors name the file staff gave."""
    with tempfile.TemporaryDirectory(prefix="danh-sach-") as folder:
        (Path(folder) / UNITS_FILE).write_text(body, encoding="utf-8")
        try:
            return len(load(folder).units)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(str(Path(folder) / UNITS_FILE), str(source))) from None
