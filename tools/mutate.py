"""A small mutation tester: does the suite notice when the rules, merge or summary code is wrong?

Each mutant is one small change to one module, made on its syntax tree:

- a comparison flipped (``==``/``!=``, ``<``/``<=``, ``>``/``>=``, ``in``/``not in``,
  ``is``/``is not``);
- ``and``/``or`` swapped;
- a ``not`` removed;
- a whole number constant plus one, ``True``/``False`` swapped;
- ``+``/``-`` swapped;
- a returned value replaced by ``None``.

For each mutant the module is rewritten in place (``ast.unparse``: same meaning, comments gone),
a selected subset of fast tests runs with ``-x`` under a time limit, and the original file is put
back whatever happens. A mutant is *killed* when the tests fail or time out, *survived* when they
pass. Docstrings, type annotations and logging calls are never mutated.

Run it from the repository root, in the project's venv, with nothing else touching ``aggregator/``
(it edits the module files for the duration of each mutant; ``git diff aggregator/`` is empty
afterwards, and ``kill PID`` stops a run cleanly, putting the module back)::

    .venv/bin/python tools/mutate.py --list                  # how many mutants, per module
    .venv/bin/python tools/mutate.py --sample 150 --seed 12  # run a sample of them
    .venv/bin/python tools/mutate.py --only merge.py:3 summarise.py:17   # re-run chosen ones

It prints one line per mutant and a summary with the survivors, each as ``module:number``
with its line and change, so they can be re-run with ``--only`` once a test is added.
``--json FILE`` also writes the results (not committed).

mutmut is the well-known tool for this; its 3.x versions copy the project into ``mutants/`` and
first run the whole configured suite to map tests to functions, which on this machine (2 shared
cores, a suite of several minutes with LibreOffice and Chromium) costs more than the run itself.
This script keeps the run bounded: a fixed sample, a chosen subset of tests, a per-mutant timeout.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = [
    "aggregator/checking/validate.py",
    "aggregator/checking/values.py",
    "aggregator/merging/merge.py",
    "aggregator/merging/summarise.py",
]
# Fast tests that exercise those modules (the slow LibreOffice/Chromium ones are left out);
# the quickest first, so that -x stops a killed mutant early.
TESTS = [
    "tests/test_values.py",
    "tests/test_validate.py",
    "tests/test_merge.py",
    "tests/test_faults.py",
    "tests/test_mutants.py",
    "tests/test_sample.py",
    "tests/test_read.py",
    "tests/test_real_files.py",
    "tests/test_invariants.py",
]

_FLIP = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass
class Mutant:
    module: str
    number: int  # its place among the module's mutants, stable for a given source
    line: int
    change: str

    @property
    def name(self) -> str:
        return f"{Path(self.module).name}:{self.number}"


class _Sites(ast.NodeVisitor):
    """Every node a mutation can apply to, in a fixed order, with what it would become."""

    def __init__(self) -> None:
        self.sites: list[tuple[ast.AST, int, str]] = []  # node, variant, description

    def _skip_docstring(self, body: list[ast.stmt]) -> list[ast.stmt]:
        first = body[0] if body else None
        if (
            isinstance(first, ast.Expr)
            and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)
        ):
            return body[1:]
        return body

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in self._skip_docstring(node.body):
            self.visit(stmt)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for stmt in self._skip_docstring(node.body):  # not the annotations, not the decorators
            self.visit(stmt)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for stmt in self._skip_docstring(node.body):
            if isinstance(stmt, ast.AnnAssign):  # dataclass fields: only their defaults
                if stmt.value is not None:
                    self.visit(stmt.value)
            else:
                self.visit(stmt)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in ("log", "logging")
        ):
            return
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            if type(op) in _FLIP:
                self.sites.append((node, i, f"{_op(op)} -> {_op(_FLIP[type(op)]())}"))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.sites.append((node, 0, "and -> or" if isinstance(node.op, ast.And) else "or -> and"))
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.sites.append((node, 0, "not removed"))
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, (ast.Add, ast.Sub)):
            self.sites.append((node, 0, "+ -> -" if isinstance(node.op, ast.Add) else "- -> +"))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool):
            self.sites.append((node, 0, f"{node.value} -> {not node.value}"))
        elif isinstance(node.value, int):
            self.sites.append((node, 0, f"{node.value} -> {node.value + 1}"))

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            self.sites.append((node, 0, "return value -> None"))
        self.generic_visit(node)


def _op(op: ast.cmpop) -> str:
    return {
        ast.Eq: "==",
        ast.NotEq: "!=",
        ast.Lt: "<",
        ast.LtE: "<=",
        ast.Gt: ">",
        ast.GtE: ">=",
        ast.In: "in",
        ast.NotIn: "not in",
        ast.Is: "is",
        ast.IsNot: "is not",
    }[type(op)]


def _sites(tree: ast.Module) -> list[tuple[ast.AST, int, str]]:
    visitor = _Sites()
    visitor.visit(tree)
    return visitor.sites


def mutants(module: str) -> list[Mutant]:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    return [
        Mutant(module, n, getattr(node, "lineno", 0), change)
        for n, (node, _, change) in enumerate(_sites(tree))
    ]


def mutated_source(mutant: Mutant) -> str:
    """The module's source with this one mutation applied."""
    tree = ast.parse((ROOT / mutant.module).read_text(encoding="utf-8"))
    node, variant, _ = _sites(tree)[mutant.number]
    if isinstance(node, ast.Compare):
        node.ops[variant] = _FLIP[type(node.ops[variant])]()
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif isinstance(node, ast.UnaryOp):
        _replace(tree, node, node.operand)
    elif isinstance(node, ast.BinOp):
        node.op = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
    elif isinstance(node, ast.Constant):
        node.value = (not node.value) if isinstance(node.value, bool) else node.value + 1
    elif isinstance(node, ast.Return):
        node.value = ast.Constant(None)
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                value[[i for i, v in enumerate(value) if v is old][0]] = new
                return
    raise ValueError("node not found")


def run_tests(tests: list[str], timeout: float) -> tuple[str, float]:
    """'passed', 'failed' or 'timeout', and the seconds it took."""
    env = os.environ | {"CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - started
    return ("passed" if done.returncode == 0 else "failed"), time.perf_counter() - started


def _forget_bytecode(module: str) -> None:
    """A mutant of the same size written in the same second must not run the cached original."""
    for cached in (ROOT / module).parent.joinpath("__pycache__").glob(Path(module).stem + ".*.pyc"):
        cached.unlink()


def try_mutant(mutant: Mutant, tests: list[str], timeout: float) -> tuple[str, float]:
    path = ROOT / mutant.module
    original = path.read_bytes()
    try:
        path.write_text(mutated_source(mutant), encoding="utf-8")
        _forget_bytecode(mutant.module)
        outcome, seconds = run_tests(tests, timeout)
    finally:
        path.write_bytes(original)
        _forget_bytecode(mutant.module)
    return outcome, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="+", default=MODULES)
    parser.add_argument("--tests", nargs="+", default=[t for t in TESTS if (ROOT / t).exists()])
    parser.add_argument("--sample", type=int, default=0, help="at most this many, spread by module")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--only", nargs="+", default=[], help="module.py:number ...")
    parser.add_argument("--timeout", type=float, default=0, help="per mutant (default 3× clean)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    # ``kill PID`` stops the run cleanly: the module being mutated is put back (``finally``)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    everything = [m for module in args.modules for m in mutants(module)]
    if args.list:
        for module in args.modules:
            print(f"{module}: {sum(1 for m in everything if m.module == module)} mutants")
        print(f"in all: {len(everything)}")
        return 0
    chosen = everything
    if args.only:
        chosen = [m for m in everything if m.name in set(args.only)]
    elif args.sample and args.sample < len(everything):
        chosen = sorted(random.Random(args.seed).sample(everything, args.sample), key=everything.index)

    clean, seconds = run_tests(args.tests, timeout=3600)
    if clean != "passed":
        print("the selected tests fail on the unmutated code: nothing to measure", file=sys.stderr)
        return 2
    timeout = args.timeout or max(3 * seconds, 30)
    print(
        f"{len(chosen)} of {len(everything)} mutants; clean run {seconds:.0f} s, "
        f"timeout {timeout:.0f} s; tests: {' '.join(args.tests)}",
        flush=True,
    )
    results = []
    for mutant in chosen:
        outcome, took = try_mutant(mutant, args.tests, timeout)
        killed = outcome != "passed"
        results.append(
            {
                "mutant": mutant.name,
                "line": mutant.line,
                "change": mutant.change,
                "outcome": outcome,
                "killed": killed,
                "seconds": round(took, 1),
            }
        )
        print(
            f"{'killed  ' if killed else 'SURVIVED'} {mutant.name:16} line {mutant.line:4} "
            f"{mutant.change:24} ({outcome}, {took:.0f} s)",
            flush=True,
        )
    survivors = [r for r in results if not r["killed"]]
    share = len(survivors) / len(results) if results else 0.0
    print(
        f"\n{len(results)} mutants, {len(results) - len(survivors)} killed, "
        f"{len(survivors)} survived: survival rate {share:.0%}"
    )
    for r in survivors:
        print(f"  {r['mutant']:16} line {r['line']:4} {r['change']}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
