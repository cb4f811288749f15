"""Budgets on both stores (issue 16): stored budgets, spend per period and scope, holds that a
logged final row releases, and reservations that refuse without holding anything."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from llmring.budgets import Budget
from llmring.errors import BudgetExceededError
from llmring.store import Store
from tests.db.conftest import Clock, StoreFactory
from tests.db.test_store_contract import call

D = Decimal


async def test_budgets_are_saved_replaced_listed_and_removed(store: Store, clock: Clock) -> None:
    daily = Budget("daily", D("5"), origin="my-app", warn_at=0.8)
    tagged = Budget("monthly", D("120.5"), tag=("feature", "summarise"), unpriced="allow")
    await store.save_budget(daily)
    clock.advance(seconds=1)
    await store.save_budget(tagged)
    assert await store.list_budgets() == [daily, tagged]
    cheaper = Budget("daily", D("2.25"), origin="my-app")
    await store.save_budget(cheaper)  # same period and scope: replaces
    assert await store.list_budgets() == [cheaper, tagged]
    assert await store.remove_budget(cheaper.id) is True
    assert await store.remove_budget(cheaper.id) is False
    assert await store.list_budgets() == [tagged]


async def test_spend_counts_the_period_and_scope_only(store: Store, clock: Clock) -> None:
    # 2026-03-10 is a Tuesday: the week began on Monday the 9th, the month on the 1st.
    await store.record_api_calls(
        [
            call(clock, estimated_cost=D("1.5"), origin="my-app", id_at_origin="u1", tags={"feature": "a"}),
            call(clock, ago=timedelta(hours=15), estimated_cost=D("0.25"), origin="my-app"),  # today, 00:30
            call(clock, ago=timedelta(hours=16), estimated_cost=D("2"), origin="my-app"),  # yesterday (Monday)
            call(clock, ago=timedelta(days=2), estimated_cost=D("4"), origin="my-app"),  # Sunday: last week
            call(clock, ago=timedelta(days=10), estimated_cost=D("8"), origin="my-app"),  # last month
            call(clock, estimated_cost=D("0.125"), origin="other", tags={"feature": "a"}),
            call(clock, estimated_cost=None, origin="my-app", status="error"),
        ]
    )
    budgets = [
        Budget("daily", D("10"), origin="my-app"),
        Budget("weekly", D("10"), origin="my-app"),
        Budget("monthly", D("10"), origin="my-app"),
        Budget("daily", D("10"), user="u1"),
        Budget("daily", D("10"), tag=("feature", "a")),
        Budget("daily", D("10"), origin="other", tag=("feature", "a")),
        Budget("daily", D("10")),
    ]
    uses = await store.budget_uses(budgets)
    assert [u.spent for u in uses] == [D("1.75"), D("3.75"), D("7.75"), D("1.5"), D("1.625"), D("0.125"), D("1.875")]
    assert all(u.in_flight == 0 for u in uses)
    assert uses[0].resets_in == timedelta(hours=8, minutes=30)
    assert uses[1].resets_in == timedelta(days=5, hours=8, minutes=30)  # next Monday
    assert uses[2].resets_in == timedelta(days=21, hours=8, minutes=30)  # April 1st


async def test_a_hold_is_in_flight_until_the_final_row_makes_it_spent(store: Store, clock: Clock) -> None:
    budget = Budget("daily", D("1"), origin="app")
    await store.record_api_calls([call(clock, estimated_cost=D("0.5"))])
    before = await store.reserve_budgets([budget], "call-1", D("0.3"))
    assert (before[0].spent, before[0].in_flight) == (D("0.5"), D("0"))
    [use] = await store.budget_uses([budget])
    assert (use.spent, use.in_flight) == (D("0.5"), D("0.3"))

    # A retried attempt's row keeps the hold; the final row turns it into its actual cost.
    await store.record_api_calls([call(clock, call_id="call-1", attempt=1, final=False, estimated_cost=None)])
    assert (await store.budget_uses([budget]))[0].in_flight == D("0.3")
    await store.record_api_calls([call(clock, call_id="call-1", attempt=2, estimated_cost=D("0.1"))])
    [use] = await store.budget_uses([budget])
    assert (use.spent, use.in_flight) == (D("0.6"), D("0"))


async def test_a_call_that_does_not_fit_is_refused_and_holds_nothing(store: Store, clock: Clock) -> None:
    roomy = Budget("monthly", D("100"))
    tight = Budget("daily", D("5"), origin="my-app")
    await store.record_api_calls([call(clock, origin="my-app", estimated_cost=D("4.97"))])
    await store.reserve_budgets([roomy, tight], "a", D("0.01"))
    with pytest.raises(BudgetExceededError) as caught:
        await store.reserve_budgets([roomy, tight], "b", D("0.06"))
    assert str(caught.value) == "my-app daily budget $5.00: spent $4.97, in flight $0.01, this call up to $0.06"
    assert caught.value.budget == tight.id
    assert await store.holds_of("b") == []  # type: ignore[attr-defined]
    [r, t] = await store.budget_uses([roomy, tight])
    assert (r.in_flight, t.in_flight) == (D("0.01"), D("0.01"))
    await store.reserve_budgets([roomy, tight], "c", D("0.02"))  # exactly up to the limit fits


async def test_expired_holds_stop_counting(store: Store, clock: Clock) -> None:
    budget = Budget("daily", D("1"))
    await store.reserve_budgets([budget], "dead", D("0.9"), hold_seconds=60)
    with pytest.raises(BudgetExceededError):
        await store.reserve_budgets([budget], "next", D("0.2"))
    clock.advance(seconds=61)
    await store.reserve_budgets([budget], "next", D("0.2"))
    # Swept by the next reservation (PostgreSQL) or the next logged batch (SQLite).
    await store.record_api_calls([call(clock, call_id="unrelated")])
    assert await store.holds_of("dead") == []  # type: ignore[attr-defined]


async def test_removing_a_budget_drops_its_holds(store: Store, clock: Clock) -> None:
    budget = Budget("daily", D("1"))
    await store.save_budget(budget)
    await store.reserve_budgets([budget], "x", D("0.5"))
    await store.remove_budget(budget.id)
    assert (await store.budget_uses([budget]))[0].in_flight == 0


async def test_concurrent_reservations_from_two_connections_never_pass_the_limit(
    store: Store, store_factory: StoreFactory, clock: Clock
) -> None:
    budget = Budget("daily", D("1"))
    other = store_factory()
    await other.initialize()
    try:

        async def reserve(db: Store, n: int) -> bool:
            try:
                await db.reserve_budgets([budget], f"c{n}", D("0.03"))
            except BudgetExceededError:
                return False
            return True

        results = await asyncio.gather(*(reserve(store if n % 2 else other, n) for n in range(60)))
    finally:
        await other.close()
    assert sum(results) == 33  # 33 x $0.03 = $0.99; a 34th would pass $1.00
    assert (await store.budget_uses([budget]))[0].in_flight == D("0.99")
