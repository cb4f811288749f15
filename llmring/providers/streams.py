"""Stream framing shared by the providers: Server-Sent Events and newline-delimited JSON.

Both parsers work on lines (split at CR, LF or CRLF only) and raise only
``ResponseFormatError`` for bytes they cannot make sense of. The parsing steps are plain
objects fed piece by piece, so the hot stream loop needs no extra generator per layer.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from llmring.errors import ResponseFormatError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SSEEvent(NamedTuple):
    """One Server-Sent Event: the ``event:`` name (``message`` by default) and joined ``data:``.

    A named tuple: the decoder's fast path makes one per streamed event without calling any
    Python code (``_new_event``), and providers unpack or index it at C speed.
    """

    event: str
    data: str

    def json(self, provider: str) -> Any:
        try:
            return json.loads(self.data)
        except ValueError as exc:
            raise not_json(self.data, provider) from exc


# ``_new_event(SSEEvent, (name, data))`` builds an event in C, skipping the Python-level
# ``__new__`` that every NamedTuple class carries.
_new_event = tuple.__new__


def not_json(data: str, provider: str) -> ResponseFormatError:
    """The error for a stream event whose data is not JSON (raised by callers ``from`` the cause)."""
    return ResponseFormatError(f"stream event is not JSON: {data[:80]!r}", provider=provider)


class LineSplitter:
    """Cuts text arriving in arbitrary pieces into lines at CR, LF or CRLF only.

    ``str.splitlines`` (and so ``httpx``'s ``aiter_lines``) also breaks at U+2028/U+2029/U+0085,
    which Gemini sends unescaped inside JSON strings.
    """

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        """The lines completed by ``text`` (a CR at its end waits: it may start a CRLF)."""
        pending = self._pending + text
        held_cr = pending.endswith("\r")
        *lines, rest = _LINE_BREAK.split(pending[:-1] if held_cr else pending)
        self._pending = rest + "\r" if held_cr else rest
        return lines

    def end(self) -> list[str]:
        """The last, unterminated line, if any."""
        rest, self._pending = self._pending.removesuffix("\r"), ""
        return [rest] if rest else []


class SSEParser:
    """Groups lines into events per the SSE spec (a blank line ends one; ``:`` lines are comments)."""

    __slots__ = ("_data", "_event")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []

    def feed(self, line: str) -> SSEEvent | None:
        """The event that ``line`` completes, if it does."""
        if not line:
            event = SSEEvent(self._event or "message", "\n".join(self._data)) if self._data else None
            self._event, self._data = "", []
            return event
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        if field == "data":
            self._data.append(value.removeprefix(" "))
        elif field == "event":
            self._event = value.removeprefix(" ")
        # "id" and "retry" are not used by any provider we speak to.
        return None

    def end(self) -> SSEEvent | None:
        """An event left open when the body ended."""
        return self.feed("")


class SSEDecoder:
    """Text arriving in arbitrary pieces -> server-sent events, with a fast path.

    Provider streams are LF-only blocks of ``data: ...`` (OpenAI) or ``event: ...`` +
    ``data: ...`` (Anthropic). Those blocks are cut at blank lines and read whole, with no work per
    line: per-event work is the cost of a stream, and it costs several times its in-loop price
    between two network reads. Anything else (comments, several data lines, ``data:`` without a
    space) goes through ``SSEParser`` line by line, and the first CR switches the stream to
    ``LineSplitter`` for good, so the result is always the same as the line-by-line parse.
    """

    __slots__ = ("_buffer", "_lines", "_parser")

    def __init__(self) -> None:
        self._buffer = ""
        self._lines: LineSplitter | None = None
        self._parser = SSEParser()

    def feed(self, text: str) -> list[SSEEvent]:
        """The events that ``text`` completes."""
        if self._lines is None:
            if "\r" not in text:
                buffer = self._buffer + text
                if "\n\n" not in buffer:
                    self._buffer = buffer
                    return []
                *blocks, self._buffer = buffer.split("\n\n")
                # The completed text is the blocks, each followed by a blank line. If its only
                # line breaks are those 2 per block, no block has a second line; if then a
                # "data: " opens the text and follows every blank line but the last, each block
                # is one "data: ..." line: read them all at once, without a step per block.
                done = buffer[: len(buffer) - len(self._buffer)]
                if (
                    done.count("\n") == 2 * len(blocks)
                    and done.startswith("data: ")
                    and done.count("\n\ndata: ") == len(blocks) - 1
                ):
                    return [_new_event(SSEEvent, ("message", block[6:])) for block in blocks]
                return self._read_blocks(blocks)
            self._lines = LineSplitter()
            text, self._buffer = self._buffer + text, ""
        return self._read_lines(self._lines.feed(text))

    def end(self) -> list[SSEEvent]:
        """Events left when the body ends (an event needs no final blank line)."""
        if self._lines is None:
            rest, self._buffer = self._buffer, ""
            events = self._read_lines(rest.split("\n")) if rest else []
        else:
            events = self._read_lines(self._lines.end())
        last = self._parser.end()
        return events if last is None else [*events, last]

    def _read_blocks(self, blocks: list[str]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        for block in blocks:
            if block.startswith("data: ") and "\n" not in block:
                events.append(SSEEvent("message", block[6:]))
                continue
            if block.startswith("event: "):
                name, _, data = block.partition("\n")
                if data.startswith("data: ") and "\n" not in data:
                    events.append(SSEEvent(name[7:] or "message", data[6:]))
                    continue
            events += self._read_lines([*block.split("\n"), ""])
        return events

    def _read_lines(self, lines: list[str]) -> list[SSEEvent]:
        events = []
        for line in lines:
            event = self._parser.feed(line)
            if event is not None:
                events.append(event)
        return events


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[SSEEvent]:
    """Events from lines (providers use ``BaseProvider._sse_batches``, which skips the line layer)."""
    parser = SSEParser()
    async for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event
    event = parser.end()
    if event is not None:
        yield event


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
