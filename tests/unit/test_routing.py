"""Routing table: every way of naming a model, and every way of getting it wrong."""

from __future__ import annotations

import pytest

from llmring.errors import ConfigurationError, ModelNotFoundError
from llmring.routing import resolve
from llmring.schemas import LLMModel

MODELS = [
    LLMModel(provider="openai", model_name="gpt-4o-mini"),
    LLMModel(provider="openai", model_name="o1-mini"),
    LLMModel(provider="anthropic", model_name="claude-sonnet-4-20250514"),
    LLMModel(provider="google", model_name="gemini-2.5-pro"),
    LLMModel(provider="ollama", model_name="llama3.2"),
    LLMModel(provider="ollama", model_name="qwen3"),
    LLMModel(provider="ollama", model_name="shared-name"),
    LLMModel(provider="google", model_name="shared-name"),
]


@pytest.mark.parametrize(
    ("text", "provider", "name", "in_registry"),
    [
        ("gpt-4o-mini", "openai", "gpt-4o-mini", True),
        ("openai:gpt-4o-mini", "openai", "gpt-4o-mini", True),
        ("OpenAI:gpt-4o-mini", "openai", "gpt-4o-mini", True),
        ("  gpt-4o-mini  ", "openai", "gpt-4o-mini", True),
        ("gpt-99-future", "openai", "gpt-99-future", False),
        ("chatgpt-4o-latest", "openai", "chatgpt-4o-latest", False),
        ("o1", "openai", "o1", False),
        ("o1-mini", "openai", "o1-mini", True),
        ("o3-mini", "openai", "o3-mini", False),
        ("o4-mini", "openai", "o4-mini", False),
        ("claude-sonnet-4-20250514", "anthropic", "claude-sonnet-4-20250514", True),
        ("claude-9", "anthropic", "claude-9", False),
        ("gemini-2.5-pro", "google", "gemini-2.5-pro", True),
        ("google:gemini-2.5-pro", "google", "gemini-2.5-pro", True),
        ("llama3.2", "ollama", "llama3.2", True),
        ("ollama:llama3.2", "ollama", "llama3.2", True),
        ("ollama:llama3.2:latest", "ollama", "llama3.2:latest", True),
        ("llama3.2:latest", "ollama", "llama3.2:latest", True),
        ("qwen3:8b", "ollama", "qwen3:8b", True),
        ("ollama:some-local-model", "ollama", "some-local-model", False),
        ("anthropic:gpt-4o-mini", "anthropic", "gpt-4o-mini", False),
    ],
)
def test_routes(text: str, provider: str, name: str, in_registry: bool) -> None:
    route = resolve(text, MODELS)
    assert (route.provider, route.model_name) == (provider, name)
    assert (route.model is not None) == in_registry
    if route.model is not None:
        assert route.model.provider == provider


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("", ConfigurationError, "no model given"),
        ("   ", ConfigurationError, "no model given"),
        (":gpt-4o", ConfigurationError, "nothing before ':'"),
        ("openai:", ConfigurationError, "no model name after 'openai:'"),
        ("azure:gpt-4o", ModelNotFoundError, "unknown provider 'azure'"),
        ("llama9", ModelNotFoundError, "unknown model 'llama9'"),
        ("shared-name", ModelNotFoundError, "several providers"),
        ("mistral-large", ModelNotFoundError, "unknown model"),
    ],
)
def test_errors(text: str, error: type[Exception], fragment: str) -> None:
    with pytest.raises(error) as info:
        resolve(text, MODELS)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_model_suggests_close_matches() -> None:
    with pytest.raises(ModelNotFoundError) as info:
        resolve("lama3.2", MODELS)
    assert info.value.suggestions == ["ollama:llama3.2"]
    assert "did you mean: ollama:llama3.2" in str(info.value)


def test_ambiguous_name_suggests_each_provider() -> None:
    with pytest.raises(ModelNotFoundError) as info:
        resolve("shared-name", MODELS)
    assert info.value.suggestions == ["google:shared-name", "ollama:shared-name"]


def test_never_falls_back_to_a_first_provider() -> None:
    # upstream sent unknown names to the first registered provider; we refuse instead
    with pytest.raises(ModelNotFoundError):
        resolve("totally-unknown", [])


def test_active_entry_wins_over_a_retired_copy() -> None:
    from datetime import UTC, datetime

    retired = LLMModel(provider="openai", model_name="gpt-4o", inactive_from=datetime(2025, 1, 1, tzinfo=UTC))
    active = LLMModel(provider="openai", model_name="gpt-4o", display_name="now")
    route = resolve("gpt-4o", [retired, active])
    assert route.model is active
