"""Calls mode: newest first, filters, details, refresh (key and live), keyset paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.widgets import DataTable, Input, Select

from llmring.db_sqlite import SQLiteDatabase
from llmring.store import CallFilters
from llmring_tui.screens.call_details import CallDetailsScreen
from llmring_tui.screens.calls import CallsScreen
from llmring_tui.widgets import EmptyState, UpdatedLabel
from tests.tui.conftest import make_app, press, screen_text, settle
from tests.tui.seed import FROZEN_NOW, MARKUP_ERROR, sample_call


def ids(app: Any) -> list[str]:
    table = app.screen.query_one("#calls-table", DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def column(app: Any, key: str) -> list[str]:
    table = app.screen.query_one("#calls-table", DataTable)
    return [str(cell) for cell in table.get_column(key)]


async def test_calls_newest_first_with_cost_status_and_cache(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CallsScreen)
        rows = ids(app)
        assert len(rows) == 100
        assert rows[:3] == ["call-000000", "call-000001", "call-000002"]
        assert column(app, "time")[0] == "03-14 11:59:30"
        table = app.screen.query_one("#calls-table", DataTable)
        assert str(table.columns["time"].label) == "Time (UTC) ▼"
        assert column(app, "status")[3:8] == ["error", "success", "timeout", "success", "rate limited"]
        # One money vocabulary (llmring.formatting): a cache hit is "cached", never "$0".
        assert column(app, "cost")[:5] == ["cached", "$0.00151", "$0.0017", "—", "unpriced"]
        assert column(app, "origin/user")[1] == "billing/alice"
        assert "250 calls logged · page 1, rows 1–100" in str(app.screen.query_one(UpdatedLabel).render())


async def test_filter_by_status_model_origin_and_search(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "f", "f")  # any -> success -> error
        assert app.screen.query_one("#calls-status", Select).value == "error"
        assert ids(app) and set(column(app, "status")) == {"error"}
        assert "(filtered)" in str(app.screen.query_one(UpdatedLabel).render())

        await press(pilot, "escape")  # on the table: clears every filter
        assert len(ids(app)) == 100
        assert app.screen.query_one("#calls-status", Select).is_blank()

        model_input = app.screen.query_one("#calls-model", Input)
        model_input.focus()
        model_input.value = "gpt-4o"
        await press(pilot, "enter")  # enter applies at once (typing waits for a pause)
        assert set(column(app, "model")) == {"openai:gpt-4o"}
        assert app.screen.focused is app.screen.query_one("#calls-table", DataTable)

        await press(pilot, "f")  # success only
        app.screen.query_one("#calls-origin", Input).value = "billing/alice"  # applied after a pause
        await pilot.pause(0.5)
        await settle(pilot)
        assert set(column(app, "origin/user")) == {"billing/alice"}
        assert set(column(app, "status")) == {"success"}
        assert set(column(app, "model")) == {"openai:gpt-4o"}

        await press(pilot, "escape", "slash")
        app.screen.query_one("#calls-search", Input).value = "mystery"
        await press(pilot, "enter")
        assert set(column(app, "model")) == {"openai:gpt-mystery"}
        assert "unpriced" in column(app, "cost")

        model_input.value = "gpt-4o"  # and the model: nothing matches both
        model_input.focus()
        await press(pilot, "enter")
        assert app.screen.query_one(EmptyState).message == "No calls match these filters. Press escape to clear them."
        model_input.focus()
        await press(pilot, "escape")  # in the model filter: clears that filter only, back to the table
        assert model_input.value == "" and app.screen.query_one("#calls-search", Input).value == "mystery"
        assert app.screen.focused is app.screen.query_one("#calls-table", DataTable)
        assert set(column(app, "model")) == {"openai:gpt-mystery"}
        await press(pilot, "escape")  # and on the table: every filter
        assert len(ids(app)) == 100


async def test_enter_opens_details_with_cost_breakdown(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "down", "enter")  # call-000001: anthropic, priced
        assert isinstance(app.screen, CallDetailsScreen)
        details = app.screen.details
        assert details.title == "Call call-000001"
        lines = {line.component: line for line in details.cost_lines}
        assert set(lines) == {"Input", "Output"}  # no reasoning rate: reasoning is billed as output
        assert (lines["Input"].tokens, lines["Input"].rate, lines["Input"].amount) == (137, "$3.00", "$0.000411")
        assert (lines["Output"].tokens, lines["Output"].rate, lines["Output"].amount) == (73, "$15.00", "$0.0011")
        text = screen_text(app)
        for expected in (
            "Estimated cost   $0.00151",
            "Cache write 5m   $3.75",
            "Tier             standard",
            "Long ctx above   200,000",
            "Prompt           137",
            '"index": 1',
        ):
            assert expected in text, expected
        await press(pilot, "escape")
        assert isinstance(app.screen, CallsScreen)


async def test_error_details_are_escaped(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.query_one("#calls-table", DataTable).move_cursor(row=3)
        await press(pilot, "enter")
        assert isinstance(app.screen, CallDetailsScreen)
        text = screen_text(app)
        assert "ProviderUnavailableError" in text
        assert MARKUP_ERROR in text  # shown literally, not interpreted as markup


async def test_refresh_key_picks_up_a_new_row(store: SQLiteDatabase) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        newest = sample_call(7).model_copy(update={"id": "call-new", "called_at": FROZEN_NOW})
        await store.record_api_calls([newest])
        assert ids(app)[0] == "call-000000"
        await press(pilot, "r")
        assert ids(app)[0] == "call-new"
        assert "251 calls logged" in str(app.screen.query_one(UpdatedLabel).render())


async def test_live_refresh_and_updated_label(store: SQLiteDatabase) -> None:
    now = [FROZEN_NOW]
    app = make_app(store, clock=lambda: now[0], refresh_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        label = app.screen.query_one(UpdatedLabel)
        now[0] = FROZEN_NOW + timedelta(seconds=42)
        assert "updated 42 s ago" in str(label.render())
        newest = sample_call(2).model_copy(update={"id": "call-live", "called_at": FROZEN_NOW})
        await store.record_api_calls([newest])
        for _ in range(20):
            await pilot.pause(0.1)
            if ids(app)[0] == "call-live":
                break
        assert ids(app)[0] == "call-live"
        assert "updated 0 s ago" in str(label.render())


async def test_paging_with_keys_and_page_down(store: SQLiteDatabase) -> None:
    seen: list[tuple[CallFilters, int, int]] = []
    original = store.list_calls

    async def spy(filters: CallFilters, limit: int = 100, offset: int = 0) -> Any:
        seen.append((filters, limit, offset))
        return await original(filters, limit, offset)

    store.list_calls = spy  # type: ignore[method-assign]
    app = make_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "n")
        assert ids(app)[0] == "call-000100"
        filters, limit, offset = seen[-1]
        assert filters.before is not None and filters.before[1] == "call-000099" and limit == 101
        assert offset == 0  # newest first pages by keyset
        app.screen.query_one("#calls-table", DataTable).move_cursor(row=99)
        await press(pilot, "pagedown")
        rows = ids(app)
        assert rows[0] == "call-000200" and len(rows) == 50
        assert "page 3, rows 201–250" in str(app.screen.query_one(UpdatedLabel).render())
        await press(pilot, "n")  # no older page: nothing happens
        assert ids(app)[0] == "call-000200"
        await press(pilot, "p")
        assert ids(app)[0] == "call-000100"
        assert app.screen.query_one("#calls-table", DataTable).cursor_row == 99
        await press(pilot, "g")
        assert ids(app)[0] == "call-000000"


async def test_empty_log_says_what_to_run(empty_store: SQLiteDatabase) -> None:
    app = make_app(empty_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        message = app.screen.query_one(EmptyState).message
        assert message.startswith("No calls logged yet.")
        assert '`llmring ask -m gpt-4o-mini "hello"`' in message


async def test_details_show_the_captured_conversation_literally(store: SQLiteDatabase) -> None:
    # Issue 17: markup in a prompt is shown as typed, control characters are made visible.
    from llmring.capture import CallContent, Capture
    from llmring.schemas import LLMRequest, Message

    capture = Capture()
    request = LLMRequest(
        model="gpt-4o",
        messages=[Message(role="user", content="[bold red]shout[/bold red] \x1b[2Jcleared?")],
    )
    newest = sample_call(7).model_copy(update={"id": "call-captured", "called_at": FROZEN_NOW})
    answer = capture.response_part("[link]no[/link]", None, None)
    newest._content = CallContent([*capture.request_parts(request), answer])
    await store.record_api_calls([newest])
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        assert ids(app)[0] == "call-captured"
        await press(pilot, "enter")
        assert isinstance(app.screen, CallDetailsScreen)
        text = screen_text(app)
        assert "Conversation" in text
        assert "[bold red]shout[/bold red]" in text and "[link]no[/link]" in text
        assert "\x1b" not in text and "␛[2Jcleared?" in text


async def test_calls_and_details_show_the_alias_and_hop(store: SQLiteDatabase) -> None:
    # Issue 15: both hops of one call through an alias, under one call_id.
    failed = sample_call(7).model_copy(
        update={
            "id": "hop-1",
            "call_id": "call-alias",
            "called_at": FROZEN_NOW - timedelta(seconds=2),
            "alias": "fast",
            "hop": 1,
            "final": False,
            "status": "rate_limited",
        }
    )
    answered = sample_call(8).model_copy(
        update={"id": "hop-2", "call_id": "call-alias", "called_at": FROZEN_NOW, "alias": "fast", "hop": 2}
    )
    await store.record_api_calls([failed, answered])
    for width in (80, 120):
        app = make_app(store)
        async with app.run_test(size=(width, 30)) as pilot:
            await settle(pilot)
            assert ids(app)[:2] == ["hop-2", "hop-1"]
            models = column(app, "model")[:2]
            assert models[0].endswith(f"{answered.model_name} (fast #2)"), models
            assert models[1].endswith(f"{failed.model_name} (fast #1)"), models
            if width == 120:
                assert models[0] == f"{answered.provider}:{answered.model_name} (fast #2)"
            await press(pilot, "enter")
            assert isinstance(app.screen, CallDetailsScreen)
            details = app.screen.details
            assert ("Alias", "fast, model 2 of its chain") in details.request
            assert f"{answered.provider}:{answered.model_name} (fast #2)" in screen_text(app)  # the heading
            assert ("Attempt", "1 (final)") in details.request
            await press(pilot, "n")  # the failed first hop: the call went on to the next model
            details = app.screen.details
            assert ("Alias", "fast, model 1 of its chain") in details.request
            assert ("Attempt", "1 (the call went on)") in details.request
