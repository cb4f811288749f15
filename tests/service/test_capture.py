"""Capture of prompts and answers (issue 17): off by default and then nothing is written; on,
every outcome row keeps its messages, tools, answer, tool calls and parsed JSON, scrubbed."""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from llmring.capture import Capture
from llmring.errors import ConfigurationError
from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite
from tests.fakes.openai_fake import API_KEY, OpenAIFake
from tests.fakes.openai_replies import rate_limit_reply
from tests.fakes.server import Reply
from tests.service.conftest import request, rows

MARKER = "zebra-quartz-lantern"  # a word no other row, table or index holds
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def content_counts(db_path: Path) -> tuple[int, int]:
    with sqlite3.connect(db_path) as conn:
        pieces = conn.execute("SELECT COUNT(*) FROM llm_content").fetchone()[0]
        links = conn.execute("SELECT COUNT(*) FROM llm_call_content").fetchone()[0]
    return pieces, links


def files_holding(folder: Path, needle: str) -> list[str]:
    """The database files (main, WAL, SHM) whose bytes contain ``needle``."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and needle.encode() in p.read_bytes())


async def captured(ring: LLMRingSQLite) -> list[Any]:
    """The captured content of every outcome row, oldest first."""
    store = await ring._query_store()
    records = sorted(await store.list_recent_calls(limit=100), key=lambda r: r.called_at)
    contents = await store.get_call_contents([r.id for r in records])
    return [contents.get(r.id) for r in records]


async def test_off_by_default_writes_no_content_anywhere(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    db_path = tmp_path / "off.db"
    ring = LLMRingSQLite(db_path)
    assert ring.log_content is False
    await ring.chat(request(f"tell me about {MARKER}"))
    async for _ in ring.chat_stream(request(f"stream {MARKER}")):
        pass
    await ring.close()
    assert len(rows(db_path)) == 2
    assert content_counts(db_path) == (0, 0)
    assert files_holding(tmp_path, MARKER) == []


async def test_on_keeps_the_conversation_and_the_answer(openai_fake: OpenAIFake, db_path: Path, tmp_path: Path) -> None:
    ring = LLMRingSQLite(db_path, log_content=True)
    messages = [Message(role="system", content="Be brief"), Message(role="user", content=f"Hi {MARKER}")]
    response = await ring.chat(LLMRequest(model="gpt-4o-mini", messages=messages))
    [content] = await captured(ring)
    await ring.close()
    assert content.messages == [
        {"role": "system", "content": "Be brief"},
        {"role": "user", "content": f"Hi {MARKER}"},
    ]
    assert content.response == response.content == f"Echo: Hi {MARKER}"
    assert content.prompt == f"Hi {MARKER}"
    assert content.tools is None and content.tool_calls is None and content.parsed is None
    assert files_holding(tmp_path, MARKER)  # the scan the "off" test relies on finds it when on


async def test_streamed_answer_is_captured_whole(openai_fake: OpenAIFake, db_path: Path) -> None:
    ring = LLMRingSQLite(db_path, log_content=True)
    text = "".join([chunk.delta async for chunk in ring.chat_stream(request("one two three four"))])
    [content] = await captured(ring)
    await ring.close()
    assert content.response == text == "Echo: one two three four"


async def test_tools_tool_calls_and_structured_output(openai_fake: OpenAIFake, db_path: Path) -> None:
    ring = LLMRingSQLite(db_path, log_content=True)
    called = await ring.chat(request("Weather in Paris?", tools=[WEATHER_TOOL]))
    await ring.chat(request("Give JSON", response_format={"type": "json_object"}))
    with_tools, with_json = await captured(ring)
    await ring.close()
    assert with_tools.tools == [WEATHER_TOOL]
    assert with_tools.tool_calls == called.tool_calls and with_tools.tool_calls[0]["function"]["name"] == "get_weather"
    assert with_tools.response == ""
    assert with_json.parsed == {"answer": "Echo: Give JSON"}


async def test_failed_call_keeps_what_was_asked(openai_fake: OpenAIFake, db_path: Path) -> None:
    ring = LLMRingSQLite(db_path, log_content=True, max_retries=0)
    openai_fake.enqueue(Reply(400, {"error": {"message": "bad input", "type": "invalid_request_error"}}))
    with pytest.raises(Exception, match="bad input"):
        await ring.chat(request(f"why {MARKER}"))
    [content] = await captured(ring)
    await ring.close()
    assert content.messages == [{"role": "user", "content": f"why {MARKER}"}]
    assert content.response is None


async def test_cache_hit_keeps_the_answer_it_served(openai_fake: OpenAIFake, db_path: Path) -> None:
    ring = LLMRingSQLite(db_path, log_content=True)
    for _ in range(2):
        await ring.chat(request("cached question", temperature=0, cache={"enabled": True}))
    first, second = await captured(ring)
    await ring.close()
    assert first.response == second.response == "Echo: cached question"
    assert len(openai_fake.requests) == 1


async def test_secrets_and_configured_patterns_are_never_stored(
    openai_fake: OpenAIFake, db_path: Path, tmp_path: Path
) -> None:
    ring = LLMRingSQLite(db_path, log_content=True, redact_patterns=[r"ACCT-\d{6}"])
    text = f"my key is {API_KEY} and my account ACCT-123456, bearer abcdefghijk"
    await ring.chat(request(text))
    [content] = await captured(ring)
    await ring.close()
    assert content.messages[0]["content"] == "my key is *** and my account ***, bearer ***"
    assert API_KEY not in (content.response or "") and "ACCT-123456" not in (content.response or "")
    assert files_holding(tmp_path, API_KEY) == files_holding(tmp_path, "ACCT-123456") == []


def test_a_bad_redact_pattern_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"redact pattern '\(' is not a valid regular expression"):
        LLMRingSQLite(":memory:", log_content=True, redact_patterns=["("])


async def test_attachments_are_type_size_and_hash_unless_asked(openai_fake: OpenAIFake, tmp_path: Path) -> None:
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
    data = base64.b64encode(image).decode()
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
    ]
    described = {
        "type": "image",
        "media_type": "image/png",
        "size": len(image),
        "sha256": hashlib.sha256(image).hexdigest(),
    }
    for keep, expected in ((False, described), (True, {**described, "data": data})):
        db_path = tmp_path / f"attach-{keep}.db"
        ring = LLMRingSQLite(db_path, log_content=True, log_attachments=keep)
        await ring.chat(LLMRequest(model="gpt-4o", messages=[Message(role="user", content=parts)]))
        [content] = await captured(ring)
        await ring.close()
        assert content.messages == [{"role": "user", "content": "What is this?", "attachments": [expected]}]
        with sqlite3.connect(db_path) as conn:
            assert (data in conn.execute("SELECT group_concat(extra) FROM llm_content").fetchone()[0]) is keep


def test_unstorable_characters_become_replacement_characters() -> None:
    capture = Capture()
    part = capture.message_part(Message(role="user", content="a\x00b\ud800c"))
    assert part.text == "a\ufffdb\ufffdc"
    assert capture.message_part(Message(role="user", content="a\x00b\ud800c")).hash == part.hash


async def test_retried_attempts_carry_no_content(openai_fake: OpenAIFake, db_path: Path) -> None:
    ring = LLMRingSQLite(db_path, log_content=True)
    openai_fake.enqueue(rate_limit_reply(retry_after="0"))
    await ring.chat(request("retry me"))
    await ring.close()
    with sqlite3.connect(db_path) as conn:
        linked = conn.execute(
            "SELECT c.final, COUNT(l.position) FROM llm_api_calls c LEFT JOIN llm_call_content l ON l.record_id = c.id"
            " GROUP BY c.id ORDER BY c.attempt"
        ).fetchall()
    assert linked == [(0, 0), (1, 2)]
