"""Cache eligibility, key sensitivity and the two backends (with a controlled clock)."""

from __future__ import annotations

from typing import Any

import pytest

from llmring.cache import (
    DEFAULT_TTL_SECONDS,
    MemoryCache,
    StoreCache,
    cache_key,
    is_cacheable,
    ttl_for,
    worth_caching,
)
from llmring.schemas import LLMRequest, Message


def req(**kw: Any) -> LLMRequest:
    base: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": [Message(role="user", content="hi")],
        "temperature": 0,
        "cache": {"enabled": True},
    }
    base.update(kw)
    return LLMRequest(**base)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, True),
        ({"temperature": 0.1}, True),
        ({"temperature": 0.11}, False),
        ({"temperature": None}, False),
        ({"temperature": 1.0}, False),
        ({"cache": None}, False),
        ({"cache": {"enabled": False}}, False),
        ({"cache": {"ttl_seconds": 60}}, False),
    ],
)
def test_is_cacheable(kw: dict[str, Any], expected: bool) -> None:
    assert is_cacheable(req(**kw)) is expected


def test_ttl_default_and_override() -> None:
    assert ttl_for(req()) == DEFAULT_TTL_SECONDS == 3600
    assert ttl_for(req(cache={"enabled": True, "ttl_seconds": 300})) == 300


IMAGE = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [Message(role="user", content="hello")]},
        {"messages": [Message(role="system", content="hi")]},
        {"messages": [Message(role="user", content=IMAGE)]},
        {"temperature": 0.05},
        {"max_tokens": 10},
        {"top_p": 0.5},
        {"stop": ["x"]},
        {"seed": 1},
        {"tools": [{"type": "function", "function": {"name": "f"}}]},
        {"tool_choice": "auto"},
        {"response_format": {"type": "json_object"}},
        {"json_response": True},
    ],
)
def test_key_changes_with_each_field(change: dict[str, Any]) -> None:
    assert cache_key("openai", "gpt-4o-mini", req()) != cache_key("openai", "gpt-4o-mini", req(**change))


def test_key_changes_with_attachment_bytes_provider_and_model() -> None:
    other = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAB"}}]
    assert cache_key("openai", "m", req(messages=[Message(role="user", content=IMAGE)])) != cache_key(
        "openai", "m", req(messages=[Message(role="user", content=other)])
    )
    assert cache_key("openai", "m", req()) != cache_key("ollama", "m", req())
    assert cache_key("openai", "m", req()) != cache_key("openai", "m2", req())


def test_key_ignores_metadata_cache_options_and_timeout() -> None:
    base = cache_key("openai", "m", req())
    assert base == cache_key("openai", "m", req(metadata={"id_at_origin": "u1"}))
    assert base == cache_key("openai", "m", req(cache={"enabled": True, "ttl_seconds": 5}))
    assert base == cache_key("openai", "m", req(timeout=3))
    assert len(base) == 64


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_cache_ttl_with_controlled_clock() -> None:
    clock = Clock()
    cache = MemoryCache(clock=clock)
    await cache.set("k", {"v": 1}, ttl_seconds=10)
    clock.now += 9.99
    assert await cache.get("k") == {"v": 1}
    clock.now += 0.01
    assert await cache.get("k") is None
    assert len(cache) == 0


async def test_memory_cache_is_lru_bounded() -> None:
    cache = MemoryCache(max_entries=2)
    await cache.set("a", {"v": "a"}, 60)
    await cache.set("b", {"v": "b"}, 60)
    assert await cache.get("a") is not None  # a is now most recent
    await cache.set("c", {"v": "c"}, 60)
    assert await cache.get("b") is None
    assert await cache.get("a") is not None and await cache.get("c") is not None


class DictStore:
    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    async def cache_get(self, key: str) -> dict[str, Any] | None:
        return self.data.get(key)

    async def cache_set(self, key: str, value: dict[str, Any], ttl_seconds: int) -> None:
        self.data[key] = value


async def test_store_cache_round_trip_and_expiry() -> None:
    clock = Clock()
    store = DictStore()
    cache = StoreCache(store, clock=clock)  # type: ignore[arg-type]
    await cache.set("k", {"content": "x"}, ttl_seconds=5)
    assert await cache.get("k") == {"content": "x"}
    clock.now += 5
    assert await cache.get("k") is None
    assert await cache.get("missing") is None


def test_key_is_per_endpoint_and_per_origin_unless_shared() -> None:
    base = cache_key("openai", "m", req(), endpoint="e1", origin="app-a")
    assert base != cache_key("openai", "m", req(), endpoint="e2", origin="app-a")
    assert base != cache_key("openai", "m", req(), endpoint="e1", origin="app-b")
    shared = req(cache={"enabled": True, "shared": True})
    assert cache_key("openai", "m", shared, endpoint="e1", origin="app-a") == cache_key(
        "openai", "m", shared, endpoint="e1", origin="app-b"
    )
    assert cache_key("openai", "m", shared, endpoint="e1", origin="a") != cache_key(
        "openai", "m", shared, endpoint="e2", origin="a"
    )


@pytest.mark.parametrize(("reason", "kept"), [("stop", True), ("tool_calls", True), (None, True), ("length", False)])
def test_answers_cut_short_are_not_worth_caching(reason: str | None, kept: bool) -> None:
    assert worth_caching(reason) is kept
    assert not worth_caching("content_filter")
