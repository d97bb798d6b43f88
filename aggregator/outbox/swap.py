"""Write a run's outputs so that a crash or a second run never spoils a finished outbox.

Outputs are built in a hidden temporary folder and moved into place only when complete; the
previous outputs of the same year and period are moved to ``luu-tru/`` first, never overwritten.
A lock file stops two runs at once; a lock left by a crashed run is taken over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from aggregator.merging.register_tables import DB_NAME
from aggregator.periods import folder_name  # noqa: F401 (pipeline.run and .outreach call swap.folder_name)

LOCK_NAME = ".dang-chay.lock"
ARCHIVE = "luu-tru"
RUN_LOG = "run-log.jsonl"  # when each run happened: kept out of the outputs
# In a run's folder, what `verify` reads without the renderers' libraries:
MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"  # for `sha256sum -c` and `aggregate.py verify`


class OutboxBusy(Exception):
    """Another run is writing to the same outbox."""


REVIEW = "review"  # a review's manifest says it ("run": {"kind": ...}), and so does its line in the log


def publish(
    outbox: Path, name: str, build: Callable[[Path], object], after: Callable[[], object] = lambda: None
) -> Path:
    """Build the outputs into a temporary folder, then swap them in atomically.

    ``after`` runs once the new folder is in place, still holding the lock (the register).
    """
    outbox.mkdir(parents=True, exist_ok=True)
    with _Lock(outbox / LOCK_NAME):
        _clear_leftovers(outbox)
        temporary = _built_beside(outbox / name, build)
        final = outbox / name
        if final.exists():
            _archive(final, outbox / ARCHIVE)
        temporary.rename(final)
        after()
    return final


SCRATCH = ".dang-mo-"  # attachments unpacked by a run: one folder per running process


@contextlib.contextmanager
def scratch(outbox: Path) -> Iterator[Path]:
    """The run's own temporary folder for unpacked attachments, in the outbox: removed when
    the run ends, and taken over (removed) by the next run if this one was killed."""
    outbox.mkdir(parents=True, exist_ok=True)
    for leftover in outbox.glob(f"{SCRATCH}*"):
        try:
            pid = int(leftover.name[len(SCRATCH) :])
        except ValueError:
            continue
        if pid == os.getpid() or not _running(pid):
            shutil.rmtree(leftover, ignore_errors=True)
    folder = outbox / f"{SCRATCH}{os.getpid()}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def locked(outbox: Path) -> _Lock:
    """The outbox's lock, for work that must not run beside a run's writing (the register)."""
    outbox.mkdir(parents=True, exist_ok=True)
    return _Lock(outbox / LOCK_NAME)


def _clear_leftovers(outbox: Path) -> None:
    """Temporary folders of runs that were killed (we hold the lock: no one else is writing)."""
    for leftover in outbox.glob(".dang-ghi-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _archive(folder: Path, archive: Path) -> Path:
    archive.mkdir(exist_ok=True)
    stamp = dt.datetime.fromtimestamp(folder.stat().st_mtime).strftime("%Y%m%d-%H%M%S")
    target = archive / f"{folder.name}-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = archive / f"{folder.name}-{stamp}-{n}"
    folder.rename(target)
    return target


class _Lock:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self) -> _Lock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if _alive(self.path):
                    raise OutboxBusy(str(self.path)) from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as handle:
                handle.write(str(os.getpid()))
            return self
        raise OutboxBusy(str(self.path))

    def __exit__(self, *exc: object) -> None:
        self.path.unlink(missing_ok=True)


def _alive(lock: Path) -> bool:
    """Whether the process that wrote the lock is still running."""
    try:
        pid = int(lock.read_text().strip())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    return _running(pid)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def replace_folder(folder: Path, build: Callable[[Path], object]) -> Path:
    """Build a folder's new content beside it, then swap it in (a crash leaves the old one)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = _built_beside(folder, build)
    if folder.exists():
        old = folder.with_name(f".cu-{folder.name}-{os.getpid()}")
        folder.rename(old)
        temporary.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    else:
        temporary.rename(folder)
    return folder


def _built_beside(folder: Path, build: Callable[[Path], object]) -> Path:
    """A hidden folder next to ``folder`` holding what ``build`` wrote; removed if it failed."""
    temporary = folder.with_name(f".dang-ghi-{folder.name}-{os.getpid()}")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir()
    try:
        build(temporary)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return temporary


def append_log(outbox: Path, entry: dict[str, object]) -> None:
    """One line in the run log (when a run or a later step happened, and the hashes of the
    manifest and SHA256SUMS it left: what ``verify`` holds them to)."""
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    with (outbox / RUN_LOG).open("ab+") as log:
        if log.tell() and (log.seek(-1, os.SEEK_END), log.read(1))[1] != b"\n":
            line = b"\n" + line  # a line cut by a killed writer stays apart from this one
        log.write(line)


def own_outputs(inbox: Path, outbox: Path | None) -> tuple[Path, ...]:
    """The folders and files of this program's outputs found in the inbox: never read as input."""
    if outbox is None:
        return ()
    inbox, outbox = Path(os.path.abspath(inbox)), Path(os.path.abspath(outbox))
    if outbox != inbox and inbox in outbox.parents:
        return (outbox,)
    if outbox == inbox:  # run folders (a manifest and its sums), the archive, temp folders
        own = [
            p
            for p in inbox.iterdir()
            if p.is_dir()
            and not p.is_symlink()
            and ((p / MANIFEST).is_file() or p.name in (ARCHIVE, "templates") or p.name.startswith("."))
        ]
        register_files = [p for p in inbox.glob(f"{DB_NAME}*") if p.is_file()]
        return (*own, *register_files, inbox / RUN_LOG, inbox / LOCK_NAME)
    return ()
