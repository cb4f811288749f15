"""What the ``LLMRing`` service costs on top of the provider call.

(a) logged calls per second: 100 concurrent ``chat()`` calls at a time into SQLite, and rows
    written vs calls made; once against the local OpenAI fake (in a child process, canned
    answers) and once with an in-process ``httpx.MockTransport`` so the fake's HTTP server
    (single process, threads) is not the bottleneck. Targets: >= 5,000 calls/s, 0 rows lost.
(b) cache-hit latency: memory (<= 0.1 ms) and SQLite (<= 1 ms), measured through ``chat()``.
(c) ``get_usage_stats`` over 1,000,000 rows inserted with ``record_api_calls`` (<= 50 ms).
(d) per-call overhead of ``LLMRing.chat()`` with SQLite logging over a raw httpx POST of the same
    request (<= 250 us), alternating calls; against the fake (wall and client CPU) and through
    MockTransport.

Run: ``.venv/bin/python bench/service.py [--calls 20000] [--rows 1000000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from llmring.cache import MemoryCache
from llmring.db_sqlite import SQLiteDatabase
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import CallRecord, LLMRequest, Message
from llmring.service import LLMRing

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overhead import _pin_to, _serve

API_KEY = "sk-bench-0000000000000000"
CANNED = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Echo: hi"}, "logprobs": None, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
}
CANNED_BYTES = json.dumps(CANNED).encode()


def mock_client() -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=CANNED_BYTES, headers={"content-type": "application/json"})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


class StubProvider(OpenAIProvider):
    """No HTTP at all: builds the same ``LLMResponse`` the provider would parse from ``CANNED``."""

    async def chat(self, request: LLMRequest, *, on_retry: Any = None) -> Any:
        return self.parse_chat(json.loads(CANNED_BYTES), request, "req_stub")


def req(text: str = "hi", **kw: Any) -> LLMRequest:
    return LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content=text)], **kw)


def ring_for(db: Path, client: httpx.AsyncClient, base_url: str, api_key: str) -> LLMRing:
    cls = StubProvider if base_url == "stub" else OpenAIProvider
    provider = cls(api_key=api_key, base_url=base_url, client=client)
    return LLMRing(db_connection_string=f"sqlite:///{db}", providers={"openai": provider})


# -- (a) ---------------------------------------------------------------------------------------
async def throughput(client: httpx.AsyncClient, base_url: str, api_key: str, calls: int, label: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "calls.db"
        ring = ring_for(db, client, base_url, api_key)
        request = req()
        await ring.chat(request)  # open the store, warm the connection
        await ring.flush()
        concurrency = 100
        sem = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with sem:
                await ring.chat(request)

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        calls_done = time.perf_counter() - started
        left = await ring.flush(timeout=60)
        logged = time.perf_counter() - started
        store = await ring._open_store()
        rows = await store.count_calls() - 1
        await ring.close()
    out = {
        "calls": calls,
        "calls_per_s": calls / calls_done,
        "logged_calls_per_s": calls / logged,
        "rows_written": rows,
        "lost": calls - rows,
        "unwritten": left,
    }
    print(
        f"  {label:<14} {out['calls_per_s']:8.0f} calls/s, {out['logged_calls_per_s']:8.0f} calls/s incl. final flush;"
        f" rows {rows}/{calls} (lost {out['lost']})"
    )
    return out


# -- (b) ---------------------------------------------------------------------------------------
async def cache_hits(n: int) -> dict[str, float]:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("memory", "sqlite"):
            client = mock_client()
            provider = OpenAIProvider(api_key=API_KEY, base_url="http://mock/v1", client=client)
            if label == "memory":
                ring = LLMRing(enable_db_logging=False, providers={"openai": provider}, cache=MemoryCache())
            else:
                ring = LLMRing(db_connection_string=f"sqlite:///{tmp}/cache.db", providers={"openai": provider})
            request = req(temperature=0, cache={"enabled": True})
            await ring.chat(request)
            assert (await ring.chat(request)).cached
            samples = []
            for _ in range(n):
                started = time.perf_counter_ns()
                await ring.chat(request)
                samples.append(time.perf_counter_ns() - started)
            await ring.close()
            await client.aclose()
            median_ms = statistics.median(samples) / 1e6
            results[label] = median_ms
            print(f"  {label:<7} cache hit through chat(): median {median_ms:.4f} ms")
    return results


# -- (c) ---------------------------------------------------------------------------------------
async def stats_over(rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with SQLiteDatabase(Path(tmp) / "big.db") as store:
            now = datetime.now(UTC)
            models = [("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-20250514"), ("ollama", "llama3.2")]
            started = time.perf_counter()
            batch = 10_000
            for start in range(0, rows, batch):
                records = []
                for i in range(start, min(start + batch, rows)):
                    provider, model = models[i % 3]
                    rid = str(uuid.uuid4())
                    records.append(
                        CallRecord(
                            id=rid,
                            call_id=rid,
                            origin=f"app{i % 5}",
                            id_at_origin=f"user{i % 100}",
                            provider=provider,
                            model_name=model,
                            status="success" if i % 20 else "error",
                            prompt_tokens=100 + i % 50,
                            completion_tokens=20 + i % 10,
                            estimated_cost=Decimal("0.000021"),
                            response_time_ms=100 + i % 300,
                            called_at=now - timedelta(seconds=(rows - i) * 60 * 24 * 90 // rows),
                        )
                    )
                await store.record_api_calls(records)
            print(f"  inserted {rows:,} rows in {time.perf_counter() - started:.1f} s")
            samples: dict[str, list[float]] = {}
            for label, kwargs in (
                ("30 days, all", {"days": 30}),
                ("all time", {"days": None}),
                ("30 days, one user", {"days": 30, "origin": "app1", "id_at_origin": "user1"}),
            ):
                samples[label] = []
                for _ in range(7):
                    t0 = time.perf_counter()
                    stats = await store.get_usage_stats(**kwargs)
                    samples[label].append((time.perf_counter() - t0) * 1000)
                median = statistics.median(samples[label])
                print(f"  get_usage_stats {label:<18} median {median:6.2f} ms ({stats.total_calls:,} calls)")
    return {k: statistics.median(v) for k, v in samples.items()}


# -- (d) ---------------------------------------------------------------------------------------
async def overhead(client: httpx.AsyncClient, base_url: str, api_key: str, calls: int, label: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        ring = ring_for(Path(tmp) / "o.db", client, base_url, api_key)
        request = req("How fast is this?")
        provider = ring.get_provider("openai")
        assert isinstance(provider, OpenAIProvider)
        body = provider.build_chat_body(request)
        headers = {"authorization": f"Bearer {api_key}"}
        url = f"{base_url}/chat/completions"

        async def ours() -> None:
            await ring.chat(request)

        async def raw() -> None:
            response = await client.post(url, json=body, headers=headers)
            response.raise_for_status()
            response.json()

        for _ in range(200):
            await ours()
            await raw()
        wall: dict[bool, list[int]] = {True: [], False: []}
        cpu: dict[bool, list[int]] = {True: [], False: []}
        for i in range(calls):
            for mine in (True, False) if i % 2 == 0 else (False, True):
                t0, c0 = time.perf_counter_ns(), time.process_time_ns()
                await (ours() if mine else raw())
                cpu[mine].append(time.process_time_ns() - c0)
                wall[mine].append(time.perf_counter_ns() - t0)
        await ring.close()
    out = {}
    for name, series in (("wall", wall), ("cpu", cpu)):
        diffs = [(a - b) / 1000 for a, b in zip(series[True], series[False], strict=True)]
        out[name] = statistics.median(diffs)
        print(
            f"  {label:<14} {name:<4} chat() {statistics.median(series[True]) / 1000:7.1f} us, raw POST "
            f"{statistics.median(series[False]) / 1000:7.1f} us, added median {out[name]:6.1f} us"
        )
    return out


async def run(base_url: str, api_key: str, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if "a" in args.parts:
        print("(a) 100 concurrent chat() calls, logged to SQLite")
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            results["a_fake"] = await throughput(client, f"{base_url}/v1", api_key, args.fake_calls, "local fake")
        async with mock_client() as client:
            results["a_mock"] = await throughput(client, "http://mock/v1", API_KEY, args.calls, "MockTransport")
            results["a_stub"] = await throughput(client, "stub", API_KEY, args.calls, "no HTTP (stub)")
    if "b" in args.parts:
        print("(b) cache hits")
        results["b"] = await cache_hits(2000)
    if "d" in args.parts:
        print("(d) per-call overhead of chat() with SQLite logging over a raw httpx POST")
        # On a CPU of its own, away from the fake's (as bench/overhead.py does): sequential calls
        # gain nothing from a second CPU, and sharing one with the fake makes runs disagree.
        cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        _pin_to(0)
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                results["d_fake"] = await overhead(client, f"{base_url}/v1", api_key, args.overhead_calls, "local fake")
            async with mock_client() as client:
                results["d_mock"] = await overhead(
                    client, "http://mock/v1", API_KEY, args.overhead_calls, "MockTransport"
                )
        finally:
            if cpus:
                os.sched_setaffinity(0, cpus)
    if "c" in args.parts:
        print(f"(c) get_usage_stats over {args.rows:,} rows")
        results["c"] = await stats_over(args.rows)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls for (a) through MockTransport")
    parser.add_argument("--fake-calls", type=int, default=5_000, help="calls for (a) against the fake")
    parser.add_argument("--overhead-calls", type=int, default=1_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--parts", default="abcd", help="which measurements to run (default: abcd)")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(ready, stop), daemon=True)
    server.start()
    try:
        base_url, api_key = ready.get(timeout=60)
        r = asyncio.run(run(base_url, api_key, args))
    finally:
        stop.set()
        server.join(timeout=10)
    print("verdicts")
    checks = []
    if "a_mock" in r:
        checks += [
            ("(a) >= 5,000 logged calls/s (MockTransport)", r["a_mock"]["logged_calls_per_s"] >= 5000),
            ("(a) >= 5,000 logged calls/s (no HTTP)", r["a_stub"]["logged_calls_per_s"] >= 5000),
            ("(a) 0 rows lost", all(r[k]["lost"] == 0 for k in ("a_fake", "a_mock", "a_stub"))),
        ]
    if "b" in r:
        checks += [
            ("(b) memory hit <= 0.1 ms", r["b"]["memory"] <= 0.1),
            ("(b) SQLite hit <= 1 ms", r["b"]["sqlite"] <= 1.0),
        ]
    if "c" in r:
        checks.append(("(c) get_usage_stats <= 50 ms", max(r["c"].values()) <= 50))
    if "d_fake" in r:
        checks += [
            ("(d) overhead <= 250 us (client CPU, fake)", r["d_fake"]["cpu"] <= 250),
            ("(d) overhead <= 250 us (MockTransport)", r["d_mock"]["wall"] <= 250),
        ]
    for name, ok in checks:
        print(f"  {'met    ' if ok else 'NOT met'} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
