"""The ``llmring`` command: global options, and the registry of command modules.

Each module in ``COMMAND_MODULES`` lives in ``llmring/cli/<name>.py`` and defines
``register(app: typer.Typer) -> None``, which adds its commands or its group, each with a
one-line ``short_help`` (click would cut a longer docstring mid-sentence) and ``LLMRingCommand``
as its class (plain metavars). The help lists commands in ``HELP_ORDER``: asking first, then
browsing, then setting up. Command modules import only typer at the top; rich, pydantic and the
database drivers load inside the command that needs them, so ``llmring --help`` stays fast.
``--install-completion`` / ``--show-completion`` set up shell completion (bash, zsh, fish).
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer

from llmring.cli.context import CLISettings, LLMRingGroup, exit_code_for, report_error
from llmring.errors import LLMRingError

COMMAND_MODULES = (
    "ask",
    "analyze",
    "models",
    "calls",
    "calls_export",  # after "calls": it adds `calls export` to that group
    "calls_prune",  # and `calls prune`
    "stats",
    "tui",
    "db_commands",
    "config_cmd",
    "registry_cmd",
    "reprice_cmd",
    "aliases",
    "budget",
    "estimate",
)
HELP_ORDER = (
    "ask",
    "analyze-image",
    "analyze-file",
    "estimate",
    "models",
    "aliases",
    "calls",
    "stats",
    "budget",
    "tui",
    "init-db",
    "json-refresh",
    "registry",
    "reprice",
    "config",
)


class RootGroup(LLMRingGroup):
    """The ``llmring`` group: commands in ``HELP_ORDER`` (Typer lists groups after commands)."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: index for index, name in enumerate(HELP_ORDER)}
        return sorted(names, key=lambda name: rank.get(name, len(rank)))


app = typer.Typer(
    name="llmring",
    cls=RootGroup,
    help="One call for OpenAI, Anthropic, Gemini and Ollama; every call logged with its tokens and cost.",
    no_args_is_help=True,
    # Plain click help: rich's help renderer imports ~100 ms of modules (markdown, syntax, pretty).
    # The root's mode applies to every command and group, including those other modules add.
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,  # locals hold API keys
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        from llmring import __version__

        typer.echo(f"llmring {__version__}")
        raise typer.Exit()


def _from_command_line(ctx: typer.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


@app.callback()
def main(
    ctx: typer.Context,
    sqlite: Annotated[
        Path | None,
        typer.Option(
            "--sqlite",
            envvar="LLMRING_SQLITE_DB",
            metavar="PATH",
            help="Use this SQLite file (default: llmring.db in the user data dir).",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="DATABASE_URL",
            metavar="URL",
            help="Use this database: postgresql://... or sqlite:///path.",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="LLMRING_CONFIG",
            metavar="PATH",
            help="Read settings from this llmring.toml only (default: ./llmring.toml or a parent's, and the user's).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """One call for OpenAI, Anthropic, Gemini and Ollama; every call logged with its tokens and cost."""
    # Only options typed on the command line count as explicit; values from the environment are
    # left to resolve_database, where LLMRING_SQLITE_DB outranks DATABASE_URL.
    ctx.obj = CLISettings(
        sqlite=sqlite if _from_command_line(ctx, "sqlite") else None,
        database_url=database_url if _from_command_line(ctx, "database_url") else None,
        config_path=config if _from_command_line(ctx, "config") else None,
    )


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        import_module(f"llmring.cli.{name}").register(app)


_register_commands()


def run() -> None:
    """Console-script entry point: errors become one line on stderr and an exit code, never a traceback."""
    try:
        app(prog_name="llmring")
    except LLMRingError as exc:
        report_error(exc)
        sys.exit(exit_code_for(exc))
    except KeyboardInterrupt:
        sys.exit(130)
