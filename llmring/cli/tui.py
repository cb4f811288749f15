"""``llmring tui``: the Textual dashboard (models, live calls, usage stats) over the configured store.

Textual is imported inside the command only, so ``llmring --help`` and every other command stay
free of it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from llmring.cli.context import settings


class Mode(StrEnum):
    """The dashboard mode to open in."""

    models = "models"
    calls = "calls"
    stats = "stats"


def tui(
    ctx: typer.Context,
    mode: Annotated[Mode, typer.Option("--mode", help="Mode to open in (switch with 1/2/3).")] = Mode.calls,
    refresh: Annotated[
        float, typer.Option("--refresh", min=0.5, metavar="SECONDS", help="Live refresh interval of the calls view.")
    ] = 5.0,
) -> None:
    """Open the dashboard: the model registry, the call log (live) and usage stats."""
    target = settings(ctx).target()

    from llmring.store import open_store
    from llmring_tui.app import LLMRingApp

    app = LLMRingApp(
        lambda: open_store(target),
        refresh_interval=refresh,
        database_label=target.describe(),
        mode=mode.value,
    )
    app.run()


def register(app: typer.Typer) -> None:
    """Add ``tui`` to the root command."""
    app.command("tui")(tui)
