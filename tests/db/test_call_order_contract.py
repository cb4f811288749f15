"""The ``Store`` contract for what the dashboard's sorting and windows ask: ``CallFilters.order_by``
(any column, either way, NULLs last, a total order that pages with offset) and stats ``since=``
(a calendar window: whole UTC days, not a rolling count of hours). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from llmring.errors import ConfigurationError
from llmring.schemas import CallRecord
from llmring.store import CALL_ORDERS, CallFilters, Store
from tests.db.conftest import Clock

D = Decimal


def rows(clock: Clock) -> list[CallRecord]:
    """Six calls with distinct times; costs and latencies with gaps (None) and a tie."""
    spec = [
        # id, minutes ago, model, status, origin/user, tokens in/out, cost, latency
        ("a", 1, "openai:gpt-4o", "success", ("web", "u2"), (10, 5), D("0.002"), 300),
        ("b", 2, "anthropic:claude-x", "error", ("api", "u1"), (0, 0), None, 50),
        ("c", 3, "openai:gpt-4o-mini", "success", ("web", "u1"), (500, 100), D("0.0001"), None),
        ("d", 4, "google:gemini-y", "timeout", ("cli", "u9"), (0, 0), None, 9000),
        ("e", 5, "openai:gpt-4o", "success", ("api", "u3"), (40, 40), D("0.002"), 1200),
        ("f", 6, "ollama:llama3.2", "rate_limited", ("web", "u0"), (1, 1), D("0"), 10),
    ]
    made = []
    for ident, ago, key, status, (origin, user), (p, c), cost, latency in spec:
        provider, _, name = key.partition(":")
        made.append(
            CallRecord(
                id=ident,
                origin=origin,
                id_at_origin=user,
                provider=provider,
                model_name=name,
                status=status,  # type: ignore[arg-type]
                prompt_tokens=p,
                completion_tokens=c,
                estimated_cost=cost,
                response_time_ms=latency,
                called_at=clock.now - timedelta(minutes=ago),
            )
        )
    return made


# Worked out by hand from ``rows``: equal costs (a, e) newest first; rows with no cost or latency
# (b, d / c) last in both directions.
BY_HAND = {
    ("time", False): "abcdef",
    ("time", True): "fedcba",
    ("cost", False): "aecfbd",
    ("cost", True): "fcaebd",
    ("latency", False): "deabfc",
    ("latency", True): "fbaedc",
    ("origin", False): "acfdeb",
    ("status", False): "dacefb",
}


async def ordered(store: Store, order_by: str, ascending: bool) -> str:
    found = await store.list_calls(CallFilters(order_by=order_by, ascending=ascending), limit=50)  # type: ignore[arg-type]
    return "".join(r.id for r in found)


@pytest.mark.parametrize("ascending", [False, True])
@pytest.mark.parametrize("order_by", CALL_ORDERS)
async def test_calls_sort_by_any_column(store: Store, clock: Clock, order_by: str, ascending: bool) -> None:
    await store.record_api_calls(rows(clock))
    got = await ordered(store, order_by, ascending)
    assert got == expected(order_by, ascending)
    assert got == BY_HAND.get((order_by, ascending), got)
    # Offset paging walks the same total order without gaps or repeats.
    pages = []
    for offset in range(0, 6, 2):
        page = await store.list_calls(CallFilters(order_by=order_by, ascending=ascending), limit=2, offset=offset)  # type: ignore[arg-type]
        pages.extend(r.id for r in page)
    assert "".join(pages) == got


def expected(order_by: str, ascending: bool) -> str:
    """The documented order, computed in Python from the same rows (the test's oracle)."""
    clock = Clock(datetime(2026, 3, 10, 15, 30, tzinfo=UTC))
    records = rows(clock)
    keys = {
        "time": lambda r: (r.called_at,),
        "cost": lambda r: (r.estimated_cost,),
        "tokens": lambda r: (r.prompt_tokens + r.completion_tokens,),
        "latency": lambda r: (r.response_time_ms,),
        "model": lambda r: (r.provider, r.model_name),
        "status": lambda r: (r.status,),
        "origin": lambda r: (r.origin, r.id_at_origin),
    }
    key = keys[order_by]
    known = [r for r in records if None not in key(r)]
    unknown = sorted((r for r in records if None in key(r)), key=lambda r: r.called_at, reverse=True)
    # Ties newest first: sort by time descending, then (stably) by the key.
    known.sort(key=lambda r: (r.called_at, r.id), reverse=True)
    if order_by == "time" and ascending:
        known.sort(key=lambda r: (r.called_at, r.id))
    elif order_by != "time":
        known.sort(key=key, reverse=not ascending)  # type: ignore[arg-type]
    return "".join(r.id for r in known + unknown)


async def test_keyset_paging_is_for_the_newest_first_order_only(store: Store, clock: Clock) -> None:
    with pytest.raises(ConfigurationError, match="before= pages the newest-first order only"):
        await store.list_calls(CallFilters(order_by="cost", before=(clock.now, "x")))
    with pytest.raises(ConfigurationError, match="cannot order calls by 'colour'"):
        await store.list_calls(CallFilters(order_by="colour"))  # type: ignore[arg-type]


async def test_stats_from_a_utc_midnight_cover_whole_days(store: Store, clock: Clock) -> None:
    # clock: 2026-03-10 15:30 UTC. One call per day at 23:00 for the last 10 days, one at 01:00 today.
    calls = [
        CallRecord(
            provider="openai",
            model_name="gpt-4o",
            estimated_cost=D(days + 1) / 1000,
            called_at=datetime(2026, 3, 9, 23, tzinfo=UTC) - timedelta(days=days),
        )
        for days in range(10)
    ]
    calls.append(CallRecord(provider="openai", model_name="gpt-4o", called_at=datetime(2026, 3, 10, 1, tzinfo=UTC)))
    await store.record_api_calls(calls)
    week_start = datetime(2026, 3, 4, tzinfo=UTC)  # 7 calendar days: 03-04 .. 03-10
    stats = await store.get_usage_stats(since=week_start)
    assert stats.total_calls == 7  # 03-04 .. 03-09 at 23:00 (6) and today's
    days = [row.key for row in await store.usage_breakdown("day", since=week_start)]
    assert days == ["2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"]
    # A rolling 7 days (from 03-03 15:30) reaches into an eighth date.
    rolling = [row.key for row in await store.usage_breakdown("day", days=7)]
    assert rolling[0] == "2026-03-03" and len(rolling) == 8
    by_model = await store.usage_breakdown("model", since=week_start)
    assert by_model[0].calls == 7 and by_model[0].cost == sum((D(n) / 1000 for n in range(1, 7)), D(0))
    with pytest.raises(ConfigurationError, match="aware datetime"):
        await store.get_usage_stats(since=datetime(2026, 3, 4))
