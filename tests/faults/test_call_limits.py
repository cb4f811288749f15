"""Calls are bounded: a reply trickling a byte a second, an endless stream and a stream of keep-alive
comments all end within the limit + 1 s, with an error naming the limit and how long it ran."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from llmring.errors import ProviderTimeoutError
from llmring.providers.base import BaseProvider
from tests.faults.hostile_server import HostileServer, RawRequest, Script, chunked, head, trickle
from tests.faults.test_hostile_replies import MODELS, ask, make_provider

SLACK = 1.0  # the call must end within its limit + this
SSE = {"content-type": "text/event-stream", "transfer-encoding": "chunked"}
NDJSON = {"content-type": "application/x-ndjson", "transfer-encoding": "chunked"}
# One event each provider streams without end (valid, so only a limit can stop it).
ENDLESS_EVENT = {
    "openai": b'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n',
    "anthropic": b'event: ping\ndata: {"type":"ping"}\n\n',
    "google": b'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"a"}]}}]}\n\n',
    "ollama": b'{"model":"llama3.2","message":{"role":"assistant","content":"a"},"done":false}\n',
}
KEEP_ALIVE = {"openai": b": keep-alive\n\n", "anthropic": b": keep-alive\n\n", "google": b": ping\n\n", "ollama": b"\n"}


@pytest.fixture
def servers() -> Iterator[list[HostileServer]]:
    started: list[HostileServer] = []
    yield started
    for server in started:
        server.stop()


def serve(servers: list[HostileServer], script: Script) -> HostileServer:
    server = HostileServer(script)
    servers.append(server)
    return server


def slowloris(request: RawRequest, conn: socket.socket) -> None:
    """A 200 whose 1000-byte body comes one byte a second: every read succeeds, the reply never ends."""
    conn.sendall(head(200, {"content-type": "application/json", "content-length": "1000"}) + b"{")
    while True:
        time.sleep(0.5)
        conn.sendall(b" ")


def endless(kind: str, every: float, piece: bytes) -> Script:
    return trickle(200, b"", chunked(piece), every, NDJSON if kind == "ollama" else SSE)


async def timed(provider: BaseProvider, kind: str, stream: bool, limit: float) -> tuple[ProviderTimeoutError, float]:
    """Run one call bounded by the test (so a missing limit fails instead of hanging)."""

    async def call() -> None:
        if stream:
            async for _ in provider.stream(ask(kind)):
                pass
        else:
            await provider.chat(ask(kind))

    started = time.monotonic()
    try:
        with pytest.raises(ProviderTimeoutError) as info:
            await asyncio.wait_for(call(), limit + SLACK + 2.0)
    finally:
        await provider.aclose()
    return info.value, time.monotonic() - started


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize("kind", list(MODELS))
async def test_slowloris_reply_ends_at_the_attempt_timeout(
    servers: list[HostileServer], kind: str, stream: bool
) -> None:
    server = serve(servers, slowloris)
    provider = make_provider(kind, server.base_url, timeout=1.5)
    error, elapsed = await timed(provider, kind, stream, 1.5)
    assert elapsed < 1.5 + SLACK, elapsed
    assert error.limit == "attempt" and error.after is not None and 1.4 <= error.after < 1.5 + SLACK
    assert "attempt timeout of 1.5s reached after" in str(error)


@pytest.mark.parametrize("kind", list(MODELS))
async def test_endless_stream_ends_at_the_attempt_timeout(servers: list[HostileServer], kind: str) -> None:
    server = serve(servers, endless(kind, 0.05, ENDLESS_EVENT[kind]))
    provider = make_provider(kind, server.base_url, timeout=1.5, idle_timeout=1.0)
    error, elapsed = await timed(provider, kind, True, 1.5)
    assert elapsed < 1.5 + SLACK, elapsed
    assert error.limit == "attempt", str(error)
    assert "stream still sending: attempt timeout of 1.5s" in str(error)


@pytest.mark.parametrize("kind", list(MODELS))
async def test_keep_alive_comments_only_trip_the_idle_timeout(servers: list[HostileServer], kind: str) -> None:
    server = serve(servers, endless(kind, 0.1, KEEP_ALIVE[kind]))
    provider = make_provider(kind, server.base_url, timeout=30.0, idle_timeout=1.0)
    error, elapsed = await timed(provider, kind, True, 1.0)
    assert elapsed < 1.0 + SLACK, elapsed
    assert error.limit == "idle", str(error)
    assert "idle timeout of 1s between stream events reached" in str(error)


async def test_deadline_bounds_the_call_across_retries(servers: list[HostileServer]) -> None:
    body = json.dumps({"error": {"message": "overloaded", "type": "server_error", "code": None}}).encode()

    def busy(request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(head(503, {"content-length": str(len(body)), "retry-after": "0.4"}) + body)

    server = serve(servers, busy)
    provider = make_provider("openai", server.base_url, timeout=30.0, max_retries=20, deadline=1.5)
    error, elapsed = await timed(provider, "openai", False, 1.5)
    assert elapsed < 1.5 + SLACK, elapsed
    assert error.limit == "deadline" and "call deadline of 1.5s" in str(error)
    assert "last error" in str(error) and "overloaded" in str(error)
    assert 2 <= len(server.requests) <= 5


async def test_deadline_cuts_an_attempt_short(servers: list[HostileServer]) -> None:
    server = serve(servers, slowloris)
    provider = make_provider("anthropic", server.base_url, timeout=30.0, deadline=1.0)
    error, elapsed = await timed(provider, "anthropic", False, 1.0)
    assert elapsed < 1.0 + SLACK and error.limit == "deadline"
    assert "call deadline of 1s reached after" in str(error)


def test_cli_ask_timeout_ends_the_call(servers: list[HostileServer], tmp_path: Any) -> None:
    server = serve(servers, slowloris)
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"{server.base_url}/v1",
        "OPENAI_API_KEY": "sk-test-cli-timeout-0000",
        "HOME": str(tmp_path),
        "COLUMNS": "80",
    }
    argv = ["ask", "-m", "openai:gpt-4o-mini", "--no-log", "--timeout", "1.5", "hi"]
    # Before the fix this never returned (the slow reply takes 500 s); the subprocess timeout is
    # generous because a loaded machine can take seconds just to start the CLI.
    code = "from llmring.cli.main import run; import sys; sys.argv[0] = 'llmring'; run()"
    result = subprocess.run(
        [sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode != 0
    found = re.search(r"call deadline of 1\.5s reached after ([0-9.]+)s", result.stderr)
    assert found is not None, result.stderr
    assert float(found.group(1)) < 1.5 + SLACK  # the call itself ended on time
