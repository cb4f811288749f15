"""Aliases and fallback chains through the service, against the OpenAI, Anthropic and Gemini fakes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmring.cost import compute_cost
from llmring.errors import (
    AuthenticationError,
    ConfigurationError,
    ContextLengthExceededError,
    FallbackError,
    ModelNotFoundError,
    ProviderConnectionError,
)
from llmring.progress import Progress
from llmring.registry import find_bundled
from llmring.schemas import LLMRequest, Message, Usage
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes import anthropic_fake, google_fake
from tests.fakes.openai_fake import OpenAIFake, context_length_reply, rate_limit_reply, server_error_reply
from tests.service.conftest import rows

HAIKU = "anthropic:claude-haiku-4-5-20251001"  # 200,000-token window
FLASH = "google:gemini-2.5-flash-lite"  # 1,048,576-token window


class Fakes:
    def __init__(self, openai: OpenAIFake, anthropic: anthropic_fake.AnthropicFake, google: google_fake.GoogleFake):
        self.openai, self.anthropic, self.google = openai, anthropic, google


@pytest.fixture
def fakes(openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    anthropic = anthropic_fake.AnthropicFake().start()
    google = google_fake.GoogleFake().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.API_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"{google.base_url}/v1beta")
    monkeypatch.setenv("GEMINI_API_KEY", google_fake.API_KEY)
    yield Fakes(openai_fake, anthropic, google)
    anthropic.stop()
    google.stop()


def ring_for(db_path: Path, **aliases: list[str]) -> LLMRingSQLite:
    return LLMRingSQLite(db_path, origin="tests", max_retries=0, aliases=aliases)


def ask(text: str = "Hello", model: str = "fast", **kw: Any) -> LLMRequest:
    return LLMRequest(model=model, messages=[Message(role="user", content=text)], **kw)


def hop_rows(db_path: Path) -> list[tuple[Any, ...]]:
    return [(r["alias"], r["hop"], r["provider"], r["status"], r["final"]) for r in rows(db_path)]


async def test_a_long_rate_limit_falls_over_and_prices_the_answering_hop(fakes: Fakes, db_path: Path) -> None:
    fakes.openai.enqueue(rate_limit_reply(retry_after="120"))
    async with ring_for(db_path, fast=["openai:gpt-4o-mini", HAIKU]) as ring:
        response = await ring.chat(ask())
        await ring.flush()
    assert response.provider == "anthropic" and response.content
    assert (response.metadata["alias"], response.metadata["hop"]) == ("fast", 2)
    usage = Usage.model_validate(response.usage)
    assert response.usage["cost"] == compute_cost(find_bundled("anthropic", HAIKU.split(":")[1]), usage).total > 0
    logged = rows(db_path)
    assert hop_rows(db_path) == [("fast", 1, "openai", "rate_limited", 0), ("fast", 2, "anthropic", "success", 1)]
    assert len({r["call_id"] for r in logged}) == 1 == len(fakes.openai.requests) == len(fakes.anthropic.requests)
    assert logged[0]["model_name"] == "gpt-4o-mini" and logged[1]["model_name"] == HAIKU.split(":")[1]
    assert response.metadata["call_id"] == logged[0]["call_id"]


async def test_each_hop_counts_its_own_attempts(fakes: Fakes, db_path: Path) -> None:
    # gpt-4o-mini answers 503 twice (one retry, then the chain moves on); haiku answers first time.
    fakes.openai.enqueue(server_error_reply(503), server_error_reply(503))
    ring = LLMRingSQLite(db_path, origin="tests", max_retries=1, aliases={"fast": ["openai:gpt-4o-mini", HAIKU]})
    async with ring:
        ring.get_provider("openai")._sleep = _no_wait
        response = await ring.chat(ask())
        await ring.flush()
    assert response.metadata["hop"] == 2
    assert [(r["hop"], r["attempt"], r["final"], r["status"]) for r in rows(db_path)] == [
        (1, 1, 0, "error"),
        (1, 2, 0, "error"),
        (2, 1, 1, "success"),
    ]


async def test_an_authentication_error_does_not_fall_over(fakes: Fakes, db_path: Path) -> None:
    fakes.openai.api_key = "sk-some-other-key-0000"
    async with ring_for(db_path, fast=["openai:gpt-4o-mini", HAIKU]) as ring:
        with pytest.raises(AuthenticationError):
            await ring.chat(ask())
        await ring.flush()
    assert fakes.anthropic.requests == []
    assert hop_rows(db_path) == [("fast", 1, "openai", "error", 1)]


async def test_a_prompt_too_big_for_a_window_skips_that_model_before_sending(fakes: Fakes, db_path: Path) -> None:
    prompt = "word " * 240_000  # 1.2 M characters: about 300,000 tokens
    async with ring_for(db_path, big=[HAIKU, FLASH]) as ring:
        response = await ring.chat(ask(prompt, model="big", max_tokens=100))
        await ring.flush()
    assert fakes.anthropic.requests == [] and len(fakes.google.requests) == 1
    assert response.provider == "google" and response.metadata["hop"] == 2
    skipped, answered = rows(db_path)
    assert (skipped["status"], skipped["final"], skipped["error_type"]) == ("error", 0, "ContextLengthExceededError")
    assert "skipped before sending" in skipped["error_message"]
    assert "300,000 tokens" in skipped["error_message"] and "200,000-token context window" in skipped["error_message"]
    assert (answered["status"], answered["hop"], answered["prompt_tokens"] > 0) == ("success", 2, True)


async def test_a_context_length_error_moves_on_only_to_larger_windows(fakes: Fakes, db_path: Path) -> None:
    fakes.openai.enqueue(context_length_reply())
    async with ring_for(db_path, fast=["openai:gpt-4o-mini", "openai:gpt-4o", "openai:gpt-4.1"]) as ring:
        response = await ring.chat(ask())
        await ring.flush()
    assert [r.json["model"] for r in fakes.openai.requests] == ["gpt-4o-mini", "gpt-4.1"]
    assert response.metadata["hop"] == 3
    logged = rows(db_path)
    assert [(r["model_name"], r["error_type"]) for r in logged] == [
        ("gpt-4o-mini", "ContextLengthExceededError"),
        ("gpt-4o", "ContextLengthExceededError"),
        ("gpt-4.1", None),
    ]
    assert "no larger than one the prompt overflowed" in logged[1]["error_message"]


async def test_every_hop_failing_is_one_error_listing_each_hop(fakes: Fakes, db_path: Path) -> None:
    fakes.openai.enqueue(server_error_reply(503), rate_limit_reply(retry_after="120"))
    async with ring_for(db_path, fast=["openai:gpt-4o-mini", "openai:gpt-4o"]) as ring:
        with pytest.raises(FallbackError) as caught:
            await ring.chat(ask())
        await ring.flush()
    error = caught.value
    assert error.message.startswith("every model of alias 'fast' failed after ")
    assert error.hops == [
        ("openai:gpt-4o-mini", "unavailable (503)"),
        ("openai:gpt-4o", "rate limited (429, retry after 120 s)"),
    ]
    assert "\n" not in error.message and error.status_code == 429
    assert hop_rows(db_path) == [("fast", 1, "openai", "error", 0), ("fast", 2, "openai", "rate_limited", 1)]


async def test_a_missing_key_passes_the_model_over_with_the_reason(
    fakes: Fakes, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    async with ring_for(db_path, fast=[HAIKU, "openai:gpt-4o-mini"]) as ring:
        response = await ring.chat(ask())
        await ring.flush()
    assert response.provider == "openai"
    first = rows(db_path)[0]
    assert (first["status"], first["final"], first["error_type"]) == ("error", 0, "MissingAPIKeyError")


async def test_a_stream_failing_before_its_first_token_falls_over(fakes: Fakes, db_path: Path) -> None:
    fakes.openai.enqueue(server_error_reply(500))
    async with ring_for(db_path, fast=["openai:gpt-4o-mini", HAIKU]) as ring:
        chunks = [chunk async for chunk in ring.chat_stream(ask("Name a river"))]
        await ring.flush()
    text = "".join(c.delta for c in chunks)
    assert text and len(fakes.anthropic.requests) == 1
    assert chunks[-1].usage is not None and chunks[-1].usage["cost"] > 0
    assert hop_rows(db_path) == [("fast", 1, "openai", "error", 0), ("fast", 2, "anthropic", "success", 1)]


async def test_a_stream_failing_after_its_first_token_raises(fakes: Fakes, db_path: Path) -> None:
    fakes.openai.drop_stream_after = 3
    received: list[str] = []
    async with ring_for(db_path, fast=["openai:gpt-4o-mini", HAIKU]) as ring:
        with pytest.raises(ProviderConnectionError):
            async for chunk in ring.chat_stream(ask("Name a river")):
                received.append(chunk.delta)
        await ring.flush()
    assert "".join(received) and fakes.anthropic.requests == []
    assert hop_rows(db_path) == [("fast", 1, "openai", "error", 1)]


async def test_plain_models_are_unchanged(fakes: Fakes, db_path: Path) -> None:
    async with ring_for(db_path, fast=[HAIKU]) as ring:
        response = await ring.chat(ask(model="gpt-4o-mini"))
        await ring.flush()
    assert "alias" not in response.metadata
    assert hop_rows(db_path) == [(None, None, "openai", "success", 1)]


async def test_aliases_come_from_the_config_and_the_argument_wins(fakes: Fakes, db_path: Path, tmp_path: Path) -> None:
    config = tmp_path / "llmring.toml"
    config.write_text(f'origin = "from-file"\n[aliases]\nfast = "{HAIKU}"\nsmart = "openai:gpt-4o"\n')
    async with LLMRingSQLite(db_path, config=config, aliases={"fast": "openai:gpt-4o-mini"}) as ring:
        assert ring.aliases == {"fast": ("openai:gpt-4o-mini",), "smart": ("openai:gpt-4o",)}
        assert (await ring.chat(ask(model="smart"))).provider == "openai"
        await ring.flush()
    assert fakes.openai.requests[-1].json["model"] == "gpt-4o"
    assert rows(db_path)[0]["alias"] == "smart"


def test_bad_aliases_are_one_line_and_a_typo_fails_before_sending(fakes: Fakes, db_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"aliases\['fast'\]: expected a model or a list"):
        LLMRingSQLite(db_path, aliases={"fast": []})


async def test_an_unknown_model_in_a_chain_fails_before_anything_is_sent(fakes: Fakes, db_path: Path) -> None:
    async with ring_for(db_path, fast=["openai:gpt-4o-mini", "no-such-model-xyz"]) as ring:
        with pytest.raises(ModelNotFoundError, match=r"^alias 'fast': unknown model 'no-such-model-xyz'"):
            await ring.chat(ask())
    assert fakes.openai.requests == []


async def test_a_one_model_alias_too_small_raises_the_skip(fakes: Fakes, db_path: Path) -> None:
    async with ring_for(db_path, small=["openai:gpt-4o-mini"]) as ring:
        with pytest.raises(ContextLengthExceededError, match="skipped before sending"):
            await ring.chat(ask("x" * 600_000, model="small"))
        await ring.flush()
    assert fakes.openai.requests == []
    assert hop_rows(db_path) == [("small", 1, "openai", "error", 1)]


async def test_the_progress_hook_hears_each_wait_retry_and_fallback(fakes: Fakes, db_path: Path) -> None:
    heard: list[Progress] = []
    fakes.openai.enqueue(rate_limit_reply(retry_after="120"))
    fakes.anthropic.enqueue(anthropic_fake.overloaded_reply())
    ring = LLMRingSQLite(db_path, origin="tests", max_retries=1, aliases={"fast": ["openai:gpt-4o-mini", HAIKU]})
    ring.progress = heard.append
    async with ring:
        ring.get_provider("anthropic")._sleep = _no_wait
        chunks = [chunk async for chunk in ring.chat_stream(ask())]
        await ring.chat(ask(model="gpt-4o-mini"))
    assert "".join(c.delta for c in chunks)
    assert heard == [
        Progress("waiting", "openai:gpt-4o-mini"),
        Progress("falling_back", HAIKU, "openai:gpt-4o-mini rate limited (429, retry after 120 s)"),
        Progress("retrying", HAIKU, "unavailable (529)", attempt=1, retries=1, delay=heard[2].delay),
        Progress("waiting", "openai:gpt-4o-mini"),
    ]


async def _no_wait(delay: float) -> None:
    return None


async def test_an_alias_streams_only_when_every_model_of_its_chain_can(tmp_path: Path) -> None:
    # ask on a terminal asks can_stream first: an alias there was "unknown model" before.
    ring = ring_for(tmp_path / "s.db", fast=["gpt-4o-mini", "gpt-4o"], deep=["gpt-4o-mini", "openai:o1-pro"])
    try:
        assert await ring.can_stream("fast")
        assert not await ring.can_stream("deep")
        assert not await ring.can_stream("openai:o1-pro")
        with pytest.raises(ModelNotFoundError, match="alias 'typo'"):
            await LLMRingSQLite(tmp_path / "t.db", aliases={"typo": ["gpt-4o", "nosuch"]}).can_stream("typo")
    finally:
        await ring.close()
