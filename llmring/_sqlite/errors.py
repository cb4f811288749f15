"""sqlite3 and OS errors as one-line ``DatabaseError``s that name the file and say what to check."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from llmring.errors import DatabaseError

P = ParamSpec("P")
T = TypeVar("T")

# Substring of sqlite's message -> what to tell the user.
_HINTS = (
    (("readonly", "read-only"), "read-only: make the file and its directory writable"),
    (("unable to open",), "check that the path exists and its directory is writable"),
    (("locked", "busy"), "another process holds a lock; try again"),
    (("full",), "no space left for the database: free some disk space"),
    (("not a database",), "the file is not an SQLite database"),
    (("no such table",), "schema missing: run `llmring init-db`"),
)


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite said another connection holds the lock (worth waiting for, not a fault)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # not from SQLite itself: only the message is left to go on
        return "locked" in str(exc).lower()
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def describe(exc: BaseException) -> str:
    """The error's text plus a hint when one applies."""
    text = str(exc)
    lowered = text.lower()
    for needles, hint in _HINTS:
        if any(needle in lowered for needle in needles):
            return f"{text} ({hint})"
    return text


def translate_errors(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Wrap a store method (its ``self`` has ``db_path``) so failures raise ``DatabaseError``."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            path = getattr(args[0], "db_path", "?")
            error = DatabaseError(f"SQLite database {path}: {describe(exc)}")
            error.busy = isinstance(exc, sqlite3.Error) and is_busy(exc)
            raise error from exc

    return wrapper
