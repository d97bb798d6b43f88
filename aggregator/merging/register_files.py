"""The period files: a period folder's accepted records (``mo-hinh.jsonl``), written and read back checked.

Each period folder holds its accepted records with their model codes, listed in its
``SHA256SUMS``; that file is the source of truth, and untrusted input: every record is checked
against the ``models`` table's declaration (``register_tables``), and the file's last line holds
its record count and the hash of the lines above, so a file cut short is seen (``Damaged``: which
line, why). Archived runs in ``luu-tru/`` are not period folders.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from aggregator import periods
from aggregator.hashing import sha256
from aggregator.merging import register_tables as tables

PERIOD_FILE = "mo-hinh.jsonl"
FORMAT = 2  # the period files' layout: 2 ends with a line of the record count and hash
OLD_FORMAT = 1  # no last line: trusted only when the folder's SHA256SUMS vouches for it
CHECKSUMS = "SHA256SUMS"  # the period folder's sums (outbox.swap.CHECKSUMS)


def period_folders(outbox: Path) -> dict[tuple[int, str], Path]:
    """The period folders of an outbox (archived runs are not): those that carry a records
    file, and those whose records file is gone (a run's folder, its manifest there): a period
    that went missing is said, never dropped without a word."""
    found: dict[tuple[int, str], Path] = {}
    if outbox.is_dir():
        for folder in sorted(outbox.iterdir()):
            when = periods.parse_folder(folder.name)
            if when and ((folder / PERIOD_FILE).exists() or _ran(folder)):
                found[when] = folder
    return found


def _ran(folder: Path) -> bool:
    """A run of this version wrote the folder: its SHA256SUMS names a records file."""
    return _vouched(folder) is not None


def _digest(source: Path) -> str:
    """A period file's SHA-256; "" when there is no file to read (gone, or a folder)."""
    try:
        return sha256(source) if source.is_file() else ""
    except OSError:
        return ""


# -- the period file ------------------------------------------------------------------------


class Damaged(ValueError):
    """A period file that cannot be trusted whole: the line (1 = the header) and why."""

    def __init__(self, line: int, why: str):
        super().__init__(f"dòng {line}: {why}" if line else why)
        self.line = line
        self.why = why


def write_period_file(path: Path, year: int, period: str, rows: Iterable[list[Any]]) -> Path:
    """A period's accepted records: a header line, one JSON array per record, and a last line
    with the record count and the SHA-256 of every line above it."""
    digest = hashlib.sha256()
    count = 0
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    header = {"format": FORMAT, "year": year, "period": period, "columns": tables.COLUMNS}
    with path.open("wb") as handle:

        def put(line: str) -> None:
            data = (line + "\n").encode("utf-8")
            digest.update(data)
            handle.write(data)

        put(json.dumps(header, ensure_ascii=False))
        for row in rows:  # a blank read as a float (NaN) is no value: null
            put(encode([None if type(v) is float and v != v else v for v in row]))
            count += 1
        handle.write((json.dumps({"records": count, "sha256": digest.hexdigest()}) + "\n").encode("utf-8"))
    return path


_INT64 = (-(1 << 63), (1 << 63) - 1)
CELL_CHARS = 32_767  # what one worksheet cell holds: validation cuts longer text, so no record has more
# a record line's bound: every column at a full cell, each character escaped (\uXXXX), with room
MAX_LINE = 8_000_000
_WHAT = {"INTEGER": "một số nguyên", "TEXT": "một đoạn chữ", "REAL": "một số"}


def _fault(value: Any, kind: str, required: bool) -> str | None:
    """What is wrong with one value of a record for its declared column, or None."""
    if value is None:
        return "thiếu giá trị" if required else None
    if kind == "INTEGER":
        ok = type(value) is int and _INT64[0] <= value <= _INT64[1]
    elif kind == "TEXT":
        ok = type(value) is str
        if ok and len(value) > CELL_CHARS:
            return f"chữ dài {len(value)} ký tự, quá sức chứa một ô ({CELL_CHARS})"
        if ok:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "chữ có ký tự không hợp lệ"
    elif kind == "REAL":
        ok = type(value) in (int, float) and math.isfinite(value) and abs(value) < 1e300
    else:
        ok = type(value) in (str, int)
    return None if ok else f"cần {_WHAT.get(kind, 'một giá trị')}, gặp {json.dumps(value)[:40]}"


_decode = json.JSONDecoder().decode


def _utf8(line: bytes) -> bool:
    """Whether ``json.loads`` reads the line as UTF-8 (its first two bytes not zero, no BOM)."""
    return len(line) > 1 and line[0] == 0x5B and line[1] != 0  # "["


def _check(rows: list[list[Any]], first: int) -> None:
    """Raises ``Damaged`` at the first fault of a value in ``rows`` (the first on line
    ``first``) as ``_fault`` finds it. A column at a time first, in C: rows with no fault, the
    most, never reach ``_fault``."""
    if not rows:
        return
    schema = tables.record_schema()
    for (_, kind, required), values in zip(schema, zip(*rows, strict=True), strict=True):
        if not _fine(values, kind, required):
            break
    else:
        return
    for number, row in enumerate(rows, first):
        for (name, kind, required), item in zip(schema, row, strict=True):
            if (fault := _fault(item, kind, required)) is not None:
                raise Damaged(number, f"cột {name}: {fault}")


_NONE = type(None)


def _fine(values: tuple[Any, ...], kind: str, required: bool) -> bool:
    """Whether no value of a column has a fault (``_fault``); False when in doubt."""
    kinds = set(map(type, values))
    if not required:
        kinds.discard(_NONE)
    if kind == "TEXT" and kinds <= {str}:
        texts = list(filter(None, values))  # (None and "" dropped: neither is at fault)
        if max(map(len, texts), default=0) > CELL_CHARS:
            return False
        try:
            "".join(texts).encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if kind == "INTEGER" and kinds <= {int}:
        numbers = list(filter(None, values))
        return _INT64[0] <= min(numbers, default=0) and max(numbers, default=0) <= _INT64[1]
    return all(_fault(v, kind, required) is None for v in values)


def _period_file(
    path: Path, key: tuple[int, str], vouched: str | None = None, chunk: int = 5000
) -> Iterator[list[list[Any]]]:
    """The records of a period file, in chunks, each record checked against the declared
    columns. Raises ``Damaged`` (which line, why) at the first fault, and at the end when the
    file is shorter or longer than its last line says: the caller drops what it took.

    ``vouched``: the file's SHA-256 as the folder's SHA256SUMS gives it, for a file of the
    old layout (no last line): taken only when it matches.
    """
    schema = tables.record_schema()
    digest = hashlib.sha256()
    whole = hashlib.sha256()
    with path.open("rb") as handle:
        first = handle.readline(MAX_LINE + 1)
        digest.update(first)
        whole.update(first)
        try:
            header = json.loads(first)
            columns = header["columns"]
            fmt = header.get("format")
            if not isinstance(columns, list) or not all(type(c) is str for c in columns):
                raise TypeError("columns")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise Damaged(1, "dòng đầu không phải tiêu đề của tệp mô hình") from exc
        if fmt not in (FORMAT, OLD_FORMAT) or (header.get("year"), header.get("period")) != key:
            raise Damaged(
                1, f"tiêu đề ghi năm {header.get('year')}, kỳ {header.get('period')}, định dạng {fmt}"
            )
        where = [columns.index(c) if c in columns else None for c in tables.COLUMNS]
        missing = [c for (c, _, required), i in zip(schema, where, strict=True) if required and i is None]
        if missing:
            raise Damaged(1, f"thiếu cột {', '.join(missing)}")
        codes: set[str] = set()
        rows: list[list[Any]] = []
        trailer: dict[str, Any] | None = None
        number = 1
        start = 2
        same = where == list(range(len(columns)))  # the writer's own columns, in its order
        try:
            for line in iter(lambda: handle.readline(MAX_LINE + 1), b""):
                number += 1
                if len(line) > MAX_LINE:  # no record the writer makes is this long: never parsed
                    raise Damaged(number, f"dòng dài quá {MAX_LINE // 1_000_000} MB")
                whole.update(line)
                if trailer is not None:
                    raise Damaged(number, "còn dòng sau dòng cuối ghi số bản ghi")
                if not line.endswith(b"\n"):
                    raise Damaged(number, "dòng bị cắt dở (không có dấu xuống dòng)")
                try:  # (json.loads itself, without guessing the encoding of a line that is UTF-8)
                    value = (
                        _decode(line.decode("utf-8", "surrogatepass")) if _utf8(line) else json.loads(line)
                    )
                except ValueError as exc:
                    raise Damaged(number, "không đọc được (JSON hỏng)") from exc
                if isinstance(value, dict) and fmt == FORMAT:
                    trailer = value
                    continue
                digest.update(line)
                if not isinstance(value, list) or len(value) != len(columns):
                    raise Damaged(number, f"cần {len(columns)} giá trị theo tiêu đề")
                row = value if same else [value[i] if i is not None else None for i in where]
                if fmt == OLD_FORMAT:  # its writer wrote a blank text as NaN
                    row = [None if type(v) is float and v != v else v for v in row]
                if not rows:
                    start = number  # the line of the chunk's first record
                rows.append(row)  # its values checked with the rest of its chunk (``_check``)
                code = str(row[0])
                if code in codes:
                    raise Damaged(number, f"mã {code} ghi hai lần")
                codes.add(code)
                if len(rows) >= chunk:
                    _check(rows, start)
                    yield rows
                    rows = []
        except Damaged:  # a fault in a value of an earlier record is said first, as it comes first
            _check(rows, start)
            raise
        _check(rows, start)
        if rows:
            yield rows
    if fmt == FORMAT:
        if trailer is None:
            raise Damaged(number + 1, "thiếu dòng cuối ghi số bản ghi: tệp bị cắt ngắn")
        if trailer.get("records") != len(codes):
            raise Damaged(number, f"có {len(codes)} bản ghi, dòng cuối ghi {trailer.get('records')}")
        if trailer.get("sha256") != digest.hexdigest():
            raise Damaged(number, "nội dung khác mã SHA-256 ghi ở dòng cuối (tệp đã bị sửa)")
    elif vouched != whole.hexdigest():
        raise Damaged(0, "tệp định dạng cũ (không ghi số bản ghi) không khớp SHA256SUMS của thư mục")
    if vouched is not None and vouched != whole.hexdigest():  # its last line rewritten to match
        raise Damaged(0, "nội dung khác mã SHA-256 ghi trong SHA256SUMS của thư mục (tệp đã bị sửa)")


def _vouched(folder: Path) -> str | None:
    """The period file's SHA-256 as its folder's SHA256SUMS gives it, if it does."""
    try:
        for line in (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines():
            expected, _, name = line.partition("  ")
            if name == PERIOD_FILE:
                return expected
    except (OSError, ValueError):
        pass
    return None
