"""PostgreSQL stores for the store tests: a fresh schema per test on the session's server.

Every store a test builds through the factory shares that test's schema (so "reopen" tests see
the same data); the schema is dropped when the test ends.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest

from llmring.store import Store


def unique_schema() -> str:
    """A schema name no other test uses."""
    return f"t_{uuid.uuid4().hex[:16]}"


def run_sql(dsn: str, *statements: str) -> None:
    """Run ``statements`` on a short-lived connection, from a thread of its own (so this works in
    sync code, in async tests and in fixture teardowns, whatever event loop is running here)."""

    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(run())
        except BaseException as exc:  # re-raised in the caller
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def drop_schema(dsn: str, schema: str) -> None:
    """``DROP SCHEMA ... CASCADE`` (no error if it is already gone)."""
    run_sql(dsn, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextmanager
def fresh_database(dsn: str) -> Iterator[str]:
    """A brand-new empty database on the server of ``dsn``; yields its URL and drops it after."""
    name = f"db_{uuid.uuid4().hex[:12]}"
    run_sql(dsn, f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield urlunsplit(urlsplit(dsn)._replace(path=f"/{name}"))
    finally:
        run_sql(dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_store_factory(request: pytest.FixtureRequest) -> Callable[[], Store]:
    """Builds ``LLMDatabase`` stores on one fresh schema; the schema goes when the fixture does."""
    from llmring.db import LLMDatabase

    dsn: str = request.getfixturevalue("pg_dsn")
    schema = unique_schema()
    request.addfinalizer(lambda: drop_schema(dsn, schema))
    return lambda: LLMDatabase(dsn, schema=schema, min_connections=1, max_connections=4)
