"""Batch-insert throughput of ``SQLiteDatabase.record_api_calls`` (the background writer's path).

Inserts ``--batches`` batches of ``--size`` call records into a fresh temp file (WAL, the real
schema, indexes and daily rollup) and reports rows per second for each batch, so a slowdown as
the log grows shows up. Records are built before the clock starts. Besides wall-clock rows/s it
reports rows per CPU-second of this process (all its threads, aiosqlite's worker included), which
a busy machine does not distort: the rate one free core would reach.

Run: ``.venv/bin/python bench/sqlite_writes.py [--batches 5] [--size 20000]``. Target: >= 20k rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmring.db_sqlite import SQLiteDatabase
from llmring.schemas import CallRecord, utc_now

TARGET = 20_000


def batch(round_no: int, size: int) -> list[CallRecord]:
    now = utc_now()
    return [
        CallRecord(
            origin=f"app{i % 5}",
            id_at_origin=f"user{i % 50}",
            provider="openai",
            model_name=f"model-{i % 7}",
            prompt_tokens=1200,
            completion_tokens=300,
            estimated_cost=Decimal("0.000123"),
            response_time_ms=200 + i % 300,
            called_at=now - timedelta(seconds=round_no * size + i),
        )
        for i in range(size)
    ]


async def run(batches: int, size: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        async with SQLiteDatabase(Path(tmp) / "bench.db") as db:
            for round_no in range(batches):
                records = batch(round_no, size)
                start, start_cpu = time.perf_counter(), time.process_time()
                await db.record_api_calls(records)
                wall.append(size / (time.perf_counter() - start))
                cpu.append(size / (time.process_time() - start_cpu))
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--size", type=int, default=20_000)
    args = parser.parse_args()
    wall, cpu = asyncio.run(run(args.batches, args.size))
    print("rows/s per batch (wall):      ", ", ".join(f"{r:,.0f}" for r in wall))
    print("rows per CPU-second per batch:", ", ".join(f"{r:,.0f}" for r in cpu))
    for label, rates in (("wall", wall), ("CPU", cpu)):
        median = statistics.median(rates)
        print(f"median ({label}) {median:,.0f} rows/s (target >= {TARGET:,}): {'ok' if median >= TARGET else 'UNDER'}")


if __name__ == "__main__":
    main()
