"""The calls table: columns laid out for the terminal's width, and its cells.

Every column is sized to the screen (no horizontal scrolling): time, status, cost, tokens and
latency get the width their values need; the model takes what is left, shown without its
provider prefix when the terminal is narrow; origin/user appears from ``WIDE`` columns up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Literal

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from llmring.formatting import zone_name
from llmring_tui.call_views import CallRow

WIDE = 110
STATUS_STYLES = {
    "success": "green",
    "error": "bold red",
    "timeout": "yellow",
    "rate_limited": "yellow",
    "damaged": "bold magenta",
}
# Store order -> the column that shows it.
ORDER_COLUMNS = {"time": "time", "cost": "cost", "tokens": "tokens", "latency": "latency", "model": "model"}
ORDER_COLUMNS |= {"status": "status", "origin": "origin/user"}
# Cost: eleven cells hold a few millionths of a dollar ("$0.00000495", three significant digits).
_FIXED = {"time": 14, "status": 12, "cost": 11, "tokens": 7, "latency": 7}


@dataclass(frozen=True)
class TableColumn:
    """One column as laid out: its key, header, width in cells and alignment."""

    key: str
    label: str
    width: int
    justify: Literal["left", "right"] = "left"


def columns_for(width: int, zone: tzinfo, order_by: str = "time", ascending: bool = False) -> list[TableColumn]:
    """The columns for a terminal ``width`` wide, the sorted one marked with ▲/▼ where it fits."""
    wide = width >= WIDE
    keys = ["time", "status", "model", "cost", "tokens", "latency", *(["origin/user"] if wide else [])]
    # Two cells of padding per column and two for the vertical scrollbar.
    labels = {
        "time": f"Time ({zone_name(zone)})",
        "status": "Status",
        "model": "Model",
        "cost": "Cost",
        "tokens": "Tokens",
        "latency": "Latency",
        "origin/user": "Origin/user",
    }
    sorted_key = ORDER_COLUMNS.get(order_by)
    fixed = dict(_FIXED)
    if sorted_key in fixed:  # room for the arrow: the sort direction must show
        fixed[sorted_key] = max(fixed[sorted_key], len(labels[sorted_key]) + 2)
    flexible = max(width - 2 - 2 * len(keys) - sum(fixed.values()), 12)
    model_width = min(flexible, max(flexible * 3 // 5, 24)) if wide else flexible
    widths = {**fixed, "model": model_width, "origin/user": flexible - model_width}
    columns = []
    for key in keys:
        label = labels[key]
        if key == sorted_key and len(label) + 2 <= widths[key]:
            label += " ▲" if ascending else " ▼"
        justify: Literal["left", "right"] = "right" if key in ("cost", "tokens", "latency") else "left"
        columns.append(TableColumn(key, label, widths[key], justify))
    return columns


def row_cells(row: CallRow, keys: list[str | None], wide_model: bool | None = None) -> list[Text]:
    """The cells of ``row`` for the columns ``keys`` (ellipsis where a value is too long)."""
    wide = "origin/user" in keys if wide_model is None else wide_model
    status = row.status.replace("_", " ") + (f" #{row.attempt}" if row.attempt > 1 else "")
    values = {
        "time": Text(row.time),
        "status": Text(status, style=STATUS_STYLES.get(row.status, "")),
        "model": Text(row.model if wide else row.model_name),
        "cost": Text(row.cost, style="dim" if row.cost in ("unpriced", "—") else "cyan" if row.cache_hit else ""),
        "tokens": Text(f"{row.tokens:,}"),
        "latency": Text(row.latency),
        "origin/user": Text(row.who),
    }
    cells = []
    for key in keys:
        cell = values[str(key)]
        cell.no_wrap = True
        cell.overflow = "ellipsis"
        if key in ("cost", "tokens", "latency"):
            cell.justify = "right"
        cells.append(cell)
    return cells


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
