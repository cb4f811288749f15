"""Fixtures for the dashboard tests: a seeded SQLite store, a frozen clock and app builders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

import llmring.schemas as schemas
from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import DatabaseError
from llmring_tui.app import LLMRingApp
from tests.tui.seed import FROZEN_NOW, seed

BROKEN_MESSAGE = "SQLite database /data/llmring.db: database is locked [bold]boom[/bold] (another process holds a lock)"


@pytest.fixture(autouse=True)
def frozen_store_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The store's "now" (rolling stats windows) is the dashboard's frozen clock."""
    monkeypatch.setattr(schemas, "utc_now", lambda: FROZEN_NOW)
    return FROZEN_NOW


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    """A SQLite store with the sample registry and 250 sample calls."""
    db = SQLiteDatabase(tmp_path / "tui.db")
    await seed(db, calls=250)
    yield db
    await db.close()


@pytest.fixture
async def empty_store(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    """An initialised SQLite store with nothing in it (what a fresh install looks like)."""
    db = SQLiteDatabase(tmp_path / "empty.db")
    await db.initialize()
    yield db
    await db.close()


class FlakyStore:
    """A real store behind a switch: while ``broken``, every read raises ``DatabaseError``."""

    def __init__(self, inner: SQLiteDatabase) -> None:
        self.inner = inner
        self.broken = True
        self.backend = inner.backend

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if name in {"initialize", "close"} or not callable(attr):
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.broken:
                raise DatabaseError(BROKEN_MESSAGE)
            return await attr(*args, **kwargs)

        return call


def make_app(
    store: Any,
    *,
    mode: str = "calls",
    clock: Callable[[], datetime] | None = None,
    refresh_interval: float = 3600,
) -> LLMRingApp:
    """An app over ``store`` with a frozen clock and (by default) no live refresh during a test."""
    return LLMRingApp(
        lambda: store,
        clock=clock or (lambda: FROZEN_NOW),
        refresh_interval=refresh_interval,
        database_label="/data/llmring.db",
        mode=mode,
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until every loader worker has finished and its message has been handled."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot: Pilot[Any], *keys: str) -> None:
    """Press ``keys`` and wait for the loads they start."""
    await pilot.press(*keys)
    await settle(pilot)


def no_blink(app: LLMRingApp) -> None:
    """Stop input cursors blinking (snapshots must not depend on when they are taken)."""
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


def screen_text(app: LLMRingApp) -> str:
    """What the terminal shows right now, as plain text."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)
