"""Reading in worker processes: the same result for any number of them, a dying one costs
only its own file, and the master workbook written beside the rest fails the run loudly."""

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest
from builders import model, workbook
from test_email import message

from aggregator import background
from aggregator.cli import main
from aggregator.model import FileStatus
from aggregator.pipeline import FileProcessor, aggregate, collect, workers

UNITS = [
    "cam-lam",
    "cam-ranh",
    "nha-trang",
    "ninh-hoa",
    "van-ninh",
    "dien-khanh",
    "khanh-vinh",
    "khanh-son",
    "truong-sa",
    "ubnd",
    "khoi-cq",
    "khoi-dn",
    "quan-su",
    "cong-an",
    "bien-phong",
    "mttq",
    "ldld",
    "tinh-doan",
]


@pytest.fixture
def inbox(tmp_path, cfg):
    known = {u.code for u in cfg.units}
    folder = tmp_path / "inbox"
    for n, code in enumerate(c for c in UNITS if c in known):
        rows = [
            model(
                f"Mô hình {code} {i}",
                field=1 + (n + i) % 11,
                subject="Hộ gia đình" if (n + i) % 11 == 2 else "Tập thể",
            )
            for i in range(3)
        ]
        if n % 5 == 0:
            rows.append(model("Sai đối tượng", field=3, subject="Cá nhân"))  # rejected row
        workbook(folder / f"{code}.xlsx", rows, code=code, name=None)
    (folder / "hong.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    # a saved email: its attachment crosses to a worker as an item already taken out
    sent = workbook(tmp_path / "sent.xlsx", [model("Mô hình gửi qua thư")], code="hoi-nong-dan", name=None)
    (folder / "thu.eml").write_bytes(
        bytes(
            message(
                [("Báo cáo.xlsx", sent.read_bytes())],
                date="Fri, 04 Dec 2026 10:00:00 +0700",
                sender="hoinongdan@khanhhoa.gov.vn",
            )
        )
    )
    return folder


@pytest.fixture
def pools(monkeypatch):
    """How many workers each run starts (8 files per worker wherever the test runs, so two
    workers are used for two jobs)."""
    started = []
    real = workers._Supervisor.run

    def counted(self):
        started.append(min(self.count, len(self.items)))
        return real(self)

    monkeypatch.setattr(workers._Supervisor, "run", counted)
    monkeypatch.setattr(workers, "MIN_FILES_PER_WORKER", 8)
    monkeypatch.setattr(workers, "MIN_FILES_PER_SPAWNED_WORKER", 8)
    return started


def fates(result):
    return [
        (o.candidate.relative, o.status, o.unit, o.rows_read, o.rows_valid, [p.code for p in o.problems])
        for o in result.outcomes
    ]


def test_two_workers_give_exactly_what_one_process_gives(cfg, inbox, pools):
    alone = aggregate(cfg, inbox, 2026, "annual", jobs=1)
    assert pools == [1]  # one worker, wherever the test runs (forked or spawned)
    shared = aggregate(cfg, inbox, 2026, "annual", jobs=2)
    assert pools[-1] == 2  # the files really were read by two worker processes
    assert fates(shared) == fates(alone)
    assert shared.summary == alone.summary
    assert shared.records.equals(alone.records)
    assert sum(o.status == FileStatus.REJECTED for o in shared.outcomes) == 1
    mailed = next(o for o in shared.outcomes if o.candidate.email)
    assert mailed.status == FileStatus.ACCEPTED and mailed.received.isoformat() == "2026-12-04"


def kill_on(name):
    """A file processor whose process dies (as on running out of memory) on one file."""

    def process(candidate, real):
        if candidate.path.name == name:
            os._exit(9)
        return real(candidate)

    return process


def test_a_worker_that_dies_costs_only_the_file_it_was_reading(cfg, inbox, pools):
    processor = FileProcessor(cfg, 2026, "annual")
    work = inbox.parent / "work"
    work.mkdir()
    items, _, _ = collect(inbox, work, cfg)
    deadly = kill_on("khanh-son.xlsx")

    outcomes = list(workers.process_all(items, lambda c: deadly(c, processor.process), cfg.limits, jobs=2))

    assert [o.candidate.relative for o in outcomes] == [
        item.name if isinstance(item, Path) else item.relative for item in items
    ]
    assert pools == [2]  # two workers (a fresh one took the place of the one that died)
    dead = next(o for o in outcomes if o.candidate.relative == "khanh-son.xlsx")
    assert [p.code for p in dead.problems] == ["file_crashed_reader"]
    assert "bị dừng đột ngột" in dead.problems[0].message and dead.status == FileStatus.REJECTED
    others = [o for o in outcomes if o is not dead and o.candidate.relative != "hong.xlsx"]
    assert others and all(o.status == FileStatus.ACCEPTED and o.rows_read >= 1 for o in others)


def write_text(path, text):
    path.write_text(text, encoding="utf-8")
    return f"{path.name}: {text}"


def fail(path):
    raise ValueError("hỏng")


def test_work_beside_the_run_is_waited_for_and_its_failure_raised(tmp_path):
    finish = background.in_background("tệp a", write_text, tmp_path / "a.txt", "xong")
    assert finish() == "a.txt: xong"  # what it returned comes back to the run
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "xong"
    with pytest.raises(background.BackgroundFailed, match="ghi tệp b không xong"):
        background.in_background("tệp b", fail, tmp_path / "b.txt")()


def write_later(path):
    time.sleep(1)
    path.write_text("muộn", encoding="utf-8")


@pytest.mark.skipif(not background.FORKS, reason="work beside the run needs a forked process")
def test_a_wait_interrupted_stops_the_work_beside_the_run(tmp_path, monkeypatch):
    def interrupted(reader, process):
        raise KeyboardInterrupt

    monkeypatch.setattr(background, "_returned", interrupted)
    finish = background.in_background("tệp d", write_later, tmp_path / "d.txt")
    with pytest.raises(KeyboardInterrupt):
        finish()
    time.sleep(2)
    assert not (tmp_path / "d.txt").exists()  # stopped, not left writing into the run's folder


def test_a_failing_master_workbook_fails_the_run_and_leaves_the_last_outbox(
    tmp_path, inbox, monkeypatch, capsys
):
    out = tmp_path / "out"
    args = ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026"]
    assert main(args) == 0
    before = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    from aggregator.rendering import workbooks

    monkeypatch.setattr(workbooks, "write_master", fail)
    assert main(args) == 1
    assert "ghi tệp tổng hợp tong-hop.xlsx và các tệp phản hồi không xong" in capsys.readouterr().err
    assert sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file()) == before


def test_a_failing_feedback_process_fails_the_run_and_leaves_the_last_outbox(
    tmp_path, inbox, monkeypatch, capsys
):
    out = tmp_path / "out"
    args = ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026"]
    assert main(args) == 0
    assert any((out / "2026" / "phan-hoi").iterdir())  # this inbox has feedback to write
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    from aggregator.rendering import feedback

    written = []

    def half(result, target, path, report_date):  # the second workbook fails half-way
        if written:
            path.write_bytes(b"PK\x03\x04 half")
            raise OSError("đĩa hỏng")
        written.append(real(result, target, path, report_date))

    real = feedback.write
    monkeypatch.setattr(feedback, "write", half)
    assert main([*args, "--report-date", "20/12/2026"]) == 1
    err = capsys.readouterr().err  # (the failing workbook was taken by either process)
    assert "ghi tệp tổng hợp tong-hop.xlsx và các tệp phản hồi không xong" in err or "đĩa hỏng" in err, err
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    after.pop(Path("run-log.jsonl"), None), before.pop(Path("run-log.jsonl"), None)
    assert after == before  # nothing half-written published, no leftover beside it


def outputs(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_same_outputs_written_beside_the_run_or_in_it(tmp_path, inbox, monkeypatch):
    # forked: the master workbook and the feedback in a process of their own; where processes
    # cannot fork (Windows, macOS): all in the run's own process, one after the other
    out = tmp_path / "out"
    args = ["--inbox", str(inbox), "--outbox", str(out), "--year", "2026", "--report-date", "15/12/2026"]
    assert main(args) == 0
    forked = outputs(out / "2026")
    out.rename(tmp_path / "forked")
    monkeypatch.setenv(workers.START_METHOD_VARIABLE, "spawn")
    monkeypatch.setattr(background, "FORKS", False)
    assert main(args) == 0
    alone = outputs(out / "2026")
    assert any(name.startswith("phan-hoi/") and name.endswith(".eml") for name in forked)
    assert {"tong-hop.xlsx", "mo-hinh.jsonl", "manifest.json", "SHA256SUMS"} <= set(forked)
    assert forked.keys() == alone.keys()
    assert [name for name in forked if forked[name] != alone[name]] == []


@pytest.mark.parametrize("value", ["0", "-1", "hai"])
def test_jobs_must_be_a_positive_whole_number(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--jobs", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "cần là số nguyên dương" in err and "Xem hướng dẫn: python aggregate.py run --help" in err


def test_config_round_trips_to_worker_processes_unchanged(cfg):
    # what a worker started by "spawn" (Windows, macOS) receives must be the same config
    import pickle

    copy = pickle.loads(pickle.dumps(FileProcessor(cfg, 2026, "annual")))
    assert dataclasses.asdict(copy.config) == dataclasses.asdict(cfg)


def test_where_processes_cannot_fork_they_are_spawned_with_the_same_result(
    cfg, inbox, tmp_path, monkeypatch, pools
):
    # Windows and macOS: workers start afresh and get the config by pickling; the master
    # workbook is written in the run's own process
    alone = aggregate(cfg, inbox, 2026, "annual", jobs=1)
    monkeypatch.setenv(workers.START_METHOD_VARIABLE, "spawn")
    monkeypatch.setattr(background, "FORKS", False)
    spawned = aggregate(cfg, inbox, 2026, "annual", jobs=2)
    assert pools[-1] == 2
    # one job or a few files: still a spawned worker, never the run's own process
    single = aggregate(cfg, inbox, 2026, "annual", jobs=1)
    assert pools[-1] == 1 and fates(single) == fates(alone)
    assert fates(spawned) == fates(alone) and spawned.summary == alone.summary
    finish = background.in_background("tệp c", write_text, tmp_path / "c.txt", "ngay")
    assert (tmp_path / "c.txt").read_text(encoding="utf-8") == "ngay"  # done before it returns
    finish()


def descendants(pid):
    found, todo = [], [pid]
    while todo:
        here = todo.pop()
        try:
            kids = [int(k) for k in Path(f"/proc/{here}/task/{here}/children").read_text().split()]
        except OSError:
            kids = []
        found += kids
        todo += kids
    return found


@pytest.mark.skipif(
    not os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children"),
    reason="reads the process tree from Linux's /proc",
)
def test_a_killed_run_takes_its_reading_processes_with_it(tmp_path, inbox):
    import shutil
    import signal
    import subprocess
    import sys
    import time

    big = tmp_path / "big"
    big.mkdir()
    for n in range(40):
        for path in inbox.glob("*.xlsx"):
            shutil.copy(path, big / f"{n:02d}-{path.name}")
    run = subprocess.Popen(
        [
            sys.executable,
            "aggregate.py",
            "--inbox",
            str(big),
            "--outbox",
            str(tmp_path / "out"),
            "--year",
            "2026",
            "--jobs",
            "2",
        ],
        cwd=os.path.dirname(os.path.dirname(__file__)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(descendants(run.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers_ = descendants(run.pid)
    assert len(workers_) >= 2, "the run never started its reading processes"
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 30  # a loaded machine is slow to reap
    while any(os.path.exists(f"/proc/{p}") for p in workers_) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [
        p
        for p in workers_
        if os.path.exists(f"/proc/{p}")
        and Path(f"/proc/{p}/stat").read_text().split(")")[1].split()[0] != "Z"
    ]
    assert alive == []


def test_idle_workers_end_by_themselves_at_the_end_of_the_run(cfg, inbox, pools, monkeypatch):
    """Every worker forked after another holds a copy of the run's end of that one's pipe: the
    run closes all of them before waiting, so each sees its pipe close and exits (none killed,
    none waited for until a timeout)."""
    ended = []
    real_stop = workers._Worker.stop

    def noted(self, *args):
        real_stop(self, *args)
        ended.append(self.process.exitcode)

    monkeypatch.setattr(workers._Worker, "stop", noted)
    monkeypatch.setattr(workers, "IDLE_EXIT_SECONDS", 60.0)  # a kill would be a wait of a minute
    processor = FileProcessor(cfg, 2026, "annual")
    work = inbox.parent / "work"
    work.mkdir()
    items, _, _ = collect(inbox, work, cfg)
    list(workers.process_all(items, processor.process, cfg.limits, jobs=3))
    assert pools == [2] and ended == [0, 0]  # two workers, both ended by their pipe closing


def test_the_register_is_made_ready_only_once_the_process_beside_has_started(
    tmp_path, cfg, inbox, monkeypatch
):
    """The register's copy is made by a thread (``lap("period")``); a thread running when the
    process beside forks can leave a lock held in the child, which then hangs the run: the
    thread starts after the fork, and the period file it reads is already whole."""
    from aggregator.outbox import write as outputs

    events = []

    class Started(outputs.Beside):
        def __init__(self, *inherited):
            events.append("beside")
            super().__init__(*inherited)

    def lap(stage):
        if stage == "period":
            events.append(("period", (folder / "mo-hinh.jsonl").read_bytes().endswith(b"}\n")))

    monkeypatch.setattr(outputs, "Beside", Started)
    result = aggregate(cfg, inbox, 2026, "annual")
    folder = tmp_path / "out"
    folder.mkdir()
    templates = Path(__file__).resolve().parents[1] / "templates"
    outputs.write(result, folder, templates, dt.date(2026, 12, 15), lap=lap)
    assert events == ["beside", ("period", True)]


def count_up(shared, times):
    with shared.get_lock():
        shared.value += times
    return os.getpid()


@pytest.mark.skipif(not background.FORKS, reason="work beside the run needs a forked process")
def test_the_process_beside_is_forked_when_made_and_given_its_work_later():
    import multiprocessing

    shared = multiprocessing.Value("i", 0)
    beside = background.Beside(shared)
    forked = beside.process.pid
    assert beside.process.is_alive()  # forked now, idle
    finish = beside.start("tệp e", count_up, 3)
    assert finish() == forked  # run by the process forked before, not one forked now
    assert shared.value == 3  # the counter it inherited is the run's own


@pytest.mark.skipif(not background.FORKS, reason="work beside the run needs a forked process")
def test_a_process_beside_never_given_work_ends_when_closed_or_dropped():
    import gc

    closed = background.Beside()
    process = closed.process
    closed.close()
    assert not process.is_alive() and process.exitcode is not None
    dropped = background.Beside()  # a run that failed before writing: never closed
    process = dropped.process
    del dropped
    gc.collect()
    assert not process.is_alive() and process.exitcode is not None


def test_a_run_forks_its_process_beside_before_reading_and_sends_it_no_records(tmp_path, inbox, monkeypatch):
    # forked while the run is small (a process forked late holds a copy of every page the run
    # touches after the fork); what it needs is sent, without the records frame (read back
    # from the period file) and the units' statuses
    import importlib

    from aggregator.outbox import write as outputs

    run_module = importlib.import_module("aggregator.pipeline.run")
    events: list[object] = []

    class Watched(background.Beside):
        def __init__(self, *inherited):
            events.append("forked")
            super().__init__(*inherited)

        def start(self, what, function, *args):
            result, source = args[0], args[-1]
            events.append(("sent", len(result.records), result.statuses, source is not None))
            return super().start(what, function, *args)

    real = run_module.aggregate

    def aggregate(*args, **kwargs):
        events.append("read")
        return real(*args, **kwargs)

    monkeypatch.setattr(outputs, "Beside", Watched)
    monkeypatch.setattr(run_module, "aggregate", aggregate)
    out = tmp_path / "out"
    assert main(["--inbox", str(inbox), "--outbox", str(out), "--year", "2026"]) == 0
    assert events == ["forked", "read", ("sent", 0, [], True)]
    assert (out / "2026" / "tong-hop.xlsx").is_file() and any((out / "2026" / "phan-hoi").iterdir())
