"""Store fixtures: every test in tests/db that takes ``store`` runs once per backend.

Add a backend by adding its name to ``BACKENDS`` and a branch to ``make_store`` (PostgreSQL:
a fresh schema on the session's server). Stores take "now" from ``llmring.schemas.utc_now``, so
the ``clock`` fixture controls every time-dependent answer (windows, expiry, sync stamps).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from llmring import schemas
from llmring.store import Store

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

StoreFactory = Callable[[], Store]


def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> StoreFactory:
    """A function that builds a new, uninitialised store on this test's database (one per call)."""
    if backend == "sqlite":
        from llmring.db_sqlite import SQLiteDatabase

        path = tmp_path / "store.db"
        return lambda: SQLiteDatabase(path)
    if backend == "postgres":
        from tests.db.pg_schemas import postgres_store_factory

        return postgres_store_factory(request)
    raise ValueError(f"unknown store backend {backend!r}")


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    """Builds stores on one fresh database; use it to open a second connection to the same data."""
    return make_store(request.param, tmp_path, request)


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[Store]:
    """An initialised store on a fresh database, closed after the test."""
    db = store_factory()
    await db.initialize()
    try:
        yield db
    finally:
        await db.close()


class Clock:
    """A settable stand-in for ``llmring.schemas.utc_now``."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: Any) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freezes the stores' clock at 2026-03-10 15:30 UTC (mid-afternoon, so windows cut a day)."""
    frozen = Clock(datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    monkeypatch.setattr(schemas, "utc_now", frozen)
    return frozen
