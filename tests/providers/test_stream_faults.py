"""A streamed body that goes wrong after it has started, on every provider, over real sockets.

The fakes stream their normal answer, then either stop sending (a stall longer than the request's
timeout) or send bytes that do not decompress. Each must end the stream with the typed error that
says so (not httpx's own exception, and not the "could not reach" of a failed connect), after the
chunks that did arrive.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from llmring.errors import ProviderTimeoutError, ResponseFormatError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message, StreamChunk
from tests.fakes import anthropic_fake, google_fake
from tests.fakes.server import FakeProvider, StreamFault

PROVIDERS = [
    pytest.param(("openai_fake", "gpt-4o-mini"), id="openai"),
    pytest.param(("openai_fake", "o1-mini"), id="openai-responses"),
    pytest.param(("anthropic_fake_server", "claude-sonnet-4-5"), id="anthropic"),
    pytest.param(("google_fake_server", "gemini-2.5-flash"), id="google"),
    pytest.param(("ollama_fake", "llama3.2"), id="ollama"),
]


def _provider_for(fake: FakeProvider, fake_name: str) -> BaseProvider:
    if fake_name == "openai_fake":
        return OpenAIProvider(api_key=fake.api_key, base_url=f"{fake.base_url}/v1")  # type: ignore[attr-defined]
    if fake_name == "anthropic_fake_server":
        return AnthropicProvider(api_key=anthropic_fake.API_KEY, base_url=fake.base_url)
    if fake_name == "google_fake_server":
        return GoogleProvider(api_key=google_fake.API_KEY, base_url=f"{fake.base_url}/v1beta")
    return OllamaProvider(base_url=fake.base_url)


@pytest.fixture(params=PROVIDERS)
async def target(request: pytest.FixtureRequest) -> AsyncIterator[tuple[BaseProvider, FakeProvider, str]]:
    """A provider, the fake it talks to (reset, contract-checked at teardown) and a model."""
    fake_name, model = request.param
    fake = request.getfixturevalue(fake_name)
    provider = _provider_for(fake, fake_name)
    yield provider, fake, model
    await provider.aclose()


async def _stream(provider: BaseProvider, model: str, **kwargs: Any) -> tuple[list[StreamChunk], BaseException]:
    ask = LLMRequest(model=model, messages=[Message(role="user", content="one two three four five six")], **kwargs)
    received: list[StreamChunk] = []
    with pytest.raises(Exception) as caught:  # the callers assert the type
        async for chunk in provider.stream(ask):
            received.append(chunk)
    return received, caught.value


async def test_a_stream_that_stalls_is_a_timeout(target: tuple[BaseProvider, FakeProvider, str]) -> None:
    provider, fake, model = target
    # A read timeout of 1 s: long enough that the first chunks always arrive in time on a busy
    # machine, so the timeout can only come from the stall.
    fake.stream_fault = StreamFault("stall", after=2, seconds=4.0)
    received, error = await _stream(provider, model, timeout=1.0)
    assert isinstance(error, ProviderTimeoutError), repr(error)
    assert "stream stalled" in str(error)
    assert error.provider == provider.name
    assert all(chunk.finish_reason is None for chunk in received)  # it never finished
    assert len(fake.requests) == 1  # a stream that has started is not retried


async def test_a_stream_that_stops_decoding_is_a_format_error(target: tuple[BaseProvider, FakeProvider, str]) -> None:
    provider, fake, model = target
    fake.stream_fault = StreamFault("corrupt", after=2)
    received, error = await _stream(provider, model)
    assert isinstance(error, ResponseFormatError), repr(error)
    assert "could not decode the stream" in str(error)
    assert all(chunk.finish_reason is None for chunk in received)
    assert len(fake.requests) == 1


async def test_the_same_streams_without_a_fault_finish(target: tuple[BaseProvider, FakeProvider, str]) -> None:
    # The control: the fakes' answers stream to the end over the same path.
    provider, fake, model = target
    ask = LLMRequest(model=model, messages=[Message(role="user", content="one two three four five six")])
    chunks = [chunk async for chunk in provider.stream(ask)]
    assert chunks[-1].finish_reason is not None
    assert len(fake.requests) == 1
