"""Stream framing shared by the providers: Server-Sent Events and newline-delimited JSON.

Both parsers work on lines (split at CR, LF or CRLF only) and raise only
``ResponseFormatError`` for bytes they cannot make sense of. The parsing steps are plain
objects fed piece by piece, so the hot stream loop needs no extra generator per layer.

Their work is linear in their input: text that completes nothing is kept as a list of pieces
(joined once, when a line or event ends) and only the new piece is searched for a break. A line
or an event longer than ``MAX_EVENT_CHARS`` is a ``ResponseFormatError``, so a reply without
line breaks cannot grow without bound in memory.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

from llmring.errors import ResponseFormatError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
MAX_EVENT_CHARS = 16 * 1024 * 1024  # one line or one event (a Gemini image inlined as base64 fits)


def too_large(what: str, provider: str | None = None) -> ResponseFormatError:
    """The error for a line, event or body over its cap."""
    return ResponseFormatError(
        f"stream {what} is over the {MAX_EVENT_CHARS // (1024 * 1024)} MiB limit", provider=provider
    )


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
        except (ValueError, RecursionError) as exc:
            raise not_json(self.data, provider) from exc


# ``_new_event(SSEEvent, (name, data))`` builds an event in C, skipping the Python-level
# ``__new__`` that every NamedTuple class carries.
_new_event = tuple.__new__


def not_json(data: str, provider: str) -> ResponseFormatError:
    """The error for a stream event whose data is not JSON (raised by callers ``from`` the cause)."""
    return ResponseFormatError(f"stream event is not JSON: {data[:80]!r}", provider=provider)


_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


class JsonDepth:
    """How deeply nested a JSON text arriving line by line is so far.

    A JSON string cannot hold a raw line break, so each line's strings (escapes included) are
    cut out whole and its brackets counted, all in C: linear, and about 1 µs a line. Text that is
    not JSON may leave a wrong depth; it fails when parsed, or at the ``MAX_EVENT_CHARS`` cap.
    """

    __slots__ = ("depth", "size")

    def __init__(self) -> None:
        self.depth = 0
        self.size = 0

    def feed(self, line: str) -> int:
        """The nesting depth after ``line`` (0 or less: every bracket opened so far is closed)."""
        self.size += len(line) + 1
        bare = _JSON_STRING.sub("", line) if '"' in line else line
        self.depth += bare.count("{") + bare.count("[") - bare.count("}") - bare.count("]")
        return self.depth


class LineSplitter:
    """Cuts text arriving in arbitrary pieces into lines at CR, LF or CRLF only.

    ``str.splitlines`` (and so ``httpx``'s ``aiter_lines``) also breaks at U+2028/U+2029/U+0085,
    which Gemini sends unescaped inside JSON strings.
    """

    __slots__ = ("_parts", "_size")

    def __init__(self) -> None:
        self._parts: list[str] = []  # the unfinished line, in pieces (the last may end in a held CR)
        self._size = 0

    def feed(self, text: str) -> list[str]:
        """The lines completed by ``text`` (a CR at its end waits: it may start a CRLF)."""
        if "\n" not in text and "\r" not in text and not (self._parts and self._parts[-1][-1] == "\r"):
            if text:
                self._size += len(text)
                if self._size > MAX_EVENT_CHARS:
                    raise too_large("line")
                self._parts.append(text)
            return []
        pending = "".join(self._parts) + text if self._parts else text
        held_cr = pending.endswith("\r")
        *lines, rest = _LINE_BREAK.split(pending[:-1] if held_cr else pending)
        if held_cr:
            rest += "\r"
        self._parts, self._size = ([rest], len(rest)) if rest else ([], 0)
        if len(pending) > MAX_EVENT_CHARS and (self._size > MAX_EVENT_CHARS or max(map(len, lines)) > MAX_EVENT_CHARS):
            raise too_large("line")
        return lines

    def end(self) -> list[str]:
        """The last, unterminated line, if any."""
        rest = "".join(self._parts).removesuffix("\r")
        self._parts, self._size = [], 0
        return [rest] if rest else []


class SSEParser:
    """Groups lines into events per the SSE spec (a blank line ends one; ``:`` lines are comments)."""

    __slots__ = ("_data", "_event", "_size")

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._size = 0

    def feed(self, line: str) -> SSEEvent | None:
        """The event that ``line`` completes, if it does."""
        if not line:
            event = SSEEvent(self._event or "message", "\n".join(self._data)) if self._data else None
            self._event, self._data, self._size = "", [], 0
            return event
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        if field == "data":
            self._size += len(value)
            if self._size > MAX_EVENT_CHARS:
                raise too_large("event")
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

    __slots__ = ("_buffer", "_lines", "_parser", "_parts", "_size")

    def __init__(self) -> None:
        self._buffer = ""  # the unfinished event: ``_buffer`` + ``"".join(_parts)``
        self._parts: list[str] = []  # pieces that completed nothing (joined once, when one does)
        self._size = 0
        self._lines: LineSplitter | None = None
        self._parser = SSEParser()

    def _pending(self) -> str:
        if self._parts:
            self._buffer += "".join(self._parts)
            self._parts, self._size = [], len(self._buffer)
        return self._buffer

    def feed(self, text: str) -> list[SSEEvent]:
        """The events that ``text`` completes."""
        if self._lines is None:
            if "\r" not in text:
                if "\n\n" not in text and not (text[:1] == "\n" and self._ends_in_newline()):
                    # Completes nothing: keep the piece, search only new text next time.
                    self._size += len(text)
                    if self._size > MAX_EVENT_CHARS:
                        raise too_large("event")
                    self._parts.append(text)
                    return []
                buffer = self._pending() + text
                *blocks, self._buffer = buffer.split("\n\n")
                self._size = len(self._buffer)
                if self._size > MAX_EVENT_CHARS:
                    raise too_large("event")
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
            text, self._buffer, self._size = self._pending() + text, "", 0
        return self._read_lines(self._lines.feed(text))

    def _ends_in_newline(self) -> bool:
        last = self._parts[-1] if self._parts else self._buffer
        return last[-1:] == "\n"

    def end(self) -> list[SSEEvent]:
        """Events left when the body ends (an event needs no final blank line)."""
        if self._lines is None:
            rest, self._buffer, self._size = self._pending(), "", 0
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
        except (ValueError, RecursionError) as exc:
            raise ResponseFormatError(f"stream line is not JSON: {line[:80]!r}", provider=provider) from exc
        if not isinstance(value, dict):
            raise ResponseFormatError("stream line is not a JSON object", provider=provider)
        yield value
