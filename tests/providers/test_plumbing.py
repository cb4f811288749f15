"""The shared provider plumbing: Retry-After parsing, backoff, SSE and NDJSON framing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from llmring.errors import ResponseFormatError
from llmring.providers.base import MAX_RETRY_AFTER, backoff_delay
from llmring.providers.errors import parse_retry_after
from llmring.providers.streams import SSEEvent, ndjson_objects, sse_events

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-3"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after-ms": "soon", "retry-after": "9"}, 9.0),
        ({"retry-after": "whenever"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=NOW) == expected


def test_parse_retry_after_http_date() -> None:
    when = format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True)
    assert parse_retry_after({"retry-after": when}, now=NOW) == pytest.approx(30.0)
    past = format_datetime(datetime.fromtimestamp(NOW - 30, UTC), usegmt=True)
    assert parse_retry_after({"retry-after": past}, now=NOW) == 0.0


def test_parse_retry_after_reads_httpx_headers_case_insensitively() -> None:
    assert parse_retry_after(httpx.Headers({"Retry-After": "7"})) == 7.0


def test_backoff_uses_the_hint_capped() -> None:
    assert backoff_delay(1, 2.0) == 2.0
    assert backoff_delay(3, 0.0) == 0.0
    assert backoff_delay(1, MAX_RETRY_AFTER * 10) == MAX_RETRY_AFTER


@pytest.mark.parametrize(("attempt", "base"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (9, 8.0)])
def test_backoff_is_exponential_with_jitter(attempt: int, base: float) -> None:
    delays = [backoff_delay(attempt, None) for _ in range(200)]
    assert all(0.75 * base <= d <= base for d in delays)
    assert len(set(delays)) > 1  # jittered


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def _events(lines: AsyncIterator[str]) -> list[SSEEvent]:
    return [event async for event in sse_events(lines)]


async def test_sse_comments_names_and_multiline_data() -> None:
    events = await _events(
        _lines(
            ": keep-alive",
            "",
            "event: ping",
            "data: {}",
            "",
            "data: line one",
            "data:line two",
            "id: 3",
            "retry: 5",
            "",
        )
    )
    assert events == [SSEEvent("ping", "{}"), SSEEvent("message", "line one\nline two")]


async def test_sse_last_event_without_blank_line_is_kept() -> None:
    assert await _events(_lines("data: [DONE]")) == [SSEEvent("message", "[DONE]")]


async def test_sse_blank_lines_alone_yield_nothing() -> None:
    assert await _events(_lines("", "", ": comment", "")) == []


async def test_sse_over_a_real_body_with_crlf_and_cr() -> None:
    raw = b'event: a\r\ndata: 1\r\n\r\ndata: 2\rdata: 3\r\r: c\n\ndata: {"x": 1}\n\n'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=raw))
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("http://test/")
        events = await _events(response.aiter_lines())
    assert events == [SSEEvent("a", "1"), SSEEvent("message", "2\n3"), SSEEvent("message", '{"x": 1}')]
    assert events[2].json("openai") == {"x": 1}


async def test_sse_event_json_error_is_typed() -> None:
    with pytest.raises(ResponseFormatError):
        SSEEvent("message", "{not json").json("openai")


async def test_ndjson_skips_blank_lines_and_rejects_garbage() -> None:
    assert [o async for o in ndjson_objects(_lines('{"a": 1}', "", "  ", '{"b": 2}'), "ollama")] == [{"a": 1}, {"b": 2}]
    with pytest.raises(ResponseFormatError):
        [o async for o in ndjson_objects(_lines("nope"), "ollama")]
    with pytest.raises(ResponseFormatError):
        [o async for o in ndjson_objects(_lines("[1, 2]"), "ollama")]


@pytest.mark.parametrize("stream", [False, True])
async def test_a_body_that_does_not_decode_is_a_response_format_error(stream: bool) -> None:
    from llmring.providers.openai import OpenAIProvider
    from llmring.schemas import LLMRequest, Message

    sent = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        kind = "text/event-stream" if stream else "application/json"
        return httpx.Response(
            200, content=b"not gzip at all", headers={"content-encoding": "gzip", "content-type": kind}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        provider = OpenAIProvider(api_key="sk-test-decoding-000000", base_url="http://fake/v1", client=client)
        request = LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content="hi")])
        with pytest.raises(ResponseFormatError, match="decode"):
            if stream:
                async for _ in provider.stream(request):
                    pass
            else:
                await provider.chat(request)
    assert len(sent) == 1  # not retried
