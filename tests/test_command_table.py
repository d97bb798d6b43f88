"""The command table holds: each option declared once, each command in Vietnamese, typed, dispatched."""

import ast
import dataclasses
import re
import subprocess
import sys
import types
import typing
import unicodedata
from pathlib import Path

import pytest

from aggregator import cli
from aggregator import config as config_module
from aggregator.commands import options as o
from aggregator.commands import typed
from aggregator.commands.table import TABLE, Command

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "aggregator"
HEAVY = ("pandas", "jinja2", "PIL", "docxtpl", "openpyxl", "xlsxwriter")


def _subparsers(parser):
    """Each command's own parser, by name, as the top-level parser holds them."""
    (action,) = [a for a in parser._actions if a.dest == "command"]
    return action.choices


def _declarations():
    """Every place in the package an option string is declared: ``Option((...))`` calls and
    ``add_argument("...")`` calls with literal strings, each with the function it is in."""
    found: dict[str, list[str]] = {}

    class Finder(ast.NodeVisitor):
        def __init__(self, path: Path):
            self.path, self.within = path, ["<module>"]

        def visit_FunctionDef(self, node):
            self.within.append(node.name)
            self.generic_visit(node)
            self.within.pop()

        def visit_Call(self, call):
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            strings = []
            if name == "Option" and call.args and isinstance(call.args[0], ast.Tuple):
                strings = [e.value for e in call.args[0].elts if isinstance(e, ast.Constant)]
            elif name == "add_argument":
                strings = [a.value for a in call.args if isinstance(a, ast.Constant)]
            for string in strings:
                found.setdefault(string, []).append(f"{self.path.relative_to(ROOT)}:{self.within[-1]}")
            self.generic_visit(call)

    for path in sorted(PACKAGE.rglob("*.py")):
        Finder(path).visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_every_option_string_is_declared_by_one_builder_only():
    declared = _declarations()
    twice = {flag: where for flag, where in declared.items() if len(where) != 1}
    assert not twice, twice
    # and every option the parser has came from a builder in commands/options.py
    parser = cli.build_parser()
    flags = {s for sub in _subparsers(parser).values() for a in sub._actions for s in a.option_strings}
    flags |= {a.dest for sub in _subparsers(parser).values() for a in sub._actions if not a.option_strings}
    for flag in flags:
        assert declared.get(flag, [""])[0].startswith("aggregator/commands/options.py:"), (
            flag,
            declared.get(flag),
        )
    assert {"--inbox", "--outbox", "--schemas", "--templates", "--year", "--report-date", "--period"} <= flags


def test_the_checker_of_declarations_finds_a_second_declaration(tmp_path, monkeypatch):
    """The test above can fail: a second ``--inbox`` written in another module is found."""
    copy = tmp_path / "aggregator"
    (copy / "commands").mkdir(parents=True)
    source = (PACKAGE / "commands" / "options.py").read_text(encoding="utf-8")
    (copy / "commands" / "options.py").write_text(source, encoding="utf-8")
    (copy / "commands" / "review.py").write_text(
        'def options(parser):\n    parser.add_argument("--inbox", help="x")\n', encoding="utf-8"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", copy)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert len(_declarations()["--inbox"]) == 2


def _vietnamese(text: str) -> bool:
    """Written in Vietnamese: a letter with a Vietnamese diacritic (or đ) in it."""
    return any(c in "đĐ" or unicodedata.normalize("NFD", c) != c for c in text)


@pytest.mark.parametrize("command", TABLE, ids=lambda c: c.name)
def test_every_command_has_vietnamese_help_for_itself_and_each_option(command: Command):
    assert _vietnamese(command.help) and _vietnamese(command.description), command.name
    sub = _subparsers(cli.build_parser())[command.name]
    for action in sub._actions:
        assert action.help and _vietnamese(action.help), (command.name, action.option_strings, action.help)


@pytest.mark.parametrize("command", TABLE, ids=lambda c: c.name)
def test_each_commands_typed_options_are_exactly_its_parsed_options(command: Command):
    sub = _subparsers(cli.build_parser())[command.name]
    dests = {a.dest for a in sub._actions if a.dest != "help"}
    fields = {f.name for f in dataclasses.fields(command.given)}
    assert dests == fields, command.name
    assert command.given.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize("command", TABLE, ids=lambda c: c.name)
def test_each_handler_takes_its_commands_typed_options_and_returns_the_exit_code(command: Command):
    handler = cli._handler(command)
    hints = typing.get_type_hints(handler)
    parameters = [name for name in hints if name != "return"]
    assert len(parameters) == 1 and hints[parameters[0]] is command.given, command.name
    assert hints["return"] is int


def test_the_table_names_each_command_once_and_one_default():
    names = [c.name for c in TABLE]
    assert len(names) == len(set(names)) == 10
    assert [c.name for c in TABLE if c.default] == ["run"]
    top = cli.build_parser().format_help()
    # the list in --help is the table, in its order
    listed = re.findall(r"^ {4}(\S+)", top.split("Các lệnh:")[1].split("\n\n")[0], flags=re.MULTILINE)
    assert listed == names


def test_typed_options_are_built_from_the_parsed_arguments_and_frozen(tmp_path):
    parser = cli.build_parser()
    parsed = parser.parse_args(["remind", "--inbox", str(tmp_path), "--year", "2025", "--jobs", "3"])
    given = typed.given(typed.RemindOptions, parsed)
    assert (given.inbox, given.year, given.jobs, given.period, given.to_mailbox) == (
        tmp_path,
        2025,
        3,
        "annual",
        False,
    )
    assert given.outbox == cli.ROOT / "outbox" and given.templates == cli.ROOT / "templates"
    with pytest.raises(dataclasses.FrozenInstanceError):
        given.year = 2026  # type: ignore[misc]


def test_a_command_added_to_the_table_is_parsed_listed_and_dispatched(monkeypatch, capsys, tmp_path):
    """How a new command comes in: one table entry, one options record, one handler."""

    @dataclasses.dataclass(frozen=True)
    class ReviewOptions(typed.Configured, typed.WithOutbox):
        period: str

    def review(given: ReviewOptions) -> int:
        print(f"review {given.period} {given.outbox.name} {given.schemas == config_module.BUNDLED}")
        return 3

    module = types.ModuleType("aggregator.commands.review_for_test")
    module.review = review  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    entry = Command(
        "preview",
        "xem lại mô hình giữa hai kỳ",
        "Đối chiếu mô hình giữa hai kỳ báo cáo.",
        (o.outbox(), o.period(), o.schemas(), o.debug()),
        ReviewOptions,
        "review_for_test:review",
    )
    monkeypatch.setattr(cli, "TABLE", (*TABLE, entry))
    assert cli.main(["preview", "--outbox", str(tmp_path / "ra"), "--period", "half_year"]) == 3
    assert capsys.readouterr().out == "review half_year ra True\n"
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "preview" in capsys.readouterr().out
    with pytest.raises(SystemExit) as caught:
        cli.main(["preview", "--inbox", "x"])
    assert caught.value.code == 2 and "tham số không hiểu được: --inbox x" in capsys.readouterr().err


def test_a_usage_error_found_by_a_handler_is_said_like_argparses(capsys):
    assert cli._handler(next(c for c in TABLE if c.name == "registry"))
    with pytest.raises(SystemExit) as caught:
        cli.main(["registry", "use"])
    err = capsys.readouterr().err
    assert caught.value.code == 2
    assert err.startswith("Cách dùng: aggregate.py [-h] LỆNH ...\n")
    assert "Lỗi cách dùng: registry use cần đường dẫn danh sách" in err


def test_help_and_verify_load_none_of_the_heavy_libraries(tmp_path):
    """The parser and the auditor's command import no renderer: the handler is imported when run."""
    code = (
        "import sys, contextlib, io\n"
        "from aggregator import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = cli.main(['verify', {str(tmp_path)!r}])\n"
        "print(code, ' '.join(sorted(sys.modules)))"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    code, modules = run.stdout.split(" ", 1)
    loaded = {name.split(".")[0] for name in modules.split()}
    assert code == "2" and "aggregator.commands.audit" in modules.split()  # not a run's folder
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
