"""Models mode: the registry as a sortable, filterable table with a details pane."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Label, Static
from textual.widgets.data_table import ColumnKey

from llmring import formatting as fmt
from llmring_tui.messages import ModelsLoaded
from llmring_tui.screens.base import DashboardScreen
from llmring_tui.views import CAPABILITY_FLAGS, MODEL_CSV, ModelRow, ModelsView
from llmring_tui.widgets import EmptyState, pairs_table

SortKey = Callable[[ModelRow], Any]

# Column key -> (header, sort key). None sorts last whichever way the column is sorted.
COLUMNS: dict[str, tuple[str, SortKey]] = {
    "provider": ("Provider", lambda r: (r.provider, r.model_name)),
    "model": ("Model", lambda r: r.model_name),
    "context": ("Context", lambda r: r.context),
    "max_output": ("Max out", lambda r: r.max_output),
    "input": ("Input", lambda r: r.input_price),
    "output": ("Output", lambda r: r.output_price),
    "cached": ("Cached", lambda r: r.cached_price),
    "caps": ("Caps", lambda r: r.flags.count("·")),
}
NUMERIC = {"context", "max_output", "input", "output", "cached"}
CAPS_LEGEND = "Caps: " + "  ".join(f"{letter} {name}" for letter, name, _ in CAPABILITY_FLAGS) + "  · none"


def sort_rows(rows: list[ModelRow], column: str, reverse: bool) -> list[ModelRow]:
    """``rows`` sorted by ``column``; rows without a value go last in either direction."""
    key = COLUMNS[column][1]
    known = [r for r in rows if key(r) is not None]
    unknown = [r for r in rows if key(r) is None]
    return sorted(known, key=key, reverse=reverse) + unknown


class ModelsScreen(DashboardScreen):
    """The model registry: filter with ``/``, sort by header click or ``s``, ``i`` for retired models."""

    MODE = "models"
    AUTO_FOCUS = "#models-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", tooltip="Filter models as you type"),
        Binding("s", "sort_next", "Sort", tooltip="Sort by the next column"),
        Binding("S", "sort_reverse", "Reverse", show=False, tooltip="Reverse the sort order"),
        Binding("i", "toggle_inactive", "Retired", tooltip="Show or hide retired models"),
        Binding("e", "export", "Export", tooltip="Save the models as CSV"),
        Binding("escape", "clear_filter", "Clear", show=False, tooltip="Clear the filter"),
    ]
    HELP_KEYS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("↑↓ pgup/dn", "Move; the pane shows it all"),
        ("tab", "Filter, then the table"),
        ("click", "A header sorts by it"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.view: ModelsView | None = None
        self.include_inactive = False
        self.sort_column = "provider"
        self.sort_reverse = False
        self.shown_rows: list[ModelRow] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="models-toolbar"):
            yield Input(placeholder="/ filter: name, provider, capability", id="models-filter", compact=True)
            yield Label("", id="models-summary")
        with Horizontal(id="models-body"):
            with Vertical(id="models-main"):
                yield DataTable(id="models-table", cursor_type="row", zebra_stripes=True)
                yield Label(Text(CAPS_LEGEND), id="models-legend")
            with VerticalScroll(id="model-details"):
                yield Static("", id="model-details-title")
                yield Static("", id="model-details-general")
                yield Static("", id="model-details-prices")
        yield EmptyState(id="models-empty")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, (label, _) in COLUMNS.items():
            table.add_column(label, key=key)
        self.query_one("#models-body").display = False
        self.query_one(EmptyState).show("Loading the model registry…")
        self.reload()

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        self.load_models(self.include_inactive)

    @work(exclusive=True, exit_on_error=False, group="models")
    async def load_models(self, include_inactive: bool) -> None:
        """Fetch the registry in the background; posts ``ModelsLoaded`` or ``LoadFailed``."""
        await self.run_loader("the model registry", self.data.models(include_inactive), ModelsLoaded)

    def show_failure(self) -> None:
        if self.view is None:
            self.query_one(EmptyState).hide()

    def on_models_loaded(self, message: ModelsLoaded) -> None:
        self.clear_error()
        self.view = message.view
        self.render_rows()

    # -- drawing -------------------------------------------------------------------------------
    def render_rows(self) -> None:
        """Filter, sort and draw the table, keeping the highlighted model if it is still shown."""
        if self.view is None:
            return
        table = self.query_one(DataTable)
        query = self.query_one("#models-filter", Input).value.strip()
        previous = self._highlighted_key()
        rows = [r for r in self.view.rows if r.matches(query)] if query else list(self.view.rows)
        self.shown_rows = sort_rows(rows, self.sort_column, self.sort_reverse)
        table.clear()
        for key, (label, _) in COLUMNS.items():
            arrow = (" ▼" if self.sort_reverse else " ▲") if key == self.sort_column else ""
            table.columns[ColumnKey(key)].label = Text(label + arrow)
        for row in self.shown_rows:
            table.add_row(*self._cells(row), key=row.key)
        keys = [r.key for r in self.shown_rows]
        if previous in keys:
            table.move_cursor(row=keys.index(previous), scroll=True)
        self._update_summary(query)
        self.show_details()

    def _cells(self, row: ModelRow) -> list[Text]:
        style = "" if row.active else "dim italic"
        name = row.model_name if row.active else f"{row.model_name} (retired)"
        values = [
            row.provider,
            name,
            fmt.compact(row.context),
            fmt.compact(row.max_output),
            fmt.price(row.input_price),
            fmt.price(row.output_price),
            fmt.price(row.cached_price),
            row.flags,
        ]
        justify = ["left", "left", "right", "right", "right", "right", "right", "left"]
        return [Text(v, style=style, justify=j) for v, j in zip(values, justify, strict=True)]  # type: ignore[arg-type]

    def _update_summary(self, query: str) -> None:
        assert self.view is not None
        total = len(self.view.rows)
        retired = sum(not r.active for r in self.view.rows)
        shown = f"{len(self.shown_rows)} of {total} models" if query else f"{total} models"
        extra = f" ({retired} retired)" if self.view.include_inactive else ""
        self.query_one("#models-summary", Label).update(Text(f"{shown}{extra} · $ per 1M tokens"))
        empty = self.query_one(EmptyState)
        if not self.view.rows:
            empty.show(
                "The model registry is empty. Run `llmring init-db` to create the tables and load "
                "the curated registry, then press r."
            )
        elif not self.shown_rows:
            empty.show(f"No models match “{query}”. Press escape to clear the filter.")
        else:
            empty.hide()
        self.query_one("#models-body").display = bool(self.shown_rows)
        if self.shown_rows and self.focused is None:
            self.query_one(DataTable).focus()  # AUTO_FOCUS found it hidden before the first load

    def _highlighted_key(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def show_details(self) -> None:
        """Fill the details pane with every field of the highlighted model."""
        key = self._highlighted_key()
        row = next((r for r in self.shown_rows if r.key == key), None)
        general = self.query_one("#model-details-general", Static)
        prices = self.query_one("#model-details-prices", Static)
        title = self.query_one("#model-details-title", Static)
        if row is None:
            title.update("")
            general.update("")
            prices.update("")
            return
        # The key goes on a line of its own, as wide as the pane: ids are never split mid-word.
        title.update(Text(row.key, style="bold"))
        split = [label for label, _ in row.details].index("Input $/M")
        general.update(pairs_table(row.details[1:split], label_width=12))
        prices.update(pairs_table(row.details[split:], label_width=14))

    @on(DataTable.RowHighlighted, "#models-table")
    def _row_highlighted(self) -> None:
        self.show_details()

    # -- filtering and sorting -----------------------------------------------------------------
    @on(Input.Changed, "#models-filter")
    def _filter_changed(self) -> None:
        self.render_rows()

    @on(Input.Submitted, "#models-filter")
    def _filter_submitted(self) -> None:
        self.query_one(DataTable).focus()

    def action_export(self) -> None:
        """Save the models shown (this filter, this order) as CSV with their exact prices."""
        if not self.shown_rows:
            self.notify("No models shown: nothing to export.", severity="warning")
            return
        rows = [row.csv_row() for row in self.shown_rows]
        self.dashboard.export_csv("models", MODEL_CSV, rows)

    def action_clear_filter(self) -> None:
        """Escape: clear the filter and return to the table (as in every mode)."""
        filter_input = self.query_one("#models-filter", Input)
        if filter_input.value:
            filter_input.value = ""
        self.query_one(DataTable).focus()

    @on(DataTable.HeaderSelected, "#models-table")
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by(str(event.column_key.value))

    def sort_by(self, column: str) -> None:
        """Sort by ``column``; choosing the current column again reverses the order."""
        if column == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = column, column in NUMERIC
        self.render_rows()

    def action_sort_next(self) -> None:
        keys = list(COLUMNS)
        self.sort_by(keys[(keys.index(self.sort_column) + 1) % len(keys)])

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column)

    def action_focus_filter(self) -> None:
        self.query_one("#models-filter", Input).focus()

    def action_toggle_inactive(self) -> None:
        """Show or hide retired models (reloads: the store filters them)."""
        self.action_set_inactive(not self.include_inactive)

    def action_set_inactive(self, include: bool) -> None:
        """Include retired models or not."""
        if include != self.include_inactive:
            self.include_inactive = include
            self.reload()
