"""Tags on both stores (issue 16): stored per row, grouped (``tag:KEY`` with ``(untagged)``, and
``user``) and filtered (``CallFilters.tags``), checked against an independent scan."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from llmring.errors import ConfigurationError
from llmring.store import CallFilters, Store, UsageBreakdownRow
from llmring.tags import UNTAGGED
from tests.db.conftest import Clock
from tests.db.test_store_contract import _in_window, call, expected_breakdown, random_calls

D = Decimal


def tagged_calls(clock: Clock, count: int, seed: int) -> list:
    rng = random.Random(seed)
    rows = random_calls(clock, count, seed)
    for row in rows:
        tags = {}
        if rng.random() < 0.7:
            tags["feature"] = rng.choice(["summarise", "chat", "search"])
        if rng.random() < 0.4:
            tags["env"] = rng.choice(["prod", "dev"])
        row.tags = tags or None
    return rows


def expected_by_tag(key: str, rows: list) -> list[UsageBreakdownRow]:
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups[(row.tags or {}).get(key, UNTAGGED)].append(row)
    # expected_breakdown's arithmetic, grouping by tag value (put in the provider's place).
    result = []
    for value, members in groups.items():
        if value == UNTAGGED:
            continue
        [one] = expected_breakdown("provider", [m.model_copy(update={"provider": value}) for m in members])
        result.append(one)
    result.sort(key=lambda r: (-r.cost, -r.calls, r.key))
    if UNTAGGED in groups:
        members = groups[UNTAGGED]
        [one] = expected_breakdown("provider", [m.model_copy(update={"provider": UNTAGGED}) for m in members])
        result.append(one)
    return result


def dumped(rows: list[UsageBreakdownRow]) -> list[dict]:
    return [r.model_dump(exclude={"avg_response_time_ms"}) for r in rows]


async def test_tags_round_trip_and_untagged_rows_read_back_none(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [call(clock, id="t1", tags={"feature": "summarise", "env": "prod"}), call(clock, id="t2")]
    )
    got = await store.get_call("t1")
    assert got is not None and got.tags == {"feature": "summarise", "env": "prod"}
    plain = await store.get_call("t2")
    assert plain is not None and plain.tags is None


async def test_by_tag_and_by_user_equal_an_independent_scan(store: Store, clock: Clock) -> None:
    rows = tagged_calls(clock, 300, seed=5)
    await store.record_api_calls(rows[:120])
    for row in rows[120:130]:
        await store.record_api_call(row)
    await store.record_api_calls(rows[130:])
    for days in (None, 1, 3, 30):
        since = None if days is None else clock.now - timedelta(days=days)
        for origin, user in ((None, None), ("app", None), ("web", "bob")):
            window = _in_window(rows, since, origin, user)
            for key in ("feature", "env", "missing"):
                got = await store.usage_breakdown(f"tag:{key}", origin, user, days)
                assert dumped(got) == dumped(expected_by_tag(key, window)), (key, days, origin, user)
            by_user = await store.usage_breakdown("user", origin, user, days)
            want = expected_breakdown("provider", [r.model_copy(update={"provider": r.id_at_origin}) for r in window])
            assert dumped(by_user) == dumped(want), (days, origin, user)


async def test_tag_breakdown_sums_to_the_totals(store: Store, clock: Clock) -> None:
    await store.record_api_calls(tagged_calls(clock, 120, seed=9))
    totals = await store.get_usage_stats(days=None)
    rows = await store.usage_breakdown("tag:feature", days=None)
    assert rows[-1].key == UNTAGGED
    assert sum(r.cost for r in rows) == totals.total_cost
    assert sum(r.calls for r in rows) == totals.total_calls


async def test_calls_filter_by_one_or_more_tags(store: Store, clock: Clock) -> None:
    await store.record_api_calls(
        [
            call(clock, id="a", ago=timedelta(minutes=3), tags={"feature": "summarise", "env": "prod"}),
            call(clock, id="b", ago=timedelta(minutes=2), tags={"feature": "summarise", "env": "dev"}),
            call(clock, id="c", ago=timedelta(minutes=1), tags={"feature": "chat"}),
            call(clock, id="d"),
        ]
    )
    found = await store.list_calls(CallFilters(tags=(("feature", "summarise"),)))
    assert [r.id for r in found] == ["b", "a"]
    found = await store.list_calls(CallFilters(tags=(("feature", "summarise"), ("env", "prod"))))
    assert [r.id for r in found] == ["a"]
    assert await store.list_calls(CallFilters(tags=(("feature", "nope"),))) == []
    found = await store.list_calls(CallFilters(tags=(("feature", "chat"),), origin="app", order_by="cost"))
    assert [r.id for r in found] == ["c"]


async def test_bad_tag_breakdowns_and_filters_are_one_line_errors(store: Store) -> None:
    with pytest.raises(ConfigurationError, match="invalid tag key"):
        await store.usage_breakdown("tag:bad key")
    with pytest.raises(ConfigurationError, match="tag:KEY"):
        await store.usage_breakdown("colour")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="invalid tag key"):
        CallFilters(tags=(("", "x"),))
