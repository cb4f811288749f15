"""The response cache through the service: boundary, TTL, not sent, not billed, logged as a hit."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmring.cache import MemoryCache
from llmring.service import LLMRing
from llmring.service_sqlite import LLMRingSQLite
from llmring.settings import default_sqlite_path
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import request, rows


def cached(text: str = "Hello", temperature: float = 0, **cache: Any) -> Any:
    return request(text, temperature=temperature, cache={"enabled": True, **cache})


async def test_hit_is_not_sent_not_billed_and_logged(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    first = await ring.chat(cached())
    second = await ring.chat(cached())
    assert len(openai_fake.requests) == 1
    assert second.content == first.content and second.cached and not first.cached
    assert second.usage["cost"] == Decimal(0)
    assert second.metadata["cache_savings"] == first.usage["cost"] > 0
    await ring.flush()
    miss, hit = rows(db_path)
    assert (miss["cache_hit"], hit["cache_hit"]) == (0, 1)
    assert hit["status"] == "success" and hit["estimated_cost_pico"] == 0
    assert hit["cache_savings_pico"] == miss["estimated_cost_pico"]
    assert hit["prompt_tokens"] == 0  # no tokens were spent on a hit
    stats = await ring.get_usage_stats()
    assert stats.cache_hits == 1 and stats.total_calls == 2
    assert stats.total_cost == first.usage["cost"]
    assert stats.cache_savings == first.usage["cost"]


@pytest.mark.parametrize(("temperature", "sent"), [(0.1, 1), (0.11, 2), (0.0, 1)])
async def test_temperature_boundary(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, temperature: float, sent: int
) -> None:
    await ring.chat(cached(temperature=temperature))
    await ring.chat(cached(temperature=temperature))
    assert len(openai_fake.requests) == sent


async def test_no_cache_option_means_no_cache(ring: LLMRingSQLite, openai_fake: OpenAIFake) -> None:
    await ring.chat(request(temperature=0))
    await ring.chat(request(temperature=0))
    assert len(openai_fake.requests) == 2


async def test_different_prompt_misses(ring: LLMRingSQLite, openai_fake: OpenAIFake) -> None:
    await ring.chat(cached("a"))
    await ring.chat(cached("b"))
    assert len(openai_fake.requests) == 2


async def test_sqlite_cache_is_shared_across_services(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path) as one:
        await one.chat(cached())
    async with LLMRingSQLite(db_path) as two:
        response = await two.chat(cached())
    assert response.cached and len(openai_fake.requests) == 1


async def test_ttl_expiry_with_a_controlled_clock(openai_fake: OpenAIFake) -> None:
    now = [0.0]
    async with LLMRing(enable_db_logging=False, cache=MemoryCache(clock=lambda: now[0])) as ring:
        await ring.chat(cached(ttl_seconds=60))
        now[0] = 59.9
        assert (await ring.chat(cached(ttl_seconds=60))).cached
        now[0] = 60.0
        assert not (await ring.chat(cached(ttl_seconds=60))).cached
    assert len(openai_fake.requests) == 2


async def test_memory_cache_without_db_logging(openai_fake: OpenAIFake) -> None:
    async with LLMRing(enable_db_logging=False) as ring:
        await ring.chat(cached())
        assert (await ring.chat(cached())).cached
    assert len(openai_fake.requests) == 1
    assert not default_sqlite_path().exists()


class BrokenCache:
    async def get(self, key: str) -> dict[str, Any] | None:
        raise RuntimeError("cache table is gone")

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        raise RuntimeError("cache table is gone")


async def test_cache_failure_is_a_miss_not_an_error(openai_fake: OpenAIFake, caplog: pytest.LogCaptureFixture) -> None:
    async with LLMRing(enable_db_logging=False, cache=BrokenCache()) as ring:
        with caplog.at_level(logging.WARNING, logger="llmring"):
            first = await ring.chat(cached())
            second = await ring.chat(cached())
    assert not first.cached and not second.cached
    assert len(openai_fake.requests) == 2
    assert "treating as a miss" in caplog.text


async def test_stream_is_cached_and_replayed(ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path) -> None:
    first = [c async for c in ring.chat_stream(cached("stream me"))]
    second = [c async for c in ring.chat_stream(cached("stream me"))]
    assert len(openai_fake.requests) == 1
    assert "".join(c.delta for c in second) == "".join(c.delta for c in first) == "Echo: stream me"
    assert second[-1].usage is not None and second[-1].usage["cost"] == 0
    # a streamed answer is also served to a non-streamed request
    assert (await ring.chat(cached("stream me"))).cached
    await ring.flush()
    assert [r["cache_hit"] for r in rows(db_path)] == [0, 1, 1]


async def test_cached_tool_calls_survive(ring: LLMRingSQLite, openai_fake: OpenAIFake) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    first = await ring.chat(request(temperature=0, cache={"enabled": True}, tools=[tool]))
    again = await ring.chat(request(temperature=0, cache={"enabled": True}, tools=[tool]))
    assert again.cached and again.tool_calls == first.tool_calls
    assert again.finish_reason == "tool_calls"
