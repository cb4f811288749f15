"""Per-call overhead of ``OpenAIProvider`` over a raw ``httpx.AsyncClient`` POST of the same body.

Both sides talk to the same local OpenAI fake, which runs in a child process (so its thread does
not compete with the client for the GIL) and answers every request with one canned body or stream.
Calls alternate provider/raw/raw/provider... so drift (CPU frequency, caches) cancels out, and the
per-pair difference is what is reported, both in wall-clock time and in this process's CPU time
(which leaves out the server and any other load on the machine). The raw streaming baseline reads lines and parses each
``data:`` payload, the least any client must do.

Run: ``.venv/bin/python bench/overhead.py [--calls 1000]``. Target: at most 150 us added per call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message

TARGET_US = 150.0


def _serve(ready: Any, stop: Any) -> None:
    from tests.fakes.openai_fake import OpenAIFake
    from tests.fakes.server import RecordedRequest, Reply

    class CannedFake(OpenAIFake):
        """The fake's own answers, computed once and replayed (no per-request contract checks)."""

        def __init__(self) -> None:
            super().__init__()
            self._canned: dict[bool, Reply] = {}

        def handle(self, request: RecordedRequest) -> Reply:
            self.requests.clear()  # do not grow for the whole run
            streaming = b'"stream": true' in request.raw_body or b'"stream":true' in request.raw_body
            if streaming not in self._canned:
                self._canned[streaming] = self._answer(request)
            canned = self._canned[streaming]
            return Reply(
                canned.status, canned.body, dict(canned.headers), canned.chunks, content_type=canned.content_type
            )

    fake = CannedFake()
    fake.start()
    ready.put((fake.base_url, fake.api_key))
    stop.wait()
    fake.stop()


def _summary(label: str, provider_ns: list[int], raw_ns: list[int]) -> dict[str, float]:
    diffs = [(p - r) / 1000 for p, r in zip(provider_ns, raw_ns, strict=True)]
    p_med = statistics.median(provider_ns) / 1000
    r_med = statistics.median(raw_ns) / 1000
    out = {
        "provider_median_us": p_med,
        "raw_median_us": r_med,
        "added_median_us": statistics.median(diffs),
        "added_mean_us": statistics.fmean(diffs),
        "ratio": p_med / r_med,
    }
    print(
        f"  {label:<13} provider {p_med:8.1f} us  raw {r_med:8.1f} us  "
        f"added median {out['added_median_us']:6.1f} us (mean {out['added_mean_us']:6.1f})  ratio {out['ratio']:.3f}"
    )
    return out


async def _bench(
    provider_client: httpx.AsyncClient,
    raw_client: httpx.AsyncClient,
    base_url: str,
    api_key: str,
    calls: int,
    warmup: int,
) -> dict[str, dict[str, float]]:
    request = LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="How fast is this?")])
    provider = OpenAIProvider(api_key=api_key, base_url=f"{base_url}/v1", client=provider_client)
    url = f"{base_url}/v1/chat/completions"
    headers = {"authorization": f"Bearer {api_key}"}
    chat_body = provider.build_chat_body(request)
    stream_body = provider.build_chat_body(request, stream=True)

    async def via_provider() -> None:
        await provider.chat(request)

    async def via_raw() -> None:
        response = await raw_client.post(url, json=chat_body, headers=headers)
        response.raise_for_status()
        response.json()

    async def stream_provider() -> None:
        async for _ in provider.stream(request):
            pass

    async def stream_raw() -> None:
        async with raw_client.stream("POST", url, json=stream_body, headers=headers) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    json.loads(line[6:])

    results = {}
    for label, ours, theirs in (("chat", via_provider, via_raw), ("stream", stream_provider, stream_raw)):
        for _ in range(warmup):
            await ours()
            await theirs()
        wall: dict[bool, list[int]] = {True: [], False: []}
        cpu: dict[bool, list[int]] = {True: [], False: []}
        for i in range(calls):
            for mine in (True, False) if i % 2 == 0 else (False, True):
                fn = ours if mine else theirs
                started, started_cpu = time.perf_counter_ns(), time.process_time_ns()
                await fn()
                cpu[mine].append(time.process_time_ns() - started_cpu)
                wall[mine].append(time.perf_counter_ns() - started)
        print(f" {label}")
        results[f"{label} wall"] = _summary("wall clock", wall[True], wall[False])
        results[f"{label} cpu"] = _summary("client CPU", cpu[True], cpu[False])
    return results


async def _replay_transport(base_url: str, api_key: str) -> httpx.MockTransport:
    """An in-process transport that replays the fake's exact chat and stream bytes (no sockets)."""
    request = LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="How fast is this?")])
    builder = OpenAIProvider(api_key=api_key, base_url=f"{base_url}/v1")
    recorded: dict[bool, tuple[bytes, dict[str, str]]] = {}
    async with httpx.AsyncClient() as client:
        for streaming in (False, True):
            response = await client.post(
                f"{base_url}/v1/chat/completions",
                json=builder.build_chat_body(request, stream=streaming),
                headers={"authorization": f"Bearer {api_key}"},
            )
            keep = ("content-type", "x-request-id")
            recorded[streaming] = (response.content, {k: v for k, v in response.headers.items() if k in keep})

    def handle(req: httpx.Request) -> httpx.Response:
        content, headers = recorded[b'"stream"' in req.content]
        return httpx.Response(200, content=content, headers=headers)

    return httpx.MockTransport(handle)


async def _run(base_url: str, api_key: str, calls: int, warmup: int) -> dict[str, dict[str, float]]:
    print("over loopback sockets to the fake (another process)")
    async with httpx.AsyncClient(timeout=30) as ours, httpx.AsyncClient(timeout=30) as theirs:
        results = await _bench(ours, theirs, base_url, api_key, calls, warmup)
    print("in-process replay of the same bytes (no sockets: client code only)")
    transport = await _replay_transport(base_url, api_key)
    async with httpx.AsyncClient(transport=transport) as ours, httpx.AsyncClient(transport=transport) as theirs:
        replay = await _bench(ours, theirs, base_url, api_key, calls, warmup)
    results.update({f"replay {name}": value for name, value in replay.items()})
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    server = ctx.Process(target=_serve, args=(ready, stop), daemon=True)
    server.start()
    try:
        base_url, api_key = ready.get(timeout=60)
        print(f"{args.calls} sequential calls each way after {args.warmup} warm-up, fake at {base_url}")
        results = asyncio.run(_run(base_url, api_key, args.calls, args.warmup))
    finally:
        stop.set()
        server.join(timeout=10)
    # Client CPU is the robust figure: the fake runs in another process, so waiting on it (and on
    # whatever else the machine is doing) is not counted.
    print(f"target <= {TARGET_US:.0f} us added per call:")
    for kind in ("chat", "stream"):
        for where in ("", "replay "):
            added = results[f"{where}{kind} cpu"]["added_median_us"]
            verdict = "met" if added <= TARGET_US else "NOT met"
            print(f"  {where or 'socket '}{kind:<6} client CPU added {added:6.1f} us: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
