"""The mode bar, the inline error panel and the empty-state message."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static

from llmring_tui.views import LoadError

MODE_TITLES: tuple[tuple[str, str, str], ...] = (
    ("1", "models", "Models"),
    ("2", "calls", "Calls"),
    ("3", "stats", "Stats"),
)


class ModeBar(Static):
    """The top line: the three modes (the current one highlighted, each clickable) and the database."""

    def __init__(self, mode: str, database: str = "") -> None:
        super().__init__(id="mode-bar")
        self.mode = mode
        self.database = database

    def on_mount(self) -> None:
        tabs = []
        for key, mode, title in MODE_TITLES:
            style = "reverse bold" if mode == self.mode else "dim"
            tabs.append(f"[@click=app.switch_mode('{mode}')][{style}] {key} {title} [/][/]")
        database = f"  [dim]{escape(self.database)}[/]" if self.database else ""
        self.update(f"[b]llmring[/b]  {' '.join(tabs)}{database}")


class ErrorPanel(Static):
    """An inline error: what failed, the store's message (escaped) and what to do next."""

    def __init__(self) -> None:
        super().__init__(classes="error-panel")
        self.display = False
        self.error: LoadError | None = None

    def show(self, error: LoadError) -> None:
        """Show ``error`` (its text is escaped: a DB message may contain square brackets)."""
        self.error = error
        self.update(f"[b]✖ {escape(error.title)}[/b]\n{escape(error.message)}\n[i]{escape(error.hint)}[/i]")
        self.display = True

    def hide(self) -> None:
        """Hide the panel after a successful load."""
        self.error = None
        self.display = False


class EmptyState(Static):
    """A centred message saying why there is nothing to show and what to run next."""

    def __init__(self, *, id: str) -> None:
        super().__init__(classes="empty-state", id=id)
        self.message = ""

    def show(self, message: str) -> None:
        """Show ``message`` (plain text: backticks and brackets are shown as they are)."""
        self.message = message
        self.update(escape(message))
        self.display = True

    def hide(self) -> None:
        self.message = ""
        self.display = False
