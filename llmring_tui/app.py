"""``LLMRingApp``: wires the three modes, the global keys, the command palette and the store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from llmring_tui.commands import DashboardCommands
from llmring_tui.data import DashboardData, utc_now
from llmring_tui.screens.base import DashboardScreen
from llmring_tui.screens.calls import CallsScreen
from llmring_tui.screens.help import HelpScreen
from llmring_tui.screens.models import ModelsScreen
from llmring_tui.screens.stats import StatsScreen

if TYPE_CHECKING:
    from llmring_tui.data import Clock, StoreFactory


class LLMRingApp(App[None]):
    """The llmring dashboard: Models, Calls and Stats over one store.

    ``store_factory`` opens the store (sync or async; it is called on first use and again after a
    failed open). ``clock`` gives "now" (tests freeze it). Times show in UTC unless
    ``local_time``, and every time column names its zone. ``mode`` is the mode to open in:
    ``calls`` (the default), ``models`` or ``stats``. ``e`` saves CSV files in ``export_dir``
    (default: the current directory).
    """

    CSS_PATH = "app.tcss"
    TITLE = "llmring"
    MODES: ClassVar = {"models": ModelsScreen, "calls": CallsScreen, "stats": StatsScreen}
    DEFAULT_MODE = "calls"
    COMMANDS: ClassVar = App.COMMANDS | {DashboardCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (130, "-wide")]  # noqa: RUF012 (Textual declares it an instance variable)
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [
        # The mode bar shows 1/2/3, so the key bar does not repeat them.
        Binding("1", "switch_mode('models')", "Models", show=False, tooltip="Models"),
        Binding("2", "switch_mode('calls')", "Calls", show=False, tooltip="Calls (live)"),
        Binding("3", "switch_mode('stats')", "Stats", show=False, tooltip="Stats"),
        Binding("question_mark", "help", "Help", tooltip="This list"),
        Binding("q", "quit", "Quit", tooltip="Quit"),
    ]

    def __init__(
        self,
        store_factory: StoreFactory,
        *,
        clock: Clock | None = None,
        refresh_interval: float = 5.0,
        database_label: str = "",
        mode: str = "calls",
        local_time: bool = False,
        export_dir: Path | None = None,
    ) -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(self.MODES)}")
        # App.__init__ reads DEFAULT_MODE: set per instance, the app opens (and loads) only that mode.
        self.DEFAULT_MODE = mode  # type: ignore[misc]
        super().__init__()
        from llmring.formatting import local_zone

        self.clock: Clock = clock or utc_now
        self.refresh_interval = refresh_interval
        self.database_label = database_label
        self.zone = local_zone() if local_time else UTC
        self.export_dir = export_dir
        self.data = DashboardData(store_factory, self.clock, self.zone)

    async def on_unmount(self) -> None:
        await self.data.close()

    async def run_in_mode(self, mode: str, action: str | None) -> None:
        """Switch to ``mode`` and run ``action`` on its screen (the command palette's verbs)."""
        await self.switch_mode(mode)
        if action is not None:
            await self.screen_stack[0].run_action(action)

    def action_help(self) -> None:
        """Show every key of the app and of the current mode (bindings and the widgets' own keys)."""
        if self.screen.id == "help":
            return
        base = self.screen_stack[0]
        mode_bindings = base.mode_bindings() if isinstance(base, DashboardScreen) else []
        mode_keys = base.HELP_KEYS if isinstance(base, DashboardScreen) else ()
        app_bindings = [b for b in self.BINDINGS if isinstance(b, Binding)]
        self.push_screen(HelpScreen(f"{self.current_mode.title()} mode", app_bindings, mode_bindings, mode_keys))

    def export_csv(self, stem: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path | None:
        """Save a table as ``llmring-<stem>-<time>.csv`` in ``export_dir`` and say where (or why not)."""
        from llmring_tui.export import write_csv

        rows = list(rows)
        directory = self.export_dir or Path.cwd()
        try:
            path = write_csv(directory, stem, header, rows, self.clock().astimezone(UTC))
        except OSError as exc:
            self.notify(f"Could not save the CSV in {directory}: {exc.strerror or exc}", severity="error", markup=False)
            return None
        self.notify(f"Saved {len(rows):,} row(s) to {path}", title="Exported", markup=False)
        return path
