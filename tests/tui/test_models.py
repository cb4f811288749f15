"""Models mode: filtering as you type, sorting, the details pane, retired models, markup."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from llmring.db_sqlite import SQLiteDatabase
from llmring_tui.screens.models import ModelsScreen
from llmring_tui.widgets import EmptyState
from tests.tui.conftest import make_app, press, screen_text, settle
from tests.tui.seed import MARKUP_MODEL, RETIRED


def keys(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one("#models-table", DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def column(app, key: str) -> list[str]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one("#models-table", DataTable)
    return [str(cell) for cell in table.get_column(key)]


async def test_models_lists_active_models_by_provider(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ModelsScreen)
        assert keys(app) == [
            "anthropic:claude-sonnet-4-5",
            "google:gemini-2.5-pro",
            "ollama:llama3.2",
            "openai:gpt-4o",
            "openai:gpt-4o-mini",
            f"openai:{MARKUP_MODEL}",
        ]
        assert column(app, "input")[:3] == ["$3.00", "$1.25", "free"]
        assert column(app, "caps")[0] == "VT·PR"


async def test_filter_as_you_type_and_escape_clears(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "slash")
        assert app.screen.focused is app.screen.query_one("#models-filter", Input)
        await press(pilot, "g", "p", "t")
        assert keys(app) == ["openai:gpt-4o", "openai:gpt-4o-mini", f"openai:{MARKUP_MODEL}"]
        await press(pilot, "minus", "4", "o", "minus", "m")
        assert keys(app) == ["openai:gpt-4o-mini"]
        assert "1 of 6 models" in screen_text(app)
        await press(pilot, "x")
        assert keys(app) == []
        assert "No models match “gpt-4o-mx”" in app.screen.query_one(EmptyState).message
        await press(pilot, "escape")
        assert len(keys(app)) == 6
        assert app.screen.focused is app.screen.query_one("#models-table", DataTable)


async def test_filter_matches_capabilities(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "slash")
        app.screen.query_one("#models-filter", Input).value = "vision reason"  # words match independently
        await press(pilot, "enter")
        assert keys(app) == ["anthropic:claude-sonnet-4-5", "google:gemini-2.5-pro"]
        assert app.screen.focused is app.screen.query_one("#models-table", DataTable)


async def test_sort_by_key_and_by_header_click(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "s")  # provider -> model name
        assert keys(app)[:2] == ["anthropic:claude-sonnet-4-5", "google:gemini-2.5-pro"]
        assert keys(app)[-1] == "ollama:llama3.2"
        assert str(app.screen.query_one(DataTable).columns["model"].label) == "Model ▲"
        await press(pilot, "S")
        assert keys(app)[0] == "ollama:llama3.2"

        # Click the "Input" header: numeric columns sort high to low first, unknowns last.
        table = app.screen.query_one("#models-table", DataTable)
        x = (
            sum(
                col.get_render_width(table)
                for key, col in table.columns.items()
                if key.value in ("provider", "model", "context", "max_output")
            )
            + 2
        )
        await pilot.click("#models-table", offset=(x, 0))
        await settle(pilot)
        assert column(app, "input") == ["$3.00", "$2.50", "$1.25", "$1.00", "$0.15", "free"]
        await pilot.click("#models-table", offset=(x, 0))
        await settle(pilot)
        assert column(app, "input")[0] == "free"


async def test_details_pane_shows_every_field(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)  # cursor on the first row: anthropic:claude-sonnet-4-5
        text = screen_text(app)
        for expected in (
            "Claude Sonnet 4.5",
            "Balanced Claude model.",
            "1,000,000 tokens",
            "64,000 tokens",
            "vision, tools, PDF",
            "Cache write 5m $3.75",
            "Cache write 1h $6.00",
            "Long context   > 200,000 tokens",
            "Long in $/M    $6.00",
            "Long out $/M   $22.50",
            "https://example.com/pricing",
            "2026-03-01",
        ):
            assert expected in text, expected
        await press(pilot, "down")
        assert "Gemini 2.5 Pro" in screen_text(app)


async def test_inactive_toggle_shows_retired_models(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert f"openai:{RETIRED}" not in keys(app)
        await press(pilot, "i")
        assert f"openai:{RETIRED}" in keys(app)
        assert f"{RETIRED} (retired)" in column(app, "model")
        assert "7 models (1 retired)" in screen_text(app)
        await press(pilot, "i")
        assert f"openai:{RETIRED}" not in keys(app)


async def test_markup_in_model_names_is_shown_literally(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "end")
        table = app.screen.query_one("#models-table", DataTable)
        table.move_cursor(row=5)
        await settle(pilot)
        assert MARKUP_MODEL in column(app, "model")
        text = screen_text(app)
        assert MARKUP_MODEL in text
        assert "Markup [i]test[/i]" in text


async def test_empty_registry_says_run_init_db(empty_store: SQLiteDatabase) -> None:
    app = make_app(empty_store, mode="models")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        message = app.screen.query_one(EmptyState).message
        assert "The model registry is empty" in message
        assert "`llmring init-db`" in message
