"""Work beside the run in a forked process (the master workbook and the feedback are written
beside the reports), and children that end when their run is killed.

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
from multiprocessing import connection
from multiprocessing.connection import Connection
from typing import Any, Protocol

# (macOS has fork but its system libraries are not safe across it: it spawns, like Windows)
FORKS = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"


class BackgroundFailed(RuntimeError):
    pass


class Finish(Protocol):
    def __call__(self, wanted: bool = True) -> Any: ...


def in_background(what: str, function: Callable[..., Any], *args: Any) -> Finish:
    """Start ``function(*args)`` (making ``what``) in a forked process; returns ``finish``.

    ``finish()`` waits, raises ``BackgroundFailed`` if the function failed, and returns what
    the function returned (sent back pickled: keep it small); ``finish(False)`` stops it (when
    the run has already failed). Where processes cannot be forked (Windows), the function runs
    here and now and ``finish`` returns its value.
    """
    if not FORKS:
        return _Done(function(*args))
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_without_gc, args=(writer, function, *args), daemon=True)
    gc.freeze()  # the collector must not touch (and so copy) every object the child shares
    try:
        process.start()
    finally:
        gc.unfreeze()
        writer.close()  # the child's end: only the child holds it now

    def finish(wanted: bool = True) -> Any:
        value, stop = None, True
        try:
            if wanted:
                value = _returned(reader, process)
            stop = not wanted
        finally:  # not wanted, or the wait interrupted (Ctrl+C): the child is stopped too
            if stop:
                process.terminate()
            process.join()
            reader.close()
        if wanted and process.exitcode != 0:
            raise BackgroundFailed(f"ghi {what} không xong (tiến trình ghi dừng với mã {process.exitcode})")
        return value

    return finish


def _returned(reader: Connection, process: Any) -> Any:
    """What the child sent back, read as it comes (a child blocked on a full pipe is never
    waited for), or None when it ended without sending (it failed). Not waiting on the pipe
    alone: a process forked later may hold the child's end open."""
    ready = connection.wait([reader, process.sentinel])
    if reader in ready or reader.poll():
        try:
            return reader.recv()
        except EOFError:
            return None
    return None


class _Done:
    """Nothing to wait for: the function ran in the run's own process and returned ``value``."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, wanted: bool = True) -> Any:
        return self.value


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


def _without_gc(writer: Connection, function: Callable[..., Any], *args: Any) -> None:
    """A short-lived child: no cycle collection, so the pages it shares stay shared. Ctrl+C is
    the run's to handle (it stops this child); a killed run takes this child with it. What
    the function returns goes back through ``writer``; a failure sends nothing."""
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent()
    writer.send(function(*args))
