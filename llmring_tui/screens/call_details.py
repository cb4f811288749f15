"""The call details modal: request metadata, token breakdown, cost with its rates, and the error."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from llmring_tui.call_views import CallDetails, CostLine
from llmring_tui.screens.base import layout_classes
from llmring_tui.widgets import KeyBar, pairs_table


def cost_lines_table(lines: tuple[CostLine, ...]) -> Table:
    """What each billed component came to: tokens x rate per million = amount."""
    table = Table(box=None, padding=(0, 1), show_edge=False, header_style="dim")
    table.add_column("Component")
    table.add_column("Tokens", justify="right")
    table.add_column("Rate $/M", justify="right")
    table.add_column("Amount", justify="right")
    for line in lines:
        table.add_row(Text(line.component), Text(f"{line.tokens:,}"), Text(line.rate), Text(line.amount))
    return table


def section(title: str, *body: RenderableType) -> Group:
    """A titled block of the details."""
    return Group(Text(title, style="bold underline"), *body, Text(""))


class CallDetailsScreen(ModalScreen[None]):
    """Everything logged about one call (nothing here is markup: it is all plain ``Text``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,enter", "dismiss", "Close", tooltip="Back to the calls"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual declares it an instance variable)

    def __init__(self, details: CallDetails) -> None:
        super().__init__(id="call-details", classes=" ".join(layout_classes(self)))
        self.details = details

    def compose(self) -> ComposeResult:
        with Vertical(id="call-details-dialog"):
            yield Label(Text(self.details.title), id="call-details-title")
            with VerticalScroll(id="call-details-body"), Horizontal(id="call-details-columns"):
                yield Static(self._cost_column(), id="call-details-cost")
                yield Static(self._request_column(), id="call-details-request")
        yield KeyBar(b for b in self.BINDINGS if isinstance(b, Binding))

    def _cost_column(self) -> Group:
        details = self.details
        parts: list[RenderableType] = []
        if details.error:
            parts.append(section("Error", pairs_table(details.error, 8)))
        lines = cost_lines_table(details.cost_lines) if details.cost_lines else Text("no billed components", "dim")
        parts.append(section("Cost", pairs_table(details.cost, 16), lines))
        parts.append(section("Tokens", pairs_table(details.tokens, 16)))
        rates = pairs_table(details.rates, 16) if details.rates else Text("none recorded", "dim")
        parts.append(section("Rate snapshot ($ per million tokens)", rates))
        return Group(*parts)

    def _request_column(self) -> Group:
        details = self.details
        metadata = Text(details.metadata) if details.metadata else Text("none", "dim")
        return Group(section("Request", pairs_table(details.request, 14)), section("Request metadata", metadata))
