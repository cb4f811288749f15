"""Replies that lie: an HTTP 200 whose body is an error envelope is that provider's typed error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from llmring.errors import ProviderError, ProviderModelNotFoundError, ProviderUnavailableError, RateLimitError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message
from tests.faults.hostile_server import HostileServer, Script, whole

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5", "google": "gemini-2.5-flash", "ollama": "llama3.2"}


def make_provider(kind: str, base_url: str, **kwargs: Any) -> BaseProvider:
    kwargs.setdefault("max_retries", 0)
    if kind == "openai":
        return OpenAIProvider(api_key="sk-test-hostile-0000", base_url=f"{base_url}/v1", **kwargs)
    if kind == "anthropic":
        return AnthropicProvider(api_key="sk-ant-hostile-0000", base_url=base_url, **kwargs)
    if kind == "google":
        return GoogleProvider(api_key="AIzaHostileHostile00", base_url=f"{base_url}/v1beta", **kwargs)
    return OllamaProvider(base_url=base_url, **kwargs)


def ask(kind: str, **kwargs: Any) -> LLMRequest:
    return LLMRequest(messages=[Message(role="user", content="hi")], model=MODELS[kind], **kwargs)


@pytest.fixture
def hostile() -> Iterator[list[HostileServer]]:
    servers: list[HostileServer] = []
    yield servers
    for server in servers:
        server.stop()


def serve(servers: list[HostileServer], script: Script) -> HostileServer:
    server = HostileServer(script)
    servers.append(server)
    return server


ENVELOPES_200: list[tuple[str, Any, type[ProviderError]]] = [
    (
        "google",
        {"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}},
        RateLimitError,
    ),
    (
        "google",
        [{"error": {"code": 404, "message": "models/x is not found", "status": "NOT_FOUND"}}],
        ProviderModelNotFoundError,
    ),
    (
        "anthropic",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        ProviderUnavailableError,
    ),
    (
        "openai",
        {"error": {"message": "The server had an error", "type": "server_error", "param": None, "code": None}},
        ProviderUnavailableError,
    ),
    ("ollama", {"error": "llama runner process has terminated"}, ProviderUnavailableError),
]


@pytest.mark.parametrize(
    ("kind", "body", "error"), ENVELOPES_200, ids=[f"{k}-{e.__name__}" for k, _, e in ENVELOPES_200]
)
async def test_http_200_error_envelope_is_the_providers_typed_error(
    hostile: list[HostileServer], kind: str, body: Any, error: type[ProviderError]
) -> None:
    server = serve(hostile, whole(200, json.dumps(body).encode()))
    provider = make_provider(kind, server.base_url)
    try:
        with pytest.raises(error) as info:
            await provider.chat(ask(kind))
    finally:
        await provider.aclose()
    assert type(info.value) is error and info.value.provider == kind
