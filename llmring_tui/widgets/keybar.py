"""The bottom key bar: a one-line, clickable list of the keys that matter on this screen.

A light stand-in for Textual's ``Footer``, which builds one widget per key and restyles them
all on start-up; this is one ``Static``, which keeps launch well under half a second. It fits
its width: when the keys do not all fit, the palette hint goes first, then the mode's keys from
the right; help and quit always stay (``?`` lists everything).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.markup import escape
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Static

KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "escape": "esc",
    "enter": "enter",
    "pagedown": "pgdn",
    "pageup": "pgup",
    "right": "→",
    "left": "←",
}


def key_label(binding: Binding) -> str:
    """How a binding's first key is written for people: ``/``, ``?``, ``esc``, ``r``."""
    key = binding.key.split(",")[0].strip()
    return binding.key_display or KEY_NAMES.get(key, key)


@dataclass(frozen=True)
class _Item:
    key: str
    description: str
    action: str
    keep: bool

    @property
    def markup(self) -> str:
        return f"[@click={escape(self.action)}][b $accent]{escape(self.key)}[/] {escape(self.description)}[/]"

    @property
    def width(self) -> int:
        return len(self.key) + 1 + len(self.description)


class KeyBar(Static):
    """``r Refresh  / Search  …  ? Help  q Quit  ^p palette``: click a key to run it."""

    def __init__(self, screen_bindings: Iterable[Binding], app_bindings: Iterable[Binding] = ()) -> None:
        super().__init__(id="key-bar")
        items = []
        for namespace, bindings in (("screen", screen_bindings), ("app", app_bindings)):
            for binding in bindings:
                if binding.show:
                    action = f"{namespace}.{binding.action}"
                    keep = namespace == "app" or binding.action == "dismiss"
                    items.append(_Item(key_label(binding), binding.description, action, keep))
        self.items = items
        self.palette = _Item("^p", "palette", "app.command_palette", False)
        self.fit(200)

    def on_resize(self, event: Resize) -> None:
        self.fit(event.size.width)

    def fit(self, width: int) -> None:
        """Show as many keys as fit in ``width`` cells (two spaces between them, one at each end)."""
        shown = [*self.items, self.palette]

        def total(items: list[_Item]) -> int:
            return sum(item.width for item in items) + 2 * (len(items) - 1) + 2

        if total(shown) > width:
            shown.remove(self.palette)
        for item in reversed(self.items):
            if total(shown) <= width:
                break
            if not item.keep:
                shown.remove(item)
        self.update("  ".join(item.markup for item in shown))
