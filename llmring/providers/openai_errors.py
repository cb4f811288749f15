"""OpenAI error envelopes to typed errors, by HTTP status and the envelope's ``type``/``code``.

The envelope is ``{"error": {"message", "type", "param", "code"}}`` for HTTP errors and for
mid-stream ``data: {"error": ...}`` events (wire_formats.md section 1.6). The message text is
only ever shown, never matched: upstream llmring misclassified errors by substring.
"""

from __future__ import annotations

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

CONTENT_POLICY_CODES = frozenset({"content_filter", "content_policy_violation"})
QUOTA_CODES = frozenset({"insufficient_quota"})
OVERLOAD_CODES = frozenset({"server_error", "service_unavailable_error", "server_is_overloaded", "overloaded_error"})


def error_from_envelope(
    provider: str,
    status: int | None,
    body: Any,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
    fallback_message: str = "",
) -> ProviderError:
    """The typed error for an OpenAI error envelope (an HTTP error body or a mid-stream error event)."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict):
        err = body if isinstance(body, dict) and "message" in body else {}
    message = str(err.get("message") or fallback_message or f"HTTP {status}")
    etype = err.get("type") if isinstance(err.get("type"), str) else None
    code = err.get("code") if isinstance(err.get("code"), str) else None
    kinds = {etype, code}
    kw: dict[str, Any] = {
        "provider": provider,
        "status_code": status,
        "error_code": code or etype,
        "request_id": request_id,
        "body": body,
    }
    if status == 401:
        return AuthenticationError(message, **kw)
    if status == 403:
        return PermissionDeniedError(message, **kw)
    if status == 404:
        if kinds & {"model_not_found", "not_found_error"}:
            return ProviderModelNotFoundError(message, **kw)
        return ProviderError(f"{message} (HTTP 404: check OPENAI_BASE_URL)", **kw)
    if status == 408:
        return ProviderTimeoutError(message, **kw)
    if status == 429 or (status is None and kinds & {"rate_limit_exceeded", "insufficient_quota"}):
        if kinds & QUOTA_CODES:
            return QuotaExceededError(message, **kw)
        return RateLimitError(message, retry_after=retry_after, **kw)
    if "context_length_exceeded" in kinds:
        return ContextLengthExceededError(message, **kw)
    if kinds & CONTENT_POLICY_CODES:
        return ContentFilteredError(message, **kw)
    if status in (400, 422) or (status is None and etype == "invalid_request_error"):
        return BadRequestError(message, **kw)
    if (status is not None and status >= 500) or (status is None and kinds & OVERLOAD_CODES):
        return ProviderUnavailableError(message, retry_after=retry_after, **kw)
    return ProviderError(message, **kw)
