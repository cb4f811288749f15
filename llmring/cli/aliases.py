"""``llmring aliases list/set/rm``: named models and fallback chains in ``llmring.toml``.

::

    llmring aliases set fast openai:gpt-5.4-mini google:gemini-3.1-flash-lite
    llmring ask -m fast "Name three rivers"     # tried in order (llmring.fallback)
    llmring aliases list --json

``set`` and ``rm`` edit the ``--config`` / ``LLMRING_CONFIG`` file, else the user file, keeping
its comments; ``list`` shows the merged aliases with each model's context window and prices
from the bundled registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import LLMRingCommand, settings
from llmring.cli.output import Column, FormatOpt, JsonOpt

if TYPE_CHECKING:
    from llmring.routing import Route

aliases_app = typer.Typer(help="Named models and fallback chains (llmring.toml [aliases]).", no_args_is_help=True)


def check_models(models: Sequence[str], aliases: dict[str, tuple[str, ...]] | None = None) -> list[Route]:
    """Each model routed against the bundled registry; an unknown one is a one-line ``ConfigurationError``.

    A name in ``aliases`` stands for its chain's first model (``models default fast``).
    """
    from llmring.errors import ConfigurationError, ModelNotFoundError
    from llmring.registry import bundled_models
    from llmring.routing import resolve

    known = list(bundled_models())
    routes = []
    for model in models:
        target = (aliases or {}).get(model, (model,))[0]
        try:
            routes.append(resolve(target, known))
        except ModelNotFoundError as exc:
            raise ConfigurationError(exc.message) from None
    return routes


def _rows(aliases: dict[str, tuple[str, ...]], sources: dict[str, str]) -> list[dict[str, Any]]:
    from llmring.errors import LLMRingError
    from llmring.registry import bundled_models
    from llmring.routing import resolve

    known = list(bundled_models())
    rows: list[dict[str, Any]] = []
    for name, chain in sorted(aliases.items()):
        for hop, model in enumerate(chain, 1):
            try:
                route = resolve(model, known)
                entry = route.model
                key = route.key
            except LLMRingError:
                entry, key = None, model
            rows.append(
                {
                    "alias": name,
                    "hop": hop,
                    "model": key,
                    "known": entry is not None,
                    "context": entry.max_context if entry else None,
                    "input_per_million": entry.dollars_per_million_tokens_input if entry else None,
                    "output_per_million": entry.dollars_per_million_tokens_output if entry else None,
                    "source": sources.get(f"aliases.{name}", "LLMRing(aliases=...)"),
                }
            )
    return rows


@aliases_app.command("list", cls=LLMRingCommand, short_help="Each alias's models with context and prices.")
def list_aliases(ctx: typer.Context, fmt: FormatOpt = None, as_json: JsonOpt = False) -> None:
    """List every alias: its models in the order they are tried, each with its context window and
    prices per million tokens (from the bundled registry), and the file that defines it."""
    from llmring import formatting as f
    from llmring.cli.output import OutputFormat, choose_format, note, print_json, print_rows

    config = settings(ctx).config()
    rows = _rows(config.aliases, config.sources)
    out = choose_format(fmt, as_json)
    if out is OutputFormat.json:
        print_json(rows)
        return
    if not rows:
        note("No aliases: add one with `llmring aliases set NAME MODEL...`")
        return
    columns = (
        Column("Alias", min_width=6),
        Column("Hop", number=True),
        Column("Model", min_width=20),
        Column("Context", number=True),
        Column("Input $/M", number=True),
        Column("Output $/M", number=True),
        Column("From", drop=1, min_width=12),
    )
    cells = [
        (
            row["alias"],
            str(row["hop"]),
            row["model"] if row["known"] else f"{row['model']} (not in registry)",
            f.count(row["context"]),
            f.price(row["input_per_million"]),
            f.price(row["output_per_million"]),
            row["source"],
        )
        for row in rows
    ]
    print_rows(columns, cells, out)


@aliases_app.command("set", cls=LLMRingCommand, short_help="Define an alias: one model or a fallback chain.")
def set_alias_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The alias, e.g. fast.")],
    models: Annotated[list[str], typer.Argument(metavar="MODEL...", help="Models in the order to try them.")],
) -> None:
    """Set alias NAME to one or more models, tried in order (later ones when earlier ones fail),
    in the --config file, else the user's llmring.toml."""
    from llmring.config import editable_config_file
    from llmring.config_edit import set_alias

    routes = check_models(models)
    path = editable_config_file(settings(ctx).config_path)
    chain = set_alias(path, name, [route.key for route in routes])
    typer.echo(f"{name} = {', '.join(chain)}")
    typer.echo(f"Saved in {path}")


@aliases_app.command("rm", cls=LLMRingCommand, short_help="Remove an alias.")
def remove_alias_command(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME", help="The alias to remove.")]
) -> None:
    """Remove alias NAME from the --config file, else the user's llmring.toml."""
    from llmring.config import editable_config_file
    from llmring.config_edit import remove_alias
    from llmring.errors import ConfigurationError

    path = editable_config_file(settings(ctx).config_path)
    if not remove_alias(path, name):
        raise ConfigurationError(f"no alias {name!r} in {path} (`llmring aliases list` shows where each is defined)")
    typer.echo(f"Removed {name} from {path}")


def register(app: typer.Typer) -> None:
    """Add the ``aliases`` group to the app."""
    app.add_typer(aliases_app, name="aliases", short_help="Named models and fallback chains.")
