"""The typed errors llmring raises.

::

    LLMRingError
    ├── ConfigurationError            bad settings or arguments (exit code 2 in the CLI)
    │   ├── MissingAPIKeyError        a provider key is not set (names the env var)
    │   ├── InvalidRequestError       a Message/LLMRequest field is invalid (also a ValueError)
    │   └── UnpricedModelError        strict_cost is on and the model has no price (never sent)
    ├── ModelNotFoundError            unknown model or provider (lists close matches)
    ├── RegistryError                 a registry JSON file is malformed (names file, model, field)
    ├── FileInputError                a file given to file_utils is missing, unsupported or too big
    ├── DatabaseError                 the store failed (unreachable, locked, read-only, full)
    ├── BudgetExceededError           a budget refused the call before it was sent (issue 16)
    ├── StreamClosedEarly             the caller stopped reading a stream (only ever logged)
    └── ProviderError                 anything a provider said or failed to say
        ├── AuthenticationError       401
        ├── PermissionDeniedError     403
        ├── ProviderModelNotFoundError 404 for the model
        ├── BadRequestError           400 / 422
        │   ├── ContextLengthExceededError
        │   ├── ContentFilteredError
        │   └── UnsupportedFeatureError   refused before sending (e.g. tools on o1; never logged)
        ├── RateLimitError            429 (``retry_after`` in seconds when known)
        │   └── QuotaExceededError    429 that retrying cannot fix (insufficient_quota)
        ├── ProviderTimeoutError      the request timed out (408 or client timeout)
        ├── ProviderUnavailableError  5xx / Anthropic 529 overloaded
        ├── ProviderConnectionError   could not connect, or the connection dropped mid-stream
        ├── ResponseFormatError       the provider sent something we cannot parse
        │   └── StructuredOutputError the answer does not validate against response_model
        └── FallbackError             every model of an alias failed (lists each hop and why)

Every ``ProviderError`` carries ``provider``, ``status_code``, ``error_code`` (the provider's own
error type/code) and ``request_id``. Messages never contain API keys: ``redact`` scrubs them.
"""

from __future__ import annotations

import re
from typing import Any

_SECRET_PATTERNS = (
    re.compile(r"sk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"AIza[0-9A-Za-z_\-]{10,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{6,}"),
    re.compile(
        r"(?i)((?:api[_-]?key|x-api-key|x-goog-api-key|key|token|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]{4,}"
    ),
    re.compile(r"(?i)(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+(@)"),
)

# Text without any of these (case aside) cannot match a pattern above, so it skips them all
# (substring tests: a case-insensitive regex alternation is twenty times slower).
_SECRET_HINTS = ("sk-", "aiza", "bearer", "key", "token", "password", "postgres")

_extra_secrets: set[str] = set()
# Longest first: a key that begins with another key must go whole, not leave its tail behind.
_secrets_longest_first: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Remember a secret (an API key in use) so ``redact`` removes it wherever it appears."""
    global _secrets_longest_first
    if value and len(value) >= 6 and value not in _extra_secrets:
        _extra_secrets.add(value)
        _secrets_longest_first = tuple(sorted(_extra_secrets, key=len, reverse=True))


def registered_secrets() -> int:
    """How many secrets ``register_secret`` knows (a cache of redacted text is stale when it grows)."""
    return len(_extra_secrets)


def redact(text: str | None, limit: int = 2000) -> str | None:
    """Remove API keys, bearer tokens and passwords from ``text`` and cap its length."""
    if text is None:
        return None
    for secret in _secrets_longest_first:
        if secret in text:
            text = text.replace(secret, "***")
    lowered = text.lower()
    if any(hint in lowered for hint in _SECRET_HINTS):
        for pattern in _SECRET_PATTERNS:
            if pattern.groups >= 2:
                text = pattern.sub(r"\1***\2", text)
            elif pattern.groups == 1:
                text = pattern.sub(r"\1***", text)
            else:
                text = pattern.sub("***", text)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


MAX_BODY_TEXT = 64 * 1024  # of a provider's error body kept on the exception (``ProviderError.body``)
_MAX_BODY_DEPTH = 64


def redact_body(body: Any, depth: int = 0) -> Any:
    """``body`` (parsed JSON or text) with ``redact`` applied to every string in it, keys included.

    Strings are capped at ``MAX_BODY_TEXT``; containers nested deeper than 64 levels are cut to
    ``"..."`` (a hostile body must not make the error itself fail).
    """
    if isinstance(body, str):
        return redact(body, limit=MAX_BODY_TEXT)
    if isinstance(body, dict | list) and depth >= _MAX_BODY_DEPTH:
        return "..."
    if isinstance(body, dict):
        return {redact_body(key, depth + 1): redact_body(value, depth + 1) for key, value in body.items()}
    if isinstance(body, list):
        return [redact_body(value, depth + 1) for value in body]
    return body


class LLMRingError(Exception):
    """Base of every error llmring raises on purpose."""

    def __init__(self, message: str) -> None:
        message = redact(message) or ""
        super().__init__(message)
        self.message = message


class ConfigurationError(LLMRingError):
    """Settings or arguments are wrong; the message says what to change."""


class MissingAPIKeyError(ConfigurationError):
    """A provider's API key is not configured."""

    def __init__(self, provider: str, env_vars: tuple[str, ...]) -> None:
        names = " or ".join(env_vars)
        super().__init__(f"{provider}: no API key: set {names}")
        self.provider = provider
        self.env_vars = env_vars


class InvalidRequestError(ConfigurationError, ValueError):
    """A ``Message`` or ``LLMRequest`` was built with an invalid field (temperature out of range, a
    malformed ``cache`` dict, no content). It is also a ``ValueError``, like pydantic's
    ``ValidationError`` it replaces for direct construction; ``errors`` holds pydantic's details."""

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class UnpricedModelError(ConfigurationError):
    """``LLMRing(strict_cost=True)`` (or ``LLMRING_STRICT_COST=1``) refused a model whose calls it
    could not price; nothing was sent. ``model`` is ``provider:model_name``."""

    def __init__(self, message: str, model: str) -> None:
        super().__init__(message)
        self.model = model


class ModelNotFoundError(LLMRingError):
    """The model (or its provider) is not known; ``suggestions`` lists close matches."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        self.suggestions = suggestions or []
        if self.suggestions:
            message = f"{message} (did you mean: {', '.join(self.suggestions)}?)"
        super().__init__(message)


class RegistryError(LLMRingError):
    """A registry file is not valid; names the file, the model and the field."""

    def __init__(self, message: str, file: str | None = None) -> None:
        super().__init__(message)
        self.file = file


class FileInputError(LLMRingError):
    """A file given for analysis is missing, unreadable, of an unsupported type or too large."""


class DatabaseError(LLMRingError):
    """The store could not be reached or written.

    ``busy`` is True when another connection held the database's lock for longer than the busy
    timeout: nothing is wrong, waiting is the remedy (the log writer retries without a warning).
    """

    busy: bool = False


class ProviderError(LLMRingError):
    """A provider call failed."""

    retryable: bool = False
    status_for_log: str = "error"

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        prefix = f"{provider}: " if provider and not message.startswith(f"{provider}:") else ""
        super().__init__(prefix + message)
        self.provider = provider
        self.status_code = status_code
        self.error_code = error_code
        self.request_id = request_id
        self.body = redact_body(body)  # the provider's error body, secrets removed like the message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"status_code={self.status_code!r}, error_code={self.error_code!r})"
        )


class AuthenticationError(ProviderError):
    """The API key was rejected (401)."""


class PermissionDeniedError(ProviderError):
    """The key may not use this resource (403)."""


class ProviderModelNotFoundError(ProviderError):
    """The provider does not know the model (404)."""


class BadRequestError(ProviderError):
    """The provider rejected the request as malformed (400/422)."""


class ContextLengthExceededError(BadRequestError):
    """The prompt plus max tokens exceed the model's context window."""


class ContentFilteredError(BadRequestError):
    """The provider refused the request or response on content-policy grounds."""


class UnsupportedFeatureError(BadRequestError):
    """llmring refused the request before sending it: the model cannot do what was asked, or the
    request asks for something llmring will not send (a ``provider_options`` field that clashes with
    one llmring sets). Nothing was sent, so the service does not log it as a call."""


class RateLimitError(ProviderError):
    """Too many requests (429); ``retry_after`` is the provider's hint in seconds, if any."""

    retryable = True
    status_for_log = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class QuotaExceededError(RateLimitError):
    """Out of credit or over a spend limit: retrying will not help."""

    retryable = False


class ProviderTimeoutError(ProviderError):
    """The request timed out; ``limit`` names the limit that tripped and ``after`` how long it ran.

    ``limit`` is ``"attempt"`` (``timeout``: one attempt, a stream's body included), ``"idle"``
    (``idle_timeout``: no stream event for that long), ``"deadline"`` (``deadline``: the whole
    call, retries included) or ``None`` (the provider said 408/504/timeout itself).
    """

    retryable = True
    status_for_log = "timeout"

    def __init__(self, message: str, *, limit: str | None = None, after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.limit = limit
        self.after = after


class ProviderUnavailableError(ProviderError):
    """The provider is down or overloaded (5xx, Anthropic 529)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ProviderConnectionError(ProviderError):
    """Could not connect, or the connection dropped (also mid-stream)."""

    retryable = True


class ResponseFormatError(ProviderError):
    """The provider's answer could not be parsed."""


class FallbackError(ProviderError):
    """Every model of an alias's chain failed or was passed over; the message lists each hop and
    why, ``hops`` holds ``(model, reason)`` pairs and ``errors`` the exceptions, in order."""

    def __init__(self, alias: str, hops: list[tuple[str, str]], errors: list[BaseException], waited: float) -> None:
        listed = "; ".join(f"{model}: {reason}" for model, reason in hops)
        super().__init__(f"every model of alias {alias!r} failed after {waited:.1f} s: {listed}")
        self.alias = alias
        self.hops = hops
        self.errors = errors
        self.waited = waited
        last = errors[-1] if errors else None
        self.status_code = getattr(last, "status_code", None)


class StreamClosedEarly(LLMRingError):
    """The caller stopped reading a stream before it ended (logged as an error row, not raised)."""


class StructuredOutputError(ResponseFormatError):
    """The answer to ``ring.chat(request, response_model=...)`` is not valid JSON for the schema.

    ``raw_text`` is the model's answer as sent; ``response`` the whole (priced and logged) response;
    ``problem`` the first validation problem, in one line.
    """

    def __init__(self, message: str, *, raw_text: str, response: Any = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.raw_text = raw_text
        self.response = response


class BudgetExceededError(LLMRingError):
    """A budget refused a call before anything was sent: spent + in flight + this call's worst
    case would pass its limit, or the model is unpriced under a budget that blocks those.

    ``budget`` is the refusing budget's id. The call is logged as an error row with no cost.
    """

    def __init__(self, message: str, *, budget: str | None = None) -> None:
        super().__init__(message)
        self.budget = budget
