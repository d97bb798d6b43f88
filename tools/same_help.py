#!/usr/bin/env python3
"""Is the command line the same before and after a change? Every --help and usage error, written out.

Writes what staff read from ``aggregate.py``: the top-level help, each command's ``--help``,
a set of usage errors (their text and exit code) and what a few command lines parse to, with
the program's folder written as ``ROOT`` so two checkouts compare.

    .venv/bin/python tools/same_help.py before.txt     # on the old code
    .venv/bin/python tools/same_help.py after.txt      # on the new code
    diff before.txt after.txt                          # nothing: the same
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("run", "template", "check", "status", "remind", "verify", "fetch", "register", "registry")
MISTAKES = (
    ["--year", "0"],
    ["--report-date", "31/02/2026"],
    ["--period", "quy"],
    ["check"],
    ["check", "a.xlsx", "--year", "20266"],
    ["verify"],
    ["registry"],
    ["registry", "drop"],
    ["registry", "use"],
    ["register"],
    ["register", "x"],
    ["--jobs", "0"],
    ["fetch", "--since", "x"],
    ["--bogus"],
    ["run", "--inb", "x"],
    ["status", "--json"],
    ["template", "--inbox", "x"],
    ["--in", "x"],
    ["--outbox", "/etc/passwd"],
    ["nonsense"],
)
PARSED = (
    [],
    ["run", "--so", "12", "--nguoi-ky", "A B", "--json", "--to-mailbox", "--jobs", "3"],
    ["template"],
    ["check", "a", "b"],
    ["status"],
    ["remind", "--report-date", "2026-12-01"],
    ["verify", "x"],
    ["fetch", "--since", "1/2/2026"],
    ["register", "rebuild"],
    ["registry", "show"],
    ["registry", "use", "p"],
)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from aggregator import cli  # noqa: PLC0415

    lines = []
    for argv in (["--help"], ["-h"], *([name, "--help"] for name in NAMES), *MISTAKES):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: object = cli.main(list(argv))
            except SystemExit as stop:
                code = stop.code
        lines += [f"==== {argv} exit {code}", out.getvalue(), "---- stderr", err.getvalue()]
    for argv in PARSED:
        words = list(argv) if argv and argv[0] in NAMES else ["run", *argv]
        parsed = vars(cli.build_parser().parse_args(words))
        lines.append(f"PARSED {argv}: {sorted(parsed.items())}")
    text = "\n".join(lines).replace(str(ROOT), "ROOT")
    Path(sys.argv[1]).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
