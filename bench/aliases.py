"""What an alias adds to a call: ``LLMRing.chat()`` through an in-process ``httpx.MockTransport``
(no network, no server), logging off so only the call path is timed.

Contenders, called in turn each round (so drift cancels out) and reported as the median per call:

* ``plain``: ``model="gpt-4o-mini"``, the baseline;
* ``alias``: a one-model alias naming the same model (alias resolution, the window check, the
  hop bookkeeping);
* ``progress``: the plain call with a progress hook (what the CLI's spinner costs the call path);
* ``fallback``: a two-model alias whose first model answers 429 with a long Retry-After, so every
  call fails over once (the second provider round trip included: compare with ``plain`` x 2).

Run: ``.venv/bin/python bench/aliases.py [--calls 3000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message
from llmring.service import LLMRing

ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10},
}
LIMITED = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}


def _handler(request: httpx.Request) -> httpx.Response:
    if json.loads(request.content)["model"] == "gpt-4o":
        return httpx.Response(429, json=LIMITED, headers={"retry-after": "600"})
    return httpx.Response(200, json=ANSWER)


async def main(calls: int) -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(_handler))
    provider = OpenAIProvider(api_key="sk-bench-000000000000", client=client, max_retries=0)
    aliases = {"one": ["openai:gpt-4o-mini"], "two": ["openai:gpt-4o", "openai:gpt-4o-mini"]}
    ring = LLMRing(enable_db_logging=False, providers={"openai": provider}, aliases=aliases, config=False)
    heard = []
    hooked = LLMRing(enable_db_logging=False, providers={"openai": provider}, config=False, progress=heard.append)
    contenders = {
        "plain": (ring, "gpt-4o-mini"),
        "alias": (ring, "one"),
        "progress": (hooked, "gpt-4o-mini"),
        "fallback": (ring, "two"),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    messages = [Message(role="user", content="Hello")]
    for round_ in range(calls + 200):
        for name, (which, model) in contenders.items():
            request = LLMRequest(model=model, messages=messages)
            started = time.perf_counter()
            await which.chat(request)
            if round_ >= 200:  # warm-up rounds are not counted
                times[name].append(time.perf_counter() - started)
        heard.clear()
    base = statistics.median(times["plain"]) * 1e6
    for name, samples in times.items():
        median = statistics.median(samples) * 1e6
        extra = "" if name == "plain" else f"  ({median - base:+.1f} us vs plain)"
        print(f"{name:9} {median:8.1f} us per call{extra}")
    await ring.close()
    await hooked.close()
    await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    asyncio.run(main(parser.parse_args().calls))
