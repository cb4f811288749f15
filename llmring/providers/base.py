"""The provider interface and the HTTP plumbing every provider shares.

A provider turns an ``LLMRequest`` into its wire format, sends it with an injected
``httpx.AsyncClient`` and turns the answer back into an ``LLMResponse`` (or ``StreamChunk``s).
What differs per provider (URLs, headers, bodies, error envelopes, usage) lives in its module;
what is the same (retries with backoff and Retry-After, timeouts, connection errors, reporting
each failed attempt to the caller) lives here, once: sending in ``BaseProvider``, the retry policy
in ``llmring.providers.retries``, reading replies and streams in ``llmring.providers.reading``.
"""

from __future__ import annotations

import asyncio
import functools
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
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
from llmring.providers.limits import LIMITS_KEY, CallLimits
from llmring.providers.pool import reclaim_orphans
from llmring.providers.reading import iter_lines, response_shape, sse_batches, stream_errors
from llmring.providers.retries import (
    DEFAULT_MAX_RETRIES,
    MAX_RETRY_AFTER,
    RETRY_STATUSES,
    RetryHook,
    RetryInfo,
    backoff_delay,
)
from llmring.providers.urls import BaseURL, mask_httpx_log
from llmring.settings import API_KEY_ENV, api_key_for, base_url_for

if TYPE_CHECKING:
    from llmring.providers.streams import SSEEvent
    from llmring.schemas import LLMRequest, LLMResponse, StreamChunk

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "LIMITS_KEY",
    "MAX_BODY_BYTES",
    "MAX_RETRY_AFTER",
    "RETRY_STATUSES",
    "BaseProvider",
    "RetryHook",
    "RetryInfo",
    "backoff_delay",
    "http_timeout",
    "response_shape",
    "stream_errors",
]

DEFAULT_TIMEOUT = 60.0
MAX_BODY_BYTES = 64 * 1024 * 1024  # a whole (non-streamed) reply, decoded


@functools.lru_cache(maxsize=64)
def http_timeout(seconds: float) -> httpx.Timeout:
    """httpx's timeout for a request of ``seconds`` (connecting waits at most 10 s).

    Cached: building an ``httpx.Timeout`` costs more than the rest of sending a request's setup,
    and providers use the same few values for every call.
    """
    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


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
        idle_timeout: float | None = None,
        deadline: float | None = None,
    ) -> None:
        self._api_key = api_key if api_key is not None else api_key_for(self.name)
        register_secret(self._api_key)
        # Credentials in the base URL stay in requests only; ``display`` is what texts show.
        self._base = BaseURL.parse(base_url or base_url_for(self.name))
        self.base_url = self._base.url
        # Names the endpoint in response-cache keys: answers from one base URL never serve another.
        self.endpoint_id = self._base.identity
        mask_httpx_log()
        self.timeout = timeout  # one attempt, a stream's body included (llmring.providers.limits)
        self.idle_timeout = idle_timeout  # between two stream events
        self.deadline = deadline  # the whole call, retries included
        self.max_retries = max_retries
        self._client = client
        self._owns_client = client is None
        # Tests swap this to avoid real sleeping; production waits for real.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def __repr__(self) -> str:
        key = "set" if self._api_key else "missing"
        return f"{type(self).__name__}(base_url={self._base.display!r}, api_key={key})"

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
        except (ValueError, RecursionError):
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
        """Send with retries; returns a successful response (open, if ``stream``).

        Each attempt (connect, head and, unless ``stream``, body) runs under ``asyncio.timeout``
        for what is left of the attempt's ``timeout`` and the call's ``deadline``; an open stream
        carries the same ``CallLimits`` in ``response.extensions`` for its body.
        """
        timeout = self._timeout_for(request)
        seconds = request.timeout if request.timeout is not None else self.timeout
        limits = CallLimits(seconds, self.idle_timeout, self.deadline)
        attempt = 0
        while True:
            attempt += 1
            limits.start_attempt()
            started = time.perf_counter()
            response: httpx.Response | None = None
            answered: httpx.Response | None = None  # a whole error reply (not one cut mid-body)
            done = False
            try:
                built = self.client.build_request(
                    method, url, json=json, headers=headers, timeout=timeout, params=self._base.params or None
                )
                async with asyncio.timeout(limits.attempt_left()):
                    # Never follow a redirect, even with a client set to: it would carry the key
                    # to wherever the Location points. The body is read here, capped (a gzip bomb
                    # stops at MAX_BODY_BYTES decoded), rather than by httpx, which has no cap.
                    response = await self.client.send(built, stream=True, follow_redirects=False)
                    if 300 <= response.status_code < 400:
                        raise self._redirect_error(response)
                    if response.status_code < 400 and stream:
                        limits.body_starts()
                        response.extensions[LIMITS_KEY] = limits
                        done = True
                        return response
                    await self._read_body(response)
                    if response.status_code < 400:
                        done = True
                        return response
                error = self.classify_error(response)
                answered = response
            except TimeoutError as exc:  # asyncio.timeout: the attempt or the call ran out
                error = limits.expired(self.name)
                error.__cause__ = exc
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
                where = self._base.display
                error = ProviderConnectionError(f"{what} {where} ({type(exc).__name__})", provider=self.name)
                error.__cause__ = exc
            finally:
                if not done:
                    # A cancelled attempt (our timeout or the caller's) can strand a pool slot in
                    # httpcore 1.0.9; give it back before anything else can be interrupted.
                    reclaim_orphans(self.client)
                    if response is not None:
                        await response.aclose()
            retry = attempt <= self.max_retries and self.should_retry(error, answered)
            if not retry or getattr(error, "limit", None) == "deadline":
                raise error
            retry_after = getattr(error, "retry_after", None)
            if retry_after is not None and retry_after > MAX_RETRY_AFTER:
                raise error  # the provider wants us gone for longer than we will wait
            limits.last_error = error
            delay = backoff_delay(attempt, retry_after)
            if delay >= limits.call_left():
                raise limits.deadline_before_retry(self.name, error) from error
            if on_retry is not None:
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                outcome = on_retry(RetryInfo(attempt=attempt, error=error, delay=delay, elapsed_ms=elapsed_ms))
                if outcome is not None:
                    await outcome
            await self._sleep(delay)

    async def _read_body(self, response: httpx.Response) -> None:
        """Read the whole (decoded) body into ``response.content``; over ``MAX_BODY_BYTES`` is an error."""
        parts: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise ResponseFormatError(
                    f"reply body is over the {MAX_BODY_BYTES // (1024 * 1024)} MiB limit (decoded)",
                    provider=self.name,
                    status_code=response.status_code,
                )
            parts.append(chunk)
        response._content = b"".join(parts)  # what httpx's own aread() leaves, so .json() works

    def _redirect_error(self, response: httpx.Response) -> ProviderError:
        target = response.headers.get("location", "")
        try:
            where = httpx.URL(target)
            to = f"{where.scheme}://{where.host}" + (f":{where.port}" if where.port else "") if where.host else ""
        except (httpx.InvalidURL, ValueError, TypeError):
            to = ""
        return ProviderError(
            f"HTTP {response.status_code} redirect{f' to {to}' if to else ''} not followed (the API key is "
            "never sent on): set the base URL to the address the provider answers at",
            provider=self.name,
            status_code=response.status_code,
        )

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
        except RecursionError as exc:
            raise ResponseFormatError(
                "response JSON is nested too deeply", provider=self.name, status_code=response.status_code
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

    def _iter_lines(self, response: httpx.Response) -> AsyncIterator[str]:
        """Lines of a streaming body (CR, LF or CRLF only); closes the response at the end."""
        return iter_lines(response, self.name)

    def _sse_batches(self, response: httpx.Response) -> AsyncIterator[list[SSEEvent]]:
        """Server-sent events of a streaming body, a list per network read; closes the response.

        ``llmring.providers.reading.sse_batches``: returned as it is, not wrapped in a generator of
        this method's own, since every generator layer costs on each read (bench/overhead.py).
        """
        return sse_batches(response, self.name)
