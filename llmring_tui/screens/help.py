"""The help modal: every key of the app and of the screen it was opened from, with its tooltip."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from llmring_tui.views import CAPABILITY_FLAGS
from llmring_tui.widgets import KeyBar, key_label


def _bindings_table(title: str, bindings: Iterable[Binding]) -> Table:
    table = Table(box=None, padding=(0, 2), show_header=False, title=title, title_justify="left", title_style="bold")
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for binding in bindings:
        table.add_row(Text(key_label(binding)), Text(binding.tooltip or binding.description))
    return table


class HelpScreen(ModalScreen[None]):
    """Keys for the whole app and for the current mode."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, mode_title: str, app_bindings: list[Binding], mode_bindings: list[Binding]) -> None:
        super().__init__(id="help")
        self.mode_title = mode_title
        self.app_bindings = app_bindings
        self.mode_bindings = mode_bindings

    def compose(self) -> ComposeResult:
        yield KeyBar(b for b in self.BINDINGS if isinstance(b, Binding))
        with Vertical(id="help-dialog"):
            yield Label("llmring dashboard: keys", id="help-title")
            with VerticalScroll():
                yield Static(_bindings_table("Everywhere", self.app_bindings))
                yield Static(_bindings_table(self.mode_title, self.mode_bindings))
                flags = "  ".join(f"{letter} {name}" for letter, name, _ in CAPABILITY_FLAGS)
                yield Static(Text(f"\nModel capability flags: {flags}\nctrl+p opens the command palette."))
