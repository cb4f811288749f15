"""Every call leaves rows: successes, failures by status, each retried attempt, streams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmring.errors import (
    AuthenticationError,
    MissingAPIKeyError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderTimeoutError,
    UnsupportedFeatureError,
)
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import OpenAIFake, rate_limit_reply
from tests.fakes.server import Reply
from tests.service.conftest import request, rows


async def test_success_row_has_tokens_cost_and_request_fields(ring: LLMRingSQLite, db_path: Path) -> None:
    req = request(
        temperature=0.2,
        max_tokens=50,
        metadata={
            "id_at_origin": "user-7",
            "team": "a",
            "api_key": "sk-should-not-be-stored",
            "note": "Bearer abcdefghijk",
        },
    )
    response = await ring.chat(req)
    assert response.usage["cost"] is not None and response.usage["cost"] > 0
    assert response.metadata["unpriced"] is False
    assert set(response.metadata["cost_breakdown"]) == {"input", "output"}
    await ring.flush()
    [row] = rows(db_path)
    assert row["status"] == "success" and row["final"] == 1 and row["attempt"] == 1
    assert row["call_id"] == response.metadata["call_id"]
    assert row["origin"] == "tests" and row["id_at_origin"] == "user-7"
    assert (row["provider"], row["model_name"]) == ("openai", "gpt-4o-mini")
    assert row["prompt_tokens"] == response.usage["prompt_tokens"] > 0
    assert row["completion_tokens"] == response.usage["completion_tokens"] > 0
    assert row["temperature"] == 0.2 and row["max_tokens"] == 50
    assert row["estimated_cost_pico"] == int(response.usage["cost"] * 10**12)
    assert json.loads(row["rate_snapshot"])["input"] == "0.15"
    assert row["request_id"] == response.request_id
    metadata = json.loads(row["request_metadata"])
    assert "api_key" not in metadata and metadata["team"] == "a"
    assert "abcdefghijk" not in metadata["note"]


async def test_id_at_origin_argument_wins_then_default(ring: LLMRingSQLite, db_path: Path) -> None:
    await ring.chat(request(metadata={"id_at_origin": "meta-user"}), id_at_origin="arg-user")
    await ring.chat(request())
    await ring.flush()
    assert [r["id_at_origin"] for r in rows(db_path)] == ["arg-user", "default"]


async def test_tools_and_json_mode_are_recorded(ring: LLMRingSQLite, db_path: Path) -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}
    response = await ring.chat(request(tools=[tool]))
    assert response.tool_calls
    await ring.chat(request(response_format={"type": "json_object"}))
    await ring.flush()
    first, second = rows(db_path)
    assert json.loads(first["tools_used"]) == ["get_weather"]
    assert second["json_mode"] == 1 and json.loads(second["response_format"]) == {"type": "json_object"}


async def test_401_gives_one_error_row(ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path) -> None:
    openai_fake.api_key = "sk-a-different-key-000000"
    with pytest.raises(AuthenticationError):
        await ring.chat(request())
    await ring.flush()
    [row] = rows(db_path)
    assert (row["status"], row["error_type"], row["final"]) == ("error", "AuthenticationError", 1)
    assert row["estimated_cost_pico"] is None
    assert "Incorrect API key" in row["error_message"]


async def test_429_then_success_gives_two_rows_with_one_call_id(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    openai_fake.enqueue(rate_limit_reply(retry_after="0"))
    response = await ring.chat(request())
    await ring.flush()
    first, second = rows(db_path)
    assert first["call_id"] == second["call_id"] == response.metadata["call_id"]
    assert (first["attempt"], first["status"], first["final"], first["error_type"]) == (
        1,
        "rate_limited",
        0,
        "RateLimitError",
    )
    assert first["request_id"] == "req_ratelimited"
    assert (second["attempt"], second["status"], second["final"]) == (2, "success", 1)
    stats = await ring.get_usage_stats()
    assert stats.total_calls == 1 and stats.success_rate == 1


async def test_timeout_gives_a_timeout_row(openai_fake: OpenAIFake, db_path: Path) -> None:
    openai_fake.enqueue(Reply(200, {}, delay=1.0))
    async with LLMRingSQLite(db_path, max_retries=0) as ring:
        with pytest.raises(ProviderTimeoutError):
            await ring.chat(request(timeout=0.2))
    [row] = rows(db_path)
    assert (row["status"], row["error_type"]) == ("timeout", "ProviderTimeoutError")


async def test_exhausted_retries_log_every_attempt(ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path) -> None:
    openai_fake.enqueue(*(rate_limit_reply(retry_after="0") for _ in range(3)))
    with pytest.raises(Exception, match="Rate limit"):
        await ring.chat(request())
    await ring.flush()
    found = rows(db_path)
    assert [(r["attempt"], r["final"], r["status"]) for r in found] == [
        (1, 0, "rate_limited"),
        (2, 0, "rate_limited"),
        (3, 1, "rate_limited"),
    ]
    assert len({r["call_id"] for r in found}) == 1


async def test_missing_key_names_the_env_var_and_logs_nothing(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    # A missing key is configuration, refused before the call: no request, so no call row
    # (issue 8: bad input leaves nothing written).
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        await ring.chat(request())
    await ring.flush()
    assert rows(db_path) == [] and openai_fake.requests == []


async def test_capability_refusal_sends_nothing_and_logs_nothing(
    ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path
) -> None:
    # Issue 14 item 5: a request refused before sending is not a provider call, so no error row
    # with 0 ms (it used to be logged as one).
    image = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
    with pytest.raises(UnsupportedFeatureError, match="does not accept images"):
        await ring.chat(LLMRequest(model="phi4", messages=[Message(role="user", content=image)]))
    assert openai_fake.requests == []
    await ring.flush()
    assert rows(db_path) == []


async def test_unknown_model_raises_before_anything(ring: LLMRingSQLite, openai_fake: OpenAIFake) -> None:
    with pytest.raises(ModelNotFoundError, match="did you mean"):
        await ring.chat(request(model="gpt4o-mini"))
    assert openai_fake.requests == []


async def test_stream_logs_one_row_with_ttft_and_cost(ring: LLMRingSQLite, db_path: Path) -> None:
    chunks = [c async for c in ring.chat_stream(request("stream this please"))]
    text = "".join(c.delta for c in chunks)
    assert text == "Echo: stream this please"
    final = chunks[-1]
    assert final.usage is not None and final.usage["cost"] > 0 and final.finish_reason == "stop"
    await ring.flush()
    [row] = rows(db_path)
    assert row["stream"] == 1 and row["status"] == "success"
    assert row["time_to_first_token_ms"] is not None
    assert row["time_to_first_token_ms"] <= row["response_time_ms"]
    assert row["estimated_cost_pico"] == int(final.usage["cost"] * 10**12)


async def test_stream_failure_mid_way_is_logged(ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path) -> None:
    openai_fake.drop_stream_after = 3
    with pytest.raises(ProviderConnectionError, match=r"connection dropped|ended before"):
        async for _ in ring.chat_stream(request("one two three four five six")):
            pass
    await ring.flush()
    [row] = rows(db_path)
    assert row["status"] == "error" and row["stream"] == 1 and row["time_to_first_token_ms"] is not None


async def test_stream_closed_early_is_logged(ring: LLMRingSQLite, db_path: Path) -> None:
    stream = ring.chat_stream(request("one two three four five six"))
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    await ring.flush()
    [row] = rows(db_path)
    assert (row["status"], row["error_type"]) == ("error", "StreamClosedEarly")


async def test_unpriced_model_logs_null_cost(ring: LLMRingSQLite, openai_fake: OpenAIFake, db_path: Path) -> None:
    # o1-preview is served by the fake but not in the registry: routed by prefix, priced None.
    response = await ring.chat(request(model="o1-preview"))
    assert response.usage["cost"] is None and response.metadata["unpriced"] is True
    await ring.flush()
    assert rows(db_path)[0]["estimated_cost_pico"] is None
    assert (await ring.get_usage_stats()).unpriced_calls == 1
