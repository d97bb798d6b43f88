"""The commands staff run, at the boundary: each declared once in ``table``, one module per group.

- ``table``: the command table (name, Vietnamese help, options, handler); ``cli`` builds the
  parser from it and dispatches by it.
- ``options``: every option's builder (one per option string), the checks of what is typed,
  and the typed options each handler receives (frozen dataclasses, filled by ``given``).
- ``run`` (run, check, status), ``outreach`` (template, remind), ``imap`` (fetch, drafts into
  the mailbox), ``registers`` (register, registry), ``audit`` (verify); ``common``: what several
  of them do alike.

A handler takes its options and returns the exit code; it loads the settings itself
(``config.load(given.schemas)``) when it needs them, and raises ``options.UsageError`` for bad
usage that argparse cannot see (said like argparse's own errors, exit 2).

How to add a command, say ``review`` (``--from``, ``--to``, ``--outbox``, ``--period``,
``--schemas``):

1. Its options: one that exists is taken from its builder in ``options`` (``o.outbox()``,
   ``o.period()``, ``o.schemas()``, ``o.debug()``); a new one gets one new builder there, e.g.
   ``def since_period() -> Option: return Option(("--from",), {"dest": "earlier", "metavar":
   "KỲ", "help": "..."}, lambda program: None)`` (``from`` is a Python word: name its ``dest``).
   Never ``add_argument`` elsewhere: a test fails if an option string is declared twice.
2. Its typed options: a frozen dataclass in ``typed`` whose fields are exactly its options'
   ``dest`` names, on the bases it shares (``Configured``: ``schemas``; ``WithOutbox``:
   ``outbox``; ``ReadsInbox``: ``inbox``, ``jobs``; ``ForPeriod``: those two and ``year``,
   ``period``): ``class ReviewOptions(Configured, WithOutbox): earlier: str; later: str;
   period: str``. A test checks fields and options match, and the handler's annotation.
3. Its handler: ``def review(given: ReviewOptions) -> int`` in its group's module (or a new
   one), loading the settings itself with ``config.load(given.schemas)``.
4. One entry in ``table.TABLE``: ``Command("review", "<dòng trợ giúp>", "<mô tả>",
   (o.since_period(), o.until_period(), o.outbox(), o.period(), o.schemas(), o.debug()),
   typed.ReviewOptions, "review:review")``. Its place in the table is its place in ``--help``;
   the README must name it (``tests/test_cli.py`` checks).
"""
