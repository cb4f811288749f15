"""``llmring tui``: the Textual dashboard (models, live calls, usage stats) over the configured store.

Textual is imported inside the command only, so ``llmring --help`` and every other command stay
free of it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from llmring.cli.context import settings
from llmring.cli.output import LocalOpt


class Mode(StrEnum):
    """The dashboard mode to open in."""

    models = "models"
    calls = "calls"
    stats = "stats"


def tui(
    ctx: typer.Context,
    mode: Annotated[
        Mode, typer.Option("--mode", metavar="[models|calls|stats]", help="Mode to open in (switch with 1/2/3).")
    ] = Mode.calls,
    refresh: Annotated[
        float, typer.Option("--refresh", min=0.5, metavar="SECONDS", help="Live refresh interval of the calls view.")
    ] = 5.0,
    local: LocalOpt = False,
) -> None:
    """Open the dashboard: the model registry, the call log (live) and usage stats.

    Times are UTC unless --local; press ? in any mode for every key.
    """
    from llmring.cli.context import database_must_exist

    target = settings(ctx).target()
    database_must_exist(target)

    from llmring.store import open_store
    from llmring_tui.app import LLMRingApp

    app = LLMRingApp(
        lambda: open_store(target),
        refresh_interval=refresh,
        database_label=target.describe(),
        mode=mode.value,
        local_time=local,
    )
    app.run()


def register(app: typer.Typer) -> None:
    """Add ``tui`` to the root command."""
    from llmring.cli.context import LLMRingCommand

    app.command("tui", cls=LLMRingCommand, short_help="The dashboard: models, live calls and usage stats.")(tui)
