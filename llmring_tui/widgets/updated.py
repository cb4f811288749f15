"""The "updated N s ago" label of the live calls view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.reactive import reactive
from textual.widgets import Static

from llmring_tui import formatting as fmt


class UpdatedLabel(Static):
    """How long ago the data was fetched, re-rendered every second against the dashboard clock."""

    updated_at: reactive[datetime | None] = reactive(None)
    detail: reactive[str] = reactive("")

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
        self.updated_at = self._clock()

    def render(self) -> str:
        age = "loading…" if self.updated_at is None else f"updated {fmt.ago((self._clock() - self.updated_at).total_seconds())} ago"
        return f"{self.detail} · {age}" if self.detail else age
