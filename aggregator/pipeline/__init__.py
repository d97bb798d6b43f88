"""The stages put together: ``run`` (the whole job), ``aggregate`` (the stages, returning data),
``FileProcessor`` (one file's stages, in order), ``collect`` (the inbox's entries)."""

from aggregator.pipeline.files import FileProcessor
from aggregator.pipeline.run import Published, aggregate, collect, history_of, run

__all__ = ["FileProcessor", "Published", "aggregate", "collect", "history_of", "run"]
