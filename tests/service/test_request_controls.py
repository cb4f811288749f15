"""Issue 14 through the service: no request a model will refuse, and reasoning on the row.

A request the registry says its model would refuse is either altered with one warning (sampling
parameters a model does not take) or refused in one line before anything is sent; refusals are
not logged as provider calls. The reasoning setting reaches the logged row and the cache key, and
reasoning tokens are billed once, as output.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from llmring.cache import cache_key
from llmring.errors import UnsupportedFeatureError
from llmring.registry import find_bundled
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes import anthropic_fake, google_fake
from tests.fakes.openai_fake import OpenAIFake
from tests.service.conftest import request, rows


@pytest.fixture
def gemini(monkeypatch: pytest.MonkeyPatch) -> Iterator[google_fake.GoogleFake]:
    fake = google_fake.GoogleFake().start()
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"{fake.base_url}/v1beta")
    monkeypatch.setenv("GEMINI_API_KEY", google_fake.API_KEY)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.fixture
def claude(monkeypatch: pytest.MonkeyPatch) -> Iterator[anthropic_fake.AnthropicFake]:
    fake = anthropic_fake.AnthropicFake().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.API_KEY)
    yield fake
    fake.stop()
    assert not fake.violations, fake.violations


@pytest.mark.parametrize("model", ["o4-mini", "gpt-5"])
async def test_cache_on_a_model_without_temperature_is_refused_unsent_unlogged(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path, model: str
) -> None:
    # What `llmring ask -m o4-mini --cache` builds: cache on, temperature 0. It used to reach
    # OpenAI and come back as a 400 logged as an error call.
    cached = request(model=model, temperature=0.0, cache={"enabled": True})
    with pytest.raises(UnsupportedFeatureError, match="takes no temperature, so its answers are not deterministic"):
        await ring.chat(cached)
    with pytest.raises(UnsupportedFeatureError, match="not deterministic"):
        [c async for c in ring.chat_stream(cached)]
    await ring.flush()
    assert openai_fake.requests == [] and rows(db_path) == []


async def test_temperature_is_dropped_for_a_model_that_takes_none(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="llmring"):
        response = await ring.chat(request(model="o4-mini", temperature=0.3, top_p=0.5))
    assert response.content
    body = openai_fake.requests[-1].json
    assert "temperature" not in body and "top_p" not in body
    [warning] = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert warning == "llmring: openai:o4-mini takes no temperature or top_p: not sent"
    await ring.flush()
    [row] = rows(db_path)
    assert row["status"] == "success" and row["temperature"] is None  # the row says what was sent


async def test_reasoning_setting_is_sent_logged_and_billed_once(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    response = await ring.chat(request(model="gpt-5-mini", reasoning="high", max_tokens=500))
    assert openai_fake.requests[-1].json["reasoning_effort"] == "high"
    usage = response.usage
    assert usage["reasoning_tokens"] == 64 and usage["completion_tokens"] > 64
    model = find_bundled("openai", "gpt-5-mini")
    assert model is not None and model.dollars_per_million_tokens_reasoning is None
    # By hand: fresh input and cached input at their rates, every output token (reasoning
    # included, once) at the output rate.
    fresh = usage["prompt_tokens"] - usage["cached_tokens"]
    assert model.dollars_per_million_tokens_input is not None
    assert model.dollars_per_million_tokens_output is not None
    expected = (
        fresh * model.dollars_per_million_tokens_input
        + usage["cached_tokens"] * (model.dollars_per_million_tokens_cached_input or Decimal(0))
        + usage["completion_tokens"] * model.dollars_per_million_tokens_output
    ) / 1_000_000
    assert usage["cost"] == expected
    await ring.flush()
    [row] = rows(db_path)
    assert row["reasoning"] == "high" and row["reasoning_tokens"] == 64


async def test_unaccepted_level_is_refused_before_logging(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    with pytest.raises(UnsupportedFeatureError, match="openai:gpt-5-mini does not accept reasoning 'xhigh'"):
        await ring.chat(request(model="gpt-5-mini", reasoning="xhigh"))
    await ring.flush()
    assert openai_fake.requests == [] and rows(db_path) == []


async def test_gemini_25_flash_none_sends_budget_zero_and_logs_no_reasoning_tokens(
    gemini: google_fake.GoogleFake, db_path: Path
) -> None:
    async with LLMRingSQLite(db_path) as ring:
        thinking = await ring.chat(LLMRequest(model="gemini-2.5-flash", messages=[Message(role="user", content="Hi")]))
        off = await ring.chat(
            LLMRequest(model="gemini-2.5-flash", reasoning="none", messages=[Message(role="user", content="Hi")])
        )
        await ring.flush()
    assert gemini.requests[-1].json["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 0}
    assert thinking.usage["reasoning_tokens"] > 0 and off.usage["reasoning_tokens"] == 0
    first, second = rows(db_path)
    assert (first["reasoning"], first["reasoning_tokens"]) == (None, thinking.usage["reasoning_tokens"])
    assert (second["reasoning"], second["reasoning_tokens"]) == ("none", 0)


def test_reasoning_is_in_the_cache_key_and_absent_when_unset() -> None:
    plain = request(model="gpt-5-mini", temperature=0.0)
    keys = {
        cache_key("openai", "gpt-5-mini", plain),
        cache_key("openai", "gpt-5-mini", request(model="gpt-5-mini", temperature=0.0, reasoning="low")),
        cache_key("openai", "gpt-5-mini", request(model="gpt-5-mini", temperature=0.0, reasoning="high")),
        cache_key("openai", "gpt-5-mini", request(model="gpt-5-mini", temperature=0.0, reasoning=1024)),
    }
    assert len(keys) == 4
    # A request without reasoning keeps the key it had before the field existed.
    assert cache_key("openai", "gpt-5-mini", plain) == cache_key(
        "openai", "gpt-5-mini", request(model="gpt-5-mini", temperature=0.0, reasoning=None)
    )


@pytest.mark.parametrize("bad", [True, -1, "extreme", 1.5])
def test_bad_reasoning_values_are_one_line_errors(bad: object) -> None:
    from llmring.errors import InvalidRequestError

    with pytest.raises(InvalidRequestError) as caught:
        request(model="gpt-5-mini", reasoning=bad)
    assert "reasoning" in str(caught.value) and "\n" not in str(caught.value)


TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}


@pytest.mark.parametrize(
    ("model", "kw", "stream", "why"),
    [
        ("gpt-5-pro", {}, True, "openai:gpt-5-pro does not support streaming"),
        ("gpt-5.5-cyber", {"tools": [TOOL]}, False, "openai:gpt-5.5-cyber does not support tools"),
        (
            "o3-mini",
            {
                "messages": [
                    Message(
                        role="user", content=[{"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]
                    )
                ]
            },
            False,
            "openai:o3-mini does not accept images",
        ),
        (
            "gpt-4-turbo",
            {"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}},
            False,
            "openai:gpt-4-turbo does not support structured output",
        ),
    ],
)
async def test_what_a_model_cannot_take_is_refused_unsent_unlogged(
    ring: LLMRingSQLite,
    openai_fake: OpenAIFake,
    db_path: Path,
    model: str,
    kw: dict[str, object],
    stream: bool,
    why: str,
) -> None:
    # Issue 14 item 5: refused in one line before sending, never sent to come back as a 400, and
    # not logged as a provider call.
    asked = request(model=model).model_copy(update=kw)
    with pytest.raises(UnsupportedFeatureError, match=why) as caught:
        if stream:
            [c async for c in ring.chat_stream(asked)]
        else:
            await ring.chat(asked)
    assert "\n" not in str(caught.value)
    await ring.flush()
    assert openai_fake.requests == [] and rows(db_path) == []


async def test_claude_is_sent_temperature_or_top_p_never_both(
    claude: anthropic_fake.AnthropicFake, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Claude Sonnet 4.5 and later answer temperature with top_p by a 400 ("`temperature` and
    # `top_p` cannot both be specified for this model"); Anthropic asks for one or the other on
    # every model. temperature is kept, top_p dropped with one warning.
    both = LLMRequest(
        model="claude-sonnet-4-6", messages=[Message(role="user", content="Hi")], temperature=0.2, top_p=0.9
    )
    async with LLMRingSQLite(db_path) as ring:
        with caplog.at_level(logging.WARNING, logger="llmring"):
            await ring.chat(both)
        await ring.chat(both.model_copy(update={"temperature": None}))
        await ring.flush()
    first, second = (r.json for r in claude.requests)
    assert (first["temperature"], "top_p" in first) == (0.2, False)
    assert (second["top_p"], "temperature" in second) == (0.9, False)  # one of them alone is sent
    [warning] = [r.getMessage() for r in caplog.records if "top_p" in r.getMessage()]
    assert warning == "llmring: anthropic:claude-sonnet-4-6 takes temperature or top_p, not both: top_p not sent"
    assert [r["temperature"] for r in rows(db_path)] == [0.2, None]


@pytest.mark.parametrize(("model", "cap"), [("gpt-4o-mini", 16384), ("gpt-5-pro", 272000)])
async def test_max_tokens_above_the_models_output_cap_is_refused_unsent_unlogged(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path, model: str, cap: int
) -> None:
    # OpenAI and Anthropic answer a max_tokens above the model's output cap with a 400.
    with pytest.raises(UnsupportedFeatureError) as caught:
        await ring.chat(request(model=model, max_tokens=cap + 1))
    assert str(caught.value) == (f"openai:{model} writes at most {cap:,} output tokens: lower max_tokens ({cap + 1:,})")
    await ring.flush()
    assert openai_fake.requests == [] and rows(db_path) == []
    await ring.chat(request(model=model, max_tokens=cap))  # the cap itself is fine
    assert len(openai_fake.requests) == 1


async def test_max_tokens_above_claudes_output_cap_is_refused(
    claude: anthropic_fake.AnthropicFake, db_path: Path
) -> None:
    asked = LLMRequest(
        model="claude-haiku-4-5-20251001", messages=[Message(role="user", content="Hi")], max_tokens=64001
    )
    async with LLMRingSQLite(db_path) as ring:
        with pytest.raises(UnsupportedFeatureError, match=r"writes at most 64,000 output tokens"):
            await ring.chat(asked)
        await ring.flush()
    assert claude.requests == [] and rows(db_path) == []
