"""The cycle collector kept to what a stage makes, not what it was given (``only_new_objects``).

A run holds its records (tens of thousands of objects) while later stages make many small
ones; each full collection of Python's cycle collector walks every object alive, so one set
off while, say, the report's content is built costs a tenth of a second or more, for nothing:
what the stage was given is freed by its references when the run lets it go. Within
``only_new_objects`` the objects made before are set aside (``gc.freeze``), and put back after:
a cycle among them is collected later, as before. Imports nothing of the package.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_depth = 0  # regions entered and not yet left: the outermost sets aside and puts back


@contextmanager
def only_new_objects() -> Iterator[None]:
    """Within, the collector looks only at the objects made within (regions may nest)."""
    global _depth
    _depth += 1
    if _depth == 1:
        gc.freeze()
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            gc.unfreeze()


def on_new_objects(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` run within ``only_new_objects``."""

    @functools.wraps(function)
    def within(*args: P.args, **kwargs: P.kwargs) -> R:
        with only_new_objects():
            return function(*args, **kwargs)

    return within
