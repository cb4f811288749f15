"""Stats mode: totals for a window, cost per day, and breakdowns by model, provider and origin."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import DataTable, Label, Select, Static, TabbedContent, TabPane

from llmring_tui.messages import StatsLoaded
from llmring_tui.screens.base import DashboardScreen
from llmring_tui.screens.calls import NO_CALLS
from llmring_tui.views import STATS_WINDOWS, WINDOWS_BY_KEY, BreakdownLine, StatsView, StatsWindow
from llmring_tui.widgets import CostChart, EmptyState

BREAKDOWNS = (("model", "Model"), ("provider", "Provider"), ("origin", "Origin"))
BREAKDOWN_COLUMNS = ("Calls", "Tokens", "Cost", "Errors", "Cache hits", "Avg latency")
TOTAL_CARDS = 9


class StatsScreen(DashboardScreen):
    """Usage totals: ``t``/``w``/``m``/``a`` (or the select) choose 24 hours, 7 or 30 days, or all time."""

    MODE = "stats"
    AUTO_FOCUS = "#by-model"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "window('today')", "24 h", tooltip="Totals for the last 24 hours"),
        Binding("w", "window('7d')", "7 days", tooltip="Totals for the last 7 days"),
        Binding("m", "window('30d')", "30 days", tooltip="Totals for the last 30 days"),
        Binding("a", "window('all')", "All time", tooltip="Totals for all time"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.window: StatsWindow = WINDOWS_BY_KEY["7d"]
        self.stats: StatsView | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="stats-toolbar"):
            yield Select(
                [(w.label, w.key) for w in STATS_WINDOWS], value=self.window.key, allow_blank=False, id="stats-window"
            )
            yield Label("", id="stats-summary")
        with Vertical(id="stats-content"):
            with Grid(id="stats-totals"):
                for index in range(TOTAL_CARDS):
                    yield Static("", classes="stat-card", id=f"stat-{index}")
            yield CostChart(id="cost-chart")
            with TabbedContent(id="stats-breakdowns"):
                for key, title in BREAKDOWNS:
                    with TabPane(f"By {title.lower()}", id=f"tab-{key}"):
                        yield DataTable(id=f"by-{key}", cursor_type="row", zebra_stripes=True)
        yield EmptyState(id="stats-empty")

    def on_mount(self) -> None:
        for key, title in BREAKDOWNS:
            table = self.query_one(f"#by-{key}", DataTable)
            table.add_column(title, key="key")
            for column in BREAKDOWN_COLUMNS:
                table.add_column(Text(column, justify="right"), key=column)
        self.query_one(EmptyState).show("Loading usage…")
        self.query_one("#stats-content").display = False
        self.reload()

    def on_screen_resume(self) -> None:
        if self.stats is not None:
            self.reload()

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        self.load_stats(self.window)

    @work(exclusive=True, exit_on_error=False, group="stats")
    async def load_stats(self, window: StatsWindow) -> None:
        """Fetch totals and breakdowns in the background; posts ``StatsLoaded`` or ``LoadFailed``."""
        await self.run_loader("usage stats", self.data.stats(window), StatsLoaded)

    def show_failure(self) -> None:
        if self.stats is None:
            self.query_one(EmptyState).hide()

    def on_stats_loaded(self, message: StatsLoaded) -> None:
        view = message.view
        if view.window != self.window:
            return
        self.clear_error()
        self.stats = view
        self.query_one("#stats-summary", Label).update(Text(f"{view.window.label}: {view.total_calls:,} calls"))
        for index, (label, value) in enumerate(view.totals[:TOTAL_CARDS]):
            card = Text.assemble((label, "dim"), "\n", (value, "bold"))
            self.query_one(f"#stat-{index}", Static).update(card)
        self.query_one(CostChart).show(view.cost_per_day)
        for key, lines in (("model", view.by_model), ("provider", view.by_provider), ("origin", view.by_origin)):
            self._fill(self.query_one(f"#by-{key}", DataTable), lines)
        empty = self.query_one(EmptyState)
        if view.total_calls:
            empty.hide()
        elif view.calls_ever:
            empty.show(f"No calls in this window ({view.window.label.lower()}). Press a for all time.")
        else:
            empty.show(NO_CALLS)
        self.query_one("#stats-content").display = bool(view.total_calls)
        if view.total_calls and self.focused is None:
            self.query_one("#by-model", DataTable).focus()

    @staticmethod
    def _fill(table: DataTable[Text], lines: tuple[BreakdownLine, ...]) -> None:
        table.clear()
        for line in lines:
            cells = (f"{line.calls:,}", f"{line.tokens:,}", line.cost, f"{line.errors:,}", f"{line.cache_hits:,}")
            table.add_row(
                Text(line.key),
                *(Text(cell, justify="right") for cell in (*cells, line.latency)),
                key=line.key,
            )

    # -- window ----------------------------------------------------------------------------------
    def action_window(self, key: str) -> None:
        """Show totals for the window ``key`` (today, 7d, 30d or all)."""
        self.query_one("#stats-window", Select).value = key

    @on(Select.Changed, "#stats-window")
    def _window_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.window.key:
            self.window = WINDOWS_BY_KEY[event.value]
            self.reload()
