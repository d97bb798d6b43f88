"""The command line the Board's staff use: the command table made a Vietnamese parser, and exit codes.

Every command, its help and its options are declared once, in ``commands.table`` (how to add
one: ``aggregator/commands/__init__.py``); this module builds the parser from that table,
turns the parsed arguments into the command's typed options, and calls its handler. ``run``
is the command when none is named.

Exit codes: 0 outputs written (rejections are reported, not fatal); 1 an unexpected failure,
or for ``check`` a file with errors; 2 bad usage or a broken schema.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from aggregator.commands.options import Option, UsageError, help_option
from aggregator.commands.table import TABLE, Command
from aggregator.commands.typed import Options, WithOutbox, given
from aggregator.config import ConfigError

KEPT = "Kết quả chỉ được thay khi đã ghi xong, nên outbox vẫn là kết quả đầy đủ gần nhất."
CANNOT_WRITE = {
    errno.EROFS: "ổ đĩa, thư mục chỉ cho đọc",
    errno.EACCES: "không có quyền ghi",
    errno.ENOSPC: "ổ đĩa đã đầy",
}

ROOT = Path(__file__).resolve().parents[1]  # the program's folder: inbox/, outbox/, templates/


class _Parser(argparse.ArgumentParser):
    """argparse speaking Vietnamese at the boundary."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"Lỗi cách dùng: {_translate(message)}\nXem hướng dẫn: python {self.prog} --help\n")
        raise SystemExit(2)

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "Cách dùng:")

    def format_help(self) -> str:
        text = (
            super()
            .format_help()
            .replace("usage:", "Cách dùng:")
            .replace("options:", "Tùy chọn:")
            .replace("positional arguments:", "Tham số:")
        )
        default = getattr(self, "default_command", None)
        if default is not None:  # the top level shows the options of the command it runs
            options = default.format_help().split("Tùy chọn:", 1)[1]
            text += f"\nTùy chọn của lệnh {_default().name} (dùng được cả khi không ghi lệnh):{options}"
        return text


def _translate(message: str) -> str:
    for english, vietnamese in (
        ("unrecognized arguments", "tham số không hiểu được"),
        ("the following arguments are required", "thiếu tham số"),
        ("invalid choice", "lựa chọn không hợp lệ"),
        ("invalid int value", "không phải số nguyên"),
        ("expected one argument", "cần một giá trị"),
        ("choose from", "chọn một trong"),
        ("ambiguous option", "tùy chọn không rõ"),
        ("could match", "có thể là"),
        ("not allowed with argument", "không dùng cùng với"),
        ("argument", "tham số"),
    ):
        message = message.replace(english, vietnamese)
    return message


def build_parser() -> argparse.ArgumentParser:
    """The parser, from the command table: one subcommand per entry, its options in the table's order."""
    parser = _Parser(
        prog="aggregate.py",
        add_help=False,
        description="Tổng hợp báo cáo mô hình, điển hình trong học tập và làm theo "
        "tư tưởng, đạo đức, phong cách Hồ Chí Minh từ các đơn vị.",
        epilog=f"Không ghi lệnh thì chương trình chạy lệnh {_default().name}.",
    )
    _add(parser, help_option())
    commands = parser.add_subparsers(dest="command", title="Các lệnh", metavar="LỆNH", parser_class=_Parser)
    for command in TABLE:
        sub = commands.add_parser(
            command.name, add_help=False, help=command.help, description=command.description
        )
        for option in (help_option(), *command.options):
            _add(sub, option)
        if command.default:
            parser.default_command = sub  # type: ignore[attr-defined]
    return parser


def _add(parser: argparse.ArgumentParser, option: Option) -> None:
    """An option added as its builder declared it, its default read now (the program may have moved)."""
    default = {} if option.default is None else {"default": option.default(ROOT)}
    parser.add_argument(*option.flags, **option.keywords, **default)


def _default() -> Command:
    """The command run when none is named."""
    return next(command for command in TABLE if command.default)


def _handler(command: Command) -> Callable[[Options], int]:
    """The command's handler, imported now: ``--help`` and usage errors load nothing heavy."""
    module, function = command.handler.split(":")
    handler: Callable[[Options], int] = getattr(
        importlib.import_module(f"aggregator.commands.{module}"), function
    )
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """One command line carried out: parsed, made the command's typed options, handed to its handler."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*(c.name for c in TABLE), "-h", "--help"):
        args_list.insert(0, _default().name)
    parser = build_parser()
    args = parser.parse_args(args_list)
    command = next(c for c in TABLE if c.name == args.command)
    options = given(command.given, args)
    if isinstance(options, WithOutbox) and options.outbox.exists() and not options.outbox.is_dir():
        parser.error(
            f"--outbox {options.outbox} là một tệp, không phải thư mục: chọn một thư mục "
            "(chưa có thì chương trình tự tạo)"
        )
    logging.basicConfig(
        level=logging.DEBUG if options.debug else logging.WARNING,
        format="%(levelname)s %(name)s %(message)s" if options.debug else "Lưu ý: %(message)s",
    )  # staff read the warnings, in Vietnamese
    try:
        return _handler(command)(options)
    except UsageError as exc:
        parser.error(str(exc))
    except ConfigError as exc:
        print(f"Lỗi cấu hình: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a program that stopped reading (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(
            "Đã dừng theo yêu cầu. Kết quả chỉ được thay khi đã ghi xong, nên outbox vẫn là "
            "kết quả đầy đủ gần nhất.",
            file=sys.stderr,
        )
        return 1
    except Exception as exc:
        if options.debug:
            traceback.print_exc()
        if isinstance(exc, OSError) and exc.errno in CANNOT_WRITE:  # a read-only or full outbox
            where = f" {exc.filename}" if exc.filename else ""
            print(f"Không ghi được{where}: {CANNOT_WRITE[exc.errno]}. {KEPT}", file=sys.stderr)
            return 1
        print(
            f"Lỗi bất ngờ: {type(exc).__name__}: {exc}. Kết quả chỉ được thay khi đã ghi xong, "
            "nên outbox vẫn là kết quả đầy đủ gần nhất. Chạy lại với --debug và gửi nội dung "
            "cho bộ phận kỹ thuật.",
            file=sys.stderr,
        )
        return 1
