"""Cost over time: a bar per UTC day with a dollar axis, day labels and (where they fit) values.

``cost_chart`` draws it as plain lines (a pure function, tested on its own); ``CostChart`` is the
widget that draws it at whatever size the layout gives. A $0 day has no bar and the cheapest
non-zero day at least an eighth of a row, so "free" and "cheap" never look the same. When there
are more days than columns, days are summed into buckets of N days and the caption says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from rich.text import Text
from textual.widget import Widget

from llmring import formatting as fmt

EIGHTHS = " ▁▂▃▄▅▆▇█"
BAR_STYLE = "#4fa3e0"
PEAK_STYLE = "bold #f0b040"

Day = tuple[date, Decimal]


def buckets(days: Sequence[Day], slots: int) -> tuple[list[Day], int]:
    """``days`` summed into at most ``slots`` buckets of whole days (each keyed by its first day)."""
    size = max(1, math.ceil(len(days) / max(slots, 1)))
    grouped = [
        (days[i][0], sum((cost for _, cost in days[i : i + size]), Decimal(0))) for i in range(0, len(days), size)
    ]
    return grouped, size


def caption(days: Sequence[Day], size: int = 1) -> str:
    """``Cost per day (UTC) 03-08 → 03-14 · total $1.23 · peak $0.45 on 03-12``."""
    if not days:
        return "Cost per day (UTC): no calls in this window"
    first, last = days[0][0], days[-1][0]
    short = "%m-%d" if first.year == last.year else "%Y-%m-%d"
    span = f"{first:%Y-%m-%d}" if len(days) == 1 else f"{first:{short}} → {last:{short}}"
    total = sum((cost for _, cost in days), Decimal(0))
    grouped, _ = buckets(days, math.ceil(len(days) / size))
    peak_day, peak = max(grouped, key=lambda item: (item[1], item[0]))
    if not peak:
        peak_text = ""
    elif size == 1:
        peak_text = f" · peak {fmt.money(peak)} on {peak_day:%m-%d}"
    else:
        peak_text = f" · peak {fmt.money(peak)} in the {size} days from {peak_day:%m-%d}"
    per = "day" if size == 1 else f"{size} days"
    return f"Cost per {per} (UTC) {span} · total {fmt.money(total)}{peak_text}"


def cost_chart(days: Sequence[Day], width: int, height: int) -> list[Text]:
    """The chart in ``height`` lines of at most ``width`` cells: caption, bars, axis, labels."""
    lines = [Text(caption(days), style="dim")]
    if not days or height < 5 or width < 20:
        return lines[:height]
    top_value = max(cost for _, cost in days)
    labels = [fmt.money(top_value), fmt.money(top_value / 2) if top_value else "", "$0"]
    margin = max(len(label) for label in labels) + 1
    grouped, size = buckets(days, width - margin - 1)
    if size > 1:
        lines[0] = Text(caption(days, size), style="dim")
        top_value = max(cost for _, cost in grouped)
        labels = [fmt.money(top_value), fmt.money(top_value / 2) if top_value else "", "$0"]
        margin = max(len(label) for label in labels) + 1
    slot = max(1, (width - margin - 1) // len(grouped))
    bar = max(1, min(slot - 1, 8)) if slot > 1 else 1
    values = [fmt.money(cost) for _, cost in grouped]
    show_values = slot >= max(len(v) for v in values) + 1 and height >= 6
    rows = height - 3 - (1 if show_values else 0)
    peak = max(range(len(grouped)), key=lambda i: (grouped[i][1], i))

    eighths = []
    for _, cost in grouped:
        level = 0 if not top_value else round(cost / top_value * rows * 8)
        eighths.append(max(level, 1) if cost > 0 else 0)
    for row in range(rows):
        label = labels[0] if row == 0 else labels[1] if row == rows // 2 and rows > 2 else ""
        line = Text(label.rjust(margin - 1) + ("┤" if label else "│"), style="dim")
        floor = (rows - 1 - row) * 8
        for i, level in enumerate(eighths):
            fill = min(max(level - floor, 0), 8)
            cell = EIGHTHS[fill] * bar
            line.append(cell.ljust(slot), style=PEAK_STYLE if i == peak and top_value else BAR_STYLE)
        lines.append(line)
    lines.append(Text(labels[2].rjust(margin - 1) + "└" + "─" * (slot * len(grouped)), style="dim"))
    lines.append(Text(" " * margin + _day_labels([d for d, _ in grouped], slot, bar), style="dim"))
    if show_values:
        lines.append(Text(" " * margin + "".join(v.center(bar).ljust(slot)[:slot] for v in values), style="dim"))
    return lines[:height]


def _day_labels(days: list[date], slot: int, bar: int) -> str:
    """``MM-DD`` under every bar where a slot is wide enough, else under every few bars."""
    if slot >= 6:
        return "".join(f"{day:%m-%d}".center(bar).ljust(slot)[:slot] for day in days)
    every = math.ceil(6 / slot)
    text = [" "] * (slot * len(days) + 5)
    for i in range(0, len(days), every):
        text[i * slot : i * slot + 5] = f"{days[i]:%m-%d}"
    return "".join(text).rstrip()


class CostChart(Widget):
    """Cost per UTC day for the stats window, drawn to fit the widget's size."""

    DEFAULT_CSS = "CostChart { height: 9; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.days: tuple[Day, ...] = ()

    def show(self, days: tuple[Day, ...]) -> None:
        """Draw ``days`` (oldest first, every day of the window, zeros included)."""
        self.days = days
        self.refresh()

    @property
    def values(self) -> list[float]:
        """The plotted values (for tests)."""
        return [float(cost) for _, cost in self.days]

    @property
    def caption(self) -> str:
        """The caption line (span, total, peak)."""
        return caption(self.days)

    def render(self) -> Text:
        lines = cost_chart(self.days, self.size.width, self.size.height)
        chart = Text("\n").join(lines)
        chart.no_wrap = True
        chart.overflow = "ellipsis"
        return chart
