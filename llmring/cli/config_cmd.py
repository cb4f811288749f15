"""``llmring config show`` and ``llmring config path``: the merged settings and where each came from.

::

    $ llmring config show
    KEY            VALUE                          FROM
    database       /home/me/llm/calls.db          /home/me/proj/llmring.toml
    default_model  fast                           env LLMRING_MODEL
    timeout        60                             default
    aliases.fast   openai:gpt-5.4-mini, ...       /home/me/.config/llmring/llmring.toml

The files are described in ``llmring.config``; a bad file is one line naming file, key and what
is expected (exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from llmring.cli.context import LLMRingCommand, settings
from llmring.cli.output import Column, FormatOpt, JsonOpt

if TYPE_CHECKING:
    from llmring.cli.context import CLISettings

config_app = typer.Typer(help="The llmring.toml settings and where each came from.", no_args_is_help=True)


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def setting_rows(cli: CLISettings) -> list[dict[str, Any]]:
    """One row per setting (every schema key, then each alias): key, value and where it came from."""
    from llmring.config import ALIASES, SCHEMA

    config = cli.config()
    target, target_source = cli.target_and_source()
    rows: list[dict[str, Any]] = []
    for name in SCHEMA:
        if name == "database":
            rows.append({"key": name, "value": target.describe(), "source": target_source})
        else:
            value = cli.origin() if name == "origin" else config.get(name)
            rows.append({"key": name, "value": value, "source": config.source(name)})
    for alias, models in sorted(config.aliases.items()):
        key = f"{ALIASES}.{alias}"
        rows.append({"key": key, "value": list(models), "source": config.source(key)})
    return rows


@config_app.command("show", cls=LLMRingCommand, short_help="The merged settings and where each came from.")
def show(ctx: typer.Context, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """Print every setting with its value and where it came from: a command-line flag, an environment
    variable, a config file, or the built-in default."""
    from llmring.cli.output import OutputFormat, choose_format, print_json, print_rows

    cli = settings(ctx)
    rows = setting_rows(cli)
    files = [str(path) for path in cli.config().files]
    out = choose_format(fmt, as_json)
    if out is OutputFormat.json:
        print_json({"files": files, "settings": rows})
        return
    cells = [
        (row["key"], ", ".join(row["value"]) if isinstance(row["value"], list) else _text(row["value"]), row["source"])
        for row in rows
    ]
    columns = (Column("KEY", min_width=13), Column("VALUE", min_width=12), Column("FROM", min_width=12))
    title = "Config files: " + (", ".join(files) if files else "none (see `llmring config path`)")
    print_rows(columns, cells, out, title=title)


@config_app.command("path", cls=LLMRingCommand, short_help="Where llmring looks for llmring.toml.")
def path(ctx: typer.Context) -> None:
    """Print the config files llmring reads, in order of precedence (highest first), each marked
    ``found`` or ``absent``; ``aliases set`` and ``models default`` edit the first of them."""
    from llmring.config import CONFIG_ENV, explicit_config_file, project_config_file, user_config_file
    from llmring.formatting import inert

    explicit = explicit_config_file(settings(ctx).config_path)
    if explicit is not None:
        typer.echo(f"{inert(str(explicit))}\t{'found' if explicit.is_file() else 'absent'}\t(--config / {CONFIG_ENV})")
        return
    project = project_config_file()
    if project is not None:
        typer.echo(f"{inert(str(project))}\tfound\t(project)")
    user = user_config_file()
    typer.echo(f"{inert(str(user))}\t{'found' if user.is_file() else 'absent'}\t(user)")


def register(app: typer.Typer) -> None:
    """Add the ``config`` group to the app."""
    app.add_typer(config_app, name="config", short_help="Show the llmring.toml settings and where each came from.")
