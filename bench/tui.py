"""Dashboard latency on a big call log: launch to the first populated Calls and Stats screens.

Builds (once, then reuses) ``bench/results/tui_1m.db``: the sample registry and 1,000,000 calls
spread over 120 days, inserted through ``SQLiteDatabase.record_api_calls`` in batches. Then, for
each measurement, a fresh ``LLMRingApp`` runs headless (120x40) and the clock stops when the
screen shows its data: the calls table filled, or the stats totals drawn. Also timed: the next
page, a page 50 pages deep (keyset), a status filter and the stats window switch to all time.

Run: ``.venv/bin/python bench/tui.py [--rows 1000000] [--repeat 5]``. Target: <= 0.5 s each launch.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmring.cost import compute_cost
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord, Usage
from llmring_tui.app import LLMRingApp
from llmring_tui.screens.calls import CallsScreen
from llmring_tui.screens.stats import StatsScreen
from tests.tui.seed import sample_models

TARGET_S = 0.5
RESULTS = Path(__file__).resolve().parent / "results"
DAYS = 120
BATCH = 20_000


def make_calls(start: int, count: int, rows: int, now: datetime, rng: random.Random) -> list[CallRecord]:
    """``count`` calls numbered from ``start`` (0 is the newest), evenly spread over ``DAYS`` days."""
    models = [m for m in sample_models() if m.model_name != "gpt-3.5-turbo"]
    origins = [("llmring", "default"), ("billing", "alice"), ("chatbot", "bob"), ("search", "svc")]
    step = timedelta(days=DAYS) / rows
    records = []
    for i in range(start, start + count):
        model = models[i % len(models)]
        origin, user = origins[i % len(origins)]
        status = "error" if i % 23 == 0 else "timeout" if i % 97 == 0 else "success"
        called_at = now - step * i
        if status != "success":
            records.append(
                CallRecord(
                    id=f"b{i:08d}",
                    origin=origin,
                    id_at_origin=user,
                    provider=model.provider,
                    model_name=model.model_name,
                    status=status,
                    error_type="ProviderUnavailableError",
                    error_message="overloaded",
                    response_time_ms=rng.randint(100, 5000),
                    called_at=called_at,
                )
            )
            continue
        usage = Usage(prompt_tokens=rng.randint(50, 4000), completion_tokens=rng.randint(10, 800))
        cost = compute_cost(model, usage)
        records.append(
            CallRecord(
                id=f"b{i:08d}",
                origin=origin,
                id_at_origin=user,
                provider=model.provider,
                model_name=model.model_name,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                estimated_cost=cost.total,
                cost_breakdown=cost.breakdown or None,
                rate_snapshot=cost.rate_snapshot or None,
                cache_hit=i % 31 == 0,
                cache_savings=Decimal("0.0001") if i % 31 == 0 else None,
                response_time_ms=rng.randint(100, 5000),
                called_at=called_at,
            )
        )
    return records


async def build(path: Path, rows: int) -> None:
    """Create the bench database with ``rows`` calls (skipped when it already has them)."""
    store = SQLiteDatabase(path)
    try:
        await store.initialize()
        have = await store.count_calls()
        if have == rows:
            return
        if have:
            raise SystemExit(f"{path} has {have:,} calls, not {rows:,}: delete it to rebuild")
        await store.sync_models(sample_models(), [])
        now = datetime.now(UTC)
        rng = random.Random(7)
        started = time.perf_counter()
        for start in range(0, rows, BATCH):
            await store.record_api_calls(make_calls(start, min(BATCH, rows - start), rows, now, rng))
            done = min(start + BATCH, rows)
            rate = done / (time.perf_counter() - started)
            print(f"\r  inserted {done:,}/{rows:,} ({rate:,.0f} rows/s)", end="", flush=True)
        print()
    finally:
        await store.close()


async def time_until(app: LLMRingApp, ready: Callable[[LLMRingApp], bool]) -> float:
    """Seconds from starting ``app`` until ``ready(app)`` holds (polled every millisecond)."""
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        while not ready(app):
            await asyncio.sleep(0.001)
        elapsed = time.perf_counter() - started
        await pilot.pause()
    return elapsed


async def time_action(app: LLMRingApp, action: Callable[[Any], None], ready: Callable[[Any], bool]) -> float:
    """Seconds from ``action(screen)`` until ``ready(screen)`` holds."""
    screen = app.screen
    started = time.perf_counter()
    action(screen)
    while not ready(screen):
        await asyncio.sleep(0.001)
    return time.perf_counter() - started


def calls_ready(app: LLMRingApp) -> bool:
    screen = app.screen
    return (
        isinstance(screen, CallsScreen) and screen.page is not None and screen.query_one("#calls-table").row_count > 0
    )


def stats_ready(app: LLMRingApp) -> bool:
    screen = app.screen
    return isinstance(screen, StatsScreen) and screen.stats is not None


async def measure(path: Path, repeat: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}

    def app(mode: str) -> LLMRingApp:
        return LLMRingApp(lambda: SQLiteDatabase(path), refresh_interval=3600, mode=mode)

    for _ in range(repeat):
        results.setdefault("launch -> calls populated", []).append(await time_until(app("calls"), calls_ready))
        results.setdefault("launch -> stats populated", []).append(await time_until(app("stats"), stats_ready))

        calls = app("calls")
        async with calls.run_test(size=(120, 40)):
            while not calls_ready(calls):
                await asyncio.sleep(0.001)

            def page_is(n: int) -> Callable[[CallsScreen], bool]:
                return lambda s: s.page is not None and s.page.page == n and not s.fetching

            results.setdefault("next page (n)", []).append(
                await time_action(calls, lambda s: s.action_next_page(), page_is(2))
            )
            for n in range(3, 51):
                await time_action(calls, lambda s: s.action_next_page(), page_is(n))
            results.setdefault("page 51 (keyset, 5,000 rows deep)", []).append(
                await time_action(calls, lambda s: s.action_next_page(), page_is(51))
            )
            results.setdefault("status filter: error", []).append(
                await time_action(
                    calls,
                    lambda s: s.action_status_filter("error"),
                    lambda s: s.page is not None and s.page.query.status == "error" and not s.fetching,
                )
            )
        stats = app("stats")
        async with stats.run_test(size=(120, 40)):
            while not stats_ready(stats):
                await asyncio.sleep(0.001)
            results.setdefault("stats window -> all time", []).append(
                await time_action(
                    stats,
                    lambda s: s.action_window("all"),
                    lambda s: s.stats is not None and s.stats.window.key == "all",
                )
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / ("tui_1m.db" if args.rows == 1_000_000 else f"tui_{args.rows}.db")
    print(f"database: {path}")
    asyncio.run(build(path, args.rows))
    results = asyncio.run(measure(path, args.repeat))
    print(f"{'measurement':40} {'median':>8} {'max':>8}  (s, {args.repeat} runs, {args.rows:,} calls)")
    failed = False
    for name, values in results.items():
        median = statistics.median(values)
        flag = ""
        if name.startswith("launch"):
            flag = "ok" if median <= TARGET_S else f"OVER {TARGET_S} s"
            failed |= median > TARGET_S
        print(f"{name:40} {median:8.3f} {max(values):8.3f}  {flag}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
