"""Issue 14: each reasoning level reaches each provider family as exactly one wire field and value.

The providers are used on their own here (their plan comes from the bundled registry); every
request goes to the provider's fake, whose teardown check validates it against the provider's
contract (OpenAPI spec or SDK types, plus the documented rules such as Anthropic's thinking
budget below ``max_tokens``). A level a model does not accept sends nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from llmring.errors import UnsupportedFeatureError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.google_fake import GoogleFake
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake


def ask(model: str, reasoning: str | int | None = None, **kw: Any) -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content="Hello there")], reasoning=reasoning, **kw)


def last_body(fake: Any) -> dict[str, Any]:
    return fake.requests[-1].json


@pytest.mark.parametrize("level", ["minimal", "low", "medium", "high"])
async def test_openai_chat_sends_reasoning_effort(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, level: str
) -> None:
    await openai_provider.chat(ask("gpt-5-mini", level))
    body = last_body(openai_fake)
    assert body["reasoning_effort"] == level
    assert "reasoning" not in body and "temperature" not in body


async def test_openai_none_effort_is_sent_and_bills_no_reasoning(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    response = await openai_provider.chat(ask("gpt-5.1", "none"))
    assert last_body(openai_fake)["reasoning_effort"] == "none"
    assert response.usage["reasoning_tokens"] == 0


async def test_openai_responses_only_model_sends_reasoning_object(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    # gpt-5-pro is marked responses_only in the registry: /v1/responses, reasoning.effort.
    await openai_provider.chat(ask("gpt-5-pro", "high"))
    request = openai_fake.requests[-1]
    assert request.path == "/v1/responses"
    assert request.json["reasoning"] == {"effort": "high"}
    assert "reasoning_effort" not in request.json


@pytest.mark.parametrize(
    ("model", "setting", "accepted"),
    [
        ("gpt-5-mini", "xhigh", "minimal, low, medium, high"),
        ("gpt-5-mini", "none", "minimal, low, medium, high"),
        ("o1", "minimal", "low, medium, high"),
        ("gpt-5-mini", 2048, "minimal, low, medium, high"),
    ],
)
async def test_openai_unaccepted_setting_sends_nothing(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, model: str, setting: str | int, accepted: str
) -> None:
    with pytest.raises(UnsupportedFeatureError) as caught:
        await openai_provider.chat(ask(model, setting))
    assert f"it accepts {accepted}" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert openai_fake.requests == []


async def test_model_without_reasoning_control_refuses_any_level(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="takes no reasoning setting"):
        await openai_provider.chat(ask("gpt-4o-mini", "low"))
    assert openai_fake.requests == []


async def test_unset_reasoning_sends_no_field(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    await openai_provider.chat(ask("gpt-5-mini"))
    assert "reasoning_effort" not in last_body(openai_fake)


# -- Anthropic ---------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["low", "medium", "high", "max"])
async def test_anthropic_adaptive_model_sends_adaptive_thinking_and_effort(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake, level: str
) -> None:
    response = await anthropic_provider.chat(ask("claude-sonnet-4-6", level, max_tokens=200))
    body = last_body(anthropic_fake_server)
    assert body["thinking"] == {"type": "adaptive"}
    assert body["output_config"] == {"effort": level}
    assert body["max_tokens"] == 200
    # The thinking block is not part of the answer; its tokens are in output once.
    assert "Let me think" not in response.content and response.content


async def test_anthropic_adaptive_none_disables_thinking(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    await anthropic_provider.chat(ask("claude-opus-4-7", "none"))
    body = last_body(anthropic_fake_server)
    assert body["thinking"] == {"type": "disabled"} and "output_config" not in body


@pytest.mark.parametrize(("level", "budget"), [("low", 1024), ("medium", 8192), ("high", 24576)])
async def test_anthropic_budget_model_sends_budget_and_raises_max_tokens(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake, level: str, budget: int
) -> None:
    await anthropic_provider.chat(ask("claude-sonnet-4-5-20250929", level, max_tokens=300))
    body = last_body(anthropic_fake_server)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == budget + 300  # the answer keeps its 300 on top of the budget
    assert "output_config" not in body


async def test_anthropic_integer_budget_on_adaptive_model_and_none_on_budget_model(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    await anthropic_provider.chat(ask("claude-sonnet-4-6", 5000))
    assert last_body(anthropic_fake_server)["thinking"] == {"type": "enabled", "budget_tokens": 5000}
    assert last_body(anthropic_fake_server)["max_tokens"] > 5000
    await anthropic_provider.chat(ask("claude-sonnet-4-5-20250929", "none"))
    assert "thinking" not in last_body(anthropic_fake_server)


@pytest.mark.parametrize(
    ("model", "setting", "why"),
    [
        ("claude-sonnet-4-5-20250929", "xhigh", "it accepts none, low, medium, high, or a token budget 1024-63999"),
        ("claude-opus-4-7", 4096, "it accepts none, low, medium, high, xhigh, max"),
        ("claude-sonnet-4-5-20250929", 512, "a token budget 1024-63999"),
        ("claude-3-5-haiku-20241022", "low", "takes no reasoning setting"),
    ],
)
async def test_anthropic_unaccepted_setting_sends_nothing(
    anthropic_provider: AnthropicProvider,
    anthropic_fake_server: AnthropicFake,
    model: str,
    setting: str | int,
    why: str,
) -> None:
    with pytest.raises(UnsupportedFeatureError, match=why):
        await anthropic_provider.chat(ask(model, setting))
    assert anthropic_fake_server.requests == []


async def test_anthropic_thinking_with_forced_json_tool_is_refused(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="cannot think while a tool is forced"):
        await anthropic_provider.chat(ask("claude-sonnet-4-6", "low", json_response=True))
    assert anthropic_fake_server.requests == []


async def test_anthropic_thinking_stream_yields_only_the_answer(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    chunks = [c async for c in anthropic_provider.stream(ask("claude-sonnet-4-6", "medium"))]
    text = "".join(c.delta for c in chunks)
    assert text and "Let me think" not in text
    assert chunks[-1].usage is not None and chunks[-1].usage["completion_tokens"] > 0


# -- Gemini ------------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["low", "high"])
async def test_gemini_3_sends_thinking_level(
    google_provider: GoogleProvider, google_fake_server: GoogleFake, level: str
) -> None:
    await google_provider.chat(ask("gemini-3-pro-preview", level))
    assert last_body(google_fake_server)["generationConfig"]["thinkingConfig"] == {"thinkingLevel": level}


@pytest.mark.parametrize(("level", "budget"), [("none", 0), ("low", 1024), ("medium", 8192), ("high", 24576)])
async def test_gemini_25_flash_sends_thinking_budget(
    google_provider: GoogleProvider, google_fake_server: GoogleFake, level: str, budget: int
) -> None:
    response = await google_provider.chat(ask("gemini-2.5-flash", level))
    assert last_body(google_fake_server)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": budget}
    assert (response.usage["reasoning_tokens"] == 0) == (budget == 0)


async def test_gemini_unaccepted_settings_send_nothing(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="it accepts low, medium, high, or a token budget 128-32768"):
        await google_provider.chat(ask("gemini-2.5-pro", "none"))  # 2.5 Pro cannot stop thinking
    with pytest.raises(UnsupportedFeatureError, match=r"it accepts low, high$"):
        await google_provider.chat(ask("gemini-3-pro-preview", "medium"))
    with pytest.raises(UnsupportedFeatureError, match="takes no reasoning setting"):
        await google_provider.chat(ask("gemini-2.0-flash", "low"))
    assert google_fake_server.requests == []


async def test_gemini_integer_budget_and_zero(google_provider: GoogleProvider, google_fake_server: GoogleFake) -> None:
    await google_provider.chat(ask("gemini-2.5-flash", 3000))
    assert last_body(google_fake_server)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 3000}
    response = await google_provider.chat(ask("gemini-2.5-flash", 0))
    assert last_body(google_fake_server)["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0}
    assert response.usage["reasoning_tokens"] == 0


# -- Ollama ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("level", "think"), [("high", True), ("none", False)])
async def test_ollama_on_off_model_sends_think_bool(
    ollama_provider: OllamaProvider, ollama_fake: OllamaFake, level: str, think: bool
) -> None:
    await ollama_provider.chat(ask("qwen3:8b", level))
    assert last_body(ollama_fake)["think"] is think


async def test_ollama_named_levels_and_refusals(ollama_provider: OllamaProvider, ollama_fake: OllamaFake) -> None:
    body = ollama_provider.build_body(ask("gpt-oss", "low"), stream=False)
    assert body["think"] == "low"
    with pytest.raises(UnsupportedFeatureError, match=r"it accepts none, high$"):
        await ollama_provider.chat(ask("qwen3:8b", "low"))
    with pytest.raises(UnsupportedFeatureError, match="takes no reasoning setting"):
        await ollama_provider.chat(ask("llama3.2", "high"))
    assert ollama_fake.requests == []


async def test_unknown_model_with_reasoning_is_refused(
    ollama_provider: OllamaProvider, ollama_fake: OllamaFake
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="not in the model registry"):
        await ollama_provider.chat(ask("mystery-model:7b", "high"))
    assert ollama_fake.requests == []
