"""Pytest fixtures for the OpenAI and Ollama fakes and providers pointed at them.

The servers start once per session and are reset around every test. A test that uses a fake
fails (at teardown) if any request llmring sent, or any reply the fake produced, breaks the
provider's contract (spec + SDK types): the check is central, so no test can forget it.
Providers get ``_sleep`` replaced by ``recorded_sleeps``, so retry waits are asserted, not slept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from llmring.providers.ollama import OllamaProvider
from llmring.providers.openai import OpenAIProvider
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake

__all__ = [
    "SleepRecorder",
    "ollama_fake",
    "ollama_fake_server",
    "ollama_provider",
    "openai_fake",
    "openai_fake_server",
    "openai_provider",
    "recorded_sleeps",
]


class SleepRecorder:
    """Stands in for ``asyncio.sleep`` in a provider: records each wait and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.calls.append(delay)


@pytest.fixture(scope="session")
def openai_fake_server() -> Iterator[OpenAIFake]:
    """The OpenAI fake, one server for the session (use ``openai_fake`` in tests)."""
    fake = OpenAIFake()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def ollama_fake_server() -> Iterator[OllamaFake]:
    """The Ollama fake, one server for the session (use ``ollama_fake`` in tests)."""
    fake = OllamaFake()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def openai_fake(openai_fake_server: OpenAIFake) -> Iterator[OpenAIFake]:
    """A clean OpenAI fake; at teardown every request and reply must satisfy the contract."""
    openai_fake_server.reset()
    yield openai_fake_server
    problems = openai_fake_server.contract_problems()
    openai_fake_server.reset()
    assert not problems, "OpenAI contract violations:\n" + "\n".join(problems)


@pytest.fixture
def ollama_fake(ollama_fake_server: OllamaFake) -> Iterator[OllamaFake]:
    """A clean Ollama fake; at teardown every request and reply must satisfy the contract."""
    ollama_fake_server.reset()
    yield ollama_fake_server
    problems = ollama_fake_server.contract_problems()
    ollama_fake_server.reset()
    assert not problems, "Ollama contract violations:\n" + "\n".join(problems)


@pytest.fixture
def recorded_sleeps() -> SleepRecorder:
    """What a provider would have slept between retries."""
    return SleepRecorder()


@pytest.fixture
async def openai_provider(openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder) -> AsyncIterator[OpenAIProvider]:
    """An ``OpenAIProvider`` talking to the fake with its key, short timeouts and recorded sleeps."""
    provider = OpenAIProvider(api_key=openai_fake.api_key, base_url=f"{openai_fake.base_url}/v1", timeout=5.0)
    provider._sleep = recorded_sleeps
    yield provider
    await provider.aclose()


@pytest.fixture
async def ollama_provider(ollama_fake: OllamaFake, recorded_sleeps: SleepRecorder) -> AsyncIterator[OllamaProvider]:
    """An ``OllamaProvider`` talking to the fake with short timeouts and recorded sleeps."""
    provider = OllamaProvider(base_url=ollama_fake.base_url, timeout=5.0)
    provider._sleep = recorded_sleeps
    yield provider
    await provider.aclose()
