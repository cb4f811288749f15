"""One error ladder for every provider: an envelope reader per wire format, one decision for all.

Each provider wraps its errors in its own envelope (wire_formats.md 1.6, 2.5, 3.5, 4.3). A reader
turns a body into an ``Envelope``: the message, the provider's own type/code/status/reason values,
and the status those values imply (for errors inside an HTTP 200 or a stream). ``provider_error``
then decides the class the same way for all four:

1. A code that means one thing whatever the status wins (``model_not_found`` at a 400 is still
   an unknown model; ``insufficient_quota`` beats "rate limit").
2. Else the HTTP status: 401 auth, **402 quota** (paying, not waiting, fixes it), 403 permission,
   **404 unknown model only when the provider says so** (a 404 with no not-found code is a wrong
   base URL or path), 408/504 timeout, 409 retryable generic, **413 bad request** (make the
   request smaller), 429 rate limit, 400/422 bad request, 5xx unavailable.
3. Else a generic code (``invalid_request_error``, ``INVALID_ARGUMENT``) for errors without a
   status; else the caller's default.

Message text is only shown, never matched, with one documented exception (Anthropic's
context-length prefixes, which it sends with no code of their own).
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmring.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilteredError,
    ContextLengthExceededError,
    PermissionDeniedError,
    ProviderError,
    ProviderModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    QuotaExceededError,
    RateLimitError,
)


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a provider's error body says, before deciding the class."""

    message: str
    kinds: frozenset[str]  # the provider's own type / code / status / reason values
    error_code: str | None  # the most specific of them, kept on the exception
    recognised: bool  # the body is this provider's error envelope
    implied_status: int | None = None  # for errors arriving without an HTTP error status
    request_id: str | None = None
    retry_after: float | None = None


# Codes that decide the class whatever the status. Earlier entries win when several are present
# (a spend limit sent as a rate-limit error is a quota error).
_SPECIFIC: tuple[tuple[type[ProviderError], frozenset[str]], ...] = (
    (
        QuotaExceededError,
        frozenset(
            {
                "insufficient_quota",
                "billing_error",
                "enforced_spend_limit_reached",
                "contract_spend_limit_reached",
                "linked_organization_spend_limit_reached",
                "linked_organization_billing_unavailable",
            }
        ),
    ),
    (
        AuthenticationError,
        frozenset({"invalid_api_key", "authentication_error", "API_KEY_INVALID", "API_KEY_EXPIRED", "UNAUTHENTICATED"}),
    ),
    (PermissionDeniedError, frozenset({"permission_error", "PERMISSION_DENIED"})),
    (ProviderModelNotFoundError, frozenset({"model_not_found", "not_found_error", "NOT_FOUND"})),
    (ContextLengthExceededError, frozenset({"context_length_exceeded"})),
    (ContentFilteredError, frozenset({"content_filter", "content_policy_violation"})),
    (RateLimitError, frozenset({"rate_limit_exceeded", "rate_limit_error", "RESOURCE_EXHAUSTED"})),
    (ProviderTimeoutError, frozenset({"timeout_error", "DEADLINE_EXCEEDED"})),
    (
        ProviderUnavailableError,
        frozenset(
            {
                "server_error",
                "service_unavailable_error",
                "server_is_overloaded",
                "overloaded_error",
                "api_error",
                "INTERNAL",
                "UNAVAILABLE",
            }
        ),
    ),
    (BadRequestError, frozenset({"request_too_large"})),
)
# Codes too broad to beat a status (OpenAI sends ``invalid_request_error`` with its 401 and 404).
_GENERIC_BAD_REQUEST = frozenset({"invalid_request_error", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE"})
_BY_STATUS: dict[int, type[ProviderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: QuotaExceededError,
    403: PermissionDeniedError,
    408: ProviderTimeoutError,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
    504: ProviderTimeoutError,
}


def provider_error(
    provider: str,
    status: int | None,
    envelope: Envelope,
    *,
    body: Any = None,
    default: type[ProviderError] = ProviderError,
) -> ProviderError:
    """The typed error for ``envelope`` received with HTTP ``status`` (None or < 400: in-body)."""
    effective = status if status is not None and status >= 400 else envelope.implied_status
    kw: dict[str, Any] = {
        "provider": provider,
        "status_code": effective if effective is not None else status,
        "error_code": envelope.error_code,
        "request_id": envelope.request_id,
        "body": body,
    }
    cls: type[ProviderError] | None = None
    for candidate, codes in _SPECIFIC:
        if envelope.kinds & codes:
            cls = candidate
            break
    message = envelope.message
    if cls is None and effective is not None:
        cls = _BY_STATUS.get(effective)
        if cls is None and effective == 404:
            message = f"{message} (HTTP 404: check the base URL)"
        elif cls is None and effective >= 500:
            cls = ProviderUnavailableError
    if cls is None and effective is None and envelope.kinds & _GENERIC_BAD_REQUEST:
        cls = BadRequestError
    if cls is None:
        cls = default
    if issubclass(cls, RateLimitError | ProviderUnavailableError):
        return cls(message, retry_after=envelope.retry_after, **kw)
    return cls(message, **kw)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _fallback_message(status: int | None, body: Any) -> str:
    text = body.strip()[:200] if isinstance(body, str) else ""
    return f"HTTP {status}" + (f": {text}" if text else "") if status else (text or "error")


# -- OpenAI: {"error": {"message", "type", "param", "code"}} ----------------------------------------
def read_openai(body: Any, headers: Mapping[str, str], status: int | None = None) -> Envelope:
    """Chat Completions and Responses errors (HTTP bodies, stream ``error`` events, failed responses)."""
    err = body.get("error") if isinstance(body, dict) else None
    recognised = isinstance(err, dict)
    if not isinstance(err, dict):
        err = body if isinstance(body, dict) and "message" in body else {}
    etype, code = _str(err.get("type")), _str(err.get("code"))
    return Envelope(
        message=str(err.get("message") or _fallback_message(status, body)),
        kinds=frozenset(k for k in (etype, code) if k),
        error_code=code or etype,
        recognised=recognised,
        request_id=headers.get("x-request-id"),
        retry_after=_retry_after(headers),
    )


# -- Anthropic: {"type": "error", "error": {"type", "message", "details"?}, "request_id"} ----------
_ANTHROPIC_TYPE_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "conflict_error": 409,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
# Anthropic reports an over-long prompt only through the message of a 400 invalid_request_error.
_CONTEXT_MESSAGE = re.compile(r"(prompt is too long|input length and `max_tokens` exceed context limit)", re.I)


def read_anthropic(body: Any, headers: Mapping[str, str], status: int | None = None) -> Envelope:
    """Messages API errors (HTTP bodies, possibly non-JSON from the edge, and stream ``error`` events)."""
    raw = body.get("error") if isinstance(body, dict) else None
    error: dict[str, Any] = raw if isinstance(raw, dict) else {}
    kind = _str(error.get("type"))
    details = error.get("details")
    code = _str(details.get("error_code")) if isinstance(details, dict) else None
    message = _str(error.get("message")) or _fallback_message(status, body)
    kinds = {k for k in (kind, code) if k}
    if kind == "invalid_request_error" and _CONTEXT_MESSAGE.match(message):
        kinds.add("context_length_exceeded")
    request_id = headers.get("request-id") or (_str(body.get("request_id")) if isinstance(body, dict) else None)
    return Envelope(
        message=message,
        kinds=frozenset(kinds),
        error_code=code or kind,
        recognised=kind is not None and isinstance(body, dict) and body.get("type") == "error",
        implied_status=_ANTHROPIC_TYPE_STATUS.get(kind or "", 500 if kind else None),
        request_id=request_id,
        retry_after=_retry_after(headers),
    )


# -- Gemini: google.rpc.Status {"error": {"code", "message", "status", "details": [...]}} -----------
def read_google(body: Any, headers: Mapping[str, str], status: int | None = None) -> Envelope:
    """Gemini errors (HTTP bodies, a one-element list of them, or raw JSON inside a stream)."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]  # some endpoints wrap the Status in a one-element array
    raw = body.get("error") if isinstance(body, dict) else None
    error: dict[str, Any] = raw if isinstance(raw, dict) else {}
    rpc_status = _str(error.get("status"))
    reason: str | None = None
    retry_after: float | None = None
    details = error.get("details")
    for detail in details if isinstance(details, list) else ():
        if not isinstance(detail, dict):
            continue
        kind = str(detail.get("@type", ""))
        if kind.endswith("google.rpc.ErrorInfo") and _str(detail.get("reason")):
            reason = detail["reason"]
        elif kind.endswith("google.rpc.RetryInfo"):
            retry_after = parse_duration(detail.get("retryDelay"))
    code = error.get("code")
    return Envelope(
        message=_str(error.get("message")) or _fallback_message(status, body),
        kinds=frozenset(k for k in (rpc_status, reason) if k),
        error_code=reason or rpc_status,
        recognised=bool(error) and (rpc_status is not None or type(code) is int),
        implied_status=code if type(code) is int and 400 <= code <= 599 else (500 if error else None),
        retry_after=retry_after if retry_after is not None else _retry_after(headers),
    )


def parse_duration(value: Any) -> float | None:
    """A protobuf Duration in JSON ("46s", "1.5s") as seconds."""
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        seconds = float(value[:-1])
    except ValueError:
        return None
    return max(seconds, 0.0) if seconds == seconds else None


# -- Ollama: {"error": "<text>"}, no codes -----------------------------------------------------------
def read_ollama(body: Any, headers: Mapping[str, str], status: int | None = None) -> Envelope:
    """Ollama errors. Its only JSON 404 on ``/api/chat`` is an unknown model (a wrong path is plain text)."""
    text = _str(body.get("error")) if isinstance(body, dict) else None
    kinds = frozenset({"model_not_found"}) if text is not None and status == 404 else frozenset()
    return Envelope(
        message=text or _fallback_message(status, body),
        kinds=kinds,
        error_code=None,
        recognised=text is not None,
        retry_after=_retry_after(headers),
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    return parse_retry_after(headers) if headers else None


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - (now if now is not None else time.time()), 0.0)
