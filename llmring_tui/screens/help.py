"""The help modal: every key of the app and of the mode it was opened from, with what it does.

Bindings list themselves (first key, tooltip); the keys a mode's widgets handle on their own
(``enter``, arrows, ``tab`` between filters) come from the screen's ``HELP_KEYS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from llmring_tui.views import CAPABILITY_FLAGS
from llmring_tui.widgets import KeyBar, key_label


def binding_keys(binding: Binding) -> str:
    """Every key of a binding as people write them: ``n / →``."""
    from llmring_tui.widgets.keybar import KEY_NAMES

    keys = [key.strip() for key in binding.key.split(",")]
    return " / ".join(KEY_NAMES.get(key, key) for key in keys) if len(keys) > 1 else key_label(binding)


def keys_table(title: str, rows: Iterable[tuple[str, str]]) -> Table:
    """A titled two-column list: keys in bold, what they do beside them."""
    table = Table(box=None, padding=(0, 1), show_header=False, title=title, title_justify="left", title_style="bold")
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for keys, text in rows:
        table.add_row(Text(keys), Text(text))
    return table


class HelpScreen(ModalScreen[None]):
    """Keys for the whole app and for the current mode."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (76, "-wide")]  # noqa: RUF012 (Textual declares it an instance variable)

    def __init__(
        self,
        mode_title: str,
        app_bindings: list[Binding],
        mode_bindings: list[Binding],
        mode_keys: Iterable[tuple[str, str]] = (),
    ) -> None:
        from llmring_tui.screens.base import layout_classes

        super().__init__(id="help", classes=" ".join(layout_classes(self)))
        self.mode_title = mode_title
        self.app_bindings = app_bindings
        self.mode_bindings = mode_bindings
        self.mode_keys = tuple(mode_keys)

    def compose(self) -> ComposeResult:
        yield KeyBar(b for b in self.BINDINGS if isinstance(b, Binding))
        with Vertical(id="help-dialog"):
            yield Label("llmring dashboard: keys", id="help-title")
            with VerticalScroll(id="help-body"), Horizontal(id="help-columns"):
                mode_rows = [(binding_keys(b), b.tooltip or b.description) for b in self.mode_bindings]
                yield Static(keys_table(self.mode_title, [*mode_rows, *self.mode_keys]), id="help-mode")
                app_rows = [(binding_keys(b), b.tooltip or b.description) for b in self.app_bindings]
                app_rows.append(("ctrl+p", "Command palette"))
                flags = "\n".join(f"  {letter}  {name}" for letter, name, _ in CAPABILITY_FLAGS)
                legend = Text(f"\nModel capabilities (Caps):\n{flags}\n  ·  not supported", style="dim")
                yield Static(Group(keys_table("Everywhere", app_rows), legend), id="help-app")
