"""Stats mode: totals for a window of whole UTC days, cost per day, six breakdowns and the budgets."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical
from textual.events import Resize
from textual.widgets import DataTable, Label, Select, Static, TabbedContent, TabPane

from llmring_tui.messages import StatsLoaded
from llmring_tui.screens.base import DashboardScreen
from llmring_tui.views import (
    BREAKDOWN_CSV,
    BUDGET_COLUMNS,
    NO_BUDGETS,
    NO_CALLS,
    STATS_WINDOWS,
    WINDOWS_BY_KEY,
    BreakdownLine,
    StatsView,
    StatsWindow,
)
from llmring_tui.widgets import CostChart, EmptyState

BREAKDOWNS = (
    ("day", "Day (UTC)"),
    ("model", "Model"),
    ("provider", "Provider"),
    ("origin", "Origin"),
    ("user", "User"),
    ("tag", "Tag"),
)
BUDGETS = "budgets"  # the last tab: where each budget stands in its own period
# (header, dropped first when narrow: higher goes first)
BREAKDOWN_COLUMNS = (("Calls", 0), ("Tokens", 0), ("Cost", 0), ("Errors", 2), ("Cache hits", 1), ("Latency", 0))
TOTAL_CARDS = 9
KEY_MIN = 12


def breakdown_layout(width: int, lines: tuple[BreakdownLine, ...]) -> list[tuple[str, int]]:
    """(header, width) of each number column that fits beside a key column of at least ``KEY_MIN``.

    Numbers are never cut: a column is dropped whole (errors, then cache hits) when they do not
    all fit. Two cells of padding per column and two for the scrollbar.
    """
    cells = [line.cells() for line in lines]
    columns = [
        (header, max([len(header), *(len(row[i]) for row in cells)]), drop)
        for i, (header, drop) in enumerate(BREAKDOWN_COLUMNS)
    ]

    def room(chosen: list[tuple[str, int, int]]) -> int:
        return width - 2 - 2 * (len(chosen) + 1) - sum(w for _, w, _ in chosen)

    for rank in (2, 1):
        if room(columns) >= KEY_MIN:
            break
        columns = [c for c in columns if c[2] != rank]
    return [(header, w) for header, w, _ in columns]


class StatsScreen(DashboardScreen):
    """Usage totals: ``t``/``w``/``m``/``a`` choose today, 7 or 30 days, or all time; ``b`` the breakdown."""

    MODE = "stats"
    AUTO_FOCUS = "#by-day"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "window('today')", "Today", tooltip="Today (UTC)"),
        Binding("w", "window('7d')", "7 days", tooltip="Last 7 days (today + 6)"),
        Binding("m", "window('30d')", "30 days", tooltip="The last 30 days"),
        Binding("a", "window('all')", "All", tooltip="All time"),
        Binding("b", "next_breakdown", "Breakdown", tooltip="Next breakdown tab"),
        Binding("e", "export", "Export", tooltip="Save the breakdown as CSV"),
    ]
    HELP_KEYS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("↑↓ pgup/dn", "Move in the breakdown table"),
        ("tab", "Window, tabs, table"),
        ("← →", "Switch tabs (tabs focused)"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.window: StatsWindow = WINDOWS_BY_KEY["7d"]
        self.stats: StatsView | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="stats-toolbar"):
            yield Select(
                [(w.label, w.key) for w in STATS_WINDOWS],
                value=self.window.key,
                allow_blank=False,
                id="stats-window",
                compact=True,
            )
            yield Label("", id="stats-summary")
        with Vertical(id="stats-content"):
            with Grid(id="stats-totals"):
                for index in range(TOTAL_CARDS):
                    yield Static("", classes="stat-card", id=f"stat-{index}")
            yield CostChart(id="cost-chart")
            with TabbedContent(id="stats-breakdowns"):
                for key, _ in BREAKDOWNS:
                    with TabPane(f"By {key}", id=f"tab-{key}"):
                        yield DataTable(id=f"by-{key}", cursor_type="row", zebra_stripes=True)
                with TabPane("Budgets", id=f"tab-{BUDGETS}"):
                    yield DataTable(id=BUDGETS, cursor_type="row", zebra_stripes=True)
                    yield Label(NO_BUDGETS, id="no-budgets")
        yield EmptyState(id="stats-empty")

    def on_mount(self) -> None:
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
        span = f"{view.span} (UTC) · " if view.span else ""
        summary = f"{span}{view.total_calls:,} calls"
        self.query_one("#stats-summary", Label).update(Text(summary))
        for index, (label, value) in enumerate(view.totals[:TOTAL_CARDS]):
            card = Text.assemble((label, "dim"), "\n", (value, "bold"))
            self.query_one(f"#stat-{index}", Static).update(card)
        self.query_one(CostChart).show(view.cost_per_day)
        self._fill_breakdowns()
        empty = self.query_one(EmptyState)
        if view.total_calls:
            empty.hide()
        elif view.calls_ever:
            empty.show(f"No calls in this window ({view.window.label.lower()}). Press a for all time.")
        else:
            empty.show(NO_CALLS)
        self.query_one("#stats-content").display = bool(view.total_calls)
        if view.total_calls and self.focused is None:
            self.query_one("#by-day", DataTable).focus()

    def on_resize(self, event: Resize) -> None:
        if self.stats is not None:
            self._fill_breakdowns()

    def _fill_budgets(self) -> None:
        assert self.stats is not None
        table = self.query_one(f"#{BUDGETS}", DataTable)
        table.clear(columns=True)
        table.add_column("Budget", key="budget")
        for header in BUDGET_COLUMNS:
            table.add_column(Text(header, justify="right"), key=header)
        for index, line in enumerate(self.stats.budgets):
            cells = (Text(cell, justify="right") for cell in line.cells())
            table.add_row(Text(line.budget, no_wrap=True, overflow="ellipsis"), *cells, key=str(index))
        table.display = bool(self.stats.budgets)
        self.query_one("#no-budgets", Label).display = not self.stats.budgets

    def _fill_breakdowns(self) -> None:
        assert self.stats is not None
        self._fill_budgets()
        for key, title in BREAKDOWNS:
            table = self.query_one(f"#by-{key}", DataTable)
            # The pane's padding is not the table's to use (inactive panes have no size yet).
            width = (self.size.width or self.app.size.width) - table.parent.styles.padding.width  # type: ignore[union-attr]
            lines = self.stats.breakdown(key)
            layout = breakdown_layout(width, lines)
            room = width - 2 - 2 * (len(layout) + 1) - sum(w for _, w in layout)
            longest = max([len(title), *(len(line.key) for line in lines)])
            key_width = min(room, longest + 2)  # numbers stay near their key on a wide screen
            table.clear(columns=True)
            table.add_column(title, key="key", width=key_width)
            for header, column_width in layout:
                table.add_column(Text(header, justify="right"), key=header, width=column_width)
            headers = [header for header, _ in BREAKDOWN_COLUMNS]
            for line in lines:
                cells = dict(zip(headers, line.cells(), strict=True))
                key_cell = Text(line.key, no_wrap=True, overflow="ellipsis")
                table.add_row(key_cell, *(Text(cells[h], justify="right") for h, _ in layout), key=line.key)

    # -- window and breakdowns ---------------------------------------------------------------------
    def action_window(self, key: str) -> None:
        """Show totals for the window ``key`` (today, 7d, 30d or all)."""
        self.query_one("#stats-window", Select).value = key

    @on(Select.Changed, "#stats-window")
    def _window_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.window.key:
            self.window = WINDOWS_BY_KEY[event.value]
            self.reload()

    @property
    def breakdown_key(self) -> str:
        """The tab shown: day, model, provider, origin, user, tag or budgets."""
        return (self.query_one(TabbedContent).active or "tab-day").removeprefix("tab-")

    def action_next_breakdown(self) -> None:
        """Show the next tab (day, model, provider, origin, user, tag, budgets, then day again)."""
        keys = [*(key for key, _ in BREAKDOWNS), BUDGETS]
        following = keys[(keys.index(self.breakdown_key) + 1) % len(keys)]
        self.query_one(TabbedContent).active = f"tab-{following}"
        self.query_one(f"#{BUDGETS}" if following == BUDGETS else f"#by-{following}", DataTable).focus()

    def action_export(self) -> None:
        """Save the table shown as CSV (raw numbers, one row per group or budget)."""
        if self.stats is None:
            return
        key = self.breakdown_key
        if key == BUDGETS:
            budgets = [[line.budget, *line.cells()] for line in self.stats.budgets]
            self.dashboard.export_csv("budgets", ["budget", *BUDGET_COLUMNS], budgets)
            return
        rows = [line.csv_row() for line in self.stats.breakdown(key)]
        self.dashboard.export_csv(f"stats-{self.window.key}-by-{key}", [key, *BREAKDOWN_CSV], rows)
