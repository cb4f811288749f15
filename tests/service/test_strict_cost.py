"""Issue 12, item 8: ``LLMRing(strict_cost=True)`` / ``LLMRING_STRICT_COST`` refuses, before
sending, a model whose calls could not be priced; the reason text is the one ``llmring ask`` prints."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmring
from llmring.errors import ConfigurationError, UnpricedModelError
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import request, rows


async def test_strict_cost_refuses_an_unknown_model_before_sending(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path, strict_cost=True) as ring:
        with pytest.raises(UnpricedModelError) as caught:
            await ring.chat(request(model="gpt-9-turbo"))
        with pytest.raises(UnpricedModelError):
            async for _ in ring.chat_stream(request(model="gpt-9-turbo")):
                pass
    assert openai_fake.requests == []
    assert not db_path.exists() or rows(db_path) == []
    message = str(caught.value)
    assert message.startswith("openai:gpt-9-turbo is not in the registry: refused before sending (strict_cost)")
    assert "llmring registry update" in message and "\n" not in message
    assert caught.value.model == "openai:gpt-9-turbo"
    assert isinstance(caught.value, ConfigurationError) and llmring.UnpricedModelError is UnpricedModelError


async def test_strict_cost_lets_priced_and_free_models_through(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path, strict_cost=True) as ring:
        response = await ring.chat(request(model="gpt-4o-mini"))
        assert response.usage["cost"] > 0
        # Ollama runs locally: free even when the registry does not know the model.
        assert await ring.unpriced_reason("ollama:some-local-model") is None
        assert await ring.unpriced_reason("gpt-4o-2024-08-06") is None  # a dated alias prices
    assert len(openai_fake.requests) == 1


async def test_the_environment_variable_is_the_default(
    openai_fake: OpenAIFake, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLMRING_STRICT_COST", "1")
    async with LLMRingSQLite(db_path) as ring:
        assert ring.strict_cost is True
        with pytest.raises(UnpricedModelError):
            await ring.chat(request(model="gpt-9-turbo"))
    async with LLMRingSQLite(db_path, strict_cost=False) as ring:  # an explicit False wins
        response = await ring.chat(request(model="o1-preview"))  # served, but not in the registry
        assert response.usage["cost"] is None and response.metadata["unpriced"] is True
    monkeypatch.setenv("LLMRING_STRICT_COST", "0")
    assert LLMRingSQLite(db_path, enable_db_logging=False).strict_cost is False


async def test_off_by_default_and_the_call_is_logged_unpriced(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path) as ring:
        assert ring.strict_cost is False
        await ring.chat(request(model="o1-preview"))
        assert await ring.unpriced_reason("o1-preview") == "openai:o1-preview is not in the registry"
    [row] = rows(db_path)
    assert row["estimated_cost_pico"] is None and row["model_name"] == "o1-preview"


async def test_strict_cost_passes_over_an_unpriced_hop_of_an_alias(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path, strict_cost=True, aliases={"cheap": ["o1-preview", "gpt-4o-mini"]}) as ring:
        response = await ring.chat(request(model="cheap"))
        assert response.usage["cost"] > 0 and response.metadata["alias"] == "cheap"
        assert await ring.unpriced_reason("cheap") is None
        with pytest.raises(UnpricedModelError):  # a chain it cannot price at all is refused whole
            await ring.chat(request(model="o1-preview"))
    assert [r.json["model"] for r in openai_fake.requests] == ["gpt-4o-mini"]  # o1-preview never sent
