"""The stages put together, for library callers and the command line.

``run`` does the whole December job; ``aggregate`` runs the stages and returns data;
``FileProcessor`` is one file's stages, in order; ``collect`` lists the inbox's entries;
``check`` reads single files exactly as the run reads them. (``outreach``: the standard
workbooks and reminders that go out before the report.)
"""

from aggregator.pipeline.files import FileProcessor
from aggregator.pipeline.run import Published, aggregate, collect, other_periods_of, run
from aggregator.pipeline.single import check

__all__ = ["FileProcessor", "check", "Published", "aggregate", "collect", "other_periods_of", "run"]
