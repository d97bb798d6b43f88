"""A small mutation tester: does the suite notice when the rules, merge or summary code is wrong?

Each mutant is one small change to one module, made on its syntax tree:

- a comparison flipped (``==``/``!=``, ``<``/``<=``, ``>``/``>=``, ``in``/``not in``,
  ``is``/``is not``);
- ``and``/``or`` swapped;
- a ``not`` removed;
- a whole number constant plus one, ``True``/``False`` swapped;
- ``+``/``-`` swapped;
- a returned value replaced by ``None``;
- a call of the project's own functions replaced by its first argument (a stage or a filter
  skipped: ``with_rules(found, rules)`` becomes ``found``);
- a statement that is a call or ``+=`` removed (``outcome.keep_rows(rows)``,
  ``found.append(problem)``).

For each mutant the module is rewritten in place (``ast.unparse``: same meaning, comments gone),
a selected subset of fast tests runs with ``-x`` under a time limit, and the original file is put
back whatever happens. A mutant is *killed* when the tests fail or time out, *survived* when they
pass. Docstrings, type annotations and logging calls are never mutated.

Besides whole modules it takes parts of one, as ``module.py::name,name`` (a function, a
method as ``Class.method``, or a class): the rules' code in ``problems.py`` and ``config`` sits
beside a catalogue and a loader that are not rules. A mutant keeps its number within the whole
module, so ``--only`` names the same mutant however the run was narrowed. Each module is tested
by the tests that reach it (``TESTS_FOR``; ``--tests`` overrides them for every module).

Run it from the repository root, in the project's venv, with nothing else touching ``aggregator/``
(it edits the module files for the duration of each mutant; ``git diff aggregator/`` is empty
afterwards, and ``kill PID`` stops a run cleanly, putting the module back)::

    .venv/bin/python tools/mutate.py --list                  # how many mutants, per module
    .venv/bin/python tools/mutate.py --sample 150 --seed 12  # run a sample of them
    .venv/bin/python tools/mutate.py --per-module 20 --seed 5  # the same number of each module
    .venv/bin/python tools/mutate.py --only merge.py:3 summarise.py:17   # re-run chosen ones
    .venv/bin/python tools/mutate.py --modules aggregator/problems.py::with_rules --list

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
import fnmatch
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
# A module named in the default set by its stem survives a split: ``continuity.py``, or
# ``continuity_*.py`` beside it, or a package ``continuity/`` in its place (globs, anywhere
# under aggregator/); a pattern that matches nothing is left out.
FAMILY = (".py", "_*.py", "/*.py")
MODULES = [
    # the row rules
    "aggregator/checking/validate.py",
    "aggregator/checking/values.py",
    # merge and summary
    "aggregator/merging/merge.py",
    "aggregator/merging/summarise.py",
    # the file rules: the catalogue's lookup, a problem made at its severity, the Board's
    # severities applied; the rules' keys checked when loading
    "aggregator/problems_catalogue.py::ProblemCode.of",
    "aggregator/problems.py::make,with_rules",
    "aggregator/config/__init__.py::_check_rules,_plain_off",
    # one file's stages in order and its outcome assembled (where the file rules apply)
    "aggregator/pipeline/files.py",
    # models across periods: codes, cross-period warnings, the register read and written
    *(f"aggregator/**/{stem}{tail}" for stem in ("continuity", "register") for tail in FAMILY),
    # which unit a workbook is from, and unit names understood
    *(f"aggregator/**/{stem}{tail}" for stem in ("identify", "names") for tail in FAMILY),
    # saved emails and zips opened
    *(f"aggregator/**/mail{tail}" for tail in FAMILY),
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
    # two files equally new: a tie, said so on both
    "tests/test_hostile.py::test_two_files_equally_new_are_a_tie_said_so_and_settled_by_the_rule",
]
# Modules the tests above do not cover well enough on their own: their tests, quickest first
# (a key may be a glob, as in MODULES: the first key that matches a module gives its tests).
_ACROSS = [
    "tests/test_cross_period.py",
    "tests/test_continuity.py",
]
TESTS_FOR = {
    "aggregator/problems_catalogue.py": [
        "tests/test_problems.py",
        "tests/test_rules.py",
        "tests/test_config.py",
    ],
    **{f"aggregator/**/continuity{tail}": _ACROSS for tail in FAMILY},
    **{
        f"aggregator/**/register{tail}": [
            *_ACROSS,
            "tests/test_mutants_across.py",
            "tests/test_register_files.py",
            # the three-year runs (each test runs its three periods again: the ones that count)
            *(
                f"tests/test_register.py::test_{name}"
                for name in (
                    "second_year_counted_by_hand",
                    "third_year_counted_by_hand",
                    "the_register_tables",
                    "rerun_replaces_the_period_and_archives_are_not_in_it",
                    "rebuild_gives_the_same_register",
                    "a_deleted_period_folder_leaves_the_register",
                    "half_year_compares_with_half_year",
                    "annual_compares_with_last_annual_past_a_half_year",
                    "check_applies_the_register_as_the_run_does",
                    "the_trend_of_a_rerun_period_stops_at_its_year",
                    "a_period_file_copied_into_another_periods_folder_is_left_out",
                )
            ),
        ]
        for tail in FAMILY
    },
    **{
        f"aggregator/**/{stem}{tail}": [
            "tests/test_mutants_across.py",
            "tests/test_identify.py",
            "tests/test_files.py",
            "tests/test_names.py",
            "tests/test_library.py",
        ]
        for stem in ("identify", "names")
        for tail in FAMILY
    },
    **{
        f"aggregator/**/mail{tail}": [
            "tests/test_mutants_across.py",
            "tests/test_discover.py",
            "tests/test_email.py",
            "tests/test_file_names.py",
            # hostile emails and zips: refused whole, by part, bounded
            *(
                f"tests/test_hostile.py::test_{name}"
                for name in (
                    "a_password_protected_zip_in_an_email_is_refused_alone",
                    "zip_members_with_unsupported_compression_or_corrupt_data_are_refused",
                    "a_zip_in_the_inbox_is_read_like_an_attachment_to_a_stated_depth",
                    "absurd_email_headers_are_sanitised_and_distrusted",
                    "multipart_without_boundary_or_nested_too_deep_is_refused",
                    "what_one_email_unpacks_is_bounded",
                    "an_email_or_zip_of_too_many_parts_is_refused_before_it_is_parsed",
                )
            ),
        ]
        for tail in FAMILY
    },
    "aggregator/problems.py": [
        "tests/test_problems.py",
        "tests/test_rules.py",
        "tests/test_config.py",
        "tests/test_values.py",
        "tests/test_validate.py",
        "tests/test_faults.py",
        "tests/test_mutants.py",
    ],
    "aggregator/config/__init__.py": [
        "tests/test_config.py",
        "tests/test_rules.py",
        "tests/test_problems.py",
    ],
    "aggregator/pipeline/files.py": [
        "tests/test_files.py",
        *TESTS,
        "tests/test_rules.py",
        "tests/test_email.py",
        # a file whose reader panics or runs out of memory, and a report date not trusted
        "tests/test_hostile.py::test_an_implausible_report_date_is_not_trusted_for_lateness",
        "tests/test_hostile.py::test_a_reader_that_panics_costs_only_its_file[1]",
        "tests/test_hostile.py::test_a_worker_over_its_time_or_memory_costs_only_its_file[limit1-file_out_of_memory]",
    ],
}

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
    scope: str = ""  # the function or class it is in, dotted ("FileProcessor._outcome"); "" at the top

    @property
    def name(self) -> str:
        path = Path(self.module)
        shown = f"{path.parent.name}/{path.name}" if path.name == "__init__.py" else path.name
        return f"{shown}:{self.number}"

    def within(self, names: list[str]) -> bool:
        """Whether it is in one of the functions or classes named (``make``, ``Class.method``)."""
        parts = self.scope.split(".") if self.scope else []
        for name in names:
            wanted = name.split(".")
            if any(parts[i : i + len(wanted)] == wanted for i in range(len(parts))):
                return True
        return False


class _Sites(ast.NodeVisitor):
    """Every node a mutation can apply to, in a fixed order, with what it would become."""

    def __init__(self) -> None:
        self.sites: list[tuple[ast.AST, int, str, str]] = []  # node, variant, description, scope
        self._scope: list[str] = []
        self._ours: set[str] = set()  # names the module imported from the project
        self._statements: set[int] = set()  # calls made for their effect (removed whole instead)

    def _add(self, node: ast.AST, variant: int, change: str) -> None:
        self.sites.append((node, variant, change, ".".join(self._scope)))

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
        for imported in ast.walk(node):
            if isinstance(imported, ast.ImportFrom) and (imported.module or "").startswith("aggregator"):
                self._ours |= {alias.asname or alias.name for alias in imported.names}
            elif isinstance(imported, ast.Import):
                self._ours |= {a.asname or a.name for a in imported.names if a.name.startswith("aggregator")}
        for stmt in self._skip_docstring(node.body):
            self.visit(stmt)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scope.append(node.name)
        for stmt in self._skip_docstring(node.body):  # not the annotations, not the decorators
            self.visit(stmt)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(default)
        self._scope.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scope.append(node.name)
        for stmt in self._skip_docstring(node.body):
            if isinstance(stmt, ast.AnnAssign):  # dataclass fields: only their defaults
                if stmt.value is not None:
                    self.visit(stmt.value)
            else:
                self.visit(stmt)
        self._scope.pop()

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
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (
            isinstance(root, ast.Name)
            and root.id in self._ours
            and called[:1].islower()  # not a class: what it makes is another thing altogether
            and called != "make"  # a problem made: dropping it only breaks the types
            and node.args
            and not isinstance(node.args[0], ast.Starred)
            and id(node) not in self._statements
        ):
            self._add(node, 0, f"{called}(x, …) -> x")
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if isinstance(call, ast.Call) and not (
            isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in ("log", "logging")
        ):
            self._add(node, 0, "statement removed")
            self._statements.add(id(call))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._add(node, 0, "statement removed")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for i, op in enumerate(node.ops):
            if type(op) in _FLIP:
                self._add(node, i, f"{_op(op)} -> {_op(_FLIP[type(op)]())}")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self._add(node, 0, "and -> or" if isinstance(node.op, ast.And) else "or -> and")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self._add(node, 0, "not removed")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, (ast.Add, ast.Sub)):
            self._add(node, 0, "+ -> -" if isinstance(node.op, ast.Add) else "- -> +")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool):
            self._add(node, 0, f"{node.value} -> {not node.value}")
        elif isinstance(node.value, int):
            self._add(node, 0, f"{node.value} -> {node.value + 1}")

    def visit_Return(self, node: ast.Return) -> None:
        if node.value is not None and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            self._add(node, 0, "return value -> None")
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


def _sites(tree: ast.Module) -> list[tuple[ast.AST, int, str, str]]:
    visitor = _Sites()
    visitor.visit(tree)
    return visitor.sites


def expand(specs: list[str]) -> list[str]:
    """The specs with each glob replaced by the modules it matches (in order, each once)."""
    found: list[str] = []
    for spec in specs:
        module, sep, names = spec.partition("::")
        if any(c in module for c in "*?["):
            found += [f"{p.relative_to(ROOT).as_posix()}{sep}{names}" for p in sorted(ROOT.glob(module))]
        else:
            found.append(spec)
    return list(dict.fromkeys(found))


def tests_of(module: str) -> list[str]:
    """The tests of a module: its own in TESTS_FOR (by name, else by the first glob that
    matches it), else TESTS."""
    if module in TESTS_FOR:
        return TESTS_FOR[module]
    return next((t for key, t in TESTS_FOR.items() if fnmatch.fnmatchcase(module, key)), TESTS)


def mutants(spec: str) -> list[Mutant]:
    """The mutants of ``module.py``, or of the named parts of it: ``module.py::name,name``."""
    module, _, names = spec.partition("::")
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    found = [
        Mutant(module, n, getattr(node, "lineno", 0), change, scope)
        for n, (node, _, change, scope) in enumerate(_sites(tree))
    ]
    return [m for m in found if m.within(names.split(","))] if names else found


def mutated_source(mutant: Mutant) -> str:
    """The module's source with this one mutation applied."""
    tree = ast.parse((ROOT / mutant.module).read_text(encoding="utf-8"))
    node, variant, _, _ = _sites(tree)[mutant.number]
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
    elif isinstance(node, ast.Call):
        _replace(tree, node, node.args[0])
    elif isinstance(node, (ast.Expr, ast.AugAssign)):
        _replace(tree, node, ast.Pass())
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
    parser.add_argument("--modules", nargs="+", default=MODULES, help="module.py or module.py::name,name")
    parser.add_argument("--tests", nargs="+", default=[], help="for every module (default: TESTS_FOR)")
    parser.add_argument("--sample", type=int, default=0, help="at most this many in all, at random")
    parser.add_argument("--per-module", type=int, default=0, help="at most this many of each module")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--only", nargs="+", default=[], help="module.py:number ...")
    parser.add_argument("--timeout", type=float, default=0, help="per mutant (default 3× clean)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    # ``kill PID`` stops the run cleanly: the module being mutated is put back (``finally``)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    by_spec = {spec: mutants(spec) for spec in expand(args.modules)}
    everything = [m for found in by_spec.values() for m in found]
    if args.list:
        for spec, found in by_spec.items():
            print(f"{spec}: {len(found)} mutants")
        print(f"in all: {len(everything)}")
        return 0
    chosen = everything
    if args.only:
        chosen = [m for m in everything if m.name in set(args.only)]
    else:
        if args.per_module:
            draw = random.Random(args.seed)
            chosen = [
                m
                for found in by_spec.values()
                for m in (found if len(found) <= args.per_module else draw.sample(found, args.per_module))
            ]
            chosen.sort(key=everything.index)
        if args.sample and args.sample < len(chosen):
            chosen = sorted(random.Random(args.seed).sample(chosen, args.sample), key=everything.index)

    def tests_for(module: str) -> tuple[str, ...]:
        tests = args.tests or tests_of(module)
        return tuple(t for t in tests if (ROOT / t.partition("::")[0]).exists())

    timeouts = {}
    print(f"{len(chosen)} of {len(everything)} mutants", flush=True)
    for tests in dict.fromkeys(tests_for(m.module) for m in chosen):
        clean, seconds = run_tests(list(tests), timeout=3600)
        if clean != "passed":
            print(f"these tests fail on the unmutated code: {' '.join(tests)}", file=sys.stderr)
            return 2
        timeouts[tests] = args.timeout or max(3 * seconds, 30)
        print(f"clean run {seconds:.0f} s, timeout {timeouts[tests]:.0f} s: {' '.join(tests)}", flush=True)
    results = []
    for mutant in chosen:
        tests = tests_for(mutant.module)
        outcome, took = try_mutant(mutant, list(tests), timeouts[tests])
        killed = outcome != "passed"
        results.append(
            {
                "mutant": mutant.name,
                "scope": mutant.scope,
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
    for module in dict.fromkeys(m.module for m in chosen):
        mine = [r for r, m in zip(results, chosen, strict=True) if m.module == module]
        alive = sum(1 for r in mine if not r["killed"])
        print(f"  {module}: {len(mine)} mutants, {alive} survived ({alive / len(mine):.0%})")
    for r in survivors:
        print(f"  {r['mutant']:16} line {r['line']:4} {r['change']}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
