"""The register of models across periods, as the rest of the package calls it: one name for five modules.

The register is a SQLite database in ``outbox/`` derived from the period folders' records files.
Its parts, each one job:

- ``register_tables``: what it keeps of a record, declared once (the period file's columns, the
  SQLite tables);
- ``register_files``: the period folders and their records files, written and read back checked;
- ``register_store``: the SQLite file, kept current with the period folders, built afresh, sealed;
- ``register_ahead``: a run's period put in a copy of it while the run writes, swapped in after;
- ``register_reading``: reading it for a run (``OtherPeriods``: the periods besides the one run,
  one unit's records at a time; whose a code is; the latest period before a run).

The period order and the folders' names are ``aggregator.periods``'.
"""

from __future__ import annotations

from aggregator.merging.register_ahead import Ahead
from aggregator.merging.register_files import (
    CHECKSUMS,
    FORMAT,
    OLD_FORMAT,
    PERIOD_FILE,
    Damaged,
    period_folders,
    write_period_file,
)
from aggregator.merging.register_reading import (
    Identities,
    OtherPeriods,
    Owner,
    UnitRecords,
    latest_before,
    other_periods,
)
from aggregator.merging.register_store import SEAL, connect, dump, periods_held, rebuild, refresh, sync
from aggregator.merging.register_tables import (
    COLUMNS,
    DB_FORMAT,
    DB_NAME,
    RECORD,
    REGISTER_KEY,
    SCHEMA,
    WORKBOOK_KEY,
    declared,
    record_schema,
)
from aggregator.periods import ORDER as PERIOD_RANK
from aggregator.periods import RANK_SQL, rank
from aggregator.periods import parse_folder as period_of

__all__ = [
    "Ahead",
    "CHECKSUMS",
    "COLUMNS",
    "DB_FORMAT",
    "DB_NAME",
    "FORMAT",
    "OLD_FORMAT",
    "PERIOD_FILE",
    "PERIOD_RANK",
    "RANK_SQL",
    "RECORD",
    "REGISTER_KEY",
    "SCHEMA",
    "SEAL",
    "WORKBOOK_KEY",
    "Damaged",
    "Identities",
    "OtherPeriods",
    "Owner",
    "UnitRecords",
    "connect",
    "declared",
    "dump",
    "latest_before",
    "other_periods",
    "period_folders",
    "period_of",
    "periods_held",
    "rank",
    "rebuild",
    "record_schema",
    "refresh",
    "sync",
    "write_period_file",
]
