"""The time limits of one provider call, and the error that says which one tripped.

Three limits, all in seconds (``None`` = no such limit):

* ``timeout`` bounds one **attempt**: connecting, the reply's head and its whole body, a stream's
  included. httpx's own timeouts bound each socket read only, so a reply trickling one byte a
  second, or a stream that never ends, would otherwise run forever.
* ``idle_timeout`` bounds the gap between two **stream events** (keep-alive comments do not count).
* ``deadline`` bounds the **whole call**: every attempt and every wait between retries.

They are enforced with ``asyncio.timeout`` around each awaited step (never around a ``yield``,
where a timer would cancel the caller's code instead of ours).
"""

from __future__ import annotations

import math
import time

from llmring.errors import ProviderTimeoutError

monotonic = time.monotonic


class CallLimits:
    """The running clock of one call: when the call and its current attempt must end."""

    __slots__ = (
        "attempt_end",
        "attempt_started",
        "attempts",
        "body_started",
        "call_end",
        "call_started",
        "deadline",
        "idle_timeout",
        "last_error",
        "last_event",
        "timeout",
    )

    def __init__(self, timeout: float | None, idle_timeout: float | None, deadline: float | None) -> None:
        now = monotonic()
        self.timeout = timeout
        self.idle_timeout = idle_timeout
        self.deadline = deadline
        self.call_started = now
        self.call_end = now + deadline if deadline is not None else math.inf
        self.attempts = 0
        self.attempt_started = now
        self.attempt_end = self.call_end
        self.last_event = self.body_started = now
        self.last_error: Exception | None = None  # of the attempt before this one, named if the deadline trips

    def start_attempt(self) -> None:
        """A new attempt begins now."""
        now = monotonic()
        self.attempts += 1
        self.attempt_started = self.last_event = now
        end = now + self.timeout if self.timeout is not None else math.inf
        self.attempt_end = min(end, self.call_end)

    def body_starts(self) -> None:
        """A stream's head has arrived; its body is read from now on."""
        self.last_event = self.body_started = monotonic()

    def attempt_left(self) -> float | None:
        """Seconds the current attempt may still run (None: unbounded)."""
        if self.attempt_end == math.inf:
            return None
        return max(self.attempt_end - monotonic(), 0.0)

    def read_left(self) -> float | None:
        """Seconds the next read of a stream may take: the attempt's end or the idle limit."""
        end = self.attempt_end
        if self.idle_timeout is not None:
            end = min(end, self.last_event + self.idle_timeout)
        if end == math.inf:
            return None
        return max(end - monotonic(), 0.0)

    def call_left(self) -> float:
        """Seconds left before the call's deadline (``inf`` without one)."""
        return self.call_end - monotonic()

    def expired(self, provider: str, *, streaming: bool = False) -> ProviderTimeoutError:
        """The error for the limit that has just tripped, saying which and after how long."""
        now = monotonic()
        since_event = now - self.last_event
        idle_end = self.last_event + self.idle_timeout if self.idle_timeout is not None else math.inf
        where = ""
        if streaming:
            stalled = since_event >= 0.5 * (now - self.body_started)
            where = "stream still sending: "
            if stalled:
                where = f"stream stalled ({since_event:.1f}s since the last event): "
        if streaming and idle_end <= self.attempt_end and idle_end <= now + 0.001:
            message = f"{where}idle timeout of {self.idle_timeout:g}s between stream events reached"
            return ProviderTimeoutError(message, provider=provider, limit="idle", after=since_event)
        if self.call_end <= self.attempt_end:
            after = now - self.call_started
            message = (
                f"{where}call deadline of {self.deadline:g}s reached after {after:.1f}s "
                f"({self.attempts} attempt{'s' if self.attempts != 1 else ''}"
                + (f"; last error: {self.last_error})" if self.last_error is not None else ")")
            )
            return ProviderTimeoutError(message, provider=provider, limit="deadline", after=after)
        after = now - self.attempt_started
        message = f"{where}attempt timeout of {self.timeout:g}s reached after {after:.1f}s"
        return ProviderTimeoutError(message, provider=provider, limit="attempt", after=after)

    def deadline_before_retry(self, provider: str, last: Exception) -> ProviderTimeoutError:
        """The error when the deadline leaves no time for the next attempt."""
        after = monotonic() - self.call_started
        message = (
            f"call deadline of {self.deadline:g}s leaves no time to retry after {after:.1f}s "
            f"({self.attempts} attempt{'s' if self.attempts != 1 else ''}; last error: {last})"
        )
        return ProviderTimeoutError(message, provider=provider, limit="deadline", after=after)


NO_LIMITS = CallLimits(None, None, None)  # for a response that did not come through ``_send``
LIMITS_KEY = "llmring.limits"  # where an open stream's response carries its call's CallLimits
