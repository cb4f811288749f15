"""What capturing prompts and answers (``LLMRing(log_content=True)``, issue 17) costs.

(a) per-call cost of capture on over capture off, SQLite logging, no HTTP (a stub provider
    returning the same parsed response), target <= +100 us: the median ``chat()`` time of each,
    alternating calls, and the whole cost per call of N calls plus the final flush (the writer's
    share included, as process CPU time: on a shared machine wall time mostly measures the
    neighbours), in alternating rounds.
(b) ``calls --search`` latency over N captured calls (``--ledger``, default 1,000,000; target
    <= 100 ms): a word of one call's answer (the full-text index finds it; the substring test
    on model, origin, user and error still reads every row), and a word every call's system
    prompt has (the newest 20 come at once), newest 20 rows, SQLite.

Run: ``.venv/bin/python bench/capture.py [--calls 2000] [--rounds 5] [--ledger 1000000] [--parts ab]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from service import API_KEY, StubProvider

from llmring.schemas import LLMRequest, Message
from llmring.service import LLMRing

SYSTEM = (
    "You are a support assistant for an online bookshop. Answer in two sentences at most, "
    "name the order number when there is one, and never promise a refund."
)


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


async def search_over(size: int) -> dict[str, float]:
    from llmring.capture import CallContent, make_part
    from llmring.db_sqlite import SQLiteDatabase
    from llmring.schemas import CallRecord
    from llmring.store import CallFilters

    system = make_part("system", SYSTEM, None)
    with tempfile.TemporaryDirectory() as tmp:
        async with SQLiteDatabase(Path(tmp) / "ledger.db") as store:
            started = time.perf_counter()
            for start in range(0, size, 5000):
                batch = []
                for i in range(start, min(start + 5000, size)):
                    record = CallRecord(
                        provider="openai", model_name="gpt-4o-mini", prompt_tokens=40, completion_tokens=9
                    )
                    answer = "Your parcel left the depot today." if i != size // 2 else "It was eaten by a wombat."
                    question = make_part("user", f"Where is my order #{100000 + i}?", None)
                    record._content = CallContent([system, question, make_part("response", answer, None)])
                    batch.append(record)
                await store.record_api_calls(batch)
            print(f"  filled {size:,} captured calls in {time.perf_counter() - started:.0f} s")
            out = {}
            for label, word in (("rare", "wombat"), ("common", "bookshop")):
                timings = []
                for _ in range(5):
                    t0 = time.perf_counter()
                    found = await store.list_calls(CallFilters(search=word), limit=20)
                    timings.append((time.perf_counter() - t0) * 1000)
                out[label] = statistics.median(timings)
                print(f"  --search {word!r}: {len(found)} row(s) in {out[label]:.1f} ms (median of 5)")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ledger", type=int, default=1_000_000)
    parser.add_argument("--parts", default="ab")
    args = parser.parse_args()
    if "a" in args.parts:
        print("(a) per-call cost of capture, SQLite, no HTTP")
        result = asyncio.run(per_call(args.calls, args.rounds))
        ok = result["whole_added_us"] <= 100
        print(f"verdict: capture adds <= 100 us per call: {'PASS' if ok else 'FAIL'}")
    if "b" in args.parts:
        print(f"(b) calls --search over {args.ledger:,} captured calls, SQLite")
        found = asyncio.run(search_over(args.ledger))
        ok = max(found.values()) <= 100
        print(f"verdict: search <= 100 ms: {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
