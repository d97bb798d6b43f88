"""Reading many files at once: one process per CPU, each reading whole files.

Intake hands over one list of entries, each already opened once, hashed and sniffed
(``intake.gather``); a file is read, validated and identified by one worker and comes back as
a ``FileOutcome``;
outcomes come back in inbox order, so the run's result does not depend on the number of
workers. Each worker is given one file at a time: a worker that dies (out of memory, a crash
in a reader library) or runs over the time limit takes no other file with it. Its file is
refused on its own and a fresh worker takes its place.

This holds on every platform. Where processes are spawned (Windows, macOS; or anywhere with
``AGGREGATOR_START_METHOD=spawn``, as CI runs the hostile tests) a worker is started too, even
for one file: a second of start-up, which is not counted against the file's time. The memory
limit is the system's (RLIMIT_AS, Linux) and, everywhere, a watchdog here that polls each
worker's resident memory and stops one that grew past ``max_worker_memory_bytes``.
"""

from __future__ import annotations

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
from typing import Any

from aggregator import problems
from aggregator.background import FORKS, end_with_parent
from aggregator.intake.shown import megabytes
from aggregator.model import Candidate, FileOutcome
from aggregator.pipeline.resident import resident
from aggregator.problems import ProblemCode

log = logging.getLogger("aggregator")

Item = Candidate  # an inbox entry as intake found it (a file, or one an email or zip held)
# Below this many files per worker, starting more processes costs more than it saves. Measured:
# a forked worker starts at once (8: the sample reads as fast either way); a spawned one
# (Windows, macOS) imports pandas and the rest again, about a second, some 250 files' reading.
MIN_FILES_PER_WORKER = 8
MIN_FILES_PER_SPAWNED_WORKER = 250
START_METHOD_VARIABLE = "AGGREGATOR_START_METHOD"  # fork | spawn | forkserver, for tests and CI
WATCH_SECONDS = 0.05  # how often the supervisor looks at its workers' memory
STARTUP_SECONDS = 120.0  # a worker not ready by then takes its first file down with it

Process = Callable[[Candidate], FileOutcome]


def cpu_count() -> int:
    """The CPUs this process may use (fewer than the machine's under a container's limit)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def start_method() -> str:
    """How workers are started: the platform's way, unless the environment asks another."""
    wanted = os.environ.get(START_METHOD_VARIABLE, "").strip().lower()
    if wanted in multiprocessing.get_all_start_methods():
        return wanted
    return "fork" if FORKS else "spawn"


def process_all(
    items: list[Item], process: Process, limits: dict[str, int], jobs: int = 1
) -> Iterator[FileOutcome]:
    """Every entry read by ``process``, in order.

    Every file is read in a worker process, even with one job, however processes are started:
    a file that takes longer than ``max_seconds_per_file`` is abandoned and its worker
    replaced, and each worker may grow by at most ``max_worker_memory_bytes``. A file costs
    only itself.
    """
    if not items:
        return
    method = start_method()
    per_worker = MIN_FILES_PER_WORKER if method == "fork" else MIN_FILES_PER_SPAWNED_WORKER
    workers = min(jobs, len(items) // per_worker)
    yield from _Supervisor(items, process, limits, max(1, workers), method).run()


IDLE_EXIT_SECONDS = 2.0  # an idle worker told to stop has this long to exit before it is killed


class _Worker:
    """One reading process, the items given to it (read in order, the first one now), when
    the one it is reading must be done by, and the memory it held when it was ready."""

    DEPTH = 2  # items handed over at once: the next is there as soon as one is done

    def __init__(
        self,
        context: Any,
        process: Process,
        limits: dict[str, int],
        address_limit: bool,
    ):
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve,
            daemon=True,
            args=(theirs, self.connection, process, limits, os.getpid(), address_limit),
        )
        self.process.start()
        theirs.close()
        self.tasks: deque[tuple[int, Item]] = deque()
        self.deadline = 0.0
        self.ready = False  # started, its imports done: its files' time counts from then
        self.baseline: int | None = None  # resident bytes when ready (None: not measurable)
        self.started = time.monotonic()

    def give(self, task: tuple[int, Item], seconds: float) -> None:
        if not self.tasks:
            # a worker still starting (a spawned one imports everything again) is given time
            self.deadline = time.monotonic() + seconds + (0.0 if self.ready else STARTUP_SECONDS)
        self.tasks.append(task)
        try:
            self.connection.send(task)
        except BaseException:
            self.tasks.pop()
            raise

    def now_ready(self, baseline: int | None, seconds: float) -> None:
        """The worker said it is ready: the file it holds has its whole time from now."""
        self.ready, self.baseline = True, baseline
        if self.tasks:
            self.deadline = time.monotonic() + seconds

    def over_memory(self, limit: int) -> bool:
        """It grew by more than ``limit`` bytes since it was ready (the watchdog's test)."""
        if not self.ready or self.baseline is None:
            return False
        now = resident(self.process.pid)
        return now is not None and now - self.baseline > limit

    def finished(self, seconds: float) -> int:
        """The item being read came back: the next one's time starts now."""
        index, _ = self.tasks.popleft()
        self.deadline = time.monotonic() + seconds
        return index

    def let_go(self) -> None:
        """Tell an idle worker to end: its pipe closes (it returns and exits as a process
        should, what it holds written out)."""
        if not self.tasks and self.process.is_alive():
            self.connection.close()

    def stop(self, deadline: float | None = None) -> None:
        """End it: an idle worker by closing its pipe, waiting until ``deadline`` (by default
        ``IDLE_EXIT_SECONDS`` from now) for it to go; one still reading (over time, over
        memory) or slow to go, killed."""
        if not self.tasks and self.process.is_alive():
            self.let_go()
            wait_until = time.monotonic() + IDLE_EXIT_SECONDS if deadline is None else deadline
            self.process.join(timeout=max(0.0, wait_until - time.monotonic()))
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
        process: Process,
        limits: dict[str, int],
        count: int,
        method: str = "fork",
    ):
        self.items, self.process, self.limits, self.count = items, process, limits, count
        self.context = multiprocessing.get_context(method)
        self.seconds = float(limits["max_seconds_per_file"])
        self.memory = int(limits["max_worker_memory_bytes"])

    def _start(self) -> _Worker:
        return _Worker(self.context, self.process, self.limits, _LIMITS_MEMORY)

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
            # every pipe first: a worker forked after another holds a copy of the run's end of
            # that one's pipe, so the earlier one sees its pipe close only once the later is gone
            for worker in workers:
                worker.let_go()
            deadline = time.monotonic() + IDLE_EXIT_SECONDS
            for worker in workers:
                worker.stop(deadline)

    def _collect(
        self, workers: list[_Worker], done: dict[int, FileOutcome], todo: list[tuple[int, Item]]
    ) -> None:
        busy = [w for w in workers if w.tasks]
        if not busy:  # (every worker had to be replaced before it took its item)
            return
        soonest = min(w.deadline for w in busy) - time.monotonic()
        wait(
            [w.connection for w in busy] + [w.process.sentinel for w in busy],
            timeout=min(max(0.0, soonest), WATCH_SECONDS),
        )
        for n, worker in enumerate(workers):
            while worker.tasks and (outcome := self._answer(worker)) is not None:
                done[worker.finished(self.seconds)] = outcome
            if not worker.tasks:
                continue
            swollen = worker.process.is_alive() and worker.over_memory(self.memory)
            if not swollen and worker.process.is_alive() and time.monotonic() < worker.deadline:
                continue
            # dead, over time or over memory: the item it was reading alone is refused
            over = worker.process.is_alive()
            worker.stop()
            index, item = worker.tasks.popleft()
            why = ProblemCode.FILE_OUT_OF_MEMORY if swollen else _death(worker.process.exitcode, over)
            refused = self._refused(item, why)
            log.warning("%s: %s", item.relative, refused.problems[-1].message)  # staff read it
            done[index] = refused
            todo.extend(reversed(worker.tasks))
            workers[n] = self._start()

    def _answer(self, worker: _Worker) -> FileOutcome | None:
        try:
            while worker.connection.poll():
                answer = worker.connection.recv()
                if isinstance(answer, tuple) and answer and answer[0] == _READY:
                    worker.now_ready(answer[1], self.seconds)
                    continue
                return answer  # a FileOutcome, as _serve sends
        except (EOFError, OSError):
            return None
        return None

    def _refused(self, candidate: Item, code: ProblemCode) -> FileOutcome:
        outcome = FileOutcome(candidate=candidate, problems=list(candidate.problems))
        limit = (
            f"{self.limits['max_seconds_per_file']}"
            if code == ProblemCode.FILE_TIMEOUT
            else megabytes(self.limits["max_worker_memory_bytes"])
        )
        outcome.problems.append(problems.make(code, file=candidate.relative, limit=limit))
        return outcome


def _death(exitcode: int | None, over_time: bool) -> ProblemCode:
    """Why a worker stopped: over time, out of memory (a reader aborts when refused memory),
    or a crash."""
    if over_time:
        return ProblemCode.FILE_TIMEOUT
    killed = {-getattr(signal, name, 0) for name in ("SIGABRT", "SIGKILL", "SIGSEGV")}
    if exitcode in killed and _LIMITS_MEMORY:
        return ProblemCode.FILE_OUT_OF_MEMORY
    return ProblemCode.FILE_CRASHED_READER


_LIMITS_MEMORY = sys.platform.startswith("linux")  # RLIMIT_AS is kept by Linux only
_READY = "ready"  # a worker's first word: started, with its resident bytes


def _serve(
    connection: Any,
    runs: Any,
    process: Process,
    limits: dict[str, int],
    parent: int,
    address_limit: bool = True,
) -> None:
    """A worker: read the items it is given until told to stop (or its parent is gone)."""
    runs.close()  # the run's end of the pipe: with it closed here, a dead run means EOF here
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the run's to handle
    end_with_parent(parent)
    if address_limit:
        _limit_memory(limits["max_worker_memory_bytes"])
    if not log.isEnabledFor(logging.DEBUG):  # a reader refused memory says so on stderr:
        _quiet()  # the run reports it as the file's refusal
    try:
        connection.send((_READY, resident(os.getpid())))
    except (OSError, ValueError):
        return
    while True:
        try:
            index, item = connection.recv()
        except (EOFError, OSError):
            return
        outcome = process(item)
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
