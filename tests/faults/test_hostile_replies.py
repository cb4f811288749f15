"""Replies that lie: an HTTP 200 whose body is an error envelope is that provider's typed error."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from llmring.errors import (
    ProviderError,
    ProviderModelNotFoundError,
    ProviderUnavailableError,
    RateLimitError,
    ResponseFormatError,
)
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.providers.streams import LineSplitter, SSEDecoder
from llmring.schemas import LLMRequest, Message
from llmring.service import LLMRing
from tests.faults.hostile_server import HostileServer, RawRequest, Script, chunked, head, whole
from tests.service.conftest import rows

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5", "google": "gemini-2.5-flash", "ollama": "llama3.2"}


def make_provider(kind: str, base_url: str, **kwargs: Any) -> BaseProvider:
    kwargs.setdefault("max_retries", 0)
    if kind == "openai":
        return OpenAIProvider(api_key="sk-test-hostile-0000", base_url=f"{base_url}/v1", **kwargs)
    if kind == "anthropic":
        return AnthropicProvider(api_key="sk-ant-hostile-0000", base_url=base_url, **kwargs)
    if kind == "google":
        return GoogleProvider(api_key="AIzaHostileHostile00", base_url=f"{base_url}/v1beta", **kwargs)
    return OllamaProvider(base_url=base_url, **kwargs)


def ask(kind: str, **kwargs: Any) -> LLMRequest:
    return LLMRequest(messages=[Message(role="user", content="hi")], model=MODELS[kind], **kwargs)


@pytest.fixture
def hostile() -> Iterator[list[HostileServer]]:
    servers: list[HostileServer] = []
    yield servers
    for server in servers:
        server.stop()


def serve(servers: list[HostileServer], script: Script) -> HostileServer:
    server = HostileServer(script)
    servers.append(server)
    return server


ENVELOPES_200: list[tuple[str, Any, type[ProviderError]]] = [
    (
        "google",
        {"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}},
        RateLimitError,
    ),
    (
        "google",
        [{"error": {"code": 404, "message": "models/x is not found", "status": "NOT_FOUND"}}],
        ProviderModelNotFoundError,
    ),
    (
        "anthropic",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        ProviderUnavailableError,
    ),
    (
        "openai",
        {"error": {"message": "The server had an error", "type": "server_error", "param": None, "code": None}},
        ProviderUnavailableError,
    ),
    ("ollama", {"error": "llama runner process has terminated"}, ProviderUnavailableError),
]


@pytest.mark.parametrize(
    ("kind", "body", "error"), ENVELOPES_200, ids=[f"{k}-{e.__name__}" for k, _, e in ENVELOPES_200]
)
async def test_http_200_error_envelope_is_the_providers_typed_error(
    hostile: list[HostileServer], kind: str, body: Any, error: type[ProviderError]
) -> None:
    server = serve(hostile, whole(200, json.dumps(body).encode()))
    provider = make_provider(kind, server.base_url)
    try:
        with pytest.raises(error) as info:
            await provider.chat(ask(kind))
    finally:
        await provider.aclose()
    assert type(info.value) is error and info.value.provider == kind


async def test_http_200_error_is_logged_as_an_error_and_never_cached(
    hostile: list[HostileServer], tmp_path: Path
) -> None:
    body = json.dumps({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})
    server = serve(hostile, whole(200, body.encode()))
    db_path = tmp_path / "calls.db"
    provider = make_provider("google", server.base_url)
    request = ask("google", temperature=0, cache={"enabled": True})
    request.model = "google:gemini-2.5-flash"
    async with LLMRing(db_connection_string=f"sqlite:///{db_path}", providers={"google": provider}) as ring:
        for _ in range(2):
            with pytest.raises(ProviderUnavailableError):
                await ring.chat(request)
    assert len(server.requests) == 2  # the second call was sent again: nothing was cached
    logged = rows(db_path)
    assert [row["status"] for row in logged] == ["error", "error"]
    assert all("overloaded" in (row["error_message"] or "") for row in logged)


# -- oversized, deeply nested and endless bodies ----------------------------------------------------
def gzip_bomb(request: RawRequest, conn: socket.socket) -> None:
    """A 200 whose ~100 KB gzip body inflates to 100 MB of JSON (a string of spaces)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(b'{"choices": [{"message": {"content": "')]
    block = b" " * (1024 * 1024)
    parts += [packer.compress(block) for _ in range(100)]
    parts.append(packer.compress(b'"}}]}') + packer.flush())
    data = b"".join(parts)
    hdrs = {"content-type": "application/json", "content-encoding": "gzip", "content-length": str(len(data))}
    conn.sendall(head(200, hdrs) + data)


async def test_gzip_bomb_stops_at_the_decoded_size_cap(hostile: list[HostileServer]) -> None:
    server = serve(hostile, gzip_bomb)
    provider = make_provider("openai", server.base_url)
    try:
        with pytest.raises(ResponseFormatError, match="reply body is over the 64 MiB limit"):
            await provider.chat(ask("openai"))
    finally:
        await provider.aclose()


@pytest.mark.parametrize("status", [200, 500])
async def test_deeply_nested_json_is_a_typed_error(hostile: list[HostileServer], status: int) -> None:
    server = serve(hostile, whole(status, b"[" * 200_000 + b"]" * 200_000))
    provider = make_provider("openai", server.base_url)
    try:
        with pytest.raises(ProviderError) as info:
            await provider.chat(ask("openai"))
    finally:
        await provider.aclose()
    if status == 200:
        assert type(info.value) is ResponseFormatError and "nested too deeply" in str(info.value)
    else:
        assert type(info.value) is ProviderUnavailableError


@pytest.mark.parametrize("kind", ["openai", "anthropic", "google"])
async def test_deeply_nested_stream_event_is_a_typed_error(hostile: list[HostileServer], kind: str) -> None:
    event = b"data: " + b"[" * 200_000 + b"]" * 200_000 + b"\n\n"
    sse = {"content-type": "text/event-stream", "content-length": str(len(event))}
    server = serve(hostile, whole(200, event, sse))
    provider = make_provider(kind, server.base_url)
    try:
        with pytest.raises(ResponseFormatError):
            async for _ in provider.stream(ask(kind)):
                pass
    finally:
        await provider.aclose()


def long_line(request: RawRequest, conn: socket.socket) -> None:
    """An SSE body that is one 32 MB line without a line break."""
    conn.sendall(head(200, {"content-type": "text/event-stream", "transfer-encoding": "chunked"}))
    piece = chunked(b"data: " + b"x" * (64 * 1024 - 6))
    for _ in range(512):
        conn.sendall(piece)
    conn.sendall(b"0\r\n\r\n")


# The bounds below are on the CPU time of the test's thread (the event loop's, where the parsing
# runs; the hostile servers have threads of their own), not on wall time: on a loaded 2-core
# machine the neighbours stretch wall time several-fold, while a quadratic parse is CPU either way.


@pytest.mark.parametrize("kind", list(MODELS))
async def test_a_32_mb_line_without_newline_is_refused_quickly(hostile: list[HostileServer], kind: str) -> None:
    server = serve(hostile, long_line)
    provider = make_provider(kind, server.base_url, timeout=60.0)
    started = time.thread_time()
    try:
        with pytest.raises(ResponseFormatError, match=r"(line|event) is over the 16 MiB limit") as info:
            await asyncio.wait_for(_drain(provider, kind), 15)
    finally:
        await provider.aclose()
    assert time.thread_time() - started < 8.0  # was 20.9 s of CPU on the event loop
    assert info.value.provider == kind


async def _drain(provider: BaseProvider, kind: str) -> None:
    async for _ in provider.stream(ask(kind)):
        pass


async def test_gemini_stream_of_junk_lines_fails_at_once(hostile: list[HostileServer]) -> None:
    junk = b"".join(b"not json %d\n" % i for i in range(20_000))  # ~200 KB of non-data lines
    server = serve(hostile, whole(200, junk, {"content-type": "text/event-stream"}))
    provider = make_provider("google", server.base_url)
    started = time.thread_time()
    try:
        with pytest.raises(ResponseFormatError, match="neither SSE nor JSON"):
            await asyncio.wait_for(_drain(provider, "google"), 15)
    finally:
        await provider.aclose()
    assert time.thread_time() - started < 3.0  # was 60 s


async def test_gemini_multiline_json_error_is_read_in_linear_time(hostile: list[HostileServer]) -> None:
    # A pretty-printed error of 20 000 lines: parsed once when its brackets balance.
    lines = [b"{", b'  "error": {', b'    "code": 429,', b'    "status": "RESOURCE_EXHAUSTED",']
    lines += [b'    "x%d": "a \\" } ] { [",' % i for i in range(20_000)]
    lines += [b'    "message": "slow down"', b"  }", b"}", b""]
    server = serve(hostile, whole(200, b"\n".join(lines), {"content-type": "text/event-stream"}))
    provider = make_provider("google", server.base_url)
    started = time.thread_time()
    try:
        with pytest.raises(RateLimitError, match="slow down"):
            await asyncio.wait_for(_drain(provider, "google"), 15)
    finally:
        await provider.aclose()
    assert time.thread_time() - started < 6.0  # quadratic before: minutes


def test_sse_decoder_is_linear_in_a_long_event() -> None:
    decoder = SSEDecoder()
    piece = "x" * 4096
    started = time.thread_time()
    assert decoder.feed("data: ") == []
    for _ in range(3000):  # 12 MB in 4 KB reads, no line break until the end
        assert decoder.feed(piece) == []
    events = decoder.feed("\n\n")
    assert time.thread_time() - started < 1.5  # was quadratic: seconds for this size
    assert len(events) == 1 and len(events[0].data) == 3000 * 4096


def test_line_splitter_is_linear_and_keeps_a_held_cr() -> None:
    splitter = LineSplitter()
    started = time.thread_time()
    for _ in range(3000):
        assert splitter.feed("y" * 4096) == []
    assert splitter.feed("\r") == []
    assert splitter.feed("next") == ["y" * 3000 * 4096]
    assert time.thread_time() - started < 1.5
    assert splitter.feed("\r\n") == ["next"]


# -- redirects --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["openai", "anthropic", "google"])
async def test_redirect_is_never_followed_with_the_key(hostile: list[HostileServer], kind: str) -> None:
    elsewhere = serve(hostile, whole(200, b"{}"))

    def redirect(request: RawRequest, conn: socket.socket) -> None:
        target = f"{elsewhere.base_url}{request.path}"
        conn.sendall(head(307, {"location": target, "content-length": "0"}))

    server = serve(hostile, redirect)
    # An injected client set to follow redirects (httpx would keep the auth headers on 307).
    client = httpx.AsyncClient(follow_redirects=True)
    provider = make_provider(kind, server.base_url, client=client)
    try:
        with pytest.raises(ProviderError, match=r"redirect to http://127\.0\.0\.1:[0-9]+ not followed") as info:
            await provider.chat(ask(kind))
    finally:
        await client.aclose()
    assert info.value.status_code == 307 and not info.value.retryable
    assert len(server.requests) == 1 and elsewhere.requests == []


async def test_reply_cut_mid_body_is_retried(hostile: list[HostileServer]) -> None:
    answer = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    body = json.dumps(answer).encode()

    def cut_once(request: RawRequest, conn: socket.socket) -> None:
        if len(server.requests) == 1:  # headers and half the body, then the connection is gone
            conn.sendall(head(200, {"content-type": "application/json", "content-length": str(len(body))}))
            conn.sendall(body[: len(body) // 2])
            conn.close()
            return
        whole(200, body)(request, conn)

    server = serve(hostile, cut_once)
    provider = make_provider("openai", server.base_url, max_retries=1)
    provider._sleep = _no_sleep
    try:
        response = await provider.chat(ask("openai"))
    finally:
        await provider.aclose()
    assert response.content == "ok" and len(server.requests) == 2


async def _no_sleep(_: float) -> None:
    return None
