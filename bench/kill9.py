"""The loss window of the call log under ``kill -9``, for ``durability="batched"`` and ``"sync"``.

A child process makes logged calls without pause (``--concurrency`` at a time, each answered by
an in-process stub provider after ``--latency`` ms, into SQLite) and prints each call's id the
moment ``chat()`` returns it. The parent kills it with SIGKILL at a random moment, ``--kills``
times per mode, and counts the calls the child had been given an answer for whose row is not in
the database: rows lost per kill, and how long before the kill the oldest lost call returned.
Then the per-call cost of each mode: sequential ``chat()`` calls through the stub, in this
process, wall time per call including the final flush.

Run: ``.venv/bin/python bench/kill9.py [--kills 10]`` (also ``bench/load.py --kill9``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmring.schemas import LLMRequest, Message
from llmring.service import LLMRing

MODES = ("batched", "sync")


def stub_ring(db: Path, durability: str, latency_ms: float) -> LLMRing:
    from bench.service import StubProvider

    class SlowStub(StubProvider):
        async def chat(self, request: LLMRequest, *, on_retry: Any = None) -> Any:
            if latency_ms:
                await asyncio.sleep(latency_ms / 1000)
            return await super().chat(request, on_retry=on_retry)

    provider = SlowStub(api_key="sk-bench", base_url="stub")
    return LLMRing(db_connection_string=f"sqlite:///{db}", providers={"openai": provider}, durability=durability)  # type: ignore[arg-type]


def request(n: int) -> LLMRequest:
    return LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content=f"call {n}")])


async def child(db: Path, durability: str, concurrency: int, latency_ms: float) -> None:
    """Call forever; one ``ack <call_id> <unix time>`` line per answered call."""
    ring = stub_ring(db, durability, latency_ms)
    await ring.chat(request(-1))
    await ring.flush()
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    counter = iter(range(10**9))

    async def worker() -> None:
        while True:
            response = await ring.chat(request(next(counter)))
            out.write(f"ack {response.metadata['call_id']} {time.time():.6f}\n")
            out.flush()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def one_kill(db: Path, durability: str, args: argparse.Namespace) -> tuple[int, int, float]:
    """(acknowledged calls, of them not in the database, age in ms of the oldest lost one)."""
    command = [sys.executable, __file__, "--child", str(db), durability, str(args.concurrency), str(args.latency)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    assert proc.stdout is not None
    assert proc.stdout.readline() == "ready\n", "child did not start"
    time.sleep(random.uniform(0.3, 1.0))
    proc.send_signal(signal.SIGKILL)
    killed_at = time.time()
    acked: dict[str, float] = {}
    for line in proc.stdout:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ack":
            acked[parts[1]] = float(parts[2])
    proc.wait()
    conn = sqlite3.connect(db)
    try:
        stored = {row[0] for row in conn.execute("SELECT call_id FROM llm_api_calls WHERE final")}
    finally:
        conn.close()
    lost = [at for call_id, at in acked.items() if call_id not in stored]
    return len(acked), len(lost), (killed_at - min(lost)) * 1000 if lost else 0.0


async def per_call_us(durability: str, calls: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        ring = stub_ring(Path(tmp) / "calls.db", durability, 0)
        for n in range(100):
            await ring.chat(request(n))
        await ring.flush()
        started = time.perf_counter()
        for n in range(calls):
            await ring.chat(request(n))
        await ring.flush()
        elapsed = time.perf_counter() - started
        await ring.close()
    return elapsed / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=10, help="kills per mode")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--latency", type=float, default=20.0, help="stub provider latency, ms")
    parser.add_argument("--calls", type=int, default=2000, help="sequential calls for the per-call cost")
    parser.add_argument("--child", nargs=4, metavar=("DB", "MODE", "CONCURRENCY", "LATENCY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        db, mode, concurrency, latency = args.child
        asyncio.run(child(Path(db), mode, int(concurrency), float(latency)))
        return 0
    print(f"kill -9 during calls: {args.concurrency} at a time, {args.latency:g} ms each, {args.kills} kills per mode")
    for mode in MODES:
        with tempfile.TemporaryDirectory() as tmp:
            results = [one_kill(Path(tmp) / "calls.db", mode, args) for _ in range(args.kills)]
        acked = sum(r[0] for r in results)
        lost = [r[1] for r in results]
        ages = [r[2] for r in results if r[1]]
        print(
            f"  {mode:<8} answered calls {acked:6d}; rows lost per kill: mean {statistics.mean(lost):.1f},"
            f" max {max(lost)}; oldest lost call returned {max(ages, default=0):.0f} ms before the kill"
        )
    for mode in MODES:
        print(f"  {mode:<8} {asyncio.run(per_call_us(mode, args.calls)):7.0f} us per sequential call (stub provider)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
