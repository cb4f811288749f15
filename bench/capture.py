"""What capturing prompts and answers (``LLMRing(log_content=True)``, issue 17) costs.

(a) per-call cost of capture on over capture off, SQLite logging, no HTTP (a stub provider
    returning the same parsed response), target <= +100 us: the median ``chat()`` time of each,
    alternating calls, and the whole cost per call of N calls plus the final flush (the writer's
    share included, as process CPU time: on a shared machine wall time mostly measures the
    neighbours), in alternating rounds.

Run: ``.venv/bin/python bench/capture.py [--calls 2000] [--rounds 5]``.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print("(a) per-call cost of capture, SQLite, no HTTP")
    result = asyncio.run(per_call(args.calls, args.rounds))
    ok = result["whole_added_us"] <= 100
    print(f"verdict: capture adds <= 100 us per call: {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
