"""Calls mode: the call log, filtered, sorted by any column, paged and refreshed live."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select

from llmring.schemas import CALL_STATUSES
from llmring_tui.call_views import CALL_CSV, TIME_RANGES, CallRow, CallsPage, CallsQuery, Cursor, csv_row
from llmring_tui.messages import CallDetailsLoaded, CallRecordLoaded, CallsLoaded
from llmring_tui.screens.base import DashboardScreen
from llmring_tui.screens.call_details import CallDetailsScreen
from llmring_tui.screens.calls_table import CallsTable, columns_for, row_cells
from llmring_tui.views import NO_CALLS
from llmring_tui.widgets import EmptyState, UpdatedLabel

# Sortable columns in the order ``s`` cycles through them (table column key -> store order).
SORTS = {"time": "time", "cost": "cost", "tokens": "tokens", "latency": "latency", "model": "model"}
SORTS |= {"status": "status", "origin/user": "origin"}


class CallsScreen(DashboardScreen):
    """Recent calls: ``enter`` for details, ``s`` to sort, ``n``/``p`` to page, filters on top."""

    MODE = "calls"
    AUTO_FOCUS = "#calls-table"
    PAGE_SIZE: ClassVar[int] = 100
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", tooltip="Search text in the calls"),
        Binding("f", "cycle_status", "Status", tooltip="Cycle the status filter"),
        Binding("t", "cycle_time", "Time", tooltip="Cycle the time filter"),
        Binding("s", "sort_next", "Sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse", show=False, tooltip="Reverse the sort order"),
        Binding("c", "copy", "Copy", tooltip="Copy the call as JSON"),
        Binding("e", "export", "Export", tooltip="Save the rows as CSV"),
        Binding("n", "next_page", "Next", show=False, tooltip="Next page (older calls)"),
        Binding("p", "previous_page", "Prev", show=False, tooltip="Previous page"),
        Binding("g", "first_page", "First", show=False, tooltip="First page"),
        Binding("escape", "clear_filter", "Clear", show=False, tooltip="Clear filter (table: all)"),
    ]
    HELP_KEYS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("enter", "Details; n/p: next/previous"),
        ("↑↓ pgup/dn", "Move; page keys turn pages"),
        ("tab", "Next filter, then the table"),
        ("click", "A header sorts by it"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.filters = CallsQuery()
        self.cursors: list[Cursor | None] = [None]  # the keyset cursor of every page visited so far
        self.page: CallsPage | None = None
        self.fetching = False
        self._after_load = "keep"
        self._debounce: Timer | None = None
        self._layout: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="calls-filters"):
            statuses = [(s.replace("_", " "), s) for s in CALL_STATUSES]
            yield Select(statuses, prompt="any status", id="calls-status", compact=True)
            ranges = [(label, key) for key, label, _ in TIME_RANGES]
            yield Select(ranges, prompt="any time", id="calls-time", compact=True)
            yield Input(placeholder="model", id="calls-model", compact=True)
            yield Input(placeholder="origin[/user]", id="calls-origin", compact=True)
            yield Input(placeholder="/ search", id="calls-search", compact=True)
        yield UpdatedLabel(self.dashboard.clock, id="calls-updated")
        yield CallsTable(id="calls-table", cursor_type="row", zebra_stripes=True)
        yield EmptyState(id="calls-empty")

    def on_mount(self) -> None:
        self._set_columns(self.size.width or self.app.size.width)
        self.query_one(CallsTable).display = False
        self.query_one(EmptyState).show("Loading calls…")
        self.set_interval(self.dashboard.refresh_interval, self._live_refresh)
        self.reload()

    def on_resize(self, event: Resize) -> None:
        if self._set_columns(event.size.width) and self.page is not None:
            self._draw(self.page.rows)

    def _set_columns(self, width: int) -> bool:
        """Lay the table out for ``width`` columns of terminal; True if the layout changed."""
        columns = columns_for(width, self.dashboard.zone, self.filters.order_by, self.filters.ascending)
        layout = tuple(f"{c.key}:{c.width}:{c.label}" for c in columns)
        if layout == self._layout:
            return False
        self._layout = layout
        table = self.query_one(CallsTable)
        table.clear(columns=True)
        for column in columns:
            table.add_column(Text(column.label, justify=column.justify), key=column.key, width=column.width)
        return True

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
            + (" · n: next" if page.has_more else "")
        )
        empty = self.query_one(EmptyState)
        if page.rows:
            empty.hide()
        elif page.total_rows == 0:
            empty.show(NO_CALLS)
        else:
            empty.show("No calls match these filters. Press escape to clear them.")
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
        previous = self.highlighted_id()
        keys = [column.value for column in table.columns]
        table.clear()
        for row in rows:
            table.add_row(*row_cells(row, keys), key=row.id)
        ids = [row.id for row in rows]
        if self._after_load == "bottom" and rows:
            table.move_cursor(row=len(rows) - 1)
        elif self._after_load == "keep" and previous in ids:
            table.move_cursor(row=ids.index(previous))
        self._after_load = "keep"

    def highlighted_id(self) -> str | None:
        """The id of the highlighted call, if any."""
        table = self.query_one(CallsTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    # -- paging ----------------------------------------------------------------------------------
    def action_next_page(self) -> None:
        """The next page: older calls when newest first (a keyset query, fast at any depth)."""
        if self.page is None or not self.page.has_more or self.fetching:
            return
        self.cursors.append(self.page.next_cursor if self.filters.keyset else None)
        self._after_load = "top"
        self.reload()

    def action_previous_page(self) -> None:
        """The previous page (newer calls when newest first)."""
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

    # -- sorting ---------------------------------------------------------------------------------
    def sort_by(self, order_by: str, ascending: bool | None = None) -> None:
        """Order by ``order_by`` (a store order); the same column again reverses it."""
        if ascending is None:
            same = order_by == self.filters.order_by
            ascending = not self.filters.ascending if same else order_by in ("model", "status", "origin")
        self._query(self._replace(order_by=order_by, ascending=ascending))
        self._set_columns(self.size.width)

    @on(DataTable.HeaderSelected, "#calls-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        order = SORTS.get(str(event.column_key.value))
        if order is not None:
            self.sort_by(order)

    def action_sort_next(self) -> None:
        orders = list(dict.fromkeys(SORTS.values()))
        self.sort_by(orders[(orders.index(self.filters.order_by) + 1) % len(orders)])

    def action_sort_reverse(self) -> None:
        self.sort_by(self.filters.order_by, not self.filters.ascending)

    # -- filters -----------------------------------------------------------------------------------
    def _replace(self, **changes: object) -> CallsQuery:
        from dataclasses import replace

        return replace(self.filters, **changes)  # type: ignore[arg-type]

    def _query(self, query: CallsQuery) -> None:
        """Ask a new question; it starts again at page 1."""
        if query != self.filters:
            self.filters = query
            self.cursors = [None]
            self._after_load = "top"
            self.reload()

    def apply_filters(self) -> None:
        """Rebuild the query from the filter widgets."""
        status = self.query_one("#calls-status", Select).value
        time_range = self.query_one("#calls-time", Select).value
        origin, _, user = self.query_one("#calls-origin", Input).value.strip().partition("/")
        self._query(
            self._replace(
                status=status if isinstance(status, str) else None,
                time_range=time_range if isinstance(time_range, str) else None,
                model=self.query_one("#calls-model", Input).value.strip() or None,
                origin=origin.strip() or None,
                id_at_origin=user.strip() or None,
                search=self.query_one("#calls-search", Input).value.strip() or None,
            )
        )

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

    @on(Select.Changed, "#calls-status, #calls-time")
    def _select_changed(self) -> None:
        self.apply_filters()

    def _cycle(self, select_id: str, values: list[str]) -> None:
        select = self.query_one(select_id, Select)
        options: list[str | None] = [None, *values]
        current = select.value if isinstance(select.value, str) else None
        following = options[(options.index(current) + 1) % len(options)]
        if following is None:
            select.clear()
        else:
            select.value = following

    def action_cycle_status(self) -> None:
        self._cycle("#calls-status", list(CALL_STATUSES))

    def action_cycle_time(self) -> None:
        self._cycle("#calls-time", [key for key, _, _ in TIME_RANGES])

    def action_time_filter(self, time_range: str) -> None:
        """Show only calls from the last hour, 24 hours, 7 or 30 days (``1h``, ``24h``, ``7d``, ``30d``)."""
        self.query_one("#calls-time", Select).value = time_range

    def action_sort_by(self, order_by: str, ascending: bool) -> None:
        """Sort by ``order_by`` (time, cost, tokens, latency, model, status, origin)."""
        self.sort_by(order_by, ascending)

    def action_status_filter(self, status: str) -> None:
        """Show only calls with ``status``."""
        self.query_one("#calls-status", Select).value = status

    def action_clear_filter(self) -> None:
        """Escape: in a filter, clear it and go back to the table; on the table, clear every filter."""
        focused = self.focused
        if isinstance(focused, Input):
            focused.value = ""
        elif isinstance(focused, Select):
            focused.clear()
        else:
            self.action_clear_filters()
            return
        self.apply_filters()
        self.action_focus_table()

    def action_clear_filters(self) -> None:
        """Clear every filter (the sort order stays)."""
        for select_id in ("#calls-status", "#calls-time"):
            self.query_one(select_id, Select).clear()
        for input_id in ("#calls-model", "#calls-origin", "#calls-search"):
            self.query_one(input_id, Input).value = ""
        self.apply_filters()
        self.action_focus_table()

    def action_focus_search(self) -> None:
        self.query_one("#calls-search", Input).focus()

    def action_focus_table(self) -> None:
        self.query_one(CallsTable).focus()

    # -- copy and export ---------------------------------------------------------------------------
    def action_copy(self) -> None:
        """Copy the highlighted call, every logged field, as JSON."""
        record_id = self.highlighted_id()
        if record_id is not None:
            self.load_record(record_id)

    @work(exclusive=True, exit_on_error=False, group="call-record")
    async def load_record(self, record_id: str) -> None:
        """Fetch one call's row for copying; posts ``CallRecordLoaded`` or ``LoadFailed``."""
        await self.run_loader("the call", self.data.call_record(record_id), lambda r: CallRecordLoaded(record_id, r))

    def on_call_record_loaded(self, message: CallRecordLoaded) -> None:
        if message.record is None:
            self.notify(f"Call {message.record_id} is no longer in the log.", severity="warning", markup=False)
            return
        text = message.record.model_dump_json(indent=2)
        self.app.copy_to_clipboard(text)
        self.notify(
            f"Copied call {message.record_id} as JSON ({len(text):,} characters) to the terminal's clipboard.",
            title="Copied",
            markup=False,
        )

    def action_export(self) -> None:
        """Save the rows shown (this page, these filters, this order) as CSV."""
        if self.page is None or not self.page.rows:
            self.notify("No calls shown: nothing to export.", severity="warning")
            return
        rows = [csv_row(row.record) for row in self.page.rows]
        self.dashboard.export_csv(f"calls-page{self.page.page}", CALL_CSV, rows)

    # -- details -----------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#calls-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.load_details(event.row_key.value)

    def step_details(self, step: int) -> None:
        """Show the details of the call ``step`` rows below (above) the highlighted one."""
        table = self.query_one(CallsTable)
        target = table.cursor_row + step
        if not 0 <= target < table.row_count:
            where = "last" if step > 0 else "first"
            self.notify(f"That is the {where} call on this page (n / p on the table turn pages).", timeout=3)
            return
        table.move_cursor(row=target)
        record_id = self.highlighted_id()
        if record_id is not None:
            self.load_details(record_id)

    @work(exclusive=True, exit_on_error=False, group="call-details")
    async def load_details(self, record_id: str) -> None:
        """Fetch one call's full row; posts ``CallDetailsLoaded`` or ``LoadFailed``."""
        await self.run_loader("the call", self.data.call_details(record_id), lambda d: CallDetailsLoaded(record_id, d))

    def on_call_details_loaded(self, message: CallDetailsLoaded) -> None:
        if message.details is None:
            self.notify(f"Call {message.record_id} is no longer in the log.", severity="warning", markup=False)
            return
        if isinstance(self.app.screen, CallDetailsScreen):
            self.app.screen.show(message.record_id, message.details)
        else:
            self.app.push_screen(CallDetailsScreen(message.record_id, message.details, self))
