"""When a failed attempt is tried again, and how long we wait first.

``BaseProvider._send`` asks ``should_retry`` (the provider's say) and then waits ``backoff_delay``;
each retried attempt is reported to the caller as a ``RetryInfo`` through its ``RetryHook``.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from llmring.errors import ProviderError

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
