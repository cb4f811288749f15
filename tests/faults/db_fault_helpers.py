"""Fixtures and helpers for the database fault tests: ``outage`` (a PostgreSQL server the test
may stop and start again, with a fresh database on it) and ways to read what reached each store.
The OpenAI fake comes from tests/service/conftest.py (``openai_fake``).

The server is this module's own (not the session's ``pg_dsn`` one, which other tests share):
stopping it mid-test must not pull the rug from under anyone else.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from llmring.schemas import LLMRequest, Message
from tests.db.pg_schemas import run_sql
from tests.pg_server import PostgresServer


@pytest.fixture(scope="module")
def _restartable_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.remove()


@dataclass
class Outage:
    """A running server the test may stop and start, and a fresh database on it."""

    server: PostgresServer
    url: str

    async def stop(self) -> None:
        """Stop the server (in a thread: the event loop, and the log writer, keep running)."""
        await asyncio.to_thread(self.server.stop)

    def start(self) -> None:
        """Start the server again, from this thread: the postmaster gets its parent-death signal
        when the thread that started it ends, so never from a worker thread."""
        self.server.start()


@pytest.fixture(name="outage")
def outage_fixture(_restartable_server: PostgresServer) -> Iterator[Outage]:
    """A fresh database on the restartable server; the server runs again when the test ends."""
    server = _restartable_server
    server.start()
    name = f"faults_{uuid.uuid4().hex[:12]}"
    run_sql(server.dsn, f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield Outage(server, server.dsn.rsplit("/", 1)[0] + f"/{name}")
    finally:
        server.start()
        run_sql(server.dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def request(text: str, **kw: Any) -> LLMRequest:
    return LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content=text)], **kw)


async def pg_calls(url: str) -> list[dict[str, Any]]:
    """Every call-log row in the ``llmring`` schema of ``url`` (read with asyncpg directly)."""
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await conn.fetch("SELECT call_id, final FROM llmring.llm_api_calls")]
    finally:
        await conn.close()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` is true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout:g} s")
        await asyncio.sleep(0.01)


def llmring_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The warnings llmring itself logged (drivers' own chatter left out)."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("llmring") and r.levelno >= logging.WARNING]
