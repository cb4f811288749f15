"""Issue 14: ``LLMRequest.provider_options`` reaches its own provider's body only, merged last.

Every body still passes the fake's contract check (spec or SDK types) at teardown, so the options
used here are real wire fields of each API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmring.errors import InvalidRequestError, UnsupportedFeatureError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.google_fake import GoogleFake
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake

EVERYONE: dict[str, dict[str, Any]] = {
    "openai": {"service_tier": "flex", "stream_options": {"include_obfuscation": False}},
    "anthropic": {"top_k": 40, "metadata": {"user_id": "u-1"}},
    "google": {"generationConfig": {"topK": 40}},
    "ollama": {"keep_alive": "10m", "options": {"top_k": 40}},
}


def ask(model: str, **kw: Any) -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content="Hello")], provider_options=EVERYONE, **kw)


async def test_openai_gets_only_its_options(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    chunks = [c async for c in openai_provider.stream(ask("gpt-4o-mini"))]
    assert chunks[-1].usage is not None
    body = openai_fake.requests[-1].json
    assert body["service_tier"] == "flex"
    # Merged into the object llmring built, not replacing it.
    assert body["stream_options"] == {"include_usage": True, "include_obfuscation": False}
    assert not {"top_k", "generationConfig", "keep_alive", "metadata"} & set(body)


async def test_anthropic_gets_only_its_options(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    await anthropic_provider.chat(ask("claude-haiku-4-5"))
    body = anthropic_fake_server.last_body
    assert body["top_k"] == 40 and body["metadata"] == {"user_id": "u-1"}
    assert not {"service_tier", "generationConfig", "keep_alive", "options"} & set(body)


async def test_google_options_merge_into_generation_config(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    await google_provider.chat(ask("gemini-2.5-flash", temperature=0.2))
    body = google_fake_server.requests[-1].json
    assert body["generationConfig"] == {"temperature": 0.2, "topK": 40}
    assert not {"service_tier", "top_k", "keep_alive"} & set(body)


async def test_ollama_options_merge_into_options(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    await ollama_provider.chat(ask("llama3.2", temperature=0.5))
    body = ollama_fake.requests[-1].json
    assert body["keep_alive"] == "10m" and body["options"] == {"temperature": 0.5, "top_k": 40}


@pytest.mark.parametrize(
    ("options", "where"),
    [
        ({"openai": {"model": "gpt-4o"}}, "provider_options.openai.model"),
        (
            {"openai": {"stream_options": {"include_usage": False}}},
            "provider_options.openai.stream_options.include_usage",
        ),
        ({"openai": {"temperature": 0.9}}, "provider_options.openai.temperature"),
    ],
)
async def test_a_field_llmring_sets_cannot_be_overridden(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, options: dict[str, Any], where: str
) -> None:
    request = LLMRequest(
        model="gpt-4o-mini", messages=[Message(role="user", content="Hi")], temperature=0.1, provider_options=options
    )
    with pytest.raises(UnsupportedFeatureError, match=f"{where} clashes with a field llmring sets"):
        [c async for c in openai_provider.stream(request)]
    assert openai_fake.requests == []


def test_an_unknown_provider_name_is_an_error() -> None:
    with pytest.raises(InvalidRequestError, match="provider_options names unknown provider"):
        LLMRequest(model="m", messages=[Message(role="user", content="Hi")], provider_options={"opneai": {}})


async def test_a_clash_is_refused_unsent_and_unlogged(
    tmp_path: Path, openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    ring = LLMRingSQLite(tmp_path / "calls.db", origin="tests", providers={"openai": openai_provider})
    request = LLMRequest(
        model="gpt-4o-mini", messages=[Message(role="user", content="Hi")], provider_options={"openai": {"model": "x"}}
    )
    try:
        with pytest.raises(UnsupportedFeatureError):
            await ring.chat(request)
        assert await ring.list_recent_calls() == []
    finally:
        await ring.close()
    assert openai_fake.requests == []


def test_provider_options_are_in_the_cache_key_for_their_provider_only() -> None:
    from llmring.cache import cache_key

    base = LLMRequest(model="m", messages=[Message(role="user", content="Hi")])
    mine = base.model_copy(update={"provider_options": {"openai": {"service_tier": "flex"}}})
    theirs = base.model_copy(update={"provider_options": {"anthropic": {"top_k": 40}}})
    assert cache_key("openai", "m", mine) != cache_key("openai", "m", base)
    assert cache_key("openai", "m", theirs) == cache_key("openai", "m", base)
