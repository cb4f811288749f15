"""What every mode screen shares: the mode bar, the one error path and the loader wrapper."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from llmring_tui.messages import LoadFailed
from llmring_tui.views import describe_error
from llmring_tui.widgets import ErrorPanel, KeyBar, ModeBar

if TYPE_CHECKING:
    from llmring_tui.app import LLMRingApp
    from llmring_tui.data import DashboardData

T = TypeVar("T")


def layout_classes(screen: Screen[Any]) -> list[str]:
    """The breakpoint classes (``-narrow``/``-wide``, ``-short``/``-tall``) for the app's size."""
    app = screen.app
    width, height = app.size
    horizontal = app.HORIZONTAL_BREAKPOINTS if screen.HORIZONTAL_BREAKPOINTS is None else screen.HORIZONTAL_BREAKPOINTS
    vertical = app.VERTICAL_BREAKPOINTS if screen.VERTICAL_BREAKPOINTS is None else screen.VERTICAL_BREAKPOINTS
    classes = []
    for size, breakpoints in ((width, horizontal), (height, vertical)):
        for threshold, name in sorted(breakpoints or [], reverse=True):
            if size >= threshold:
                classes.append(name)
                break
    return classes


class DashboardScreen(Screen[None]):
    """A mode screen: loads through workers, shows failures inline and in a notification."""

    MODE: ClassVar[str] = ""
    # Keys the mode's widgets handle themselves (no binding to list them), for the help screen.
    HELP_KEYS: ClassVar[tuple[tuple[str, str], ...]] = ()
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh", tooltip="Reload now (retry errors)"),
    ]

    def __init__(self) -> None:
        # Start with the layout classes the first resize would set: adding them after mount
        # restyles every widget, a tenth of a second of start-up.
        super().__init__(id=f"{self.MODE}-screen", classes=" ".join(layout_classes(self)))
        self._last_error: str | None = None

    @classmethod
    def mode_bindings(cls) -> list[Binding]:
        """The bindings this mode adds (its own and the shared ``r``), in order."""
        found: list[Binding] = []
        for klass in reversed(cls.__mro__):
            if issubclass(klass, DashboardScreen):
                found.extend(b for b in klass.__dict__.get("BINDINGS", []) if isinstance(b, Binding))
        return found

    @property
    def dashboard(self) -> LLMRingApp:
        """The app, typed (a string cast: the app imports the screens, never the other way)."""
        return cast("LLMRingApp", self.app)

    @property
    def data(self) -> DashboardData:
        """The dashboard's data layer (the only thing that talks to the store)."""
        return self.dashboard.data

    def compose_top(self) -> ComposeResult:
        """The mode bar, the key bar and the (hidden) error panel, in every mode screen."""
        yield ModeBar(self.MODE, self.dashboard.database_label)
        app_bindings = [b for b in self.dashboard.BINDINGS if isinstance(b, Binding)]
        yield KeyBar(self.mode_bindings(), app_bindings)
        yield ErrorPanel()

    def action_refresh(self) -> None:
        """Reload this screen's data (and notify again if it still fails: the user asked)."""
        self._last_error = None
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
        self.show_failure()
        if message.error.message != self._last_error:
            self._last_error = message.error.message
            self.notify(message.error.message, title=message.error.title, severity="error", markup=False)

    def show_failure(self) -> None:
        """Adjust the screen after a failed load, e.g. drop a "Loading…" placeholder (default: nothing)."""

    def clear_error(self) -> None:
        """Hide the error panel after a successful load."""
        self._last_error = None
        self.query_one(ErrorPanel).hide()
