"""``LLMRing.estimate`` (issue 16): the provider's own count where it has one, else the heuristic.

On each fake the estimate's input tokens equal the prompt tokens of the call that follows; the
count itself is free and is neither logged nor cached.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmring.cost import compute_cost
from llmring.estimate import heuristic_input_tokens
from llmring.registry import find_bundled
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes import anthropic_fake, google_fake
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.google_fake import GoogleFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Reply
from tests.service.conftest import rows

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture
def other_fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AnthropicFake, GoogleFake]]:
    anthropic = AnthropicFake().start()
    google = GoogleFake().start()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", anthropic_fake.API_KEY)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", f"{google.base_url}/v1beta")
    monkeypatch.setenv("GEMINI_API_KEY", google_fake.API_KEY)
    yield anthropic, google
    anthropic.stop()
    google.stop()


def conversation(model: str, **kw: Any) -> LLMRequest:
    return LLMRequest(
        model=model,
        messages=[
            Message(role="system", content="You are terse. Answer in one line."),
            Message(role="user", content="What is the weather like in Paris today, and should I take a coat?"),
        ],
        tools=[WEATHER],
        **kw,
    )


@pytest.mark.parametrize(
    ("model", "count_path"),
    [
        ("openai:gpt-4o-mini", "/v1/responses/input_tokens"),
        ("openai:gpt-5-pro", "/v1/responses/input_tokens"),
        ("anthropic:claude-haiku-4-5-20251001", "/v1/messages/count_tokens"),
        ("google:gemini-2.5-flash-lite", "/v1beta/models/gemini-2.5-flash-lite:countTokens"),
    ],
)
async def test_estimate_counts_what_the_call_then_bills(
    model: str,
    count_path: str,
    openai_fake: OpenAIFake,
    other_fakes: tuple[AnthropicFake, GoogleFake],
    db_path: Path,
) -> None:
    anthropic, google = other_fakes
    request = conversation(model, max_tokens=300)
    async with LLMRingSQLite(db_path) as ring:
        found = await ring.estimate(request)
        await ring.flush()
        assert rows(db_path) == []  # counting is not a completion
        response = await ring.chat(request)
        await ring.flush()

    assert found.counted_by == "provider" and found.count_error is None
    assert found.input_tokens == response.usage["prompt_tokens"]
    assert found.input_tokens != heuristic_input_tokens(request)  # the count, not the fallback
    fake = {"openai": openai_fake, "anthropic": anthropic, "google": google}[model.split(":")[0]]
    assert fake.requests[0].path == count_path
    problems = openai_fake.contract_problems() + anthropic.violations + google.violations
    assert problems == []
    assert len(rows(db_path)) == 1
    # Input at the model's rates, output at its ceiling (max_tokens), exact decimals.
    entry = find_bundled(*model.split(":", 1))
    assert found.output_tokens == 300
    assert found.input_cost == compute_cost(entry, {"prompt_tokens": found.input_tokens}).total
    worst = compute_cost(entry, {"prompt_tokens": found.input_tokens, "completion_tokens": 300}).total
    assert found.total_cost == worst and worst is not None and worst > found.input_cost > 0
    assert entry is not None and found.context_window == entry.max_context
    assert found.context_used == found.input_tokens / entry.max_context


async def test_estimate_output_defaults_to_the_models_maximum(openai_fake: OpenAIFake, db_path: Path) -> None:
    async with LLMRingSQLite(db_path) as ring:
        found = await ring.estimate(conversation("openai:gpt-4o-mini"))
    entry = find_bundled("openai", "gpt-4o-mini")
    assert entry is not None and entry.max_output_tokens
    assert found.output_tokens == entry.max_output_tokens


async def test_without_a_key_the_heuristic_answers_and_says_why(
    openai_fake: OpenAIFake, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    request = conversation("openai:gpt-4o-mini", max_tokens=50)
    async with LLMRingSQLite(db_path) as ring:
        found = await ring.estimate(request)
    assert found.counted_by == "heuristic"
    assert found.input_tokens == heuristic_input_tokens(request)
    assert found.count_error is not None and "OPENAI_API_KEY" in found.count_error
    assert openai_fake.requests == []


async def test_a_failed_count_falls_back_to_the_heuristic(openai_fake: OpenAIFake, db_path: Path) -> None:
    openai_fake.enqueue(
        Reply(400, {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}})
    )
    request = conversation("openai:gpt-4o-mini", max_tokens=50)
    async with LLMRingSQLite(db_path, max_retries=0) as ring:
        found = await ring.estimate(request)
    assert found.counted_by == "heuristic" and found.input_tokens == heuristic_input_tokens(request)
    assert found.count_error is not None and "BadRequestError" in found.count_error
    assert found.total_cost is not None  # still priced


async def test_ollama_has_no_count_endpoint_and_costs_nothing(db_path: Path) -> None:
    request = conversation("ollama:llama3.2", max_tokens=50)
    async with LLMRingSQLite(db_path) as ring:
        found = await ring.estimate(request)
    assert found.counted_by == "heuristic" and found.count_error is None
    assert found.input_cost == found.output_cost == found.total_cost == Decimal(0)


def test_estimate_as_dict_keeps_exact_decimals() -> None:
    from llmring.estimate import Estimate

    found = Estimate("openai:x", 1000, "provider", 10, Decimal("0.000150"), Decimal("0.0000060"), 128000)
    data = found.as_dict()
    assert data["total_cost"] == "0.0001560" and data["input_cost"] == "0.000150"
    assert data["context_used"] == 1000 / 128000
    unbounded = Estimate("openai:x", 1000, "heuristic", None, Decimal(1), None, None)
    assert unbounded.total_cost is None and unbounded.context_used is None
