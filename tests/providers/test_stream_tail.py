"""After a stream's terminal event, the rest of the body is read to the end and ignored.

Reading on returns the connection to the pool (as the SDKs do); ignoring keeps whatever a proxy
appends (a stray ``[DONE]``, comments, even garbage) from turning a finished answer into an
error. Providers take events a network read at a time, so the tail is tried both in the same read
as the terminal event and in a later one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from llmring.errors import ResponseFormatError
from llmring.providers.anthropic import AnthropicProvider
from llmring.providers.base import BaseProvider
from llmring.providers.openai import OpenAIProvider
from llmring.schemas import LLMRequest, Message, StreamChunk

TAIL = [b"data: not json at all\n\n", b'data: {"choices": [{"index": 0, "delta": {"content": "late"}}]}\n\n']


def _sse(*events: tuple[str | None, Any]) -> bytes:
    out = b""
    for name, data in events:
        if name:
            out += f"event: {name}\n".encode()
        out += f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n".encode()
    return out


OPENAI_CHAT = _sse(
    (None, {"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]}),
    (None, {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
    (None, {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 1}}),
    (None, "[DONE]"),
)
OPENAI_RESPONSES = _sse(
    ("response.output_text.delta", {"type": "response.output_text.delta", "delta": "Hi"}),
    (
        "response.completed",
        {
            "type": "response.completed",
            "response": {"status": "completed", "usage": {"input_tokens": 3, "output_tokens": 1}},
        },
    ),
)
ANTHROPIC = _sse(
    ("message_start", {"type": "message_start", "message": {"model": "claude-x", "usage": {"input_tokens": 3}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text"}}),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    ),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}}),
    ("message_stop", {"type": "message_stop"}),
)

CASES = [
    pytest.param(OpenAIProvider, "gpt-4o-mini", OPENAI_CHAT, id="openai-chat"),
    pytest.param(OpenAIProvider, "o1-mini", OPENAI_RESPONSES, id="openai-responses"),
    pytest.param(AnthropicProvider, "claude-3-5-haiku-latest", ANTHROPIC, id="anthropic"),
]


class Body(httpx.AsyncByteStream):
    """The body in the given pieces, remembering whether the client read it to the end."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        self.read_to_end = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        self.read_to_end = True


async def _stream(provider_cls: type[BaseProvider], model: str, body: Body) -> list[StreamChunk]:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, stream=body, headers={"content-type": "text/event-stream"})
    )
    async with httpx.AsyncClient(transport=transport) as client:
        provider = provider_cls(api_key="sk-test", base_url="http://provider.test", client=client)
        request = LLMRequest(model=model, messages=[Message(role="user", content="hello")])
        return [chunk async for chunk in provider.stream(request)]


@pytest.mark.parametrize(("provider_cls", "model", "events"), CASES)
@pytest.mark.parametrize("same_read", [True, False], ids=["tail-in-the-same-read", "tail-in-later-reads"])
async def test_the_tail_after_the_terminal_event_is_read_and_ignored(
    provider_cls: type[BaseProvider], model: str, events: bytes, same_read: bool
) -> None:
    body = Body([events + b"".join(TAIL)] if same_read else [events, *TAIL])
    chunks = await _stream(provider_cls, model, body)
    assert "".join(chunk.delta for chunk in chunks) == "Hi"
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage["completion_tokens"] == 1
    assert body.read_to_end


@pytest.mark.parametrize(("provider_cls", "model", "events"), CASES)
async def test_the_same_tail_before_the_terminal_event_is_an_error(
    provider_cls: type[BaseProvider], model: str, events: bytes
) -> None:
    # The control: the tail is only harmless because of where it is.
    with pytest.raises(ResponseFormatError, match="not JSON"):
        await _stream(provider_cls, model, Body([TAIL[0], events]))
