"""The record: one row of a unit's list, typed and frozen, built once by validation.

A record holds the value of each column workbook.yaml declares (columns are data: the values
sit in a tuple aligned with them, ``RecordColumns``), where it was read and whether it counts;
the columns the rules read have typed accessors. Its columns are declared here once, and every
writer derives its own from them (``frame_columns``, ``record_columns``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from aggregator.config.descriptors import REQUIRED_COLUMNS

if TYPE_CHECKING:  # types only
    from aggregator.config import Column, Config

T = TypeVar("T")

# A record, declared once: where it was read (SOURCE), whether it counts, the value of each
# column workbook.yaml declares (data: ``RecordColumns``, in the declared order) and the name's
# matching key. Merging adds its LINEAGE (whose, from which file); every writer derives its
# columns from these (``frame_columns``): the records frame, the master workbook, the register.
SOURCE = ("sheet", "row")  # where in its file (the file itself: ``Record.file``)
LINEAGE = ("unit", "file", "sha256")  # whose record, and the file it came from, by name and hash
MATCH_KEY = "name_key"  # the name's matching key (case, tone marks, spacing): names are matched by it
# the columns the rules read by name: ``Record``'s typed accessors, which workbook.yaml must
# declare (declared in config.descriptors, the layer both the configuration and the model read)
TYPED = REQUIRED_COLUMNS


_COLUMNS: dict[tuple[str, ...], RecordColumns] = {}  # by their keys: each made once (``of``)


@dataclass(frozen=True, slots=True)
class RecordColumns:
    """A record's columns: workbook.yaml's keys, in its order (one per configuration, shared by
    every record read with it)."""

    keys: tuple[str, ...]
    at: Mapping[str, int]  # key -> its place in ``Record.values``

    @classmethod
    def of(cls, keys: Iterable[str]) -> RecordColumns:
        """The columns of these keys: one object for equal keys, however often asked (each
        file's records come back from a reading worker with their own copy, read back as it)."""
        keys = tuple(keys)
        known = _COLUMNS.get(keys)
        if known is not None:
            return known
        missing = [k for k in TYPED if k not in keys]
        if missing:
            raise ValueError(f"a record needs the columns {missing}")
        return _COLUMNS.setdefault(keys, cls(keys, MappingProxyType({k: i for i, k in enumerate(keys)})))

    @classmethod
    def of_config(cls, config: Config) -> RecordColumns:
        return cls.of(c.key for c in config.columns)

    def __reduce__(self) -> tuple[Any, ...]:  # (a mapping proxy does not pickle: its keys do)
        return (RecordColumns.of, (self.keys,))


def record_columns(config: Config) -> list[Column]:
    """The record's columns as workbook.yaml declares them, in its order: what every workbook
    that lays out records (the standard, pre-filled and feedback workbooks, the master
    workbook) lays out."""
    return [config.column(key) for key in RecordColumns.of_config(config).keys]


def frame_columns(columns: RecordColumns) -> list[str]:
    """The columns of the merged records (frame, master workbook, register source), in order."""
    return [*LINEAGE, *SOURCE, *columns.keys, MATCH_KEY]


class _Typed(Generic[T]):
    """One column of a record read by name, typed: ``record.stage`` is its "stage" value."""

    def __init__(self, key: str):
        self.key = key

    @overload
    def __get__(self, record: None, owner: type) -> _Typed[T]: ...
    @overload
    def __get__(self, record: Record, owner: type) -> T: ...
    def __get__(self, record: Record | None, owner: type) -> T | _Typed[T]:
        if record is None:
            return self
        return record.values[record.columns.at[self.key]]


@dataclass(frozen=True, slots=True)
class Record:
    """One data row of a unit's list, as validation judged it, built once: every later stage
    that changes it (continuity gives its code, or rejects it for one) makes a new one."""

    columns: RecordColumns
    values: tuple[Any, ...]  # the parsed value of each column, aligned with ``columns.keys``
    file: str  # the inbox-relative path of its file
    sheet: str
    row: int  # 1-based, as the sheet numbers it
    accepted: bool  # no error: it counts
    name_key: str = ""  # set on rows with no error (the register matches names by it)

    def __reduce__(self) -> tuple[Any, ...]:  # (its fields in order: what a worker sends back)
        return (
            Record,
            (self.columns, self.values, self.file, self.sheet, self.row, self.accepted, self.name_key),
        )

    def get(self, key: str, default: Any = None) -> Any:
        """A column's value, or one of the record's own fields, by name."""
        at = self.columns.at.get(key)
        if at is not None:
            return self.values[at]
        if key in _OWN:
            return getattr(self, key)
        return default

    def __getitem__(self, key: str) -> Any:
        if key not in self.columns.at and key not in _OWN:
            raise KeyError(key)
        return self.get(key)

    def as_row(self) -> dict[str, Any]:
        """The record as one row of a frame: its place, whether it counts, its values, its key."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "accepted": self.accepted,
            **dict(zip(self.columns.keys, self.values, strict=True)),
            MATCH_KEY: self.name_key,
        }

    def coded(self, code: str | None) -> Record:
        """The same record under a model code (continuity's): itself when it holds that code
        already (a pre-filled row's), else a new one."""
        at = self.columns.at["model_code"]
        if type(self.values[at]) is type(code) and self.values[at] == code:
            return self  # (frozen: no second copy of the row to hold)
        values = list(self.values)
        values[at] = code
        # (every field given, not ``replace``: its look at the fields costs more than the rest)
        return Record(
            self.columns, tuple(values), self.file, self.sheet, self.row, self.accepted, self.name_key
        )

    def rejected(self) -> Record:
        """The same record, no longer counted (its code is another model's)."""
        return replace(self, accepted=False)

    # the columns the rules read, typed (``TYPED``); any other by ``get``
    name = _Typed[str | None]("name")
    field = _Typed[int | None]("field")
    subject = _Typed[str | None]("subject")
    performer = _Typed[str | None]("performer")
    year_built = _Typed[int | None]("year_built")
    status = _Typed[str | None]("status")
    stage = _Typed[str | None]("stage")
    content = _Typed[str | None]("content")
    replications = _Typed[int | None]("replications")
    reward_form = _Typed[str | None]("reward_form")
    reward_decision = _Typed[str | None]("reward_decision")
    publicised = _Typed[str | None]("publicised")
    model_code = _Typed[str | None]("model_code")


_OWN = frozenset({"file", "sheet", "row", "accepted", MATCH_KEY})


def shared_texts(rows: Iterable[Record]) -> tuple[Record, ...]:
    """The same records, each text that repeats among them held once (equal texts become the
    first one met): a unit's rows repeat the same performer, place, stage..., and a copy of
    each would otherwise be kept, and sent between processes, once per row."""
    seen: dict[str, str] = {}

    def once(value: Any) -> Any:
        return seen.setdefault(value, value) if type(value) is str else value

    return tuple(
        Record(
            r.columns,
            tuple(map(once, r.values)),
            once(r.file),
            once(r.sheet),
            r.row,
            r.accepted,
            once(r.name_key),
        )
        for r in rows
    )
