"""Stream framing shared by the providers: Server-Sent Events and newline-delimited JSON.

Both parsers work on lines (httpx splits on CR, LF or CRLF) and raise only
``ResponseFormatError`` for bytes they cannot make sense of.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from llmring.errors import ResponseFormatError


@dataclass(frozen=True)
class SSEEvent:
    """One Server-Sent Event: the ``event:`` name (``message`` by default) and joined ``data:``."""

    event: str
    data: str

    def json(self, provider: str) -> Any:
        try:
            return json.loads(self.data)
        except ValueError as exc:
            raise ResponseFormatError(f"stream event is not JSON: {self.data[:80]!r}", provider=provider) from exc


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """Group lines into events per the SSE spec (blank line ends an event; ``:`` lines are comments)."""
    event = ""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield SSEEvent(event or "message", "\n".join(data))
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            data.append(value)
        # "id" and "retry" are not used by any provider we speak to.
    if data:
        yield SSEEvent(event or "message", "\n".join(data))


async def ndjson_objects(lines: AsyncIterator[str], provider: str) -> AsyncIterator[dict[str, Any]]:
    """One JSON object per non-blank line."""
    async for line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise ResponseFormatError(f"stream line is not JSON: {line[:80]!r}", provider=provider) from exc
        if not isinstance(value, dict):
            raise ResponseFormatError("stream line is not a JSON object", provider=provider)
        yield value
