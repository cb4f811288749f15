"""Anthropic and Gemini through the service: routed by name, cache tokens priced from the registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from llmring.cost import compute_cost
from llmring.registry import find_bundled
from llmring.schemas import LLMRequest, Message, Usage
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes import anthropic_fake, google_fake
from tests.service.conftest import rows


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    anthropic = anthropic_fake.AnthropicFake().start()
    google = google_fake.GoogleFake().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.API_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"{google.base_url}/v1beta")
    monkeypatch.setenv("GEMINI_API_KEY", google_fake.API_KEY)
    yield
    anthropic.stop()
    google.stop()


LONG = "The quick brown fox jumps over the lazy dog. " * 200


async def test_anthropic_prompt_cache_tokens_are_priced(fakes: None, db_path: Path) -> None:
    cached_part = {"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}
    request = LLMRequest(
        model="claude-haiku-4-5-20251001",
        max_tokens=100,
        messages=[Message(role="user", content=[cached_part, {"type": "text", "text": "Summarise."}])],
    )
    async with LLMRingSQLite(db_path) as ring:
        first = await ring.chat(request)
        second = await ring.chat(request)
        await ring.flush()
    assert first.provider == "anthropic"
    assert first.usage["cache_write_5m_tokens"] > 0 and second.usage["cached_tokens"] > 0
    model = find_bundled("anthropic", "claude-haiku-4-5-20251001")
    for response in (first, second):
        expected = compute_cost(model, Usage.model_validate(response.usage)).total
        assert response.usage["cost"] == expected
    # a cache read is cheaper than a cache write of the same prefix
    assert second.usage["cost"] < first.usage["cost"]
    logged = rows(db_path)
    assert [r["provider"] for r in logged] == ["anthropic", "anthropic"]
    assert json.loads(logged[0]["cost_breakdown"])["cache_write_5m"]
    assert json.loads(logged[1]["cost_breakdown"])["cached_input"]


async def test_gemini_thinking_tokens_are_output(fakes: None, db_path: Path) -> None:
    async with LLMRingSQLite(db_path) as ring:
        response = await ring.chat(
            LLMRequest(model="gemini-2.5-flash-lite", messages=[Message(role="user", content="Hi")])
        )
        chunks = [
            c
            async for c in ring.chat_stream(
                LLMRequest(model="google:gemini-2.5-flash-lite", messages=[Message(role="user", content="Hi")])
            )
        ]
    assert response.provider == "google" and response.usage["reasoning_tokens"] > 0
    model = find_bundled("google", "gemini-2.5-flash-lite")
    assert model is not None and model.dollars_per_million_tokens_output is not None
    assert response.usage["cost"] == compute_cost(model, Usage.model_validate(response.usage)).total > Decimal(0)
    assert chunks[-1].usage is not None and chunks[-1].usage["cost"] > 0
    assert [r["stream"] for r in rows(db_path)] == [0, 1]
