"""Cost per day: a sparkline of daily cost with a caption naming the span, the peak and the total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Sparkline

from llmring import formatting as fmt


class CostChart(Vertical):
    """A ``Sparkline`` of cost per UTC day (zero days included, so the x axis is time)."""

    def compose(self) -> ComposeResult:
        yield Label("Cost per day", id="cost-chart-caption")
        yield Sparkline([], id="cost-sparkline")

    def show(self, days: tuple[tuple[date, Decimal], ...]) -> None:
        """Draw ``days`` (oldest first) and describe them in the caption."""
        sparkline = self.query_one(Sparkline)
        caption = self.query_one("#cost-chart-caption", Label)
        if not days:
            sparkline.data = []
            caption.update("Cost per day: no calls in this window")
            return
        sparkline.data = [float(cost) for _, cost in days]
        peak_day, peak = max(days, key=lambda item: (item[1], item[0]))
        span = days[0][0].isoformat() if len(days) == 1 else f"{days[0][0]} → {days[-1][0]}"
        caption.update(f"Cost per day (UTC) {span} · peak {fmt.money(peak)} on {peak_day:%m-%d}")

    @property
    def values(self) -> list[float]:
        """The plotted values (for tests)."""
        return list(self.query_one(Sparkline).data or [])
