"""The provider interface and the HTTP plumbing every provider shares.

A provider turns an ``LLMRequest`` into its wire format, sends it with an injected
``httpx.AsyncClient`` and turns the answer back into an ``LLMResponse`` (or ``StreamChunk``s).
What differs per provider (URLs, headers, bodies, error envelopes, usage) lives in its module;
what is the same (retries with backoff and Retry-After, timeouts, connection errors, reporting
each failed attempt to the caller) lives here, once.
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import random
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from llmring.errors import (
    MissingAPIKeyError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitError,
    ResponseFormatError,
    register_secret,
)
from llmring.providers.errors import Envelope, provider_error
from llmring.providers.streams import LineSplitter, SSEDecoder, SSEEvent
from llmring.settings import API_KEY_ENV, api_key_for, base_url_for

if TYPE_CHECKING:
    from llmring.schemas import LLMRequest, LLMResponse, StreamChunk

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRY_AFTER = 60.0  # a provider asking for a longer wait gets an error instead
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class RetryInfo:
    """A failed attempt that will be retried: what failed and how long we wait first."""

    attempt: int
    error: ProviderError
    delay: float
    elapsed_ms: int


RetryHook = Callable[[RetryInfo], Awaitable[None] | None]


def backoff_delay(attempt: int, retry_after: float | None) -> float:
    """Wait before retry number ``attempt`` (1-based): the provider's hint, else 0.5 s * 2^n, jittered."""
    if retry_after is not None:
        return min(retry_after, MAX_RETRY_AFTER)
    base = min(0.5 * 2 ** (attempt - 1), 8.0)
    return base * (1 - 0.25 * random.random())


@functools.lru_cache(maxsize=64)
def http_timeout(seconds: float) -> httpx.Timeout:
    """httpx's timeout for a request of ``seconds`` (connecting waits at most 10 s).

    Cached: building an ``httpx.Timeout`` costs more than the rest of sending a request's setup,
    and providers use the same few values for every call.
    """
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


_SHAPE_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError)
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
        if kind is None or not issubclass(kind, _STREAM_ERRORS):
            return
        if issubclass(kind, httpx.TimeoutException):
            raise ProviderTimeoutError("stream stalled (read timeout)", provider=self.provider) from exc
        if issubclass(kind, httpx.DecodingError):
            raise ResponseFormatError(f"could not decode the stream ({exc})", provider=self.provider) from exc
        raise ProviderConnectionError(
            f"connection dropped mid-stream ({kind.__name__})", provider=self.provider
        ) from exc


class BaseProvider(ABC):
    """One LLM provider over HTTP.

    Subclasses set ``name`` and implement ``chat`` and ``stream``; they build requests with
    ``_post_json`` / ``_open_stream`` so retries, timeouts and error mapping stay uniform.
    """

    name: ClassVar[str]
    requires_api_key: ClassVar[bool] = True

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
    ) -> None:
        self._api_key = api_key if api_key is not None else api_key_for(self.name)
        register_secret(self._api_key)
        self.base_url = (base_url or base_url_for(self.name)).rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self._client = client
        self._owns_client = client is None
        # Tests swap this to avoid real sleeping; production waits for real.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __repr__(self) -> str:
        key = "set" if self._api_key else "missing"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key})"

    # -- the interface ------------------------------------------------------------------------
    @abstractmethod
    async def chat(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> LLMResponse:
        """Send ``request`` and return the whole response."""

    @abstractmethod
    def stream(self, request: LLMRequest, *, on_retry: RetryHook | None = None) -> AsyncIterator[StreamChunk]:
        """Send ``request`` and yield chunks; the last one carries ``finish_reason`` and ``usage``."""

    async def count_input_tokens(self, request: LLMRequest) -> int | None:
        """``request``'s input tokens as the provider counts them, or None if it has no endpoint for it.

        A counting endpoint generates nothing and is free; it is not a completion and is not logged.
        """
        return None

    async def aclose(self) -> None:
        """Close the HTTP client if this provider created it."""
        if self._client is not None and self._owns_client:
            await self._client.aclose()
            self._client = None

    # -- shared plumbing ----------------------------------------------------------------------
    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
            self._owns_client = True
        return self._client

    def require_api_key(self) -> str:
        """The API key, or a ``MissingAPIKeyError`` naming the env var to set."""
        if not self._api_key:
            raise MissingAPIKeyError(self.name, API_KEY_ENV.get(self.name, ()))
        return self._api_key

    @staticmethod
    @abstractmethod
    def read_error(body: Any, headers: Mapping[str, str], status: int | None) -> Envelope:
        """The provider's envelope reader (``llmring.providers.errors``); the ladder is the same for all."""

    # The class of an error envelope that carries no code and no error status (Ollama: a crash).
    body_error_default: ClassVar[type[ProviderError]] = ProviderError

    def classify_error(self, response: httpx.Response) -> ProviderError:
        """The typed error for an HTTP error response (its envelope through the one ladder)."""
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text  # an edge or proxy page, not the provider's JSON
        envelope = self.read_error(body, response.headers, response.status_code)
        return provider_error(self.name, response.status_code, envelope, body=body)

    def body_error(self, data: Any, headers: Mapping[str, str], status: int | None = None) -> ProviderError | None:
        """The typed error when a body that arrived as a success (or a stream event) is an error envelope."""
        envelope = self.read_error(data, headers, None)
        if not envelope.recognised:
            return None
        return provider_error(self.name, status, envelope, body=data, default=self.body_error_default)

    def should_retry(self, error: ProviderError, response: httpx.Response | None) -> bool:
        """Retry connection errors, timeouts and 408/409/429/5xx/529, unless told not to."""
        if response is not None:
            hint = response.headers.get("x-should-retry")
            if hint == "true":
                return True
            if hint == "false":
                return False
        if isinstance(error, RateLimitError) and not error.retryable:
            return False  # quota or spend limit: waiting will not help
        if response is not None and response.status_code in RETRY_STATUSES:
            return True
        return error.retryable and response is None

    def _timeout_for(self, request: LLMRequest) -> httpx.Timeout:
        return http_timeout(request.timeout if request.timeout is not None else self.timeout)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        json: Any,
        headers: Mapping[str, str],
        request: LLMRequest,
        stream: bool,
        on_retry: RetryHook | None,
    ) -> httpx.Response:
        """Send with retries; returns a successful response (open, if ``stream``)."""
        timeout = self._timeout_for(request)
        attempt = 0
        while True:
            attempt += 1
            started = time.perf_counter()
            response: httpx.Response | None = None
            try:
                built = self.client.build_request(method, url, json=json, headers=headers, timeout=timeout)
                response = await self.client.send(built, stream=stream)
                if response.status_code < 400:
                    return response
                if stream:
                    await response.aread()
                error = self.classify_error(response)
            except httpx.TimeoutException as exc:
                error = ProviderTimeoutError(
                    f"request timed out after {timeout.read:g}s", provider=self.name, status_code=None
                )
                error.__cause__ = exc
            except httpx.DecodingError as exc:
                # A body that does not decode (bad gzip, wrong charset) is not worth retrying.
                raise ResponseFormatError(f"could not decode the response body ({exc})", provider=self.name) from exc
            except httpx.TransportError as exc:
                # Only a failed connect means the server was never reached; a cut mid-reply is not that.
                what = "could not reach" if isinstance(exc, httpx.ConnectError) else "connection broke to"
                error = ProviderConnectionError(f"{what} {self.base_url} ({type(exc).__name__})", provider=self.name)
                error.__cause__ = exc
            finally:
                if response is not None and response.status_code >= 400:
                    await response.aclose()
            retry = attempt <= self.max_retries and self.should_retry(error, response)
            if not retry:
                raise error
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                raise error  # the provider wants us gone for longer than we will wait
            delay = backoff_delay(attempt, retry_after)
            if on_retry is not None:
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                outcome = on_retry(RetryInfo(attempt=attempt, error=error, delay=delay, elapsed_ms=elapsed_ms))
                if outcome is not None:
                    await outcome
            await self._sleep(delay)

    async def _post_json(
        self, url: str, body: Any, headers: Mapping[str, str], request: LLMRequest, on_retry: RetryHook | None
    ) -> tuple[dict[str, Any], httpx.Response]:
        """POST ``body`` and return the parsed JSON object and the response."""
        response = await self._send(
            "POST", url, json=body, headers=headers, request=request, stream=False, on_retry=on_retry
        )
        try:
            data = response.json()
        except ValueError as exc:
            raise ResponseFormatError(
                "response is not JSON", provider=self.name, status_code=response.status_code
            ) from exc
        if not isinstance(data, dict | list):
            raise ResponseFormatError("response is not a JSON object", provider=self.name)
        if "error" in data or isinstance(data, list):
            # An HTTP 200 carrying an error envelope (Gemini, Anthropic, proxies) is that error.
            error = self.body_error(data, response.headers, response.status_code)
            if error is not None:
                raise error
            if isinstance(data, list):
                raise ResponseFormatError("response is not a JSON object", provider=self.name)
        return data, response

    async def _post_count(
        self, url: str, body: dict[str, Any], headers: Mapping[str, str], request: LLMRequest, field: str
    ) -> int:
        """POST a token counting ``body`` and return the non-negative integer answer in ``field``."""
        data, _ = await self._post_json(url, body, headers, request, None)
        value = data.get(field) if isinstance(data, dict) else None
        if type(value) is not int or value < 0:
            raise ResponseFormatError(f"the token count answer has no {field}", provider=self.name)
        return value

    async def _open_stream(
        self, url: str, body: Any, headers: Mapping[str, str], request: LLMRequest, on_retry: RetryHook | None
    ) -> httpx.Response:
        """POST ``body`` and return the open streaming response (retried only before any byte)."""
        return await self._send(
            "POST", url, json=body, headers=headers, request=request, stream=True, on_retry=on_retry
        )

    def _stream_errors(self) -> stream_errors:
        """Turn what can go wrong while reading a body into typed errors."""
        return stream_errors(self.name)

    async def _iter_lines(self, response: httpx.Response) -> AsyncIterator[str]:
        """Lines of a streaming body (CR, LF or CRLF only); closes the response at the end."""
        splitter = LineSplitter()
        text = _text_decoder(response)
        try:
            with self._stream_errors():
                async for chunk in response.aiter_bytes():
                    for line in splitter.feed(text.decode(chunk)):
                        yield line
                for line in splitter.feed(text.decode(b"", True)) + splitter.end():
                    yield line
        finally:
            await response.aclose()

    async def _sse_batches(self, response: httpx.Response) -> AsyncIterator[list[SSEEvent]]:
        """Server-sent events of a streaming body, a list per network read; closes the response.

        The same events as ``sse_events(self._iter_lines(response))``, with no work per line, and
        with as few generator layers as can be: over a socket, every layer a read passes through
        and every hop per event is a measurable part of a stream's cost (bench/overhead.py). So
        events are handed over a read at a time, and bytes are decoded here rather than through
        httpx's ``aiter_text``, which is one more generator doing the same.
        """
        decoder = SSEDecoder()
        text = _text_decoder(response)
        try:
            with self._stream_errors():
                async for chunk in response.aiter_bytes():
                    events = decoder.feed(text.decode(chunk))
                    if events:
                        yield events
                events = decoder.feed(text.decode(b"", True)) + decoder.end()
                if events:
                    yield events
        finally:
            await response.aclose()


def _text_decoder(response: httpx.Response) -> codecs.IncrementalDecoder:
    """What ``response.aiter_text()`` decodes with: the body's charset (else UTF-8), errors replaced."""
    return codecs.getincrementaldecoder(response.encoding or "utf-8")(errors="replace")
