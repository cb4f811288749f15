"""Row building: secret-looking metadata is dropped, statuses come from the error type."""

from __future__ import annotations

import asyncio

from llmring.call_log import clean_metadata, status_of
from llmring.errors import AuthenticationError, ProviderTimeoutError, QuotaExceededError, RateLimitError


def test_clean_metadata_drops_secret_keys_and_redacts_values() -> None:
    cleaned = clean_metadata(
        {
            "author": "ada",
            "team": "core",
            "api_key": "x",
            "x-api-key": "x",
            "access_token": "x",
            "auth": "x",
            "private_key": "x",
            "Authorization": "x",
            "note": "key is sk-abcdefghijklmnop",
            "nested": {"password": "x", "ok": 1},
        }
    )
    assert cleaned == {"author": "ada", "team": "core", "note": "key is ***", "nested": {"ok": 1}}
    assert clean_metadata(None) is None and clean_metadata({}) is None


def test_status_of() -> None:
    assert status_of(RateLimitError("slow down", provider="openai")) == "rate_limited"
    assert status_of(QuotaExceededError("no credit", provider="openai")) == "rate_limited"
    assert status_of(ProviderTimeoutError("late", provider="openai")) == "timeout"
    assert status_of(AuthenticationError("no", provider="openai")) == "error"
    assert status_of(asyncio.CancelledError()) == "error"
    assert status_of(ValueError("bug")) == "error"
