"""OpenAIProvider error mapping and retries against the local fake."""

from __future__ import annotations

import pytest

from llmring.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    ContextLengthExceededError,
    PermissionDeniedError,
    ProviderError,
    ProviderModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitError,
)
from llmring.providers.base import RetryInfo
from llmring.providers.openai import OpenAIProvider
from tests.fakes import openai_replies as fakes
from tests.fakes.fixtures_openai_ollama import SleepRecorder
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Reply
from tests.providers.openai_helpers import req


# -- errors and retries -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "error_type", "code"),
    [
        (fakes.forbidden_reply(), PermissionDeniedError, "unsupported_country_region_territory"),
        (fakes.context_length_reply(), ContextLengthExceededError, "context_length_exceeded"),
        (fakes.content_policy_reply(), ContentFilteredError, "content_policy_violation"),
        (
            fakes.bad_request_reply("unsupported_value", "Unsupported value: 'temperature'"),
            BadRequestError,
            "unsupported_value",
        ),
        (fakes.quota_reply(), QuotaExceededError, "insufficient_quota"),
    ],
)
async def test_errors_that_are_not_retried(
    openai_provider: OpenAIProvider,
    openai_fake: OpenAIFake,
    recorded_sleeps: SleepRecorder,
    reply: Reply,
    error_type: type[ProviderError],
    code: str,
) -> None:
    openai_fake.enqueue(reply)
    with pytest.raises(error_type) as info:
        await openai_provider.chat(req())
    assert type(info.value) is error_type
    assert info.value.status_code == reply.status
    assert info.value.error_code == code
    assert info.value.request_id == reply.headers["x-request-id"]
    assert len(openai_fake.requests) == 1 and recorded_sleeps.calls == []


async def test_bad_key_is_authentication_error_not_retried(openai_fake: OpenAIFake) -> None:
    provider = OpenAIProvider(api_key="sk-wrong-000000000000", base_url=f"{openai_fake.base_url}/v1")
    try:
        with pytest.raises(AuthenticationError) as info:
            await provider.chat(req())
    finally:
        await provider.aclose()
    assert info.value.status_code == 401 and info.value.error_code == "invalid_api_key"
    assert "sk-wrong-000000000000" not in str(info.value)
    assert len(openai_fake.requests) == 1


async def test_unknown_model_is_model_not_found(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    with pytest.raises(ProviderModelNotFoundError) as info:
        await openai_provider.chat(req(model="gpt-9"))
    assert info.value.status_code == 404 and info.value.error_code == "model_not_found"
    assert "gpt-9" in str(info.value)
    assert len(openai_fake.requests) == 1


async def test_rate_limit_maps_with_retry_after(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_provider.max_retries = 0
    openai_fake.enqueue(fakes.rate_limit_reply("3"))
    with pytest.raises(RateLimitError) as info:
        await openai_provider.chat(req())
    assert type(info.value) is RateLimitError
    assert info.value.retry_after == 3.0 and info.value.error_code == "rate_limit_exceeded"


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_map_to_unavailable(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, status: int
) -> None:
    openai_provider.max_retries = 0
    openai_fake.enqueue(fakes.server_error_reply(status, **{"retry-after": "1"}))
    with pytest.raises(ProviderUnavailableError) as info:
        await openai_provider.chat(req())
    assert info.value.status_code == status and info.value.retry_after == 1.0


async def test_429_then_200_honours_retry_after(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(fakes.rate_limit_reply("2"))
    retries: list[RetryInfo] = []

    response = await openai_provider.chat(req("after the wait"), on_retry=retries.append)

    assert response.content == "Echo: after the wait"
    assert recorded_sleeps.calls == [2.0]
    assert len(retries) == 1
    assert retries[0].attempt == 1 and retries[0].delay == 2.0
    assert isinstance(retries[0].error, RateLimitError)
    assert len(openai_fake.requests) == 2


async def test_retry_after_ms_wins(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(fakes.rate_limit_reply("2", **{"retry-after-ms": "1500"}))
    await openai_provider.chat(req())

    assert recorded_sleeps.calls == [1.5]


async def test_503_is_retried_up_to_max_retries_then_raises(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake, recorded_sleeps: SleepRecorder
) -> None:
    openai_fake.enqueue(*(fakes.server_error_reply(503) for _ in range(3)))
    retries: list[RetryInfo] = []
    with pytest.raises(ProviderUnavailableError) as info:
        await openai_provider.chat(req(), on_retry=retries.append)
    assert info.value.error_code == "server_is_overloaded"
    assert len(openai_fake.requests) == 3  # the first try plus max_retries=2
    assert [r.attempt for r in retries] == [1, 2]
    assert len(recorded_sleeps.calls) == 2 and 0.375 <= recorded_sleeps.calls[0] <= 0.5


async def test_timeout(openai_provider: OpenAIProvider, openai_fake: OpenAIFake) -> None:
    openai_provider.max_retries = 0
    openai_fake.delay_next = 1.0
    with pytest.raises(ProviderTimeoutError):
        await openai_provider.chat(req(timeout=0.2))
