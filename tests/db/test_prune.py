"""``Store.prune_calls`` (issue 16) on both stores: old rows and only their content go, the
rollups stay, so totals over whole days and all time are identical before and after."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from llmring.retention import parse_age, prune_cutoff
from llmring.schemas import CallRecord
from llmring.store import CallFilters, Store
from tests.db.test_content import captured_call, content_rows
from tests.db.test_export_rows import ledger

BREAKDOWNS = ("model", "day", "origin", "user", "tag:feature")


async def totals(store: Store, since: datetime | None) -> list[object]:
    """Every total ``stats`` shows over the window starting at ``since``, and each breakdown."""
    found: list[object] = [(await store.get_usage_stats(days=None, since=since)).model_dump()]
    for by in BREAKDOWNS:
        rows = await store.usage_breakdown(by, days=None, since=since)
        found.append(sorted((r.key, r.calls, r.cost, r.tokens) for r in rows))
    return found


async def test_prune_keeps_every_whole_day_total(store: Store) -> None:
    now = datetime.now(UTC)
    rows = ledger(now, 200)  # rows 1 h to 9 days old
    old_answer = captured_call("What is old?", "Old.", called_at=now - timedelta(days=20))
    shared = captured_call("Which river is longest?", "The Nile.", called_at=now - timedelta(days=20))
    kept = captured_call("Which river is longest?", "The Nile.", called_at=now - timedelta(hours=3))
    await store.record_api_calls([*rows, old_answer, shared, kept])
    midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
    windows = [None, *(midnight - timedelta(days=d) for d in (0, 1, 3, 8, 30))]
    before = [await totals(store, since) for since in windows]
    pieces_before, _ = await content_rows(store)

    cutoff = prune_cutoff(parse_age("2d"), now)
    doomed = [r for r in [*rows, old_answer, shared, kept] if r.called_at < cutoff]
    dry = await store.prune_calls(cutoff, dry_run=True)
    assert (dry.rows, dry.captured, dry.dry_run) == (len(doomed), 2, True)
    assert await store.count_calls() == len(rows) + 3  # a dry run deletes nothing

    report = await store.prune_calls(cutoff, batch=17)
    assert (report.rows, report.captured) == (len(doomed), 2)
    left = await store.list_calls(CallFilters(), limit=1000)
    assert {c.id for c in left} == {r.id for r in [*rows, old_answer, shared, kept] if r.called_at >= cutoff}
    assert [await totals(store, since) for since in windows] == before
    # The old answer's own pieces went; the question and answer still used by a kept call stayed.
    assert await store.get_call_content(kept.id) is not None
    pieces_after, links_after = await content_rows(store)
    assert pieces_after == pieces_before - 2  # "What is old?" and "Old."; the system prompt is shared
    assert links_after == 3
    tagged = await store.list_calls(CallFilters(tags=(("feature", "summarise"),)), limit=1000)
    assert {c.id for c in tagged} == {r.id for r in rows if r.tags and r.called_at >= cutoff}
    assert (await store.prune_calls(cutoff)).rows == 0


async def test_prune_of_an_empty_window_touches_nothing(store: Store) -> None:
    now = datetime.now(UTC)
    row = CallRecord(provider="openai", model_name="gpt-4o", estimated_cost=Decimal("0.5"), called_at=now)
    await store.record_api_calls([row])
    report = await store.prune_calls(prune_cutoff(parse_age("1d"), now))
    assert (report.rows, report.captured, report.bytes_before) == (0, 0, None)
    assert await store.count_calls() == 1
