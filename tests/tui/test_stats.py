"""Stats mode: windows change the totals, cost per day, breakdowns, empty windows."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from textual.widgets import DataTable, Select, Static

from llmring import formatting as fmt
from llmring.db_sqlite import SQLiteDatabase
from llmring_tui.screens.stats import StatsScreen
from llmring_tui.widgets import CostChart, EmptyState
from tests.tui.conftest import make_app, press, settle
from tests.tui.seed import FROZEN_NOW, sample_call


def card(app: Any, index: int) -> str:
    return str(app.screen.query_one(f"#stat-{index}", Static).render())


def keys(app: Any, table_id: str) -> list[str]:
    return [str(row.key.value) for row in app.screen.query_one(table_id, DataTable).ordered_rows]


async def test_windows_change_the_totals(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="stats")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        for key, days in (("w", 7), ("t", 1), ("m", 30), ("a", None)):
            await press(pilot, key)
            since = (
                None if days is None else datetime.combine(FROZEN_NOW.date() - timedelta(days=days - 1), time(), UTC)
            )
            expected = await store.get_usage_stats(days=None, since=since)
            assert card(app, 0) == f"Calls\n{expected.total_calls:,}", key
            assert card(app, 1) == f"Tokens\n{expected.total_tokens:,}"
            assert card(app, 2) == f"Cost\n{fmt.money(expected.total_cost)}"
            assert card(app, 3) == f"Success rate\n{fmt.percent(expected.success_rate)}"
            assert card(app, 4) == f"Cache hit rate\n{fmt.percent(expected.cache_hit_rate)}"
            assert card(app, 5) == f"Saved by cache\n{fmt.money(expected.cache_savings)}"
        assert app.screen.query_one("#stats-window", Select).value == "all"
        week = await store.get_usage_stats(days=None, since=datetime(2026, 3, 8, tzinfo=UTC))
        everything = await store.get_usage_stats(days=None)
        assert week.total_calls < everything.total_calls == 250


async def test_cost_per_day_chart_and_breakdowns(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="stats")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the default window: 7 days
        chart = app.screen.query_one(CostChart)
        # "Last 7 days" is seven UTC dates (today and the six before), not a rolling 168 hours.
        week = datetime(2026, 3, 8, tzinfo=UTC)
        assert [d.isoformat() for d, _ in chart.days] == [f"2026-03-{n:02d}" for n in range(8, 15)]
        by_day = await store.usage_breakdown("day", days=None, since=week)
        assert sum(Decimal(str(v)) for v in chart.values) == sum(r.cost for r in by_day)
        assert chart.caption.startswith("Cost per day (UTC) 03-08 → 03-14 · total $")
        summary = str(app.screen.query_one("#stats-summary").render())
        assert summary.startswith("2026-03-08 → 2026-03-14 (UTC) ·")
        assert keys(app, "#by-day") == [r.key for r in by_day]  # the by-day breakdown, one row a day
        for by in ("model", "provider", "origin"):
            rows = await store.usage_breakdown(by, days=None, since=week)  # type: ignore[arg-type]
            assert keys(app, f"#by-{by}") == [r.key for r in rows]
        assert set(keys(app, "#by-origin")) == {"chatbot", "llmring", "billing"}


async def test_empty_window_suggests_all_time(empty_store: SQLiteDatabase) -> None:
    old = sample_call(1).model_copy(update={"id": "old", "called_at": FROZEN_NOW - timedelta(days=40)})
    await empty_store.record_api_calls([old])
    app = make_app(empty_store, mode="stats")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(EmptyState).message == (
            "No calls in this window (last 7 days). Press a for all time."
        )
        assert not app.screen.query_one("#stats-content").display
        await press(pilot, "a")
        assert app.screen.query_one(EmptyState).display is False
        assert card(app, 0) == "Calls\n1"


async def test_no_calls_at_all_says_what_to_run(tmp_path: Any) -> None:
    db = SQLiteDatabase(tmp_path / "none.db")
    app = make_app(db, mode="stats")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(EmptyState).message.startswith("No calls logged yet. Run `llmring ask")


async def test_user_tag_and_budget_tabs(store: SQLiteDatabase) -> None:
    from llmring.budgets import Budget

    tagged = [
        sample_call(i).model_copy(
            update={"id": f"tagged-{i}", "id_at_origin": "ada", "tags": {"feature": "summarise" if i % 2 else "chat"}}
        )
        for i in range(4)
    ]
    await store.record_api_calls(tagged)
    await store.save_budget(Budget("daily", Decimal("5"), origin="chatbot"))
    app = make_app(store, mode="stats")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "a")  # all time
        users = await store.usage_breakdown("user", days=None)
        assert keys(app, "#by-user") == [r.key for r in users] and "ada" in keys(app, "#by-user")
        by_tag = await store.usage_breakdown("tag:feature", days=None)
        labels = [f"feature={r.key}" for r in by_tag[:-1]] + ["(no feature)"]
        table = app.screen.query_one("#by-tag", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == labels
        assert sum(int(str(table.get_row_at(i)[1]).replace(",", "")) for i in range(2)) == 4
        for _ in range(6):  # day -> ... -> tag -> budgets
            await press(pilot, "b")
        assert app.screen.breakdown_key == "budgets"  # type: ignore[attr-defined]
        budgets = app.screen.query_one("#budgets", DataTable)
        row = [str(cell) for cell in budgets.get_row_at(0)]
        assert row[0] == "chatbot (daily)" and row[3] == "$5.00"
        assert not app.screen.query_one("#no-budgets").display


async def test_no_budgets_says_how_to_set_one(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="stats")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#no-budgets").display
        assert not app.screen.query_one("#budgets", DataTable).display
