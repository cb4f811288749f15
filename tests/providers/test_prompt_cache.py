"""Issue 14: ``LLMRequest.prompt_cache`` on every provider, through its fake.

Anthropic gets ``cache_control`` breakpoints (system prompt, last user turn, last tool) within the
4-breakpoint cap and not below the model's minimum cacheable length; OpenAI a ``prompt_cache_key``
(and ``prompt_cache_options`` on models that bill cache writes); Gemini caches implicitly, so its
body does not change. The fake Anthropic caches prefixes as the API does, so a write-then-read
pair is priced here against figures computed by hand from the registry's prices.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from llmring.controls import bundled_entry
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.google import GoogleProvider
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.anthropic_fake import AnthropicFake
from tests.fakes.google_fake import GoogleFake
from tests.fakes.openai_fake import OpenAIFake

POLICY = "Answer in the house style. " * 400  # about 2,700 tokens: above every Claude minimum
TOOL = {
    "type": "function",
    "function": {"name": "lookup", "description": "Look a word up.", "parameters": {"type": "object"}},
}


def ask(model: str, *, system: str = POLICY, text: str = "Q1", **kw: Any) -> LLMRequest:
    messages = [Message(role="system", content=system), Message(role="user", content=text)]
    return LLMRequest(model=model, messages=messages, **kw)


def breakpoints(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [("tool", t["cache_control"]) for t in body.get("tools") or [] if "cache_control" in t]
    system = body.get("system")
    found += [("system", b["cache_control"]) for b in system or [] if isinstance(b, dict) and "cache_control" in b]
    for turn in body["messages"]:
        content = turn["content"]
        found += [
            (turn["role"], b["cache_control"]) for b in content if isinstance(content, list) and "cache_control" in b
        ]
    return found


async def test_anthropic_breakpoints_on_system_last_user_turn_and_last_tool(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    await anthropic_provider.chat(ask("claude-sonnet-4-5", prompt_cache="1h", tools=[TOOL]))
    one_hour = {"type": "ephemeral", "ttl": "1h"}
    assert sorted(breakpoints(anthropic_fake_server.last_body), key=str) == sorted(
        [("system", one_hour), ("user", one_hour)], key=str
    )  # the tool alone (about 30 tokens) is below the 1,024-token minimum

    await anthropic_provider.chat(ask("claude-sonnet-4-5", prompt_cache="5m"))
    assert breakpoints(anthropic_fake_server.last_body) == [
        ("system", {"type": "ephemeral"}),
        ("user", {"type": "ephemeral"}),
    ]


async def test_anthropic_no_breakpoint_below_the_minimum_cacheable_length(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    # claude-haiku-4-5 caches from 4,096 tokens; this prompt is a few hundred.
    await anthropic_provider.chat(ask("claude-haiku-4-5", system="Be brief. " * 100, prompt_cache="5m"))
    body = anthropic_fake_server.last_body
    assert breakpoints(body) == []
    assert body["system"] == ("Be brief. " * 100).strip() or body["system"] == "Be brief. " * 100
    assert body["messages"] == [{"role": "user", "content": "Q1"}]


async def test_anthropic_keeps_explicit_breakpoints_and_the_cap_of_four(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    marked = {"type": "ephemeral"}
    parts = [{"type": "text", "text": f"Document {i}. " + POLICY, "cache_control": marked} for i in range(3)]
    request = LLMRequest(
        model="claude-sonnet-4-5",
        messages=[
            Message(role="system", content=POLICY),
            Message(role="user", content=[*parts, {"type": "text", "text": "Q"}]),
        ],
        prompt_cache="5m",
    )
    await anthropic_provider.chat(request)
    found = breakpoints(anthropic_fake_server.last_body)
    assert len(found) == 4  # three explicit, one added (the system prompt, the most stable)
    assert found[0] == ("system", marked)


@pytest.mark.parametrize("ttl", ["5m", "1h"])
async def test_anthropic_write_then_read_is_priced_as_computed_by_hand(
    tmp_path: Path, anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake, ttl: str
) -> None:
    model = bundled_entry("anthropic", "claude-sonnet-4-6")
    assert model is not None
    per_token = {
        name: getattr(model, f"dollars_per_million_tokens_{name}") / Decimal(1_000_000)
        for name in ("input", "output", "cached_input", f"cache_write_{ttl}")
    }
    ring = LLMRingSQLite(tmp_path / "calls.db", origin="tests", providers={"anthropic": anthropic_provider})
    try:
        first = await ring.chat(ask("claude-sonnet-4-6", prompt_cache=ttl))
        second = await ring.chat(ask("claude-sonnet-4-6", prompt_cache=ttl))
    finally:
        await ring.close()
    write, read = first.usage, second.usage
    written = f"cache_write_{ttl}_tokens"
    assert write[written] > 2000 and write["cached_tokens"] == 0
    assert read["cached_tokens"] == write[written] and read[written] == 0
    fresh_1 = write["prompt_tokens"] - write[written]
    fresh_2 = read["prompt_tokens"] - read["cached_tokens"]
    assert write["cost"] == (
        fresh_1 * per_token["input"]
        + write[written] * per_token[f"cache_write_{ttl}"]
        + write["completion_tokens"] * per_token["output"]
    )
    assert read["cost"] == (
        fresh_2 * per_token["input"]
        + read["cached_tokens"] * per_token["cached_input"]
        + read["completion_tokens"] * per_token["output"]
    )
    # What the cache saved against the uncached price (the write cost more than it saved).
    assert read["prompt_cache_savings"] == read["cached_tokens"] * (per_token["input"] - per_token["cached_input"])
    assert write["prompt_cache_savings"] == write[written] * (per_token["input"] - per_token[f"cache_write_{ttl}"])
    assert write["prompt_cache_savings"] < 0 < read["prompt_cache_savings"]


async def test_openai_prompt_cache_key_hashes_system_prompt_and_tools(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    await openai_provider.chat(ask("gpt-4o-mini", prompt_cache="5m", text="Q1"))
    await openai_provider.chat(ask("gpt-4o-mini", prompt_cache="5m", text="Q2"))
    await openai_provider.chat(ask("gpt-4o-mini", prompt_cache="5m", system="Another policy."))
    await openai_provider.chat(ask("gpt-4o-mini", prompt_cache="5m", tools=[TOOL]))
    await openai_provider.chat(ask("gpt-4o-mini"))
    keys = [r.json.get("prompt_cache_key") for r in openai_fake.requests]
    assert keys[0] == keys[1] and keys[0].startswith("llmring-") and len(keys[0]) <= 64
    assert len({keys[0], keys[2], keys[3]}) == 3 and keys[4] is None
    assert all("prompt_cache_options" not in r.json for r in openai_fake.requests)


async def test_openai_cache_options_on_models_that_bill_writes_and_a_given_key_wins(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    await openai_provider.chat(ask("gpt-5.6-sol", prompt_cache="1h"))
    body = openai_fake.requests[-1].json
    assert body["prompt_cache_options"] == {"ttl": "30m"} and body["prompt_cache_key"].startswith("llmring-")
    options = {"openai": {"prompt_cache_key": "tenant-7", "prompt_cache_retention": "24h"}}
    await openai_provider.chat(ask("gpt-4o-mini", prompt_cache="5m", provider_options=options))
    body = openai_fake.requests[-1].json
    assert body["prompt_cache_key"] == "tenant-7" and body["prompt_cache_retention"] == "24h"


async def test_openai_responses_api_takes_the_same_key(
    openai_provider: OpenAIProvider, openai_fake: OpenAIFake
) -> None:
    await openai_provider.chat(ask("gpt-5-pro", prompt_cache="5m"))
    request = openai_fake.requests[-1]
    assert request.path == "/v1/responses" and request.json["prompt_cache_key"].startswith("llmring-")


async def test_gemini_caches_implicitly_so_the_body_does_not_change(
    google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    await google_provider.chat(ask("gemini-2.5-flash", prompt_cache="1h"))
    await google_provider.chat(ask("gemini-2.5-flash"))
    with_cache, without = (r.json for r in google_fake_server.requests)
    assert with_cache == without


async def test_anthropic_places_no_one_hour_breakpoint_after_an_explicit_five_minute_one(
    anthropic_provider: AnthropicProvider, anthropic_fake_server: AnthropicFake
) -> None:
    # Anthropic rejects a 1h breakpoint that follows a 5m one: the system prompt (before the
    # caller's 5m part) is marked, the last user turn (after it) is not.
    five = {"type": "ephemeral"}
    part = {"type": "text", "text": "Document. " + POLICY, "cache_control": five}
    request = LLMRequest(
        model="claude-sonnet-4-5",
        messages=[
            Message(role="system", content=POLICY),
            Message(role="user", content=[part]),
            Message(role="assistant", content="Read."),
            Message(role="user", content="Q"),
        ],
        prompt_cache="1h",
    )
    await anthropic_provider.chat(request)
    assert breakpoints(anthropic_fake_server.last_body) == [
        ("system", {"type": "ephemeral", "ttl": "1h"}),
        ("user", five),
    ]


async def test_gemini_implicit_cache_read_is_priced_as_computed_by_hand(
    tmp_path: Path, google_provider: GoogleProvider, google_fake_server: GoogleFake
) -> None:
    # Gemini caches repeated prefixes by itself and reports cachedContentTokenCount; those tokens
    # are priced at the cached rate and counted once in the prompt.
    model = bundled_entry("google", "gemini-2.5-flash-lite")
    assert model is not None and model.dollars_per_million_tokens_cached_input is not None
    per_token = {
        name: getattr(model, f"dollars_per_million_tokens_{name}") / Decimal(1_000_000)
        for name in ("input", "output", "cached_input")
    }
    first = ask("gemini-2.5-flash-lite", prompt_cache="5m")
    ring = LLMRingSQLite(tmp_path / "calls.db", origin="tests", providers={"google": google_provider})
    try:
        answer = await ring.chat(first)
        follow_up = first.model_copy(
            update={
                "messages": [
                    *first.messages,
                    Message(role="assistant", content=answer.content),
                    Message(role="user", content="Q2"),
                ]
            }
        )
        read = (await ring.chat(follow_up)).usage
    finally:
        await ring.close()
    assert answer.usage["cached_tokens"] == 0 and read["cached_tokens"] > 2000
    assert read["cache_write_5m_tokens"] == read["cache_write_1h_tokens"] == 0  # nothing is billed to write
    fresh = read["prompt_tokens"] - read["cached_tokens"]
    assert read["cost"] == (
        fresh * per_token["input"]
        + read["cached_tokens"] * per_token["cached_input"]
        + read["completion_tokens"] * per_token["output"]
    )
    assert read["prompt_cache_savings"] == read["cached_tokens"] * (per_token["input"] - per_token["cached_input"])
