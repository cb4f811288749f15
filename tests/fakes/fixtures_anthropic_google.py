"""Fixtures for the Anthropic and Gemini provider tests: fakes, providers wired to them, contracts.

The fakes run once per session (real loopback servers) and are reset before each test. Every test
that uses a fake (directly or through a provider fixture) fails at teardown if any request llmring
sent, or any reply the fake produced, broke the SDK contract: the check is central, not per test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import RetryInfo
from llmring.providers.google import GoogleProvider
from tests.fakes import anthropic_fake, google_fake

# ``import *`` from a conftest must also bring the underscore (session and autouse) fixtures.
__all__ = [
    "Recorder",
    "_anthropic_server",
    "_google_server",
    "anthropic_fake_server",
    "anthropic_provider",
    "google_fake_server",
    "google_provider",
    "recorder",
]


@dataclass
class Recorder:
    """What the provider's retry loop did: the waits it asked for and the ``on_retry`` reports."""

    sleeps: list[float] = field(default_factory=list)
    retries: list[RetryInfo] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def on_retry(self, info: RetryInfo) -> None:
        self.retries.append(info)


@pytest.fixture(scope="session")
def _anthropic_server() -> Iterator[anthropic_fake.AnthropicFake]:
    fake = anthropic_fake.AnthropicFake().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def _google_server() -> Iterator[google_fake.GoogleFake]:
    fake = google_fake.GoogleFake().start()
    yield fake
    fake.stop()


def _no_violations(fake: anthropic_fake.AnthropicFake | google_fake.GoogleFake) -> None:
    assert not fake.violations, "contract violations:\n" + "\n".join(fake.violations)


@pytest.fixture
def anthropic_fake_server(
    _anthropic_server: anthropic_fake.AnthropicFake,
) -> Iterator[anthropic_fake.AnthropicFake]:
    """The Anthropic fake, reset; after the test, every exchange must have kept to the contract."""
    _anthropic_server.reset()
    yield _anthropic_server
    _no_violations(_anthropic_server)


@pytest.fixture
def google_fake_server(_google_server: google_fake.GoogleFake) -> Iterator[google_fake.GoogleFake]:
    """The Gemini fake, reset; after the test, every exchange must have kept to the contract."""
    _google_server.reset()
    yield _google_server
    _no_violations(_google_server)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def anthropic_provider(
    anthropic_fake_server: anthropic_fake.AnthropicFake, recorder: Recorder
) -> AsyncIterator[AnthropicProvider]:
    """An ``AnthropicProvider`` talking to the fake; sleeps are recorded, not slept."""
    provider = AnthropicProvider(api_key=anthropic_fake.API_KEY, base_url=anthropic_fake_server.base_url)
    provider._sleep = recorder.sleep
    yield provider
    await provider.aclose()


@pytest.fixture
async def google_provider(
    google_fake_server: google_fake.GoogleFake, recorder: Recorder
) -> AsyncIterator[GoogleProvider]:
    """A ``GoogleProvider`` talking to the fake at ``/v1beta``; sleeps are recorded, not slept."""
    provider = GoogleProvider(api_key=google_fake.API_KEY, base_url=f"{google_fake_server.base_url}/v1beta")
    provider._sleep = recorder.sleep
    yield provider
    await provider.aclose()
