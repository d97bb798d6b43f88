"""Work that grows with the input, not its square: counted, never timed."""

import random
import sys
from difflib import SequenceMatcher
from pathlib import Path
from types import SimpleNamespace

import pytest

from aggregator import config as config_module
from aggregator.model import Submission, UnitStatus
from aggregator.rendering import statements as merging

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import statements  # noqa: E402


@pytest.fixture(scope="module")
def cfg():
    return config_module.load(ROOT / "schemas")


def _result(cfg, units: int, seed: int = 3, **shape):
    """``units`` statuses, in the registry's groups in turn, answering every heading."""
    rng = random.Random(seed)
    groups = list(cfg.groups)
    statuses = []
    for i in range(units):
        said = {label.key: statements.answers(rng, i, **shape) for label in cfg.assessment}
        statuses.append(
            UnitStatus(
                code=f"dv-{i:05d}",
                name=f"Đảng ủy đơn vị số {i}",
                group=groups[i % len(groups)],
                quota=3,
                status=Submission.ON_TIME,
                used=SimpleNamespace(assessment=said),  # type: ignore[arg-type]
            )
        )
    return SimpleNamespace(config=cfg, statuses=statuses)


def _voices_by_scan(result):
    """The merging as it was: each statement compared with every statement made before it."""
    voices = {}
    for label in result.config.assessment:
        said, by_key = [], {}
        for status in result.statuses:
            text = status.used.assessment.get(label.key) if status.used else None
            for statement in merging.split(text or ""):
                key = merging.key_of(statement)
                same = by_key.get(key)
                if same is None and label.key in merging.CLOSE_MERGED:
                    for earlier in said:
                        if abs(len(earlier["key"]) - len(key)) <= max(2, len(key) // 10):
                            similar = SequenceMatcher(None, earlier["key"], key)
                            if (
                                similar.real_quick_ratio() >= 0.93
                                and similar.quick_ratio() >= 0.93
                                and similar.ratio() >= 0.93
                            ):
                                same = earlier
                                break
                if same is None:
                    said.append({"text": statement, "key": key, "units": [status]})
                    by_key.setdefault(key, said[-1])
                elif status not in same["units"]:
                    same["units"].append(status)
        lines = [
            {"heading": False, "text": s["text"], "units": [u.name for u in s["units"]]}
            for s in sorted((s for s in said if len(s["units"]) > 1), key=lambda s: -len(s["units"]))
        ]
        for group, name in result.config.groups.items():
            own = [s for s in said if len(s["units"]) == 1 and s["units"][0].group == group]
            if own:
                lines.append({"heading": True, "text": name, "units": []})
                lines += [
                    {
                        "heading": False,
                        "text": s["text"],
                        "units": [] if s["units"][0].name == name else [s["units"][0].name],
                    }
                    for s in own
                ]
        voices[label.key] = lines
    return voices


@pytest.mark.parametrize("seed", [1, 2])
def test_the_index_merges_exactly_as_the_scan_of_everything_said(cfg, seed):
    result = _result(cfg, 400, seed=seed, typos=0.3)
    voices = merging.voices(result)
    assert voices == _voices_by_scan(result)
    # the data holds what must be merged: the same words, other case, a letter off
    difficulties = voices["difficulties"]
    shared = [v for v in difficulties if len(v["units"]) > 1]
    assert len(shared) >= len(statements.COMMON)
    assert sum(len(v["units"]) for v in shared) > 100


def test_a_misspelled_statement_joins_the_first_made_not_a_later_one():
    said = merging.Said(close=True)
    units = [
        UnitStatus(code=f"u{i}", name=f"Đơn vị {i}", group="g", quota=1, status=Submission.ON_TIME)
        for i in range(4)
    ]
    said.add("Kinh phí hỗ trợ cho tổ an ninh còn hạn chế.", units[0])
    said.add("Kinh phí hỗ trợ cho tổ an ninh còn hạn chê.", units[1])  # a letter off: the same
    said.add("Kinh phí hỗ trợ cho tổ hòa giải còn hạn chế.", units[2])  # other words: its own
    said.add("kinh phí hỗ trợ cho tổ an ninh còn hạn chế", units[1])  # the same unit again
    said.add("Kinh phi hỗ trợ cho tổ hòa giải còn hạn chế.", units[3])
    assert [(s.text, [u.code for u in s.units]) for s in said.made] == [
        ("Kinh phí hỗ trợ cho tổ an ninh còn hạn chế.", ["u0", "u1"]),
        ("Kinh phí hỗ trợ cho tổ hòa giải còn hạn chế.", ["u2", "u3"]),
    ]


def _comparisons(monkeypatch, cfg, units: int) -> tuple[int, int]:
    """Close-spelling comparisons made in merging ``units`` units' answers, and statements."""
    counted = []

    class Counted(SequenceMatcher):
        def set_seq1(self, a):
            counted.append(a)
            super().set_seq1(a)

    monkeypatch.setattr(merging, "SequenceMatcher", Counted)
    result = _result(cfg, units, typos=0.3)
    said = 0
    for label in cfg.assessment:
        merged = merging.Said(close=True)
        for status in result.statuses:
            for statement in merging.split(status.used.assessment[label.key]):
                merged.add(statement, status)
                said += 1
    return len([a for a in counted if a]), said  # (the matcher starts with an empty one)


def test_merging_n_statements_makes_a_number_of_comparisons_linear_in_n(monkeypatch, cfg):
    small, said_small = _comparisons(monkeypatch, cfg, 200)
    large, said_large = _comparisons(monkeypatch, cfg, 2000)
    assert said_large == pytest.approx(10 * said_small, rel=0.1)
    # at most CANDIDATES comparisons a statement, whatever was said before it
    assert large <= merging.Said.CANDIDATES * said_large
    assert small > 0 and large / small <= 11  # ten times the statements: about ten times the comparisons
