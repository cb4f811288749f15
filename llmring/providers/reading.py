"""Reading a provider's reply: the guards that turn a bad body into typed errors, and the readers
of a streamed body (lines, or server-sent events a network read at a time).

The readers enforce the call's time limits (``llmring.providers.limits``) that ``BaseProvider``
hands over in the open response's ``extensions[LIMITS_KEY]``.
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import AsyncIterator

import httpx

from llmring.errors import ProviderConnectionError, ProviderTimeoutError, ResponseFormatError
from llmring.providers.limits import LIMITS_KEY, NO_LIMITS, CallLimits, monotonic
from llmring.providers.streams import LineSplitter, SSEDecoder, SSEEvent

_SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError, RecursionError)
_STREAM_ERRORS = (httpx.TransportError, httpx.StreamError, httpx.DecodingError)


class _ErrorTranslator:
    """A context manager that re-raises some exceptions as typed llmring errors of ``provider``.

    A class rather than ``contextlib.contextmanager``: these wrap every stream, and a
    generator-based context manager costs several times as much to enter and leave.
    """

    __slots__ = ("provider",)

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        raise NotImplementedError


# Lower case like contextlib.suppress: they read ``with response_shape(name):``.
class response_shape(_ErrorTranslator):
    """Turn a lookup that meets an unexpected JSON shape into ``ResponseFormatError``.

    Provider parsers index into bodies that are usually well formed; wrapping them in this keeps
    a list where an object belongs (or a missing key) from escaping as a bare ``TypeError``.
    """

    __slots__ = ()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if kind is not None and issubclass(kind, _SHAPE_ERRORS):
            raise ResponseFormatError(
                f"unexpected response shape ({kind.__name__}: {str(exc)[:80]})", provider=self.provider
            ) from exc


class stream_errors(_ErrorTranslator):
    """Turn what can go wrong while reading a streamed body into typed errors."""

    __slots__ = ()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if kind is not None and issubclass(kind, ResponseFormatError) and getattr(exc, "provider", None) is None:
            # The stream framing (llmring.providers.streams) does not know whose stream it reads.
            raise ResponseFormatError(str(exc), provider=self.provider) from exc
        if kind is None or not issubclass(kind, _STREAM_ERRORS):
            return
        if issubclass(kind, httpx.TimeoutException):
            raise ProviderTimeoutError("stream stalled (read timeout)", provider=self.provider) from exc
        if issubclass(kind, httpx.DecodingError):
            raise ResponseFormatError(f"could not decode the stream ({exc})", provider=self.provider) from exc
        raise ProviderConnectionError(
            f"connection dropped mid-stream ({kind.__name__})", provider=self.provider
        ) from exc


async def iter_lines(response: httpx.Response, provider: str) -> AsyncIterator[str]:
    """Lines of a streaming body (CR, LF or CRLF only); closes the response at the end."""
    splitter = LineSplitter()
    text = _text_decoder(response)
    limits: CallLimits = response.extensions.get(LIMITS_KEY, NO_LIMITS)
    read = response.aiter_bytes().__anext__
    try:
        with stream_errors(provider):
            while True:
                try:
                    async with asyncio.timeout(limits.read_left()):
                        chunk = await read()
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise limits.expired(provider, streaming=True) from None
                lines = splitter.feed(text.decode(chunk))
                for line in lines:
                    if line and line[0] != ":":  # an SSE comment is not an event
                        limits.last_event = monotonic()
                        break
                for line in lines:
                    yield line
            for line in splitter.feed(text.decode(b"", True)) + splitter.end():
                yield line
    finally:
        await response.aclose()


async def sse_batches(response: httpx.Response, provider: str) -> AsyncIterator[list[SSEEvent]]:
    """Server-sent events of a streaming body, a list per network read; closes the response.

    The same events as ``sse_events(iter_lines(response, provider))``, with no work per line, and
    with as few generator layers as can be: over a socket, every layer a read passes through
    and every hop per event is a measurable part of a stream's cost (bench/overhead.py). So
    events are handed over a read at a time, and bytes are decoded here rather than through
    httpx's ``aiter_text``, which is one more generator doing the same.
    """
    decoder = SSEDecoder()
    text = _text_decoder(response)
    limits: CallLimits = response.extensions.get(LIMITS_KEY, NO_LIMITS)
    read = response.aiter_bytes().__anext__
    try:
        with stream_errors(provider):
            while True:
                try:
                    async with asyncio.timeout(limits.read_left()):
                        chunk = await read()
                except StopAsyncIteration:
                    break
                except TimeoutError:
                    raise limits.expired(provider, streaming=True) from None
                events = decoder.feed(text.decode(chunk))
                if events:
                    limits.last_event = monotonic()
                    yield events
            events = decoder.feed(text.decode(b"", True)) + decoder.end()
            if events:
                yield events
    finally:
        await response.aclose()


def _text_decoder(response: httpx.Response) -> codecs.IncrementalDecoder:
    """What ``response.aiter_text()`` decodes with: the body's charset (else UTF-8), errors replaced."""
    return codecs.getincrementaldecoder(response.encoding or "utf-8")(errors="replace")
