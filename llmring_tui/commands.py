"""The command palette's "noun: verb" commands (``ctrl+p``): switch mode, then run a screen action."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from llmring_tui.app import LLMRingApp

# (title, help, mode, action on that mode's screen or None just to switch)
PALETTE: tuple[tuple[str, str, str, str | None], ...] = (
    ("models: show", "Switch to the model registry", "models", None),
    ("models: filter", "Filter models as you type", "models", "focus_filter"),
    ("models: show inactive", "Include retired models", "models", "set_inactive(True)"),
    ("models: hide inactive", "Only active models", "models", "set_inactive(False)"),
    ("models: sort by next column", "Cycle the sort column", "models", "sort_next"),
    ("models: refresh", "Reload the registry", "models", "refresh"),
    ("calls: show", "Switch to the call log", "calls", None),
    ("calls: refresh", "Reload the call log now", "calls", "refresh"),
    ("calls: search", "Search model, origin, user and error text", "calls", "focus_search"),
    ("calls: only errors", "Show failed calls only", "calls", "status_filter('error')"),
    ("calls: clear filters", "Show every call", "calls", "clear_filters"),
    ("calls: last 24 hours", "Only calls from the last 24 hours", "calls", "time_filter('24h')"),
    ("calls: sort by cost", "Most expensive first", "calls", "sort_by('cost', False)"),
    ("calls: sort by latency", "Slowest first", "calls", "sort_by('latency', False)"),
    ("calls: sort by time", "Newest first", "calls", "sort_by('time', False)"),
    ("calls: copy as JSON", "Copy the highlighted call to the clipboard", "calls", "copy"),
    ("calls: export CSV", "Save the rows shown as CSV", "calls", "export"),
    ("models: export CSV", "Save the models shown as CSV", "models", "export"),
    ("stats: next breakdown", "By day, model, provider or origin", "stats", "next_breakdown"),
    ("stats: export CSV", "Save the breakdown shown as CSV", "stats", "export"),
    ("calls: next page", "Older calls", "calls", "next_page"),
    ("calls: previous page", "Newer calls", "calls", "previous_page"),
    ("calls: newest", "Back to the first page", "calls", "first_page"),
    ("stats: show", "Switch to usage stats", "stats", None),
    ("stats: last 24 hours", "Totals for today (the last 24 hours)", "stats", "window('today')"),
    ("stats: last 7 days", "Totals for the last 7 days", "stats", "window('7d')"),
    ("stats: last 30 days", "Totals for the last 30 days", "stats", "window('30d')"),
    ("stats: all time", "Totals since the first call", "stats", "window('all')"),
    ("stats: refresh", "Reload the stats", "stats", "refresh"),
)


class DashboardCommands(Provider):
    """Offers every ``PALETTE`` command, fuzzy-matched on its title."""

    def _callback(self, mode: str, action: str | None) -> Callable[[], Awaitable[None]]:
        return partial(cast("LLMRingApp", self.app).run_in_mode, mode, action)

    async def discover(self) -> Hits:
        for title, help_text, mode, action in PALETTE:
            yield DiscoveryHit(title, self._callback(mode, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, mode, action in PALETTE:
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), self._callback(mode, action), help=help_text)
