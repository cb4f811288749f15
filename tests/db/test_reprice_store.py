"""Issue 12, item 7, on both backends: calls logged unpriced are priced from their token counts
at the prices in force at their own ``called_at``; the rollups move in the same transaction, so
every total still equals an independent scan of the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from llmring.reprice import plan_repricing
from llmring.schemas import CallRecord, LLMModel
from llmring.store import CallFilters, Store
from tests.db.conftest import Clock
from tests.db.test_store_contract import call, expected_breakdown, expected_stats, model, random_calls

PRICES = "dollars_per_million_tokens_input", "dollars_per_million_tokens_output"
MODELS = [
    model("openai", "gpt-4o"),  # $2.50 / $10
    model("openai", "gpt-4o-mini", **dict(zip(PRICES, (D("0.15"), D("0.6")), strict=True))),
    model("anthropic", "claude", **dict(zip(PRICES, (D(3), D(15)), strict=True))),
    model("ollama", "llama3:8b", **dict(zip(PRICES, (D(0), D(0)), strict=True))),
]


async def every_row(store: Store) -> list[CallRecord]:
    return await store.list_calls(CallFilters(), limit=10_000)


async def assert_totals_match_rows(store: Store, clock: Clock) -> None:
    rows = await every_row(store)
    for days in (None, 1, 3, 30):
        since = None if days is None else clock.now - timedelta(days=days)
        window = [r for r in rows if since is None or r.called_at >= since]
        got = await store.get_usage_stats(None, None, days)
        want = expected_stats(window)
        assert got.model_copy(update={"avg_response_time_ms": None}) == want.model_copy(
            update={"avg_response_time_ms": None}
        ), days
        got_rows = await store.usage_breakdown("model", None, "alice", days)
        want_rows = expected_breakdown("model", [r for r in window if r.id_at_origin == "alice"])
        assert [r.model_dump(exclude={"avg_response_time_ms"}) for r in got_rows] == [
            r.model_dump(exclude={"avg_response_time_ms"}) for r in want_rows
        ]


async def test_reprice_prices_unpriced_rows_and_keeps_the_rollups_equal_to_the_rows(store: Store, clock: Clock) -> None:
    rows = random_calls(clock, 300, seed=12)
    await store.record_api_calls(rows)
    before = {r.id: r for r in await every_row(store)}
    candidates = await store.calls_to_reprice()
    assert {r.id for r in candidates} == {
        r.id for r in rows if r.status == "success" and not r.cache_hit and r.estimated_cost is None
    }
    changes = plan_repricing(candidates, MODELS, force=False, now=clock.now)
    assert len(changes) == len(candidates) > 10  # every candidate's model is priced now
    assert await store.reprice_calls(changes) == len(changes)
    after = {r.id: r for r in await every_row(store)}
    for change in changes:
        row = after[change.old.id]
        assert row.estimated_cost == change.new.estimated_cost is not None
        assert row.priced_as == f"{row.provider}:{row.model_name}" and row.repriced_from is None
    untouched = before.keys() - {c.old.id for c in changes}
    assert all(after[i] == before[i] for i in untouched)
    assert await store.calls_to_reprice() == []  # nothing left unpriced
    assert (await store.get_usage_stats(None, None, None)).unpriced_calls == 0
    await assert_totals_match_rows(store, clock)


async def test_since_and_a_forced_reprice_keeps_what_it_replaced(store: Store, clock: Clock) -> None:
    old = call(clock, ago=timedelta(days=5), id="old", estimated_cost=D("0.001"), rate_snapshot={"input": "9"})
    new = call(clock, ago=timedelta(hours=1), id="new", estimated_cost=None)
    await store.record_api_calls([old, new])
    assert [r.id for r in await store.calls_to_reprice(clock.now - timedelta(days=1))] == ["new"]
    forced = await store.calls_to_reprice(clock.now - timedelta(days=10), force=True)
    assert [r.id for r in forced] == ["old", "new"]
    changes = plan_repricing(forced, MODELS, force=True, now=clock.now)
    assert await store.reprice_calls(changes) == 2
    row = await store.get_call("old")
    assert row is not None and row.estimated_cost == D("0.00045")  # 100 * 2.5 + 20 * 10 per million
    assert row.repriced_from == {
        "estimated_cost": "0.001",
        "rate_snapshot": {"input": "9"},
        "priced_as": None,
        "repriced_at": clock.now.isoformat(),
    }
    # Priced again at the same prices: nothing to write.
    assert plan_repricing(await store.calls_to_reprice(None, force=True), MODELS, force=True, now=clock.now) == []
    await assert_totals_match_rows(store, clock)


async def test_a_row_changed_since_it_was_read_is_skipped(store: Store, clock: Clock) -> None:
    await store.record_api_calls([call(clock, id="a", estimated_cost=None)])
    changes = plan_repricing(await store.calls_to_reprice(), MODELS, force=False, now=clock.now)
    assert await store.reprice_calls(changes) == 1
    assert await store.reprice_calls(changes) == 0  # stale: its cost is no longer NULL
    await assert_totals_match_rows(store, clock)


@pytest.mark.parametrize(("day", "cost", "period"), [(31, D("0.0045"), "base"), (1, D("0.009"), "2027-01-01")])
async def test_each_call_is_priced_at_the_period_of_its_own_day(
    store: Store, clock: Clock, day: int, cost: D, period: str
) -> None:
    flash = LLMModel(
        provider="google",
        model_name="gemini-3.6-flash",
        dollars_per_million_tokens_input=D("0.75"),
        dollars_per_million_tokens_output=D("3.75"),
        price_periods=[{"from": "2027-01-01", **dict(zip(PRICES, (D("1.5"), D("7.5")), strict=True))}],
    )
    when = datetime(2026, 12, 31, 18, tzinfo=UTC) if day == 31 else datetime(2027, 1, 1, 6, tzinfo=UTC)
    clock.now = when + timedelta(hours=1)
    row = call(provider="google", model_name="gemini-3.6-flash", prompt_tokens=4000, completion_tokens=400,
               estimated_cost=None, called_at=when, id="g")  # fmt: skip
    await store.record_api_calls([row])
    changes = plan_repricing(await store.calls_to_reprice(), [flash], force=False, now=clock.now)
    assert await store.reprice_calls(changes) == 1
    stored = await store.get_call("g")
    # 4,000 * 0.75 + 400 * 3.75 = 4,500 per million; doubled from 2027-01-01
    assert stored is not None and stored.estimated_cost == cost
    assert stored.rate_snapshot is not None and stored.rate_snapshot["period"] == period
    assert stored.priced_as == "google:gemini-3.6-flash"
