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
import weakref
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
    """Start ``function(*args)`` (making ``what``) in a process forked now, its arguments
    reaching it by the fork; returns ``finish`` (``Beside.start``)."""
    return Beside(*args).start(what, function)


class Beside:
    """A process forked when this is made, idle until it is given one function to run
    (``start``); ``inherited`` reach it by the fork (a shared counter: never pickled) and come
    first in the function's arguments.

    Forked early, while the run's memory is small: a process forked late holds a copy of every
    page the run touches after the fork, the whole run's memory in the end. What the function
    needs is sent to it pickled; what it returns comes back pickled (keep both small). Where
    processes cannot be forked (Windows), nothing is forked: ``start`` runs the function here
    and now. ``close`` ends a process never started or not waited for (the run failed).
    """

    def __init__(self, *inherited: Any) -> None:
        self.inherited = inherited
        self.process: Any = None
        self.jobs: Connection | None = None
        self.results: Connection | None = None
        if not FORKS:
            return
        context = multiprocessing.get_context("fork")
        jobs, self.jobs = context.Pipe(duplex=False)
        self.results, results = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_waiting, args=(jobs, results, os.getpid(), *inherited), daemon=True
        )
        gc.freeze()  # the collector must not touch (and so copy) every object the child shares
        try:
            self.process.start()
        finally:
            gc.unfreeze()
            jobs.close()  # the child's ends: only the child holds them now
            results.close()
        # dropped unstarted or unwaited (the run failed before it got there): ended then
        self._ended = weakref.finalize(self, _end, self.process, self.jobs, self.results)

    @property
    def forked(self) -> bool:
        """Whether a process was forked (not where nothing forks), not yet waited for."""
        return self.process is not None

    def start(self, what: str, function: Callable[..., Any], *args: Any) -> Finish:
        """Run ``function(*inherited, *args)`` (making ``what``) in the process; returns ``finish``.

        ``finish()`` waits, raises ``BackgroundFailed`` if the function failed, and returns what
        the function returned; ``finish(False)`` stops it (when the run has already failed).
        """
        if self.process is None:
            return _Done(function(*self.inherited, *args))
        assert self.jobs is not None and self.results is not None
        reader, process = self.results, self.process
        try:
            self.jobs.send((function, args))
        except OSError:  # it is gone (killed): said when waited for
            pass
        finally:
            self.jobs.close()
        # what it returns is read as soon as it comes, by a thread: a child blocked on a full
        # pipe would live on, holding the pages the run touches meanwhile
        box: list[Any] = []
        receiving = threading.Thread(target=lambda: box.append(_received(reader, process)), daemon=True)
        receiving.start()

        def finish(wanted: bool = True) -> Any:
            value, stop = None, True
            try:
                if wanted:
                    value = _returned(receiving, box)
                stop = not wanted
            finally:  # not wanted, or the wait interrupted (Ctrl+C): the child is stopped too
                if stop:
                    process.terminate()
                process.join()
                receiving.join()
                reader.close()
                self.process = None
            if wanted and process.exitcode != 0:
                raise BackgroundFailed(
                    f"ghi {what} không xong (tiến trình ghi dừng với mã {process.exitcode})"
                )
            return value

        return finish

    def close(self) -> None:
        """End the process if it is still there (never started, or its run failed)."""
        if self.process is not None:
            self._ended()
            self.process = None


def _end(process: Any, *ends: Connection) -> None:
    if process.is_alive():
        process.terminate()
    process.join()
    for end in ends:
        end.close()


def _returned(receiving: threading.Thread, box: list[Any]) -> Any:
    """What the child sent back, once ``receiving`` has read it (None: it sent nothing)."""
    receiving.join()
    return box[0] if box else None


def _received(reader: Connection, process: Any) -> Any:
    """What the child sent back, or None when it ended without sending (it failed). Not
    waiting on the pipe alone: a process forked later may hold the child's end open."""
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


def _waiting(jobs: Connection, results: Connection, parent: int, *inherited: Any) -> None:
    """The process beside the run: no cycle collection, so the pages it shares stay shared.
    Ctrl+C is the run's to handle (it stops this child); a killed run takes this child with
    it. It waits for its function and arguments (none: the run is over), runs it, and sends
    back what it returned; a failure sends nothing."""
    gc.disable()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with_parent(parent)
    try:
        function, args = jobs.recv()
    except EOFError:  # never given any work
        return
    finally:
        jobs.close()
    results.send(function(*inherited, *args))
