"""Calls mode: the call log newest first, filtered, paged by keyset and refreshed live."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select

from llmring_tui.call_views import CallRow, CallsPage, CallsQuery, Cursor
from llmring_tui.messages import CallDetailsLoaded, CallsLoaded
from llmring_tui.screens.base import DashboardScreen
from llmring_tui.screens.call_details import CallDetailsScreen
from llmring_tui.widgets import EmptyState, UpdatedLabel

STATUSES = ("success", "error", "timeout", "rate_limited")
STATUS_STYLES = {"success": "green", "error": "bold red", "timeout": "yellow", "rate_limited": "yellow"}
# What matters most comes first, so a narrow terminal still shows it without scrolling.
COLUMNS = (
    ("Time", "left"),
    ("Status", "left"),
    ("Model", "left"),
    ("Cost", "right"),
    ("Tokens", "right"),
    ("Latency", "right"),
    ("Cache", "left"),
    ("Origin/user", "left"),
)
NO_CALLS = 'No calls logged yet. Run `llmring ask -m gpt-4o-mini "hello"` and it shows up here.'


class CallsTable(DataTable[Text]):
    """The calls table: page-down on the last row (page-up on the first) turns the page."""

    class PageRequested(Message):
        """The user paged past the end (``step`` 1) or the start (``step`` -1) of this page."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def action_page_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1:
            self.post_message(self.PageRequested(1))
        else:
            super().action_page_down()

    def action_page_up(self) -> None:
        if self.row_count and self.cursor_row == 0:
            self.post_message(self.PageRequested(-1))
        else:
            super().action_page_up()


class CallsScreen(DashboardScreen):
    """Recent calls: ``enter`` for details, ``n``/``p`` (or page keys) to page, filters on top."""

    MODE = "calls"
    AUTO_FOCUS = "#calls-table"
    PAGE_SIZE: ClassVar[int] = 100
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", tooltip="Search model, origin, user and error text"),
        Binding("f", "cycle_status", "Status", tooltip="Cycle the status filter"),
        Binding("c", "clear_filters", "Clear", tooltip="Clear every filter"),
        Binding("n", "next_page", "Next", tooltip="Older calls (the next page)"),
        Binding("p", "previous_page", "Prev", tooltip="Newer calls (the previous page)"),
        Binding("g", "first_page", "Newest", show=False, tooltip="Back to the newest calls"),
        Binding("escape", "focus_table", "Table", show=False, tooltip="Leave the filters"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = CallsQuery()
        self.cursors: list[Cursor | None] = [None]  # the keyset cursor of every page visited so far
        self.page: CallsPage | None = None
        self.fetching = False
        self._after_load = "keep"
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="calls-filters"):
            yield Select([(s.replace("_", " "), s) for s in STATUSES], prompt="any status", id="calls-status")
            yield Input(placeholder="model", id="calls-model")
            yield Input(placeholder="origin[/user]", id="calls-origin")
            yield Input(placeholder="/ search", id="calls-search")
        yield UpdatedLabel(self.dashboard.clock, id="calls-updated")
        yield CallsTable(id="calls-table", cursor_type="row", zebra_stripes=True)
        yield EmptyState(id="calls-empty")

    def on_mount(self) -> None:
        table = self.query_one(CallsTable)
        for label, justify in COLUMNS:
            table.add_column(Text(label, justify=justify), key=label.lower())  # type: ignore[arg-type]
        table.display = False
        self.query_one(EmptyState).show("Loading calls…")
        self.set_interval(self.dashboard.refresh_interval, self._live_refresh)
        self.reload()

    def on_screen_resume(self) -> None:
        if self.page is not None:
            self.reload()

    def _live_refresh(self) -> None:
        if self.is_active and not self.fetching:
            self.reload()

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        self.fetching = True
        self.load_page(self.filters, len(self.cursors), self.cursors[-1])

    @work(exclusive=True, exit_on_error=False, group="calls")
    async def load_page(self, query: CallsQuery, page: int, before: Cursor | None) -> None:
        """Fetch one page in the background; posts ``CallsLoaded`` or ``LoadFailed``."""
        loader = self.data.calls(query, page=page, before=before, page_size=self.PAGE_SIZE)
        await self.run_loader("calls", loader, CallsLoaded)

    def on_calls_loaded(self, message: CallsLoaded) -> None:
        self.fetching = False
        self.clear_error()
        page = message.page
        if page.query != self.filters or page.page != len(self.cursors):
            return  # an answer to a question no longer asked
        changed = self.page is None or page.rows != self.page.rows
        self.page = page
        if changed:
            self._draw(page.rows)
        first = (page.page - 1) * self.PAGE_SIZE + 1
        span = f"rows {first:,}–{first + len(page.rows) - 1:,}" if page.rows else "no rows"
        filtered = " (filtered)" if page.query.filtered else ""
        self.query_one(UpdatedLabel).mark(
            f"{page.total_rows:,} calls logged · page {page.page}{filtered}, {span}"
            + (" · n: older" if page.has_more else "")
        )
        empty = self.query_one(EmptyState)
        if page.rows:
            empty.hide()
        elif page.total_rows == 0:
            empty.show(NO_CALLS)
        else:
            empty.show("No calls match these filters. Press c to clear them.")
        table = self.query_one(CallsTable)
        table.display = bool(page.rows)
        if page.rows and self.focused is None:
            table.focus()  # AUTO_FOCUS found it hidden before the first load

    def show_failure(self) -> None:
        self.fetching = False
        self.query_one(UpdatedLabel).fail()
        if self.page is None:
            self.query_one(EmptyState).hide()

    def _draw(self, rows: tuple[CallRow, ...]) -> None:
        table = self.query_one(CallsTable)
        previous = None
        if table.row_count and self._after_load == "keep":
            previous = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        table.clear()
        for row in rows:
            table.add_row(*self._cells(row), key=row.id)
        keys = [row.id for row in rows]
        if self._after_load == "bottom" and rows:
            table.move_cursor(row=len(rows) - 1)
        elif previous in keys:
            table.move_cursor(row=keys.index(previous))
        self._after_load = "keep"

    @staticmethod
    def _cells(row: CallRow) -> list[Text]:
        status = row.status.replace("_", " ") + (f" #{row.attempt}" if row.attempt > 1 else "")
        return [
            Text(row.time),
            Text(status, style=STATUS_STYLES.get(row.status, "")),
            Text(row.model),
            Text(row.cost, style="dim" if row.cost in ("unpriced", "—") else "", justify="right"),
            Text(f"{row.tokens:,}", justify="right"),
            Text(row.latency, justify="right"),
            Text("hit" if row.cache_hit else "", style="cyan"),
            Text(row.who),
        ]

    # -- paging ----------------------------------------------------------------------------------
    def action_next_page(self) -> None:
        """Load older calls: the page after the last row shown (a keyset query, fast at any depth)."""
        if self.page is None or self.page.next_cursor is None or self.fetching:
            return
        self.cursors.append(self.page.next_cursor)
        self._after_load = "top"
        self.reload()

    def action_previous_page(self) -> None:
        """Load newer calls: the page before this one."""
        if len(self.cursors) <= 1 or self.fetching:
            return
        self.cursors.pop()
        self._after_load = "bottom"
        self.reload()

    def action_first_page(self) -> None:
        self.cursors = [None]
        self._after_load = "top"
        self.reload()

    @on(CallsTable.PageRequested)
    def _page_requested(self, event: CallsTable.PageRequested) -> None:
        if event.step > 0:
            self.action_next_page()
        else:
            self.action_previous_page()

    # -- filters -----------------------------------------------------------------------------------
    def apply_filters(self) -> None:
        """Rebuild the query from the filter widgets; a new query starts again at page 1."""
        status = self.query_one("#calls-status", Select).value
        origin, _, user = self.query_one("#calls-origin", Input).value.strip().partition("/")
        query = CallsQuery(
            status=status if isinstance(status, str) else None,
            model=self.query_one("#calls-model", Input).value.strip() or None,
            origin=origin.strip() or None,
            id_at_origin=user.strip() or None,
            search=self.query_one("#calls-search", Input).value.strip() or None,
        )
        if query != self.filters:
            self.filters = query
            self.cursors = [None]
            self._after_load = "top"
            self.reload()

    @on(Input.Changed)
    def _filter_typed(self) -> None:
        # Debounced: a search is a scan on a big log, so wait for a pause in typing.
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.4, self.apply_filters)

    @on(Input.Submitted)
    def _filter_submitted(self) -> None:
        self.apply_filters()
        self.action_focus_table()

    @on(Select.Changed, "#calls-status")
    def _status_changed(self) -> None:
        self.apply_filters()

    def action_cycle_status(self) -> None:
        select = self.query_one("#calls-status", Select)
        options: list[str | None] = [None, *STATUSES]
        current = select.value if isinstance(select.value, str) else None
        following = options[(options.index(current) + 1) % len(options)]
        if following is None:
            select.clear()
        else:
            select.value = following

    def action_status_filter(self, status: str) -> None:
        """Show only calls with ``status``."""
        self.query_one("#calls-status", Select).value = status

    def action_clear_filters(self) -> None:
        self.query_one("#calls-status", Select).clear()
        for input_id in ("#calls-model", "#calls-origin", "#calls-search"):
            self.query_one(input_id, Input).value = ""
        self.apply_filters()

    def action_focus_search(self) -> None:
        self.query_one("#calls-search", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one(CallsTable).focus()

    # -- details -----------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#calls-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.load_details(event.row_key.value)

    @work(exclusive=True, exit_on_error=False, group="call-details")
    async def load_details(self, record_id: str) -> None:
        """Fetch one call's full row; posts ``CallDetailsLoaded`` or ``LoadFailed``."""
        await self.run_loader("the call", self.data.call_details(record_id), lambda d: CallDetailsLoaded(record_id, d))

    def on_call_details_loaded(self, message: CallDetailsLoaded) -> None:
        if message.details is None:
            self.notify(f"Call {message.record_id} is no longer in the log.", severity="warning", markup=False)
            return
        self.app.push_screen(CallDetailsScreen(message.details))
