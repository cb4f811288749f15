"""What capturing prompts and answers (``LLMRing(log_content=True)``, issue 17) costs.

(a) per-call cost of capture on over capture off, SQLite logging, no HTTP (a stub provider
    returning the same parsed response), target <= +100 us: the median ``chat()`` time of each,
    alternating calls, and the whole cost per call of N calls plus the final flush (the writer's
    share included, as process CPU time: on a shared machine wall time mostly measures the
    neighbours), in alternating rounds.
(b) ``calls --search`` latency over N captured calls (``--ledger``, default 1,000,000; target
    <= 100 ms), newest 20 rows, SQLite: a word of one call's answer (few matches: found through
    the indexes), a word every call's system prompt has and a phrase every question has (many:
    rows read newest first), words of 1 in 100 and 1 in 10 questions (and a phrase of the first),
    a model name, and a text nothing has.
(c) with ``--parts bc``, forgetting on that ledger: ``calls rm`` of one call, then
    ``calls prune-content`` of the older half (both rewrite the full-text index, FTS5 ``optimize``,
    so forgotten words leave the file: that is most of what they cost).

Run: ``.venv/bin/python bench/capture.py [--calls 2000] [--rounds 5] [--ledger 1000000] [--parts abc]
[--database-url postgresql://... [--schema NAME]]`` (``--schema``: fill that schema once and keep it,
so later runs only search).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from service import API_KEY, StubProvider

from llmring.schemas import LLMRequest, Message
from llmring.service import LLMRing

SYSTEM = (
    "You are a support assistant for an online bookshop. Answer in two sentences at most, "
    "name the order number when there is one, and never promise a refund."
)


# What (b)'s questions add after the order number: a word in 1 of 100 ("delayed") or 10 of 100
# ("courier") of them, each in its own question (stored apart, unlike a shared system prompt), between
# the rare (one call) and the common (every call), which each search plan is built for.
ASIDES = [
    " It is delayed at the depot." if n == 0 else " The courier never came." if n % 10 == 1 else "" for n in range(100)
]


def ring_for(db: Path, log_content: bool) -> LLMRing:
    provider = StubProvider(api_key=API_KEY, base_url="stub")
    return LLMRing(db_connection_string=f"sqlite:///{db}", providers={"openai": provider}, log_content=log_content)


def request(i: int) -> LLMRequest:
    question = f"Where is my order #{100000 + i}? It was due on Tuesday and the tracking page says nothing."
    return LLMRequest(
        model="gpt-4o-mini",
        messages=[Message(role="system", content=SYSTEM), Message(role="user", content=question)],
    )


async def per_call(calls: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        rings = {mode: ring_for(Path(tmp) / f"{mode}.db", mode) for mode in (False, True)}
        for ring in rings.values():
            for i in range(200):
                await ring.chat(request(i))
            await ring.flush()
        latency: dict[bool, list[int]] = {False: [], True: []}
        for i in range(calls):
            for mode in (False, True) if i % 2 == 0 else (True, False):
                t0 = time.perf_counter_ns()
                await rings[mode].chat(request(i))
                latency[mode].append(time.perf_counter_ns() - t0)
        for ring in rings.values():
            await ring.flush()
        whole: dict[bool, list[float]] = {False: [], True: []}
        for r in range(rounds):
            for mode in (False, True) if r % 2 == 0 else (True, False):
                ring = rings[mode]
                t0 = time.process_time_ns()  # CPU of every thread (aiosqlite writes in its own)
                for i in range(calls):
                    await ring.chat(request(r * calls + i))
                await ring.flush()
                whole[mode].append((time.process_time_ns() - t0) / calls / 1000)
        for ring in rings.values():
            await ring.close()
    out = {
        "chat_off_us": statistics.median(latency[False]) / 1000,
        "chat_on_us": statistics.median(latency[True]) / 1000,
        "whole_off_us": statistics.median(whole[False]),
        "whole_on_us": statistics.median(whole[True]),
    }
    out["chat_added_us"] = out["chat_on_us"] - out["chat_off_us"]
    out["whole_added_us"] = out["whole_on_us"] - out["whole_off_us"]
    print(
        f"  chat() median: off {out['chat_off_us']:.1f} us, on {out['chat_on_us']:.1f} us,"
        f" added {out['chat_added_us']:.1f} us"
    )
    print(
        f"  CPU per call incl. writing: off {out['whole_off_us']:.1f} us, on {out['whole_on_us']:.1f} us,"
        f" added {out['whole_added_us']:.1f} us"
    )
    return out


async def search_over(
    size: int, forgetting: bool = False, database_url: str | None = None, schema: str | None = None
) -> dict[str, float]:
    from llmring.capture import CallContent, make_part
    from llmring.db_sqlite import SQLiteDatabase
    from llmring.schemas import CallRecord
    from llmring.store import CallFilters

    system = make_part("system", SYSTEM, None)
    with tempfile.TemporaryDirectory() as tmp:
        if database_url:  # a new schema (drop it afterwards)
            from llmring.db import LLMDatabase

            store: Any = LLMDatabase(database_url, schema=schema or f"bench_{int(time.time())}")
        else:
            store = SQLiteDatabase(Path(tmp) / "ledger.db")
        async with store:
            started = time.perf_counter()
            kept = len(await store.list_calls(CallFilters(), limit=1, offset=size - 1)) if schema else 0
            for start in range(0, 0 if kept else size, 5000):
                batch = []
                for i in range(start, min(start + 5000, size)):
                    record = CallRecord(
                        provider="openai", model_name="gpt-4o-mini", prompt_tokens=40, completion_tokens=9
                    )
                    answer = "Your parcel left the depot today." if i != size // 2 else "It was eaten by a wombat."
                    question = make_part("user", f"Where is my order #{100000 + i}?{ASIDES[i % 100]}", None)
                    record._content = CallContent([system, question, make_part("response", answer, None)])
                    batch.append(record)
                await store.record_api_calls(batch)
            print(
                f"  filled {size:,} captured calls in {time.perf_counter() - started:.0f} s" if not kept else "  (kept)"
            )
            if database_url:  # what autovacuum does soon after a bulk load: the planner's statistics
                await (await store._manager_ready()).execute("ANALYZE")
            middle = (await store.list_calls(CallFilters(), limit=1, offset=size // 2))[0]
            out = {}
            searches = (
                ("rare", "wombat"),
                ("common", "bookshop"),
                ("phrase", "where is my order"),
                ("1 in 100", "delayed"),
                ("1 in 10", "courier"),
                ("1 in 100, a phrase", "delayed at the depot"),
                ("model", "gpt-4o"),
                ("none", "nothing-has-this"),
            )
            for label, word in searches:
                timings = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    found = await store.list_calls(CallFilters(search=word), limit=20)
                    timings.append((time.perf_counter() - t0) * 1000)
                out[label] = statistics.median(timings)
                print(f"  --search {word!r}: {len(found)} row(s) in {out[label]:.1f} ms (median of 5)")
            if forgetting:
                t0 = time.perf_counter()
                await store.forget_content([middle.id])
                out["rm_ms"] = (time.perf_counter() - t0) * 1000
                t0 = time.perf_counter()
                pruned = await store.prune_content(middle.called_at)
                out["prune_ms"] = (time.perf_counter() - t0) * 1000
                print(f"  calls rm of one call: {out['rm_ms']:.0f} ms")
                print(f"  calls prune-content of {pruned:,} calls: {out['prune_ms']:.0f} ms")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    parser.add_argument("--parts", default="ab")
    parser.add_argument("--database-url", help="(b, c) on this PostgreSQL database instead (a new schema)")
    parser.add_argument("--schema", help="with --database-url: this schema, filled once and kept (re-runs search it)")
    args = parser.parse_args()
    if "a" in args.parts:
        print("(a) per-call cost of capture, SQLite, no HTTP")
        result = asyncio.run(per_call(args.calls, args.rounds))
        ok = result["whole_added_us"] <= 100
        print(f"verdict: capture adds <= 100 us per call: {'PASS' if ok else 'FAIL'}")
    if "b" in args.parts:
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(f"(b) calls --search over {args.ledger:,} captured calls, {backend}")
        found = asyncio.run(
            search_over(args.ledger, forgetting="c" in args.parts, database_url=args.database_url, schema=args.schema)
        )
        ok = max(v for k, v in found.items() if not k.endswith("_ms")) <= 100
        print(f"verdict: search <= 100 ms: {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
