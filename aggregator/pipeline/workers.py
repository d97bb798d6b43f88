"""Reading many files at once: one process per CPU, each reading whole files.

A file is read, validated and identified by one worker and comes back as a ``FileOutcome``;
outcomes come back in inbox order, so the run's result does not depend on the number of
workers. Each worker is given one file at a time: a worker that dies (out of memory, a crash
in a reader library) or runs over the time limit takes no other file with it. Its file is
refused on its own and a fresh worker takes its place.
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from aggregator import problems
from aggregator.background import FORKS, end_with_parent
from aggregator.intake import discover
from aggregator.model import Candidate, FileOutcome
from aggregator.problems import ProblemCode

log = logging.getLogger("aggregator")

Item = Path | Candidate  # a file in the inbox, or an attachment already taken out
# Below this many files per worker, starting processes costs more than it saves. Measured:
# a forked worker starts at once (8: the sample reads as fast either way); a spawned one
# (Windows, macOS) imports pandas and the rest again, about a second, some 250 files' reading.
MIN_FILES_PER_WORKER = 8 if FORKS else 250

Process = Callable[[Candidate], FileOutcome]


def cpu_count() -> int:
    """The CPUs this process may use (fewer than the machine's under a container's limit)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def process_all(
    items: list[Item],
    inbox: Path,
    process: Process,
    limits: dict[str, int],
    jobs: int = 1,
    board: dt.tzinfo | None = None,
) -> Iterator[FileOutcome]:
    """Every item read by ``process`` (fingerprinted first when it is a path), in order.

    Where processes fork, every file is read in a worker process, even with one job: a file
    that takes longer than ``max_seconds_per_file`` is abandoned and its worker replaced, and
    each worker may grow by at most ``max_worker_memory_bytes``. A file costs only itself.
    """
    workers = min(jobs, len(items) // MIN_FILES_PER_WORKER)
    if not items:
        return
    if not FORKS and workers <= 1:  # spawning costs a second: small inboxes are read here
        for item in items:
            yield _one(process, inbox, limits, board, item)
        return
    yield from _Supervisor(items, inbox, process, limits, board, max(1, workers)).run()


def _one(
    process: Process, inbox: Path, limits: dict[str, int], board: dt.tzinfo | None, item: Item
) -> FileOutcome:
    """One item read, whatever it holds: a failure outside ``process`` is its refusal too."""
    try:
        candidate = (
            item if isinstance(item, Candidate) else discover.fingerprint(item, inbox, limits, board=board)
        )
    except Exception as exc:  # (fingerprint refuses what it knows; this is the rest)
        relative = item.relative if isinstance(item, Candidate) else item.relative_to(inbox).as_posix()
        candidate = discover.refused(
            Path(str(item)),
            relative,
            ProblemCode.FILE_UNREADABLE,
            detail=f"{type(exc).__name__}: {exc}"[:160],
        )
    return process(candidate)


class _Worker:
    """One reading process, the items given to it (read in order, the first one now), and
    when the one it is reading must be done by."""

    DEPTH = 2  # items handed over at once: the next is there as soon as one is done

    def __init__(
        self, context: Any, process: Process, inbox: Path, limits: dict[str, int], board: dt.tzinfo | None
    ):
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve,
            daemon=True,
            args=(theirs, self.connection, process, inbox, limits, board, os.getpid()),
        )
        self.process.start()
        theirs.close()
        self.tasks: deque[tuple[int, Item]] = deque()
        self.deadline = 0.0

    def give(self, task: tuple[int, Item], seconds: float) -> None:
        if not self.tasks:
            self.deadline = time.monotonic() + seconds
        self.tasks.append(task)
        try:
            self.connection.send(task)
        except BaseException:
            self.tasks.pop()
            raise

    def finished(self, seconds: float) -> int:
        """The item being read came back: the next one's time starts now."""
        index, _ = self.tasks.popleft()
        self.deadline = time.monotonic() + seconds
        return index

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


class _Supervisor:
    """Hands items to workers; replaces a worker that dies or runs over time, refusing only
    the item it was reading (the others it held are handed out again)."""

    def __init__(
        self,
        items: list[Item],
        inbox: Path,
        process: Process,
        limits: dict[str, int],
        board: dt.tzinfo | None,
        count: int,
    ):
        self.items, self.inbox, self.process = items, inbox, process
        self.limits, self.board, self.count = limits, board, count
        self.context = multiprocessing.get_context("fork" if FORKS else "spawn")
        self.seconds = float(limits["max_seconds_per_file"])

    def _start(self) -> _Worker:
        return _Worker(self.context, self.process, self.inbox, self.limits, self.board)

    def run(self) -> Iterator[FileOutcome]:
        todo = list(enumerate(self.items))[::-1]  # a stack: the next item last
        done: dict[int, FileOutcome] = {}
        workers = [self._start() for _ in range(min(self.count, len(self.items)))]
        following = 0
        try:
            while following < len(self.items):
                for n, worker in enumerate(workers):
                    while len(worker.tasks) < _Worker.DEPTH and todo:
                        task = todo.pop()
                        try:
                            worker.give(task, self.seconds)
                        except (OSError, ValueError):  # it died: seen to below
                            todo.append(task)
                            if not worker.tasks:  # died idle: a fresh one takes over
                                worker.stop()
                                workers[n] = self._start()
                            break
                self._collect(workers, done, todo)
                while following in done:
                    yield done.pop(following)
                    following += 1
        finally:
            for worker in workers:
                worker.stop()

    def _collect(
        self, workers: list[_Worker], done: dict[int, FileOutcome], todo: list[tuple[int, Item]]
    ) -> None:
        busy = [w for w in workers if w.tasks]
        if not busy:  # (every worker had to be replaced before it took its item)
            return
        soonest = min(w.deadline for w in busy) - time.monotonic()
        wait([w.connection for w in busy] + [w.process.sentinel for w in busy], timeout=max(0.0, soonest))
        for n, worker in enumerate(workers):
            while worker.tasks and (outcome := self._answer(worker)) is not None:
                done[worker.finished(self.seconds)] = outcome
            if not worker.tasks or (worker.process.is_alive() and time.monotonic() < worker.deadline):
                continue
            # dead, or over time: the item it was reading alone is refused
            over = worker.process.is_alive()
            worker.stop()
            index, item = worker.tasks.popleft()
            refused = self._refused(item, _death(worker.process.exitcode, over, self.limits))
            log.warning("%s: %s", _name(item, self.inbox), refused.problems[-1].message)  # staff read it
            done[index] = refused
            todo.extend(reversed(worker.tasks))
            workers[n] = self._start()

    @staticmethod
    def _answer(worker: _Worker) -> FileOutcome | None:
        try:
            if worker.connection.poll():
                return worker.connection.recv()
        except (EOFError, OSError):
            return None
        return None

    def _refused(self, item: Item, code: ProblemCode) -> FileOutcome:
        candidate = (
            item
            if isinstance(item, Candidate)
            else discover.fingerprint(item, self.inbox, self.limits, board=self.board)
        )
        outcome = FileOutcome(candidate=candidate, problems=list(candidate.problems))
        limit = (
            f"{self.limits['max_seconds_per_file']}"
            if code == ProblemCode.FILE_TIMEOUT
            else discover.megabytes(self.limits["max_worker_memory_bytes"])
        )
        outcome.problems.append(problems.make(code, file=candidate.relative, limit=limit))
        return outcome


def _death(exitcode: int | None, over_time: bool, limits: dict[str, int]) -> ProblemCode:
    """Why a worker stopped: over time, out of memory (a reader aborts when refused memory),
    or a crash."""
    if over_time:
        return ProblemCode.FILE_TIMEOUT
    killed = {-getattr(signal, name, 0) for name in ("SIGABRT", "SIGKILL", "SIGSEGV")}
    if exitcode in killed and _LIMITS_MEMORY:
        return ProblemCode.FILE_OUT_OF_MEMORY
    return ProblemCode.FILE_CRASHED_READER


def _name(item: Item, inbox: Path) -> str:
    return (
        item.relative if isinstance(item, Candidate) else discover.shown(item.relative_to(inbox).as_posix())
    )


_LIMITS_MEMORY = sys.platform.startswith("linux")  # RLIMIT_AS is kept by Linux only


def _serve(
    connection: Any,
    runs: Any,
    process: Process,
    inbox: Path,
    limits: dict[str, int],
    board: dt.tzinfo | None,
    parent: int,
) -> None:
    """A worker: read the items it is given until told to stop (or its parent is gone)."""
    runs.close()  # the run's end of the pipe: with it closed here, a dead run means EOF here
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the run's to handle
    end_with_parent(parent)
    _limit_memory(limits["max_worker_memory_bytes"])
    if not log.isEnabledFor(logging.DEBUG):  # a reader refused memory says so on stderr:
        _quiet()  # the run reports it as the file's refusal
    while True:
        try:
            index, item = connection.recv()
        except (EOFError, OSError):
            return
        outcome = _one(process, inbox, limits, board, item)
        try:
            connection.send(outcome)
        except Exception as exc:  # an outcome that cannot cross back: its refusal does
            candidate = outcome.candidate
            answer = FileOutcome(candidate=candidate, problems=list(candidate.problems))
            answer.problems.append(
                problems.make(
                    ProblemCode.FILE_UNREADABLE,
                    file=candidate.relative,
                    detail=type(exc).__name__,
                    technical=f"{type(exc).__name__}: {exc}",
                )
            )
            connection.send(answer)


def _quiet() -> None:
    faulthandler.disable()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _limit_memory(extra: int) -> None:
    """At most ``extra`` bytes more address space than the worker started with (Linux)."""
    if not _LIMITS_MEMORY:
        return
    import resource

    try:
        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + extra, resource.RLIM_INFINITY))
    except (OSError, ValueError):
        pass  # no limit where the system will not set one: the time limit still holds
