"""The rows ``llmring calls export`` streams (issue 16), on both stores: every row once, in keyset
pages that survive ties on time, and a cost column that sums to ``get_usage_stats`` to the picodollar."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from llmring.cli.calls_export import export_row, stream_calls
from llmring.schemas import CallRecord
from llmring.store import CallFilters, Store

PICO = Decimal("0.000000000001")


def ledger(now: datetime, count: int = 137) -> list[CallRecord]:
    """Rows with picodollar costs, retried attempts (billed too), unpriced rows and tags; many share a time."""
    rng = random.Random(16)
    rows = []
    for i in range(count):
        when = now - timedelta(hours=rng.choice([1, 2, 2, 2, 30, 24 * 9]))
        call_id = f"call-{i:04d}"
        if i % 10 == 0:  # a billed attempt that was retried
            rows.append(
                CallRecord(
                    call_id=call_id,
                    attempt=1,
                    final=False,
                    status="rate_limited",
                    provider="openai",
                    model_name="gpt-4o-mini",
                    estimated_cost=rng.randint(1, 10**6) * PICO,
                    called_at=when,
                )
            )
        rows.append(
            CallRecord(
                call_id=call_id,
                attempt=2 if i % 10 == 0 else 1,
                origin="app" if i % 3 else "cli",
                id_at_origin=f"user{i % 4}",
                provider="anthropic" if i % 2 else "openai",
                model_name="claude-haiku-4-5" if i % 2 else "gpt-4o-mini",
                prompt_tokens=rng.randint(1, 5000),
                completion_tokens=rng.randint(0, 900),
                estimated_cost=None if i % 17 == 0 else rng.randint(1, 10**9) * PICO,
                tags={"feature": "summarise"} if i % 5 == 0 else None,
                called_at=when,
            )
        )
    return rows


async def test_export_streams_every_row_once_and_reconciles(store: Store) -> None:
    now = datetime.now(UTC)
    rows = ledger(now)
    await store.record_api_calls(rows)

    everything = [call async for call in stream_calls(store, CallFilters(), page=7)]
    assert sorted(c.id for c in everything) == sorted(r.id for r in rows)
    keys = [(c.called_at, c.id) for c in everything]
    assert keys == sorted(keys, reverse=True)  # newest first, ties by id

    for days, origin in ((7, None), (30, "app"), (None, None)):
        since = None if days is None else now - timedelta(days=days)
        found = [c async for c in stream_calls(store, CallFilters(since=since, origin=origin), page=11)]
        exported = [export_row(c)["cost"] for c in found]
        total = sum((Decimal(cost) for cost in exported if cost), Decimal(0))
        stats = await store.get_usage_stats(origin=origin, days=days)
        assert total == stats.total_cost  # exact, to the picodollar
        assert len(found) == sum(
            1 for r in rows if (since is None or r.called_at >= since) and origin in (None, r.origin)
        )


async def test_until_is_exclusive_and_tags_filter(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    rows = ledger(now, 40)
    await store.record_api_calls(rows)
    cut = now - timedelta(hours=2)
    older = [c async for c in stream_calls(store, CallFilters(before=(cut, "")), page=5)]
    assert older and all(c.called_at < cut for c in older)
    assert len(older) == sum(1 for r in rows if r.called_at < cut)
    tagged = [c async for c in stream_calls(store, CallFilters(tags=(("feature", "summarise"),)))]
    assert {c.id for c in tagged} == {r.id for r in rows if r.tags}
    row = export_row(tagged[0])
    assert row["tags"] == {"feature": "summarise"} and row["time"] == tagged[0].called_at.isoformat()
