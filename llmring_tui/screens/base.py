"""What every mode screen shares: the mode bar, the one error path and the loader wrapper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from llmring_tui.messages import LoadFailed
from llmring_tui.views import describe_error
from llmring_tui.widgets import ErrorPanel, ModeBar

if TYPE_CHECKING:
    from llmring_tui.app import LLMRingApp
    from llmring_tui.data import DashboardData

T = TypeVar("T")


class DashboardScreen(Screen[None]):
    """A mode screen: loads through workers, shows failures inline and in a notification."""

    MODE: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", tooltip="Reload from the database (also retries after an error)"),
    ]

    def __init__(self) -> None:
        super().__init__(id=f"{self.MODE}-screen")
        self._last_error: str | None = None

    @property
    def dashboard(self) -> LLMRingApp:
        """The app, typed."""
        from llmring_tui.app import LLMRingApp

        return cast(LLMRingApp, self.app)

    @property
    def data(self) -> DashboardData:
        """The dashboard's data layer (the only thing that talks to the store)."""
        return self.dashboard.data

    def compose_top(self) -> ComposeResult:
        """The mode bar and the (hidden) error panel, first in every mode screen."""
        yield ModeBar(self.MODE, self.dashboard.database_label)
        yield ErrorPanel()

    def action_refresh(self) -> None:
        """Reload this screen's data."""
        self.reload()

    def reload(self) -> None:
        """Start this screen's loader worker (each screen overrides it)."""

    async def run_loader(self, what: str, loader: Awaitable[T], loaded: Callable[[T], Message]) -> None:
        """Await ``loader`` and post ``loaded(result)``, or ``LoadFailed`` if it raised."""
        try:
            result = await loader
        except Exception as exc:  # any store failure becomes the one error path, never a traceback
            self.post_message(LoadFailed(describe_error(exc, what)))
        else:
            self.post_message(loaded(result))

    def on_load_failed(self, message: LoadFailed) -> None:
        """Show the error inline; notify once per distinct error (live refresh retries quietly)."""
        message.stop()
        self.query_one(ErrorPanel).show(message.error)
        if message.error.message != self._last_error:
            self._last_error = message.error.message
            self.notify(message.error.message, title=message.error.title, severity="error", markup=False)

    def clear_error(self) -> None:
        """Hide the error panel after a successful load."""
        self._last_error = None
        self.query_one(ErrorPanel).hide()
