"""Aliases and their fallback chains: which models an alias names, when a call moves on to the
next one, and which candidates are passed over because the prompt cannot fit.

A chain is tried in order (``LLMRing`` does the trying). The call moves on after a rate limit
the provider's retries could not outlast (quota included: another provider may have credit), a
timeout, a 5xx/529, a connection error, a model the provider or the registry does not know, a
feature the model lacks (refused before sending), or a context-length error (then only to
models with a larger window). It never moves on after an authentication, permission or other
bad-request error, nor a content-filter refusal: another model would fail the same way or
should not be asked. A stream moves on only before its first token.

Before a hop is sent, a model whose registry context window is smaller than the prompt's
estimated tokens plus ``max_tokens`` is passed over with the reason in its row. The estimate is
deliberately cheap and low (characters / 4, a little per image or file), so a model is only
passed over when the prompt surely does not fit.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmring.errors import (
    ConfigurationError,
    ContextLengthExceededError,
    FallbackError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderModelNotFoundError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    UnsupportedFeatureError,
)

if TYPE_CHECKING:
    from llmring.routing import Route
    from llmring.schemas import LLMRequest

_MOVES_ON = (
    RateLimitError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    ProviderConnectionError,
    ProviderModelNotFoundError,
    ModelNotFoundError,
    ContextLengthExceededError,
    UnsupportedFeatureError,
)
_TOKENS_PER_PART = 85  # an image or file part: the smallest any provider bills for one


def check_aliases(aliases: Mapping[str, str | Sequence[str]] | None) -> dict[str, tuple[str, ...]]:
    """``aliases`` as ``{name: (model, ...)}``, each checked like the config file's ``[aliases]``."""
    from llmring.config import alias_models

    checked: dict[str, tuple[str, ...]] = {}
    for name, models in (aliases or {}).items():
        try:
            checked[name] = alias_models(name, models)
        except ValueError as exc:
            raise ConfigurationError(f"aliases[{name!r}]: {exc}") from None
    return checked


def moves_on(error: BaseException) -> bool:
    """Whether a hop that failed with ``error`` lets the call try the next model."""
    return isinstance(error, _MOVES_ON)


def estimate_tokens(request: LLMRequest) -> int:
    """A cheap, low estimate of the prompt's tokens (characters / 4; tools count as text)."""
    chars = 0
    parts = 0
    for message in request.messages:
        content = message.content
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    chars += len(part["text"])
                else:
                    parts += 1
    if request.tools:
        chars += sum(len(str(tool)) for tool in request.tools)
    return chars // 4 + parts * _TOKENS_PER_PART


def window_problem(route: Route, request: LLMRequest, tokens: int, exceeded: int | None) -> str | None:
    """Why ``route``'s model is passed over before sending, or None to try it.

    ``tokens`` is the prompt's estimate; ``exceeded`` the window of a model that already said the
    prompt was too long (only larger windows are worth trying then). A model without a known
    window is always tried.
    """
    window = route.model.max_context if route.model is not None else None
    if not window:
        return None
    needed = tokens + (request.max_tokens or 0)
    if needed > window:
        return (
            f"skipped before sending: the prompt (about {tokens:,} tokens) plus max_tokens needs {needed:,},"
            f" more than its {window:,}-token context window"
        )
    if exceeded is not None and window <= exceeded:
        return f"skipped before sending: its {window:,}-token window is no larger than one the prompt overflowed"
    return None


def hop_reason(error: BaseException, *, with_wait: bool = True) -> str:
    """A few words on why a hop failed, for the error that lists every hop (``with_wait=False``:
    without the wait a rate limit asked for, when the caller says how long it waits)."""
    status = getattr(error, "status_code", None)
    code = f" ({status})" if status else ""
    if isinstance(error, RateLimitError):
        after = getattr(error, "retry_after", None) if with_wait else None
        details = ", ".join([*([str(status)] if status else []), *([f"retry after {after:g} s"] if after else [])])
        return f"rate limited ({details})" if details else "rate limited"
    labels = (
        (ProviderTimeoutError, "timed out"),
        (ProviderUnavailableError, "unavailable"),
        (ProviderConnectionError, "could not connect"),
        (ProviderModelNotFoundError, "model not found"),
        (ModelNotFoundError, "unknown model"),
        (ContextLengthExceededError, "context length exceeded"),
        (UnsupportedFeatureError, "cannot do what was asked"),
    )
    for kind, label in labels:
        if isinstance(error, kind):
            return f"{label}{code}"
    return f"{type(error).__name__}{code}"


@dataclass
class Hops:
    """What happened at each hop of one call through an alias, for the error that lists them."""

    alias: str
    tokens: int  # the prompt's estimate (``estimate_tokens``)
    started: float = field(default_factory=time.perf_counter)
    exceeded: int | None = None  # the largest window the prompt overflowed
    listed: list[tuple[str, str]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    def skipped(self, route: Route, reason: str, error: BaseException) -> None:
        """A model passed over before sending."""
        self.listed.append((route.key, reason))
        self.errors.append(error)

    def failed(self, route: Route, error: BaseException) -> BaseException:
        """A hop that failed; returns what to raise if the call ends here (the error itself when it
        was the only hop, else a ``FallbackError`` listing them all)."""
        self.listed.append((route.key, hop_reason(error)))
        self.errors.append(error)
        if isinstance(error, ContextLengthExceededError) and route.model is not None and route.model.max_context:
            self.exceeded = max(self.exceeded or 0, route.model.max_context)
        return error if len(self.listed) == 1 else self._error()

    def exhausted(self) -> BaseException:
        """The error for a chain whose every model failed or was passed over."""
        return self.errors[0] if len(self.errors) == 1 else self._error()

    def _error(self) -> FallbackError:
        return FallbackError(self.alias, list(self.listed), list(self.errors), time.perf_counter() - self.started)
