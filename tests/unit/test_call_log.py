"""Row building: secret-looking metadata is dropped, statuses come from the error type."""

from __future__ import annotations

import asyncio
import uuid

from llmring.call_log import clean_metadata, status_of
from llmring.errors import AuthenticationError, ProviderTimeoutError, QuotaExceededError, RateLimitError
from llmring.schemas import new_id


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


def test_ids_are_random_version_4_uuids() -> None:
    ids = [new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    # Every bit outside the version and variant varies (no mask sticks a random bit).
    all_bits = (1 << 128) - 1
    free = all_bits & ~((0xF000 << 64) | (0xC000 << 48))
    ones = zeros = 0
    for text in ids[:500]:
        value = uuid.UUID(text).int
        ones |= value
        zeros |= ~value & all_bits
    assert ones & free == free and zeros & free == free


def test_a_registered_key_that_begins_with_another_goes_whole() -> None:
    # Found by the capture tests in the full suite: with a shorter key registered that a longer
    # one starts with, the short one could be replaced first and the long one's tail stayed.
    # (Which came first was up to set order: with 30 longer keys the old code almost never passed.)
    from llmring.errors import redact, register_secret

    register_secret("Zq9-unit-prefix")
    tails = [f"Zq9-unit-prefix-and-its-tail-{i:02d}" for i in range(30)]
    for key in tails:
        register_secret(key)
    assert redact(" ".join([*tails, "Zq9-unit-prefix."])) == " ".join(["***"] * 30 + ["***."])
