"""The register made ready while a run writes its outputs, and swapped in once they are published.

Once a run's folder takes its name, the register must hold the new period; reading the new
period file back then (``refresh``) would come after everything else is written. ``Ahead``
does it beside the rendering instead: as soon as the period file is written in the run's
temporary folder, a thread copies the outbox's register (taken only when it is whole and
current for every other period: its seal, its tables, its periods' hashes, as ``refresh``
judges it), puts the new period's records in the copy, read from that file and checked exactly
as ``refresh`` reads it, and puts the copy on disk.

After the publish, still holding the lock, ``swap_in`` takes the copy only when every period
file is now exactly what it was built from (the new one: the very bytes read, and what its
folder's SHA256SUMS vouches for); on any difference or failure the copy is discarded and
``refresh`` does the work as before, so its findings (a damaged period, named) are the same.
The copy is a temporary file beside the register: a run killed at any point leaves the old
register, stale at worst (the next run's refresh repairs it), and the next run removes it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from aggregator.hashing import sha256
from aggregator.merging.register_files import PERIOD_FILE, Damaged, _digest, _vouched, period_folders
from aggregator.merging.register_store import _clear_leftovers, _current, _replace_period, connect, install
from aggregator.merging.register_tables import DB_NAME

log = logging.getLogger("aggregator")
PREFIX = f".{DB_NAME}.dang-ghi-truoc-"  # the copy (a killed run's: removed by the next run)


class _NotReady(Exception):
    """The copy cannot be made ready: ``refresh`` will do the work after the publish."""


@dataclass(frozen=True)
class _Ready:
    others: dict[tuple[int, str], str]  # the other period files' SHA-256 the copy holds
    digest: str  # the new period file's SHA-256, as read into the copy
    sealed: str  # the copy's own SHA-256


class Ahead:
    """The register with the run's period in it, made ready beside the rendering."""

    def __init__(self, outbox: Path, key: tuple[int, str], name: str):
        self.outbox, self.key, self.name = outbox, key, name  # name: the period folder's
        self.path = outbox / f"{PREFIX}{os.getpid()}"
        self._thread: threading.Thread | None = None
        self._ready: _Ready | None = None

    def start(self, source: Path) -> None:
        """Begin with the period file just written (``source``, in the run's temporary
        folder); call it holding the outbox lock. Later calls change nothing."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._prepare, args=(source,), name="so-mo-hinh", daemon=True
            )
            self._thread.start()

    def _prepare(self, source: Path) -> None:
        try:
            self._ready = _prepare(self.outbox, self.key, self.name, source, self.path)
        except Exception as exc:  # any doubt: the register is brought up to date as before
            log.debug("register not made ready ahead: %s", exc)
            self.path.unlink(missing_ok=True)

    def wait(self) -> _Ready | None:
        """The copy done with (call it before the temporary folder is renamed: on Windows a
        folder with a file open in it cannot be); what it made ready, if anything."""
        if self._thread is not None:
            self._thread.join()
        return self._ready

    def swap_in(self) -> bool:
        """After the publish, holding the lock: the copy becomes the register, sealed, when
        every period file is what it was built from. False, and nothing changed, otherwise."""
        ready = self.wait()
        self._ready = None  # taken once
        try:
            if ready is None or not _still(self.outbox, self.key, self.name, ready):
                return False
            _clear_leftovers(self.outbox)
            install(self.path, self.outbox / DB_NAME, ready.sealed)
            return True
        except OSError as exc:  # (a register held open elsewhere): refresh says what to do
            log.debug("register made ready ahead not swapped in: %s", exc)
            return False
        finally:
            self.path.unlink(missing_ok=True)

    def discard(self) -> None:
        """The copy removed, if it was not swapped in (the run failed, or it was refused)."""
        self.wait()
        self._ready = None
        self.path.unlink(missing_ok=True)


def _prepare(outbox: Path, key: tuple[int, str], name: str, source: Path, path: Path) -> _Ready:
    """The outbox's register copied to ``path`` when it is current for every period but
    ``key``, and the records of ``source`` put in it as ``key``'s (folder ``name``)."""
    others = {k: _digest(f / PERIOD_FILE) for k, f in period_folders(outbox).items() if k != key}
    path.unlink(missing_ok=True)
    shutil.copyfile(outbox / DB_NAME, path)  # beside the register: its seal is the one to match
    if not _current(path, others, besides=key):
        raise _NotReady("the register is not current for the other periods")
    connection = connect(path)
    try:  # a file no one else sees yet: journal in memory, on disk once, at the end
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN IMMEDIATE")
        try:
            digest = _replace_period(connection, key, name, source, None, names_then=_unnamed)
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
    except Damaged as exc:  # refresh reads it again, and says so
        raise _NotReady(str(exc)) from exc
    finally:
        connection.close()
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
    return _Ready(others, digest, sha256(path))


def _unnamed(folder: Path) -> dict[str, str]:
    """A record without its unit's name takes it from the period's summary.json, read where
    the period ends up: left to ``refresh``."""
    raise _NotReady(f"records without their unit's name in {folder}")


def _still(outbox: Path, key: tuple[int, str], name: str, ready: _Ready) -> bool:
    """Every period file now what the copy was built from, the new one in its folder ``name``
    and vouched for by its SHA256SUMS (when it names it) as ``refresh`` would check it."""
    folders = period_folders(outbox)
    final = folders.get(key)
    if final is None or final.name != name:
        return False
    now = {k: _digest(f / PERIOD_FILE) for k, f in folders.items()}
    if now != {**ready.others, key: ready.digest}:
        return False
    vouched = _vouched(final)
    return vouched is None or vouched == ready.digest
