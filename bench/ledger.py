"""What the ledger's controls cost (issue 16).

(a) the budget check per call: ``LLMRing.chat()`` on SQLite through the in-process stub provider
    (no HTTP), sequential calls, with no budget, with a budget that does not cover the call (the
    cached list scan only) and with a covering budget (worst-case estimate + one reservation
    transaction); rounds alternate so machine load hits all three alike, and the best round of
    each is shown too (the least disturbed by other processes). Target: <= 100 us over the
    no-budget path. The same reservation alone, ``Store.reserve_budgets``, on SQLite.

(b) ``llmring calls export`` of ``--rows`` rows (default 1,000,000) from SQLite, CSV and JSON
    lines to /dev/null in a child process: rows/s and the child's peak RSS (flat memory means the
    peak does not grow with the row count: compare ``--rows 100000``).

(c) ``llmring calls prune`` of half of ``--rows`` rows (the older half), SQLite: seconds, rows/s,
    and the file before and after (the VACUUM included).

(d) the same prune on PostgreSQL (a throwaway server from Debian's binaries, as the tests start
    one), with a writer in another process logging one call every 10 ms throughout: seconds,
    rows/s, and the writer's slowest and 99th-percentile write while the prune ran (batches lock
    only their own rows, so writers carry on). ``stats --days 0 --json`` before and after.

Run: ``.venv/bin/python bench/ledger.py [--calls 2000] [--rounds 5] [--rows 1000000]
[--only budget|export|prune|prune-pg]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from service import API_KEY, StubProvider, req  # type: ignore[import-not-found]

from llmring.budgets import Budget
from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord
from llmring.service import LLMRing

BIG = Decimal("1000000")


def ring_for(db: Path, budgets: list[Budget]) -> LLMRing:
    provider = StubProvider(api_key=API_KEY, base_url="stub", client=None)
    return LLMRing(db_connection_string=f"sqlite:///{db}", providers={"openai": provider}, budgets=budgets)


async def per_call(calls: int, rounds: int) -> dict[str, float]:
    cases = {
        "no budget": [],
        "budget, other scope": [Budget("daily", BIG, origin="someone-else")],
        "covering budget": [Budget("daily", BIG)],
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    with tempfile.TemporaryDirectory() as tmp:
        rings = {name: ring_for(Path(tmp) / f"{i}.db", budgets) for i, (name, budgets) in enumerate(cases.items())}
        request = req(max_tokens=100)
        for ring in rings.values():
            for _ in range(50):
                await ring.chat(request)
            await ring.flush()
        for _ in range(rounds):
            for name, ring in rings.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                for _ in range(calls):
                    await ring.chat(request)
                samples[name].append((time.perf_counter() - started) / calls * 1e6)
                cpu[name].append((time.process_time() - cpu_started) / calls * 1e6)
                await ring.flush()
        for ring in rings.values():
            await ring.close()
    out = {name: statistics.median(values) for name, values in samples.items()}
    out_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    best = {name: min(values) for name, values in samples.items()}
    base, base_cpu, base_best = out["no budget"], out_cpu["no budget"], best["no budget"]
    for name, us in out.items():
        c = out_cpu[name]
        print(
            f"  {name:<22} wall {us:8.1f} us/call ({us - base:+7.1f}),"
            f" CPU (all threads) {c:8.1f} us/call ({c - base_cpu:+7.1f} over no budget),"
            f" best round {best[name]:7.1f} ({best[name] - base_best:+7.1f})"
        )
    return out


async def reservation_alone(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        async with SQLiteDatabase(Path(tmp) / "r.db") as db:
            budget = Budget("daily", BIG)
            for i in range(50):
                await db.reserve_budgets([budget], f"warm{i}", Decimal("0.001"))
            started, cpu_started = time.perf_counter(), time.process_time()
            for i in range(n):
                await db.reserve_budgets([budget], f"c{i}", Decimal("0.001"), hold_seconds=0)
            us = (time.perf_counter() - started) / n * 1e6
            cpu = (time.process_time() - cpu_started) / n * 1e6
    print(f"  Store.reserve_budgets alone (SQLite): wall {us:8.1f} us, CPU {cpu:8.1f} us")
    return us


def synthetic_rows(rows: int) -> Iterator[list[CallRecord]]:
    """``rows`` call rows over 60 days (a tenth retried attempts, a fifth tagged), in batches."""
    now = datetime.now(UTC)
    batch: list[CallRecord] = []
    for i in range(rows):
        batch.append(
            CallRecord(
                call_id=f"c{i // 10 if i % 10 == 1 else i}",
                attempt=2 if i % 10 == 1 else 1,
                final=i % 10 != 0,
                origin=f"app{i % 3}",
                id_at_origin=f"user{i % 50}",
                provider="openai",
                model_name="gpt-4o-mini",
                prompt_tokens=1000 + i % 997,
                completion_tokens=200 + i % 331,
                estimated_cost=Decimal(1000 + i % 997) * Decimal("0.00000015"),
                tags={"feature": f"f{i % 4}"} if i % 5 == 0 else None,
                called_at=now - timedelta(seconds=(rows - i) * 60 * 86400 / rows),
            )
        )
        if len(batch) == 5000:
            yield batch
            batch = []
    if batch:
        yield batch


async def fill(db: Path, rows: int) -> float:
    """``synthetic_rows`` into a SQLite file; seconds taken."""
    started = time.perf_counter()
    async with SQLiteDatabase(db) as store:
        for batch in synthetic_rows(rows):
            await store.record_api_calls(batch)
    return time.perf_counter() - started


def export_child(db: Path, fmt: str) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of ``llmring calls export`` in a child process."""
    import os
    import resource
    import subprocess

    code = "from llmring.cli.main import run; run()"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    args = [sys.executable, "-c", code, "--sqlite", str(db), "calls", "export", "--format", fmt]
    started = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, check=True, env=env)
    seconds = time.perf_counter() - started
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def export_bench(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "export.db"
        took = asyncio.run(fill(db, rows))
        print(f"  filled {rows:,} rows in {took:.1f} s ({db.stat().st_size / 2**20:.0f} MiB)")
        for fmt in ("csv", "jsonl"):
            seconds, peak = export_child(db, fmt)
            print(f"  export {fmt:<5} {rows / seconds:10,.0f} rows/s ({seconds:.1f} s), peak RSS so far {peak:.0f} MiB")


def prune_bench(rows: int) -> None:
    import os
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "prune.db"
        asyncio.run(fill(db, rows))
        size = db.stat().st_size
        code = "from llmring.cli.main import run; run()"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        cli = [sys.executable, "-c", code, "--sqlite", str(db)]

        def totals() -> str:
            done = subprocess.run(
                [*cli, "stats", "--days", "0", "--json"], capture_output=True, text=True, check=True, env=env
            )
            return done.stdout

        before = totals()
        started = time.perf_counter()
        done = subprocess.run(
            [*cli, "calls", "prune", "--older-than", "30d"], capture_output=True, text=True, check=True, env=env
        )
        seconds = time.perf_counter() - started
        print(f"  {done.stdout.strip()}")
        import re

        found = re.search(r"Pruned ([\d,]+) calls", done.stdout)
        pruned = int(found.group(1).replace(",", "")) if found else rows / 2
        print(
            f"  {seconds:.1f} s ({pruned / seconds:,.0f} rows/s);"
            f" file {size / 2**20:.0f} -> {db.stat().st_size / 2**20:.0f} MiB;"
            f" stats --days 0 --json {'identical' if totals() == before else 'CHANGED'} before and after"
        )


def _writer(dsn: str, ready: Any, stop: Any, out: Any) -> None:
    """Another process logging one call every 10 ms until ``stop``; puts its write latencies (ms)."""

    async def run() -> list[float]:
        from llmring.db import LLMDatabase

        latencies: list[float] = []
        async with LLMDatabase(dsn) as store:
            ready.set()
            while not stop.is_set():
                record = CallRecord(provider="openai", model_name="gpt-4o-mini", origin="writer", prompt_tokens=10)
                started = time.perf_counter()
                await store.record_api_call(record)
                latencies.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.01)
        return latencies

    out.put(asyncio.run(run()))


def prune_pg_bench(rows: int) -> None:
    """(d): fill a fresh server's default schema, then prune its older half beside a writer."""
    import multiprocessing
    import os
    import subprocess

    from llmring.db import LLMDatabase
    from tests.pg_server import running_server

    with running_server(extra=("-c", "shared_buffers=256MB")) as dsn:

        async def load() -> float:
            started = time.perf_counter()
            async with LLMDatabase(dsn) as store:
                for batch in synthetic_rows(rows):
                    await store.record_api_calls(batch)
            return time.perf_counter() - started

        print(f"  filled {rows:,} rows in {asyncio.run(load()):.1f} s")
        code = "from llmring.cli.main import run; run()"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        cli = [sys.executable, "-c", code, "--database-url", dsn]

        def totals() -> list[str]:
            # Per origin of the filled rows: the writer's own rows (origin "writer") are new spend.
            return [
                subprocess.run(
                    [*cli, "stats", "--days", "0", "--json", "--origin", f"app{n}"],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                ).stdout
                for n in range(3)
            ]

        before = totals()
        ctx = multiprocessing.get_context("spawn")
        ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
        writer = ctx.Process(target=_writer, args=(dsn, ready, stop, out), daemon=True)
        writer.start()
        ready.wait(60)
        time.sleep(1.0)  # the writer's own warm-up, so its figures are the prune's effect
        started = time.perf_counter()
        done = subprocess.run(
            [*cli, "calls", "prune", "--older-than", "30d"], capture_output=True, text=True, check=True, env=env
        )
        seconds = time.perf_counter() - started
        stop.set()
        latencies = sorted(out.get(timeout=60))
        writer.join(timeout=30)
        print(f"  {done.stdout.strip()}")
        import re

        found = re.search(r"Pruned ([\d,]+) calls", done.stdout)
        pruned = int(found.group(1).replace(",", "")) if found else rows / 2
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(
            f"  {seconds:.1f} s ({pruned / seconds:,.0f} rows/s); writer beside it: {len(latencies):,} writes,"
            f" median {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms, slowest {latencies[-1]:.1f} ms;"
            f" stats --days 0 --json {'identical' if totals() == before else 'CHANGED'} before and after"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("budget", "export", "prune", "prune-pg"))
    args = parser.parse_args()
    if args.only in (None, "budget"):
        print("(a) budget check per chat() call, SQLite, stub provider (medians of rounds)")
        asyncio.run(per_call(args.calls, args.rounds))
        asyncio.run(reservation_alone(args.calls))
    if args.only in (None, "export"):
        print(f"(b) llmring calls export of {args.rows:,} rows, SQLite, to /dev/null")
        export_bench(args.rows)
    if args.only in (None, "prune"):
        print(f"(c) llmring calls prune of the older half of {args.rows:,} rows, SQLite")
        prune_bench(args.rows)
    if args.only in (None, "prune-pg"):
        print(f"(d) llmring calls prune of the older half of {args.rows:,} rows, PostgreSQL, a writer beside it")
        prune_pg_bench(args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
