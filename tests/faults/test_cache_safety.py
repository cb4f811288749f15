"""The response cache: per endpoint and per origin, never blocked by a locked database, never
replaying an answer that was cut short."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmring.providers.openai import OpenAIProvider
from llmring.service import LLMRing
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import API_KEY, OpenAIFake
from tests.faults.hostile_server import HostileServer, whole
from tests.service.conftest import _openai_server, openai_fake, request  # noqa: F401


def cached(text: str = "Hello there friend", **kw: Any) -> Any:
    shared = kw.pop("shared", None)
    cache: dict[str, Any] = {"enabled": True} if shared is None else {"enabled": True, "shared": shared}
    return request(text, temperature=0, cache=cache, **kw)


# -- whose answer it is --------------------------------------------------------------------------
@pytest.mark.parametrize(("shared", "sent"), [(None, 2), (True, 1)])
async def test_one_origin_never_gets_anothers_answer_unless_shared(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    shared: bool | None,
    sent: int,
) -> None:
    db_path = tmp_path / "calls.db"
    async with LLMRingSQLite(db_path, origin="tenant-a") as ring_a:
        await ring_a.chat(cached(shared=shared))
    async with LLMRingSQLite(db_path, origin="tenant-b") as ring_b:
        answer = await ring_b.chat(cached(shared=shared))
    assert len(openai_fake.requests) == sent
    assert answer.cached is (sent == 1)


async def test_two_endpoints_under_one_provider_name_do_not_share(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db_path = tmp_path / "calls.db"
    async with LLMRingSQLite(db_path) as first:
        await first.chat(cached())
    # The same server under another name stands for another deployment (a gateway, a region).
    monkeypatch.setenv("OPENAI_BASE_URL", openai_fake.base_url.replace("127.0.0.1", "localhost") + "/v1")
    async with LLMRingSQLite(db_path) as second:
        other = await second.chat(cached())
        again = await second.chat(cached())
    assert not other.cached and again.cached
    assert len(openai_fake.requests) == 2


# -- answers cut short ---------------------------------------------------------------------------
async def test_answer_cut_by_max_tokens_is_not_cached(openai_fake: OpenAIFake, tmp_path: Path) -> None:  # noqa: F811
    async with LLMRingSQLite(tmp_path / "calls.db") as ring:
        first = await ring.chat(cached(max_tokens=1))
        second = await ring.chat(cached(max_tokens=1))
        chunks = [chunk async for chunk in ring.chat_stream(cached(max_tokens=1))]
    assert first.finish_reason == "length" and not second.cached
    assert chunks[-1].finish_reason == "length"
    assert len(openai_fake.requests) == 3


@pytest.fixture
def hostile() -> Iterator[list[HostileServer]]:
    servers: list[HostileServer] = []
    yield servers
    for server in servers:
        server.stop()


async def test_answer_cut_by_a_content_filter_is_not_cached(hostile: list[HostileServer]) -> None:
    reply = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "I"}, "finish_reason": "content_filter"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
    }
    server = HostileServer(whole(200, json.dumps(reply).encode()))
    hostile.append(server)
    provider = OpenAIProvider(api_key=API_KEY, base_url=f"{server.base_url}/v1", max_retries=0)
    async with LLMRing(enable_db_logging=False, providers={"openai": provider}) as ring:
        first = await ring.chat(cached())
        second = await ring.chat(cached())
    assert first.finish_reason == "content_filter" and not second.cached
    assert len(server.requests) == 2


# -- a locked database ---------------------------------------------------------------------------
async def test_cache_never_holds_a_call_on_a_locked_database(
    openai_fake: OpenAIFake,  # noqa: F811
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "calls.db"
    ring = LLMRingSQLite(db_path)  # busy timeout 5 s: a write waits that long for the lock
    await ring.chat(cached("warm up the store"))
    await ring.flush()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing for a long time
    try:
        started = time.monotonic()
        fresh = await ring.chat(cached("first while locked"))  # a miss: its cache write must not wait
        wrote = time.monotonic() - started
        repeat = await ring.chat(cached("first while locked"))  # served while its write waits
        started = time.monotonic()
        other = await ring.chat(cached("second while locked"))  # its read queues behind that write
        read = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await ring.close()
    assert not fresh.cached and repeat.cached and not other.cached
    assert wrote < 1.0, wrote  # was 5 s: the busy timeout
    assert read < ring._cache_access.read_wait + 1.0, read
    # The writes landed once the lock was gone: another ring finds both answers.
    async with LLMRingSQLite(db_path) as again:
        assert (await again.chat(cached("first while locked"))).cached
        assert (await again.chat(cached("second while locked"))).cached
    assert len(openai_fake.requests) == 3
