"""The fakes' central contract check is live: it flags bad requests and drifting replies.

Each test here provokes a violation on purpose, asserts the fake saw it, then resets the fake so
the fixture's teardown check (which would otherwise fail the test) starts clean.
"""

from __future__ import annotations

import httpx
import pytest

from tests.contracts import ollama_contract, openai_contract
from tests.contracts.spec_files import needs_spec
from tests.fakes import ollama_fake as ollama_replies
from tests.fakes import openai_replies
from tests.fakes.ollama_fake import OllamaFake
from tests.fakes.openai_fake import OpenAIFake
from tests.fakes.server import Reply, ndjson

OPENAI_CANNED = {
    "rate_limit": openai_replies.rate_limit_reply(),
    "quota": openai_replies.quota_reply(),
    "500": openai_replies.server_error_reply(500),
    "503": openai_replies.server_error_reply(503),
    "context_length": openai_replies.context_length_reply(),
    "content_policy": openai_replies.content_policy_reply(),
    "forbidden": openai_replies.forbidden_reply(),
}


@pytest.mark.parametrize("name", sorted(OPENAI_CANNED))
def test_openai_canned_replies_satisfy_the_contract(name: str) -> None:
    assert OpenAIFake.check_reply(OPENAI_CANNED[name]) == []


def test_ollama_canned_replies_satisfy_the_contract() -> None:
    assert OllamaFake.check_reply(ollama_replies.unauthorized_reply()) == []
    assert OllamaFake.check_reply(ollama_replies.error_reply(404, "model 'x' not found")) == []


@needs_spec(openai_contract.SPEC_FILE)  # the spec is what names CreateChatCompletionRequest
async def test_openai_fake_flags_a_malformed_request(openai_fake: OpenAIFake) -> None:
    bad = {"model": "gpt-4o", "messages": [{"role": "bot", "content": "hi"}], "temperature": "0.2", "max_tokens": 5}
    async with httpx.AsyncClient() as client:
        await client.post(
            f"{openai_fake.base_url}/v1/chat/completions",
            json=bad,
            headers={"authorization": f"Bearer {openai_fake.api_key}"},
        )
    problems = openai_fake.contract_problems()
    openai_fake.reset()
    assert any("[spec CreateChatCompletionRequest]" in p for p in problems)
    assert any("[sdk CompletionCreateParams]" in p for p in problems)
    assert any("max_tokens" in p for p in problems)


def test_openai_fake_flags_a_drifting_enqueued_reply(openai_fake: OpenAIFake) -> None:
    body = {
        "id": "x",
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "end_turn"}],
    }
    openai_fake.enqueue(Reply(200, body))
    problems = openai_fake.contract_problems()
    openai_fake.reset()
    assert any("finish_reason" in p for p in problems)


@needs_spec(ollama_contract.SPEC_FILE)
async def test_ollama_fake_flags_a_malformed_request(ollama_fake: OllamaFake) -> None:
    bad = {"model": "llama3.2", "messages": [{"role": "bot", "content": "hi"}], "options": {"temperature": "hot"}}
    async with httpx.AsyncClient() as client:
        await client.post(f"{ollama_fake.base_url}/api/chat", json=bad)
    problems = ollama_fake.contract_problems()
    ollama_fake.reset()
    assert any("[spec ChatRequest]" in p for p in problems)
    assert any("[sdk Options]" in p for p in problems)


def test_ollama_fake_flags_a_drifting_enqueued_stream(ollama_fake: OllamaFake) -> None:
    lines = ndjson([{"model": "llama3.2", "message": {"content": "hi"}, "done": "yes"}])
    ollama_fake.enqueue(Reply(200, chunks=lines, content_type="application/x-ndjson"))
    problems = ollama_fake.contract_problems()
    ollama_fake.reset()
    assert problems
