"""The "updated N s ago" label of the live calls view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.reactive import reactive
from textual.widgets import Static

from llmring import formatting as fmt


class UpdatedLabel(Static):
    """How long ago the data was fetched, re-rendered every second against the dashboard clock."""

    updated_at: reactive[datetime | None] = reactive(None)
    detail: reactive[str] = reactive("")
    failing: reactive[bool] = reactive(False)

    def __init__(self, clock: Callable[[], datetime], *, id: str) -> None:
        super().__init__(id=id)
        self._clock = clock

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self.mutate_reactive(UpdatedLabel.updated_at)

    def mark(self, detail: str) -> None:
        """Record a successful fetch now, with ``detail`` (e.g. the page) shown before the age."""
        self.detail = detail
        self.failing = False
        self.updated_at = self._clock()

    def fail(self) -> None:
        """Record a failed fetch: the data shown (if any) is now stale."""
        self.failing = True

    def render(self) -> str:
        if self.updated_at is None:
            return "not loaded: the last attempt failed" if self.failing else "loading…"
        age = fmt.ago((self._clock() - self.updated_at).total_seconds())
        state = f"refresh failed, data from {age} ago" if self.failing else f"updated {age} ago"
        return f"{self.detail} · {state}" if self.detail else state
