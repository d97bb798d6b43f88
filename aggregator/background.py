"""Work beside the run in a forked process (the master workbook is written beside the reports),
and children that end when their run is killed.

It imports nothing of the package, so both the outbox and the readers' workers may use it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

# (macOS has fork but its system libraries are not safe across it: it spawns, like Windows)
FORKS = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"


class BackgroundFailed(RuntimeError):
    pass


class Finish(Protocol):
    def __call__(self, wanted: bool = True) -> None: ...


def in_background(what: str, function: Callable[..., None], *args: Any) -> Finish:
    """Start ``function(*args)`` (making ``what``) in a forked process; returns ``finish``.

    ``finish()`` waits and raises ``BackgroundFailed`` if the function failed; ``finish(False)``
    stops it (when the run has already failed). Where processes cannot be forked (Windows),
    the function runs here and now and ``finish`` has nothing to do.
    """
    if not FORKS:
        function(*args)
        return _done
    process = multiprocessing.get_context("fork").Process(
        target=_without_gc, args=(function, *args), daemon=True
    )
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
            raise BackgroundFailed(f"ghi {what} không xong (tiến trình ghi dừng với mã {process.exitcode})")

    return finish


def _done(wanted: bool = True) -> None:
    """Nothing to wait for: the function ran in the run's own process."""


def end_with_parent(parent: int | None = None) -> None:
    """A child whose run was killed (by Task Manager, kill -9) ends too instead of lingering.

    ``parent`` is the run's pid as the run saw it before starting the child: a run killed
    while the child was starting must not leave the child watching its new parent."""
    parent = parent or os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _without_gc(function: Callable[..., None], *args: Any) -> None:
    """A short-lived child: no cycle collection, so the pages it shares stay shared. Ctrl+C is
    the run's to handle (it stops this child); a killed run takes this child with it."""
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent()
    function(*args)
