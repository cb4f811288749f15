"""The call details modal: model, time, status and cost first, then the request, the tokens, the
cost with its rates, the error and the request metadata (with the captured conversation, when
there is one, above the request); ``n``/``p`` step through the calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

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

if TYPE_CHECKING:
    from llmring_tui.screens.calls import CallsScreen


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
    """Everything logged about one call (nothing here is markup: it is all plain, inert ``Text``)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,right", "next_call", "Next", tooltip="The next call in the table"),
        Binding("p,left", "previous_call", "Prev", tooltip="The previous call in the table"),
        Binding("c", "copy", "Copy", tooltip="Copy this call as JSON"),
        Binding("escape,q,enter", "dismiss", "Close", tooltip="Back to the calls"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (Textual declares it an instance variable)

    def __init__(self, record_id: str, details: CallDetails, calls: CallsScreen | None = None) -> None:
        super().__init__(id="call-details", classes=" ".join(layout_classes(self)))
        self.record_id = record_id
        self.details = details
        self.calls = calls

    def compose(self) -> ComposeResult:
        with Vertical(id="call-details-dialog"):
            yield Label(Text(self.details.title), id="call-details-title")
            yield Static(self._summary(), id="call-details-summary")
            with VerticalScroll(id="call-details-body"), Horizontal(id="call-details-columns"):
                yield Static(self._cost_column(), id="call-details-cost")
                yield Static(self._request_column(), id="call-details-request")
        yield KeyBar(b for b in self.BINDINGS if isinstance(b, Binding))

    def show(self, record_id: str, details: CallDetails) -> None:
        """Show another call (``n``/``p``) in place."""
        self.record_id = record_id
        self.details = details
        self.query_one("#call-details-title", Label).update(Text(details.title))
        self.query_one("#call-details-summary", Static).update(self._summary())
        self.query_one("#call-details-cost", Static).update(self._cost_column())
        self.query_one("#call-details-request", Static).update(self._request_column())
        self.query_one("#call-details-body", VerticalScroll).scroll_home(animate=False)

    def action_next_call(self) -> None:
        """Show the next call of the table (the row below)."""
        if self.calls is not None:
            self.calls.step_details(1)

    def action_previous_call(self) -> None:
        """Show the previous call of the table (the row above)."""
        if self.calls is not None:
            self.calls.step_details(-1)

    def action_copy(self) -> None:
        """Copy this call, every logged field, as JSON."""
        if self.calls is not None:
            self.calls.load_record(self.record_id)

    def _summary(self) -> Text:
        """Model, status and cost, then time, latency, tokens and origin: the first thing seen."""
        values = dict(self.details.summary)
        status = values["Status"]
        head = Text.assemble(
            (values["Model"], "bold"),
            "  ",
            (status, "bold green" if status.startswith("success") else "bold red"),
            "  ",
            (values["Cost"], "bold"),
        )
        rest = " · ".join(values[key] for key in ("Time", "Latency", "Tokens", "Origin / user"))
        return Text.assemble(head, "\n", (rest, "dim"))

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
        parts: list[RenderableType] = []
        if details.conversation:
            # Plain Text, never markup: a prompt holding "[bold]" shows those characters.
            body = [Group(Text(heading, style="bold"), Text(text), Text("")) for heading, text in details.conversation]
            parts.append(section("Conversation", *body))
        parts += [section("Request", pairs_table(details.request, 14)), section("Request metadata", metadata)]
        return Group(*parts)
