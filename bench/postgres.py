"""The PostgreSQL store under load: write throughput and read latency over a million rows.

It starts its own throwaway server (``tests/pg_server.py``, the same way the tests do) unless
``--dsn`` names one, then measures:

1. rows/s through ``LLMDatabase.record_api_calls`` in the background writer's batch size (500)
   and in big batches, checking that no row is lost;
2. optionally (``--service-calls N``) rows/s through ``LLMRing`` itself: N chat calls, 100 at a
   time, against a local OpenAI fake in a child process, logged by the background writer;
3. the latency of ``get_usage_stats``, ``usage_breakdown`` and ``list_recent_calls`` (first
   page, filtered, and a keyset page half a million rows deep) over ``--rows`` rows (default
   1,000,000) written in time order over the last 90 days, from 5 origins, 250 users and 6
   models (so the per-user rollup holds up to 135,000 rows).

Run: ``.venv/bin/python bench/postgres.py [--rows 1000000] [--service-calls 5000]``.
Targets: >= 10,000 rows/s written with 0 lost; every read <= 50 ms (median).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmring.db import LLMDatabase
from llmring.schemas import CallRecord

WRITE_TARGET = 10_000.0  # rows/s
READ_TARGET_MS = 50.0
MODELS = [
    ("openai", "gpt-4o"),
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("google", "gemini-2.5-flash"),
    ("ollama", "llama3.2"),
]
STATUSES = ["success"] * 17 + ["error", "timeout", "rate_limited"]


def synthetic_calls(n: int, rng: random.Random, start: datetime, end: datetime) -> list[CallRecord]:
    """``n`` plausible rows called between ``start`` and ``end``, in time order as a live log
    would be (built without validation: this is the fast path for a million)."""
    out = []
    span = (end - start).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(n))
    for offset in offsets:
        provider, model = rng.choice(MODELS)
        status = rng.choice(STATUSES)
        final = rng.random() < 0.95
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        prompt, completion = rng.randrange(10, 4000), rng.randrange(1, 800)
        out.append(
            CallRecord.model_construct(
                id=rid,
                call_id=rid,
                attempt=1 if final else 2,
                final=final,
                origin=f"app-{rng.randrange(5)}",
                id_at_origin=f"user-{rng.randrange(50)}",
                provider=provider,
                model_name=model,
                status=status,
                error_type=None if status == "success" else "ProviderError",
                error_message=None if status == "success" else "the provider said no",
                prompt_tokens=prompt,
                completion_tokens=completion,
                estimated_cost=None if provider == "ollama" else Decimal(prompt * 25 + completion * 100) / 10**7,
                response_time_ms=rng.randrange(80, 9000),
                request_metadata={"bench": True},
                called_at=start + timedelta(seconds=offset),
            )
        )
    return out


async def write_throughput(dsn: str, rows: int, batch: int) -> float:
    """Rows/s through record_api_calls in batches of ``batch`` (fresh schema); checks none is lost."""
    schema = f"bench_w{batch}"
    async with LLMDatabase(dsn, schema=schema) as db:
        now = datetime.now(UTC)
        records = synthetic_calls(rows, random.Random(batch), now - timedelta(hours=1), now)
        started = time.perf_counter()
        written = 0
        for i in range(0, rows, batch):
            written += await db.record_api_calls(records[i : i + batch])
        elapsed = time.perf_counter() - started
        stored = await db.count_calls()
        await (await db._manager_ready()).execute(f'DROP SCHEMA "{schema}" CASCADE')
    rate = rows / elapsed
    lost = rows - stored
    print(f"write  batch {batch:>6}: {rows:>9,} rows in {elapsed:6.2f} s = {rate:9,.0f} rows/s, lost {lost}")
    assert written == rows and lost == 0
    return rate


async def timed(label: str, fn: Callable[[], Awaitable[Any]], runs: int = 30) -> float:
    for _ in range(3):
        await fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - started) * 1000)
    median = statistics.median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    flag = "" if median <= READ_TARGET_MS else "  <-- over target"
    print(f"read   {label:<52} median {median:7.2f} ms  p95 {p95:7.2f} ms{flag}")
    return median


async def read_latency(dsn: str, rows: int) -> list[float]:
    """Load ``rows`` rows, then time the dashboard's and the CLI's queries."""
    schema = "bench_read"
    async with LLMDatabase(dsn, schema=schema) as db:
        manager = await db._manager_ready()
        if await db.count_calls() != rows:
            await manager.execute(f'DROP SCHEMA "{schema}" CASCADE')
            await db.close()
            await db.initialize()
            manager = await db._manager_ready()
            rng = random.Random(1)
            start, step = datetime.now(UTC) - timedelta(days=90), timedelta(days=90) / rows
            started = time.perf_counter()
            chunk = 50_000
            for i in range(0, rows, chunk):
                n = min(chunk, rows - i)
                await db.record_api_calls(synthetic_calls(n, rng, start + step * i, start + step * (i + n)))
            elapsed = time.perf_counter() - started
            print(f"load   {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s incl. generating them)")
            await manager.execute("ANALYZE {{tables.llm_api_calls}}")
            await manager.execute("ANALYZE {{tables.llm_usage_daily}}")
        deep = await manager.fetch_one(
            "SELECT called_at, id FROM {{tables.llm_api_calls}} ORDER BY called_at DESC, id DESC OFFSET $1 LIMIT 1",
            rows // 2,
        )
        assert deep is not None
        before = (deep["called_at"], deep["id"])
        return [
            await timed("get_usage_stats() (last 30 days)", lambda: db.get_usage_stats()),
            await timed("get_usage_stats('app-1', 'user-7', days=30)", lambda: db.get_usage_stats("app-1", "user-7")),
            await timed("get_usage_stats(days=None) (all time)", lambda: db.get_usage_stats(days=None)),
            await timed(
                "get_usage_stats(id_at_origin='user-7', days=90)", lambda: db.get_usage_stats(None, "user-7", 90)
            ),
            await timed("usage_breakdown('day', days=30)", lambda: db.usage_breakdown("day")),
            await timed("usage_breakdown('model', days=90)", lambda: db.usage_breakdown("model", days=90)),
            await timed("list_recent_calls(limit=100) first page", lambda: db.list_recent_calls(limit=100)),
            await timed(
                "list_recent_calls('app-1', 'user-7', limit=100)", lambda: db.list_recent_calls("app-1", "user-7")
            ),
            await timed(
                "list_recent_calls(status='timeout', limit=100)", lambda: db.list_recent_calls(status="timeout")
            ),
            await timed(
                "list_recent_calls(model='openai:gpt-4o', limit=100)",
                lambda: db.list_recent_calls(model="openai:gpt-4o"),
            ),
            await timed(
                f"list_recent_calls(before=<row {rows // 2:,}>) keyset", lambda: db.list_recent_calls(before=before)
            ),
            await timed("get_call(id)", lambda: db.get_call(before[1])),
        ]


# -- through the service -------------------------------------------------------------------------


def _serve_fake(ready: Any, stop: Any) -> None:
    from tests.fakes.openai_fake import OpenAIFake
    from tests.fakes.server import RecordedRequest, Reply

    class CannedFake(OpenAIFake):
        """The fake's first answer, replayed (no per-request contract checks, no growing log)."""

        def __init__(self) -> None:
            super().__init__()
            self._canned: Reply | None = None

        def handle(self, request: RecordedRequest) -> Reply:
            self.requests.clear()
            if self._canned is None:
                self._canned = self._answer(request)
            c = self._canned
            return Reply(c.status, c.body, dict(c.headers), c.chunks, content_type=c.content_type)

    fake = CannedFake()
    fake.start()
    ready.put((fake.base_url, fake.api_key))
    stop.wait()
    fake.stop()


async def service_throughput(dsn: str, calls: int, base_url: str, api_key: str) -> float:
    """Rows/s logged through LLMRing: ``calls`` chats, 100 in flight, all rows must arrive."""
    from llmring.schemas import LLMRequest, Message
    from llmring.service import LLMRing

    schema = "bench_service"
    store = LLMDatabase(dsn, schema=schema)
    await store.initialize()
    await (await store._manager_ready()).execute(f'DROP SCHEMA "{schema}" CASCADE')
    await store.close()
    from pgdbm import AsyncDatabaseManager, DatabaseConfig

    manager = AsyncDatabaseManager(DatabaseConfig(connection_string=dsn, schema=schema, min_connections=2))
    await manager.connect()
    ring = LLMRing(db_manager=manager, origin="bench")
    ring.register_provider("openai", api_key=api_key, base_url=f"{base_url}/v1")
    request = LLMRequest(model="openai:gpt-4o-mini", messages=[Message(role="user", content="hi")])
    await ring.chat(request, id_at_origin="warmup")
    gate = asyncio.Semaphore(100)

    async def one(i: int) -> None:
        async with gate:
            await ring.chat(request, id_at_origin=f"user-{i % 10}")

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(calls)))
    assert ring.writer is not None
    await ring.writer.flush(timeout=60)
    elapsed = time.perf_counter() - started
    stored = await manager.fetch_value("SELECT COUNT(*) FROM {{tables.llm_api_calls}}") - 1
    await ring.close()
    await manager.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await manager.disconnect()
    rate = calls / elapsed
    print(
        f"service {calls:,} chats, 100 in flight: {elapsed:.2f} s = {rate:,.0f} calls/s logged, lost {calls - stored}"
    )
    assert stored == calls
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for the read benchmark")
    parser.add_argument("--write-rows", type=int, default=100_000, help="rows for each write benchmark")
    parser.add_argument("--service-calls", type=int, default=0, help="chats through LLMRing (0: skip)")
    parser.add_argument("--dsn", help="use this server instead of starting one")
    args = parser.parse_args()

    with ExitStack() as stack:
        dsn = args.dsn
        if dsn is None:
            from tests.pg_server import running_server

            dsn = stack.enter_context(running_server(extra=("-c", "shared_buffers=256MB")))
        rates = [asyncio.run(write_throughput(dsn, args.write_rows, batch)) for batch in (500, 5000)]
        if args.service_calls:
            ctx = multiprocessing.get_context("spawn")
            ready, stop = ctx.Queue(), ctx.Event()
            fake = ctx.Process(target=_serve_fake, args=(ready, stop), daemon=True)
            fake.start()
            try:
                base_url, api_key = ready.get(timeout=60)
                asyncio.run(service_throughput(dsn, args.service_calls, base_url, api_key))
            finally:
                stop.set()
                fake.join(timeout=10)
        medians = asyncio.run(read_latency(dsn, args.rows))
    ok = min(rates) >= WRITE_TARGET and max(medians) <= READ_TARGET_MS
    print(
        f"targets: writes >= {WRITE_TARGET:,.0f} rows/s, reads <= {READ_TARGET_MS:.0f} ms: {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
