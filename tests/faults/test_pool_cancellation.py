"""Cancelled calls never use up the connection pool.

httpcore 1.0.9 (encode/httpcore#1093, open) leaves a connection behind in the pool when a request
is cancelled after the pool created a connection for it but before it connected: the connection
is neither idle, nor closed, nor anyone's, and holds its slot for good. A whole-attempt timeout
(``asyncio.timeout``) or a caller's ``wait_for`` cancels exactly there when the pool is busy, and
the load test saw calls wait 8 s for a slot that never came. The provider reclaims such slots
after any attempt that did not finish.
"""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from llmring.providers.base import BaseProvider
from llmring.providers.openai import OpenAIProvider
from llmring.providers.pool import reclaim_orphans
from tests.fakes.openai_fake import API_KEY, OpenAIFake
from tests.faults.test_hostile_replies import ask


@pytest.fixture
def fake() -> OpenAIFake:
    server = OpenAIFake().start()
    server.api_key = API_KEY
    yield server  # type: ignore[misc]
    server.stop()


def _pool(client: httpx.AsyncClient) -> object:
    return client._transport._pool  # type: ignore[attr-defined]


async def _cancel_two_contending_calls(provider: BaseProvider, client: httpx.AsyncClient) -> None:
    """Two calls on a one-connection pool, cancelled together while one holds the slot and one waits."""
    tasks = [asyncio.create_task(provider.chat(ask("openai"))) for _ in range(2)]
    pool = _pool(client)
    for _ in range(1000):
        await asyncio.sleep(0)
        if len(pool._requests) == 2:  # type: ignore[attr-defined]
            break
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_cancelled_calls_leave_the_pool_usable(fake: OpenAIFake) -> None:
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=1))
    provider = OpenAIProvider(API_KEY, f"{fake.base_url}/v1", client=client, max_retries=0)
    try:
        for _ in range(3):
            await _cancel_two_contending_calls(provider, client)
        started = time.perf_counter()
        response = await provider.chat(ask("openai", timeout=2))
        assert response.content and time.perf_counter() - started < 1
        assert len(_pool(client)._connections) <= 1  # type: ignore[attr-defined]
    finally:
        await client.aclose()


async def test_reclaim_keeps_connections_in_use(fake: OpenAIFake) -> None:
    client = httpx.AsyncClient(limits=httpx.Limits(max_connections=4))
    provider = OpenAIProvider(API_KEY, f"{fake.base_url}/v1", client=client, max_retries=0)
    try:
        await provider.chat(ask("openai"))
        pool = _pool(client)
        idle = list(pool._connections)  # type: ignore[attr-defined]
        assert len(idle) == 1
        assert reclaim_orphans(client) == 0 and pool._connections == idle  # type: ignore[attr-defined]
        # A client llmring cannot see into (another transport) is left alone.
        assert reclaim_orphans(httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))) == 0
    finally:
        await client.aclose()


def test_a_request_cut_before_its_body_ends_is_no_contract_violation(fake: OpenAIFake) -> None:
    # A call cancelled while its body was being sent leaves the server a short body; the fakes
    # must not take it for what the client meant to send (tests/faults/test_cancellation.py cuts
    # 300 calls anywhere, and on a loaded machine some are cut mid-body).
    host, port = fake.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b"authorization: Bearer " + API_KEY.encode() + b'\r\ncontent-length: 100\r\n\r\n{"model": "gpt'
        )
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(100) == b""  # no answer: the request never arrived whole
    assert fake.requests == [] and fake.contract_problems() == []
