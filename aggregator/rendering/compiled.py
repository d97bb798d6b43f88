"""Jinja templates compiled once: the compiled code kept per process and in a per-user cache folder.

Compiling the report's templates (and the Word template's XML, which docxtpl hands over as a
string) is most of a small run's rendering. The code is kept under a key made of everything it
was compiled from: the template's source, its name and file, the environment's settings
(autoescaping changes the code), the filters' own source files (Jinja folds a filter over
constants when it compiles), and the Jinja and Python versions. An edited template, or filter,
is a new key: nothing stale is ever used. The folder is the user's cache (``~/.cache``,
``%LOCALAPPDATA%``, ``~/Library/Caches``), never the outbox; ``AGGREGATOR_CACHE_DIR`` names
another, or ``off`` for none. A cache that cannot be read or written costs only the time of
compiling: a run never fails for it. It never grows past ``KEEP`` entries: an entry's time is
when it was last used, and the least recently used go first.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2
from jinja2.bccache import Bucket

log = logging.getLogger("aggregator")

APP = "dienhinh-aggregator"
CACHE_VARIABLE = "AGGREGATOR_CACHE_DIR"  # a folder for the cache, or "off" for none
OFF = ("", "0", "off", "no", "false")
# entries kept in the cache folder: every template of a run is some ten; each edit of one adds
# an entry, and those no run asks for again go, the least recently used first
KEEP = 200


def cache_folder() -> Path | None:
    """Where compiled templates are kept: the user's cache folder (or ``AGGREGATOR_CACHE_DIR``)."""
    wanted = os.environ.get(CACHE_VARIABLE)
    if wanted is not None:
        return None if wanted.strip().lower() in OFF else Path(wanted) / "jinja"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser(r"~\AppData\Local")
        return Path(base, APP, "Cache", "jinja")
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Caches"), APP, "jinja")
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if not os.path.isabs(base):
        base = os.path.expanduser("~/.cache")
    return Path(base, APP, "jinja")


class SourceKeyedCache(jinja2.BytecodeCache):
    """Compiled code by key, in memory for this process and as files in ``folder`` (if any)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.kept: dict[str, CodeType] = {}
        self.compiled = 0  # templates compiled by this process (none when all were cached)

    def get_bucket(self, environment: jinja2.Environment, name: Any, filename: Any, source: str) -> Bucket:
        key = hashlib.sha256(
            repr((_settings(environment), name, filename)).encode("utf-8") + source.encode("utf-8")
        ).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        bucket.code = self.kept.get(bucket.key)
        if bucket.code is not None or self.folder is None:
            return
        path = self.folder / bucket.key
        try:
            with open(path, "rb") as file:
                bucket.load_bytecode(file)
        except FileNotFoundError:
            return
        except Exception as exc:  # unreadable or damaged: compiled again, and written again
            log.debug("bộ nhớ đệm mẫu không đọc được: %s", exc)
            bucket.reset()
        if bucket.code is not None:
            self.kept[bucket.key] = bucket.code
            with contextlib.suppress(OSError):
                os.utime(path)  # (used now: the last to go)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled += 1
        if bucket.code is not None:
            self.kept[bucket.key] = bucket.code
        if self.folder is None:
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=bucket.key, suffix=".tmp")
            try:
                with os.fdopen(handle, "wb") as file:
                    bucket.write_bytecode(file)
                os.replace(temporary, self.folder / bucket.key)
            except BaseException:
                _remove(temporary)
                raise
            _prune(self.folder, KEEP)
        except Exception as exc:  # read-only, full, not ours: the next run compiles again
            log.debug("không ghi được bộ nhớ đệm mẫu %s: %s", self.folder, exc)


def _prune(folder: Path, keep: int) -> None:
    """The least recently used entries past ``keep`` removed (a file half written by a run
    that stopped among them)."""
    entries = []
    for entry in os.scandir(folder):
        with contextlib.suppress(OSError):
            entries.append((entry.stat().st_mtime, entry.path))
    for _, path in sorted(entries, reverse=True)[keep:]:
        _remove(path)


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


class Environment(jinja2.Environment):
    """A Jinja environment whose templates given as strings (docxtpl's) are cached too."""

    def from_string(
        self,
        source: str | jinja2.nodes.Template,
        globals: Any = None,
        template_class: type[jinja2.Template] | None = None,
    ) -> jinja2.Template:
        cache = self.bytecode_cache
        if not isinstance(cache, SourceKeyedCache) or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        bucket = cache.get_bucket(self, None, None, source)
        if bucket.code is None:
            bucket.code = self.compile(source)
            cache.set_bucket(bucket)
        cls = template_class or self.template_class
        return cls.from_code(self, bucket.code, self.make_globals(globals), None)


_CACHE: dict[Path | None, SourceKeyedCache] = {}


def cache() -> SourceKeyedCache:
    """This process's cache, in the folder the environment names now."""
    folder = cache_folder()
    if folder not in _CACHE:
        _CACHE[folder] = SourceKeyedCache(folder)
    return _CACHE[folder]


def _settings(env: jinja2.Environment) -> tuple[Any, ...]:
    """Everything besides the source that the compiled code depends on."""
    autoescape = env.autoescape
    return (
        jinja2.__version__,
        sys.version_info[:2],
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        _named(autoescape) if callable(autoescape) else autoescape,
        _named(env.finalize) if env.finalize is not None else None,
        tuple(sorted(env.extensions)),
        _functions(env.filters.items()),
        _functions(env.tests.items()),
    )


def _named(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__module__', None)}.{getattr(function, '__qualname__', repr(function))}"


def _functions(named: Iterable[tuple[str, Any]]) -> tuple[tuple[str, str, str], ...]:
    """Each filter (or test) by name, with its code's source file's digest (Jinja's own are
    covered by its version)."""
    return tuple(
        (name, _named(function), _source_digest(function))
        for name, function in sorted(named, key=lambda item: item[0])
        if not (getattr(function, "__module__", None) or "").startswith("jinja2")
    )


_DIGESTS: dict[str, str] = {}


def _source_digest(function: Any) -> str:
    try:
        path = inspect.getsourcefile(function) or ""
    except (TypeError, OSError):  # a builtin, or no file: no source of its own
        return ""
    if path not in _DIGESTS:
        try:
            _DIGESTS[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            _DIGESTS[path] = ""
    return _DIGESTS[path]
