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

1. Options: an option that exists already is taken from its builder in ``options``
   (``o.outbox()``, ``o.period()``, ``o.schemas()``); a new one gets one builder there,
   returning ``Option(("--from",), {"dest": "first", "type": ..., "metavar": ..., "help": "..."},
   default)``. Never ``add_argument`` anywhere else: a test fails if an option string is
   declared twice.
2. Its typed options: a frozen dataclass in ``options`` whose fields are the options' ``dest``
   names, built on a base (``Configured`` gives ``schemas``, ``WithOutbox`` ``outbox``,
   ``ForPeriod`` both and ``year``, ``period``): ``class ReviewOptions(Configured, WithOutbox):
   first: ...; to: ...; period: str``. A test checks the fields match the parser's options.
3. Its handler: ``def review(given: ReviewOptions) -> int`` in the module of its group (or a new
   one), importing what it needs at the top; nothing else reads the parsed arguments.
4. One entry in ``table.TABLE``: ``Command("review", "<dòng trợ giúp>", "<mô tả>",
   (o.from_(), o.to(), o.outbox(), o.period(), o.schemas(), o.debug()), o.ReviewOptions,
   "review:review")``. Its place in the table is its place in ``--help``; README names it
   (a test checks every command has Vietnamese help and is in the README).
"""
