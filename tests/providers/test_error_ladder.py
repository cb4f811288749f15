"""One error ladder for the four providers: the same decision for 402/404/413, codes over statuses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from llmring.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    ProviderModelNotFoundError,
    QuotaExceededError,
)
from llmring.providers import errors
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from tests.fakes import openai_replies as fakes
from tests.fakes.openai_fake import OpenAIFake
from tests.providers.openai_helpers import req

READERS = {
    "openai": errors.read_openai,
    "anthropic": errors.read_anthropic,
    "google": errors.read_google,
    "ollama": errors.read_ollama,
}
# Each provider's own envelope for "no such model" (wire_formats.md 1.6, 2.5, 3.5, 4.3).
NOT_FOUND: dict[str, Any] = {
    "openai": {"error": {"message": "no gpt-9", "type": "invalid_request_error", "code": "model_not_found"}},
    "anthropic": {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-9"}},
    "google": {"error": {"code": 404, "message": "models/gemini-9 is not found", "status": "NOT_FOUND"}},
    "ollama": {"error": "model 'llama9' not found"},
}


PROVIDERS = {
    "openai": lambda: OpenAIProvider(api_key="sk-test-ladder-0000", base_url="http://127.0.0.1:9/v1"),
    "anthropic": lambda: AnthropicProvider(api_key="sk-ant-ladder-0000", base_url="http://127.0.0.1:9"),
    "google": lambda: GoogleProvider(api_key="AIzaLadderLadder0000", base_url="http://127.0.0.1:9/v1beta"),
    "ollama": lambda: OllamaProvider(base_url="http://127.0.0.1:9"),
}


def classify(provider: str, status: int | None, body: Any, headers: dict[str, str] | None = None) -> ProviderError:
    """What the provider makes of an HTTP error reply (through its own ``classify_error``)."""
    if status is None or status < 400:
        return errors.provider_error(provider, status, READERS[provider](body, headers or {}, status), body=body)
    content = json.dumps(body).encode() if not isinstance(body, str) else body.encode()
    response = httpx.Response(status, content=content, headers=headers, request=httpx.Request("POST", "http://x"))
    return PROVIDERS[provider]().classify_error(response)


@pytest.mark.parametrize("provider", READERS)
def test_402_is_quota_for_every_provider(provider: str) -> None:
    error = classify(provider, 402, "Payment Required")
    assert type(error) is QuotaExceededError and not error.retryable


@pytest.mark.parametrize("provider", READERS)
def test_413_is_bad_request_for_every_provider(provider: str) -> None:
    error = classify(provider, 413, "<html>413 Request Entity Too Large</html>")
    assert type(error) is BadRequestError and error.status_code == 413


@pytest.mark.parametrize("provider", READERS)
def test_404_with_the_providers_not_found_envelope_is_model_not_found(provider: str) -> None:
    error = classify(provider, 404, NOT_FOUND[provider])
    assert type(error) is ProviderModelNotFoundError and error.status_code == 404


@pytest.mark.parametrize("provider", READERS)
def test_404_without_a_not_found_code_points_at_the_base_url(provider: str) -> None:
    # A proxy's page or an OpenAI "Invalid URL" envelope: a wrong path, not an unknown model.
    for body in (
        "404 page not found",
        {"error": {"message": "Invalid URL (POST /v1/chat)", "type": "invalid_request_error"}},
    ):
        if provider == "ollama" and isinstance(body, dict):
            continue  # Ollama's JSON 404 on /api/chat is only ever the unknown model
        error = classify(provider, 404, body)
        assert type(error) is ProviderError, (provider, body)
        assert "check the base URL" in str(error)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])  # Ollama sends no codes
def test_not_found_code_wins_at_any_status(provider: str) -> None:
    for status in (400, 200, None):
        assert type(classify(provider, status, NOT_FOUND[provider])) is ProviderModelNotFoundError


def test_specific_code_beats_status_and_generic_type() -> None:
    # Gemini sends a bad key as 400 INVALID_ARGUMENT with reason API_KEY_INVALID.
    body = {
        "error": {
            "code": 400,
            "message": "API key not valid.",
            "status": "INVALID_ARGUMENT",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
        }
    }
    assert type(classify("google", 400, body)) is AuthenticationError
    # OpenAI's 401 carries the generic type invalid_request_error: the status decides.
    body = {"error": {"message": "Incorrect API key", "type": "invalid_request_error", "code": None}}
    assert type(classify("openai", 401, body)) is AuthenticationError


async def test_responses_api_400_model_not_found_is_model_not_found(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    # The Responses API answers an unknown model with 400 (Chat Completions uses 404).
    openai_fake.enqueue(
        fakes.bad_request_reply("model_not_found", "The requested model 'o1-nine' does not exist.", param="model")
    )
    with pytest.raises(ProviderModelNotFoundError) as info:
        await openai_provider.chat(req(model="o1-mini"))
    assert info.value.status_code == 400 and info.value.error_code == "model_not_found"
    assert len(openai_fake.requests) == 1


def test_every_provider_uses_the_one_ladder() -> None:
    from llmring.providers import anthropic, google, ollama, openai

    for module in (anthropic, google, ollama, openai):
        assert not any(
            name.endswith("_error") and callable(getattr(module, name))
            for name in vars(module)
            if name not in {"provider_error", "body_error"} and name.islower()
        ), module.__name__
        provider_cls = next(
            v
            for v in vars(module).values()
            if isinstance(v, type)
            and v.__module__ == module.__name__
            and hasattr(v, "read_error")
            and v.__name__.endswith("Provider")
        )
        assert "classify_error" not in vars(provider_cls)


def test_non_json_error_body_keeps_the_text() -> None:
    response = httpx.Response(502, text="<html>Bad Gateway</html>", request=httpx.Request("POST", "http://x"))
    error = OpenAIProvider(api_key="sk-test-000000", base_url="http://x").classify_error(response)
    assert "Bad Gateway" in str(error) and error.status_code == 502
