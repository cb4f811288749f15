"""How the dashboard looks: populated, empty and error states at 80x24 and 120x40.

Fixed data (ids, timestamps, costs from ``seed``), a frozen clock, no cursor blink. Regenerate
with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the SVGs in
``__snapshots__/`` before committing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from llmring.db_sqlite import SQLiteDatabase
from llmring_tui.app import LLMRingApp
from tests.tui.conftest import FlakyStore, no_blink, settle
from tests.tui.seed import FROZEN_NOW, seed_file

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
SnapCompare = Callable[..., bool]


def build_app(path: Path, *, mode: str = "calls", broken: bool = False) -> LLMRingApp:
    """The app over the SQLite file at ``path`` (opened inside the app's own event loop)."""

    def factory() -> Any:
        store = SQLiteDatabase(path)
        return FlakyStore(store) if broken else store

    return LLMRingApp(
        factory, clock=lambda: FROZEN_NOW, refresh_interval=3600, database_label="/data/llmring.db", mode=mode
    )


def seeded(tmp_path: Path, calls: int = 250, models: bool = True) -> Path:
    path = tmp_path / "snap.db"
    asyncio.run(seed_file(path, calls=calls, models=models))
    return path


def ready(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A ``run_before``: wait for the loads, press ``keys`` (waiting after each), stop blinking."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        no_blink(pilot.app)  # type: ignore[arg-type]

    return run_before


# state -> (mode, keys pressed once loaded). Every state is drawn at 80x24 and at 120x40.
STATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "calls_populated": ("calls", ()),
    "calls_sorted_by_cost": ("calls", ("s",)),
    "calls_last_24_hours": ("calls", ("t", "t")),
    "calls_help": ("calls", ("question_mark",)),
    "models_populated": ("models", ("i",)),
    "models_help": ("models", ("question_mark",)),
    "stats_populated": ("stats", ()),
    "stats_30_days_by_model": ("stats", ("m", "b")),
    "stats_all_time": ("stats", ("a",)),
    "stats_help": ("stats", ("question_mark",)),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", list(STATES))
def test_state(snap_compare: SnapCompare, tmp_path: Path, state: str, size: tuple[int, int]) -> None:
    mode, keys = STATES[state]
    assert snap_compare(build_app(seeded(tmp_path), mode=mode), terminal_size=size, run_before=ready(*keys))


@pytest.mark.parametrize("size", SIZES)
def test_calls_empty(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(build_app(seeded(tmp_path, calls=0, models=False)), terminal_size=size, run_before=ready())


@pytest.mark.parametrize("size", SIZES)
def test_calls_error(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(build_app(seeded(tmp_path), broken=True), terminal_size=size, run_before=ready())


def test_models_empty(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app = build_app(seeded(tmp_path, calls=0, models=False), mode="models")
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready())


def test_stats_empty(snap_compare: SnapCompare, tmp_path: Path) -> None:
    app = build_app(seeded(tmp_path, calls=0), mode="stats")
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("steps", [(), ("n",)], ids=["first", "after-next"])
def test_call_details(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int], steps: tuple[str, ...]) -> None:
    async def open_details(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.screen.query_one(DataTable).move_cursor(row=1)
        await pilot.press("enter")
        await settle(pilot)
        for key in steps:
            await pilot.press(key)
            await settle(pilot)

    assert snap_compare(build_app(seeded(tmp_path)), terminal_size=size, run_before=open_details)
