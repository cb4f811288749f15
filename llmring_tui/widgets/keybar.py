"""The bottom key bar: a one-line, clickable list of the keys that matter on this screen.

A light stand-in for Textual's ``Footer``, which builds one widget per key and restyles them
all on start-up; this is one ``Static``, which keeps launch well under half a second.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.markup import escape
from textual.binding import Binding
from textual.widgets import Static

KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "escape": "esc",
    "enter": "enter",
    "pagedown": "pgdn",
    "pageup": "pgup",
}


def key_label(binding: Binding) -> str:
    """How a binding's first key is written for people: ``/``, ``?``, ``esc``, ``r``."""
    key = binding.key.split(",")[0].strip()
    return binding.key_display or KEY_NAMES.get(key, key)


class KeyBar(Static):
    """``r Refresh  / Search  …  ^p palette``: click a key to run it."""

    def __init__(self, screen_bindings: Iterable[Binding], app_bindings: Iterable[Binding] = ()) -> None:
        super().__init__(id="key-bar")
        parts = []
        for namespace, bindings in (("screen", screen_bindings), ("app", app_bindings)):
            for binding in bindings:
                if binding.show:
                    action = escape(f"{namespace}.{binding.action}")
                    parts.append(
                        f"[@click={action}][b $accent]{escape(key_label(binding))}[/] {binding.description}[/]"
                    )
        parts.append("[@click=app.command_palette][b $accent]^p[/] palette[/]")
        self.update("  ".join(parts))
