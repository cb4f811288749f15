"""The rows of one call on both stores: retries and fallback hops share a ``call_id``, and
``CallFilters(call_id=...)`` returns exactly those rows (``llmring calls --call-id``)."""

from __future__ import annotations

from datetime import timedelta

from llmring.store import CallFilters, Store
from tests.db.conftest import Clock
from tests.db.test_store_contract import call


async def test_call_id_filter_returns_every_row_of_that_call_only(store: Store, clock: Clock) -> None:
    hops = [
        call(clock, ago=timedelta(seconds=3), id="h1", call_id="c-1", attempt=1, final=False, status="rate_limited"),
        call(clock, ago=timedelta(seconds=2), id="h2", call_id="c-1", attempt=1, hop=2, alias="fast"),
    ]
    others = [call(clock, ago=timedelta(seconds=1), id="o1", call_id="c-2"), call(clock, id="o2", call_id="c-10")]
    await store.record_api_calls(hops + others)

    found = await store.list_calls(CallFilters(call_id="c-1"))
    assert [row.id for row in found] == ["h2", "h1"]  # newest first, like every listing
    assert [row.id for row in await store.list_calls(CallFilters(call_id="c-10"))] == ["o2"]
    assert await store.list_calls(CallFilters(call_id="c-")) == []  # whole ids only, not a prefix
    both = await store.list_calls(CallFilters(call_id="c-1", status="rate_limited"))
    assert [row.id for row in both] == ["h1"]
