"""PostgreSQL stores for the store tests: a fresh schema per test on the session's server.

Every store a test builds through the factory shares that test's schema (so "reopen" tests see
the same data); the schema is dropped when the test ends.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable

import pytest

from llmring.store import Store


def unique_schema() -> str:
    """A schema name no other test uses."""
    return f"t_{uuid.uuid4().hex[:16]}"


def drop_schema(dsn: str, schema: str) -> None:
    """``DROP SCHEMA ... CASCADE`` from a thread of its own (safe whatever loop is running here)."""

    async def drop() -> None:
        import asyncpg

        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await conn.close()

    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(drop())
        except BaseException as exc:  # reported in the test's teardown
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def postgres_store_factory(request: pytest.FixtureRequest) -> Callable[[], Store]:
    """Builds ``LLMDatabase`` stores on one fresh schema; the schema goes when the fixture does."""
    from llmring.db import LLMDatabase

    dsn: str = request.getfixturevalue("pg_dsn")
    schema = unique_schema()
    request.addfinalizer(lambda: drop_schema(dsn, schema))
    return lambda: LLMDatabase(dsn, schema=schema, min_connections=1, max_connections=4)
