"""What issue 18 found wrong with the dashboard, each as a behaviour: 80x24 layouts that need no
sideways scrolling, sorting, the time filter, copy, CSV export, previous/next in details, and the
cost chart with its axis and values."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Select

from llmring.db_sqlite import SQLiteDatabase
from llmring_tui.app import LLMRingApp
from llmring_tui.screens.call_details import CallDetailsScreen
from llmring_tui.screens.stats import StatsScreen
from llmring_tui.widgets.chart import cost_chart
from tests.tui.conftest import make_app, press, screen_text, settle
from tests.tui.seed import FROZEN_NOW, sample_call


def ids(app: Any) -> list[str]:
    return [str(row.key.value) for row in app.screen.query_one("#calls-table", DataTable).ordered_rows]


def column(app: Any, key: str) -> list[str]:
    return [str(cell) for cell in app.screen.query_one("#calls-table", DataTable).get_column(key)]


# -- layout at 80x24 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "table"), [("calls", "#calls-table"), ("models", "#models-table")])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_column_fits_without_scrolling_sideways(
    store: SQLiteDatabase, mode: str, table: str, size: tuple[int, int]
) -> None:
    app = make_app(store, mode=mode)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        widget = app.screen.query_one(table, DataTable)
        assert widget.max_scroll_x == 0, [c.label for c in widget.columns.values()]
        text = screen_text(app)
        if mode == "calls":
            # Time, status, model, cost, tokens and latency, whole, on screen.
            for header in ("Time (UTC)", "Status", "Model", "Cost", "Tokens", "Latency"):
                assert header in text
            assert "$0.00151" in text and "297 ms" in text and "210" in text
            assert ("Origin/user" in text) == (size[0] >= 110)


async def test_a_few_millionths_of_a_dollar_fit_the_cost_column_at_80_columns(store: SQLiteDatabase) -> None:
    # A short call to a cheap model costs a few millionths of a dollar: "$0.00000495" is 11 cells.
    tiny = sample_call(0).model_copy(
        update={
            "id": "tiny",
            "called_at": FROZEN_NOW,
            "status": "success",
            "estimated_cost": Decimal("0.00000495"),
            "cache_hit": False,
        }
    )
    await store.record_api_calls([tiny])
    app = make_app(store, mode="calls")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert ids(app)[0] == "tiny"
        assert column(app, "cost")[0] == "$0.00000495"
        assert "$0.00000495" in screen_text(app)


async def test_stats_breakdowns_fit_and_never_cut_a_number(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="stats")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for key in ("day", "model", "provider", "origin"):
            await press(pilot, "b") if key != "day" else None
            table = app.screen.query_one(f"#by-{key}", DataTable)
            assert table.max_scroll_x == 0, key
            widths = {str(k.value): c.width for k, c in table.columns.items()}
            for row in table.ordered_rows:
                for name, cell in zip(widths, table.get_row(row.key), strict=True):
                    if name != "key":
                        assert len(str(cell)) <= widths[name], (key, name, str(cell))


async def test_models_details_never_split_an_id_and_caps_have_a_legend(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="models")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "anthropic:claude-sonnet-4-5" in text  # the key on one line in the details pane
        assert "Caps: V vision  T tools  J JSON mode  P PDF input  R reasoning" in text


async def test_call_details_show_model_time_status_and_cost_first(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "down", "enter")
        assert isinstance(app.screen, CallDetailsScreen)
        lines = screen_text(app).splitlines()
        top = "\n".join(lines[:6])
        for expected in ("anthropic:claude-sonnet-4-5", "success", "$0.00151", "2026-03-14 10:06:30 UTC"):
            assert expected in top, expected


# -- sorting and the time filter ---------------------------------------------------------------------


async def test_sort_calls_by_any_column_in_the_store(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "s")  # time -> cost, most expensive first, across all 250 rows
        table = app.screen.query_one("#calls-table", DataTable)
        assert str(table.columns["cost"].label) == "Cost ▼"
        everything = await store.list_recent_calls(limit=1000)
        priced = sorted((c for c in everything if c.estimated_cost is not None), key=lambda c: -c.estimated_cost)  # type: ignore[operator]
        assert ids(app)[0] == priced[0].id
        await press(pilot, "S")  # cheapest first; unpriced and failed calls still last
        assert str(table.columns["cost"].label) == "Cost ▲"
        assert column(app, "cost")[0] == "cached"
        await press(pilot, "n")  # other orders page by offset
        assert "page 2, rows 101–200" in screen_text(app)
        await press(pilot, "s", "s")  # tokens, latency
        assert str(table.columns["latency"].label) == "Latency ▼"
        latencies = [c.response_time_ms or 0 for c in everything]
        assert column(app, "latency")[0] == f"{max(latencies) / 1000:.2f} s"
        # Clicking a header sorts by it; again reverses.
        x = sum(c.get_render_width(table) for k, c in table.columns.items() if k.value in ("time", "status")) + 2
        await pilot.click("#calls-table", offset=(x, 0))
        await settle(pilot)
        assert str(table.columns["model"].label).startswith("Model ▲")
        assert column(app, "model")[0].startswith("anthropic:")


async def test_time_filter(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "t", "t")  # any -> last hour -> last 24 hours
        assert app.screen.query_one("#calls-time", Select).value == "24h"
        # Calls are 113 minutes apart, the newest 30 s before "now": 13 in the last 24 hours.
        assert len(ids(app)) == 13
        assert "(filtered)" in screen_text(app)
        await press(pilot, "escape")
        assert len(ids(app)) == 100


# -- copy, export, previous/next -------------------------------------------------------------------


async def test_c_copies_the_call_as_json_and_says_so(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "down", "c")
        copied = json.loads(app.clipboard)
        assert copied["id"] == "call-000001" and copied["estimated_cost"] == "0.001506"
        assert copied["request_metadata"] == {"feature": "test", "index": 1}
        [note] = list(app._notifications)
        assert note.message.startswith("Copied call call-000001 as JSON")


async def test_e_exports_the_visible_table_as_csv(store: SQLiteDatabase, tmp_path: Path) -> None:
    hostile = sample_call(5).model_copy(
        update={"id": "call-hostile", "called_at": FROZEN_NOW, "origin": "=HYPERLINK(1)", "id_at_origin": "+1"}
    )
    await store.record_api_calls([hostile])
    app = LLMRingApp(lambda: store, clock=lambda: FROZEN_NOW, refresh_interval=3600, export_dir=tmp_path, mode="calls")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await press(pilot, "e")
        [path] = tmp_path.glob("llmring-calls-page1-*.csv")
        rows = list(csv.DictReader(path.open(encoding="utf-8")))
        assert len(rows) == 100 and rows[0]["id"] == "call-hostile"
        assert rows[0]["origin"] == "'=HYPERLINK(1)" and rows[0]["id_at_origin"] == "'+1"  # never a formula
        assert rows[1]["called_at_utc"] == "2026-03-14T11:59:30+00:00" and rows[1]["cache_hit"] == "true"
        assert rows[2]["cost_usd"] == "0.001506"  # exact, not the screen's rounding
        assert str(path) in list(app._notifications)[-1].message
        for mode, pattern in (("1", "llmring-models-*.csv"), ("3", "llmring-stats-7d-by-day-*.csv")):
            await press(pilot, mode, "e")
            [saved] = tmp_path.glob(pattern)
            assert saved.read_text().count("\n") > 1


async def test_previous_and_next_in_call_details(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "enter")
        details = app.screen
        assert isinstance(details, CallDetailsScreen) and details.record_id == "call-000000"
        await press(pilot, "n")
        assert app.screen is details and details.record_id == "call-000001"
        await press(pilot, "right", "right")
        assert details.record_id == "call-000003"
        assert "ProviderUnavailableError" in screen_text(app)
        await press(pilot, "p")
        assert details.record_id == "call-000002"
        await press(pilot, "escape")
        assert app.screen.query_one("#calls-table", DataTable).cursor_row == 2


# -- the cost chart ------------------------------------------------------------------------------------


def test_chart_has_an_axis_day_labels_and_values() -> None:
    days = [(date(2026, 3, 8) + timedelta(days=i), Decimal(v)) for i, v in enumerate(["0.0123", "0", "0.0004"])]
    lines = [line.plain for line in cost_chart(days, 60, 9)]
    assert lines[0] == "Cost per day (UTC) 03-08 → 03-10 · total $0.0127 · peak $0.0123 on 03-08"
    assert lines[1].startswith(" $0.0123┤") and lines[-3].startswith("      $0└")
    assert lines[-2].split() == ["03-08", "03-09", "03-10"]
    assert lines[-1].split() == ["$0.0123", "$0", "$0.0004"]
    bars = lines[1:-3]
    start = lines[-3].index("└") + 1
    slot = (len(lines[-3]) - start) // 3
    column_of = [start + i * slot for i in range(3)]
    heights = [sum(line[c] != " " for line in bars) for c in column_of]
    assert heights[1] == 0  # a $0 day has no bar ...
    assert heights[2] >= 1  # ... and the cheapest non-zero day always shows one
    assert heights[0] == len(bars)


def test_chart_buckets_days_it_cannot_fit() -> None:
    days = [(date(2025, 1, 1) + timedelta(days=i), Decimal(1)) for i in range(400)]
    lines = [line.plain for line in cost_chart(days, 80, 8)]
    assert lines[0].startswith("Cost per 6 days (UTC) 2025-01-01 → 2026-02-04 · total $400.00")
    assert max(len(line) for line in lines[1:]) <= 80


async def test_stats_by_day_tab_and_b_cycles_breakdowns(store: SQLiteDatabase) -> None:
    app = make_app(store, mode="stats")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.breakdown_key == "day"
        for expected in ("model", "provider", "origin", "user", "tag", "budgets", "day"):
            await press(pilot, "b")
            assert screen.breakdown_key == expected


async def test_palette_reaches_the_new_actions(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.run_in_mode("calls", "sort_by('cost', False)")
        await settle(pilot)
        assert app.screen.filters.order_by == "cost"  # type: ignore[attr-defined]
        await app.run_in_mode("calls", "time_filter('24h')")
        await settle(pilot)
        assert len(ids(app)) == 13
        await app.run_in_mode("stats", "next_breakdown")
        await settle(pilot)
        assert app.screen.breakdown_key == "model"  # type: ignore[attr-defined]
