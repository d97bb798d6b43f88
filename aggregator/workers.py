"""Reading many files at once: one process per CPU, each reading whole files.

A file is read, identified and validated by one worker and comes back as a ``FileOutcome``;
outcomes come back in inbox order, so the run's result does not depend on the number of
workers. A worker that dies (out of memory, a crash in a reader library) takes no other file
with it: the files it had not finished are read again one at a time, each in a fresh process,
and the one that kills its process is rejected on its own.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from . import discover, problems
from .discover import Candidate
from .merge import FileOutcome

log = logging.getLogger("aggregator")

Item = Path | Candidate  # a file in the inbox, or an attachment already taken out
# Below this many files per worker, starting processes costs more than it saves. Measured:
# a forked worker starts at once (8: the sample reads as fast either way); a spawned one
# (Windows, macOS) imports pandas and the rest again, about a second, some 250 files' reading.
# (macOS has fork but its system libraries are not safe across it: it spawns, like Windows)
FORKS = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
MIN_FILES_PER_WORKER = 8 if FORKS else 250

Process = Callable[[Candidate], FileOutcome]
_state: tuple[Process, Path, dict[str, int]] | None = None  # set in each worker at its start


def cpu_count() -> int:
    """The CPUs this process may use (fewer than the machine's under a container's limit)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def process_all(items: list[Item], inbox: Path, process: Process,
                limits: dict[str, int], jobs: int = 1) -> Iterator[FileOutcome]:
    """Every item read by ``process`` (fingerprinted first when it is a path), in order."""
    jobs = min(jobs, len(items) // MIN_FILES_PER_WORKER)
    if jobs <= 1:
        for item in items:
            yield _one(process, inbox, limits, item)
        return
    done = 0
    try:
        with _pool(jobs, process, inbox, limits) as pool:
            chunk = max(1, min(16, len(items) // (jobs * 8)))
            for outcome in pool.map(_work, items, chunksize=chunk):
                done += 1
                yield outcome
    except BrokenProcessPool:
        log.warning("a reading process died after %d of %d files; reading the rest one by one",
                    done, len(items))
        for item in items[done:]:
            yield _isolated(item, inbox, process, limits)


def _one(process: Process, inbox: Path, limits: dict[str, int],
         item: Item) -> FileOutcome:
    candidate = item if isinstance(item, Candidate) else discover.fingerprint(item, inbox, limits)
    return process(candidate)


def _pool(jobs: int, process: Process, inbox: Path,
          limits: dict[str, int]) -> ProcessPoolExecutor:
    # fork where the system has it: workers start at once with everything already imported
    context = multiprocessing.get_context("fork" if FORKS else "spawn")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start,
                               initargs=(process, inbox, limits))


def _start(process: Process, inbox: Path, limits: dict[str, int]) -> None:
    global _state
    _state = (process, inbox, limits)
    _end_with_parent()


def _end_with_parent() -> None:
    """A child whose run was killed (by Task Manager, kill -9) ends too instead of lingering."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _work(item: Item) -> FileOutcome:
    assert _state is not None, "a worker starts with _start"
    process, inbox, limits = _state
    return _one(process, inbox, limits, item)


def _isolated(item: Item, inbox: Path, process: Process,
              limits: dict[str, int]) -> FileOutcome:
    """One file in a process of its own: if that process dies, only this file is rejected."""
    try:
        with _pool(1, process, inbox, limits) as pool:
            return pool.submit(_work, item).result()
    except BrokenProcessPool:
        candidate = item if isinstance(item, Candidate) else discover.fingerprint(item, inbox,
                                                                                   limits)
        outcome = FileOutcome(candidate=candidate, problems=list(candidate.problems))
        outcome.problems.append(problems.make("file_crashed_reader", file=candidate.relative))
        return outcome


def _without_gc(function: Callable[..., None], *args: Any) -> None:
    """A short-lived child: no cycle collection, so the pages it shares stay shared. Ctrl+C is
    the run's to handle (it stops this child); a killed run takes this child with it."""
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    function(*args)


class BackgroundFailed(RuntimeError):
    pass


def in_background(what: str, function: Callable[..., None], *args: Any) -> Callable[[bool], None]:
    """Start ``function(*args)`` (making ``what``) in a forked process; returns ``finish``.

    ``finish()`` waits and raises ``BackgroundFailed`` if the function failed; ``finish(False)``
    stops it (when the run has already failed). Where processes cannot be forked (Windows),
    the function runs here and now and ``finish`` has nothing to do.
    """
    if not FORKS:
        function(*args)
        return lambda wanted=True: None
    process = multiprocessing.get_context("fork").Process(target=_without_gc,
                                                          args=(function, *args), daemon=True)
    gc.freeze()  # the collector must not touch (and so copy) every object the child shares
    try:
        process.start()
    finally:
        gc.unfreeze()

    def finish(wanted: bool = True) -> None:
        if not wanted:
            process.terminate()
        process.join()
        if wanted and process.exitcode != 0:
            raise BackgroundFailed(f"ghi {what} không xong (tiến trình ghi dừng với mã "
                                   f"{process.exitcode})")

    return finish
