"""PostgreSQL and driver errors as one-line ``DatabaseError``s that say where, never with a password.

``LLMDatabase`` describes its target once (``describe_dsn`` / ``describe_manager``) and wraps every
store method in ``translate_errors``; the rest are the small helpers those need.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

from llmring.errors import DatabaseError, LLMRingError, redact

P = ParamSpec("P")
T = TypeVar("T")


def root_cause(exc: BaseException) -> BaseException:
    """The innermost driver error behind a pgdbm wrapper (its text is the useful part)."""
    seen = exc
    while seen.__cause__ is not None:
        seen = seen.__cause__
    return seen


def one_line(exc: BaseException) -> str:
    """The first line of an error's text, any password in it masked."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return redact(text) or ""


def _is_driver_error(exc: BaseException) -> bool:
    module = type(exc).__module__.split(".")[0]
    return module in ("asyncpg", "pgdbm") or isinstance(exc, OSError | TimeoutError)


def translate_errors(method: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn asyncpg, pgdbm and OS errors raised by a store method into one-line ``DatabaseError``s."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except LLMRingError:
            raise
        except Exception as exc:
            if not _is_driver_error(exc):
                raise
            where = getattr(args[0], "where", "PostgreSQL")
            hint = "timed out" if isinstance(exc, TimeoutError) else one_line(root_cause(exc))
            if "does not exist" in hint and ("relation" in hint or "schema" in hint):
                hint += " (schema missing: run `llmring init-db`)"
            raise DatabaseError(f"PostgreSQL {where}: {hint}") from None

    return wrapper


def quiet_pool_warning(record: logging.LogRecord) -> bool:
    """Drop pgdbm's "another connection pool" warning: each standalone store owns one pool
    by design, and pgdbm's count never goes down when a pool closes."""
    return "Creating another connection pool" not in str(record.msg)


def url_problem(dsn: str) -> str | None:
    """What is wrong with a PostgreSQL URL that cannot even be parsed, or None."""
    if not dsn.startswith(("postgresql://", "postgres://")):
        return "it must start with postgresql://"
    try:
        urlsplit(dsn).port  # noqa: B018 - parsing is the check
    except ValueError as exc:
        return str(exc).replace("Port could not be cast to integer value as", "the port is not a number:")
    return None


def describe_dsn(dsn: str) -> str:
    """``user@host:port/database`` from a URL, never its password."""
    try:
        parts = urlsplit(dsn)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        user = f"{unquote(parts.username)}@" if parts.username else ""
        database = unquote(parts.path.lstrip("/")) or "postgres"
    except ValueError:
        return redact(dsn) or "PostgreSQL"
    return f"{user}{host}:{port}/{database}"


def describe_manager(manager: Any) -> str:
    """Where an injected manager's pool points, if its config says (never its password)."""
    config = getattr(manager, "config", None)
    if config is None:
        return "PostgreSQL"
    if config.connection_string:
        return describe_dsn(config.connection_string)
    return f"{config.user}@{config.host}:{config.port}/{config.database}"
