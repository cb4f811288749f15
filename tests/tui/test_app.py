"""The app as a whole: mode keys, help, command palette, and the one error path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.command import CommandInput, CommandPalette
from textual.containers import VerticalScroll
from textual.widgets import DataTable

from llmring.db_sqlite import SQLiteDatabase
from llmring.errors import DatabaseError
from llmring_tui.app import LLMRingApp
from llmring_tui.screens.base import DashboardScreen
from llmring_tui.screens.calls import CallsScreen
from llmring_tui.screens.help import HelpScreen, binding_keys
from llmring_tui.screens.models import ModelsScreen
from llmring_tui.screens.stats import StatsScreen
from llmring_tui.widgets import ErrorPanel
from tests.tui.conftest import BROKEN_MESSAGE, FlakyStore, make_app, press, screen_text, settle
from tests.tui.seed import FROZEN_NOW


async def test_number_keys_switch_modes_and_q_quits(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.current_mode == "calls" and isinstance(app.screen, CallsScreen)
        await press(pilot, "1")
        assert isinstance(app.screen, ModelsScreen)
        await press(pilot, "3")
        assert isinstance(app.screen, StatsScreen)
        await press(pilot, "2")
        assert isinstance(app.screen, CallsScreen)
        await press(pilot, "q")
    assert app.return_code == 0


@pytest.mark.parametrize("mode", ["models", "calls", "stats"])
async def test_help_lists_every_key_of_the_mode_without_scrolling(store: SQLiteDatabase, mode: str) -> None:
    app = make_app(store, mode=mode)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert f"{mode.title()} mode" in text
        for binding in [*screen.mode_bindings(), *(b for b in app.BINDINGS if isinstance(b, Binding))]:
            assert binding_keys(binding) in text, binding.key
            assert str(binding.tooltip) in text, binding.tooltip
        for keys, what in screen.HELP_KEYS:
            assert keys in text and what in text, keys
        if mode == "calls":
            assert "Details; n/p: next/previous" in text  # enter, which no binding lists
        assert "R  reasoning" in text  # the capability legend
        assert app.screen.query_one("#help-body", VerticalScroll).max_scroll_y == 0  # all of it at 80x24
        await press(pilot, "escape")
        assert app.screen is screen


async def test_command_palette_runs_noun_verb_commands(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        app.screen.query_one(CommandInput).value = "stats: last 30"
        await pilot.pause(0.3)  # the palette gathers hits in a worker
        await press(pilot, "enter")
        assert isinstance(app.screen, StatsScreen)
        assert app.screen.window.key == "30d"

        await app.run_in_mode("models", "set_inactive(True)")
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen) and app.screen.include_inactive


async def test_store_errors_show_a_panel_and_r_recovers(store: SQLiteDatabase) -> None:
    flaky = FlakyStore(store)
    app = make_app(flaky)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ErrorPanel)
        assert panel.display and panel.error is not None
        assert panel.error.title == "Could not load calls"
        assert panel.error.message == BROKEN_MESSAGE
        assert BROKEN_MESSAGE in screen_text(app).replace("\n", " ") or "[bold]boom[/bold]" in screen_text(app)
        assert "Press r to retry." in screen_text(app)
        notes = list(app._notifications)
        assert [(n.severity, n.message) for n in notes] == [("error", BROKEN_MESSAGE)]

        await press(pilot, "1")  # still responsive, and the other modes fail the same way
        assert isinstance(app.screen, ModelsScreen)
        assert app.screen.query_one(ErrorPanel).display
        await press(pilot, "2")

        flaky.broken = False
        await press(pilot, "r")
        assert not app.screen.query_one(ErrorPanel).display
        assert app.screen.query_one(DataTable).row_count == 100
        assert app.is_running


async def test_a_store_that_fails_to_open_is_retried(tmp_path: Path) -> None:
    attempts: list[int] = []
    good = SQLiteDatabase(tmp_path / "late.db")

    def factory() -> SQLiteDatabase:
        attempts.append(1)
        if len(attempts) == 1:
            raise DatabaseError(f"SQLite database {tmp_path}/late.db: unable to open database file")
        return good

    app = LLMRingApp(factory, clock=lambda: FROZEN_NOW, refresh_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(ErrorPanel).display
        await press(pilot, "r")
        assert not app.screen.query_one(ErrorPanel).display
        assert len(attempts) == 2
    await good.close()


async def test_unexpected_exceptions_are_reported_not_raised(store: SQLiteDatabase) -> None:
    class Exploding(FlakyStore):
        def __getattr__(self, name: str) -> Any:
            if name == "list_calls":

                async def boom(*args: Any, **kwargs: Any) -> Any:
                    raise RuntimeError("kaboom [red]x[/red]")

                return boom
            return getattr(self.inner, name)

    app = make_app(Exploding(store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(ErrorPanel)
        assert panel.error is not None and panel.error.message == "RuntimeError: kaboom [red]x[/red]"
        await press(pilot, "1")
        assert app.screen.query_one(DataTable).row_count == 6
