"""``llmring models list`` and ``llmring models info``: the model registry as stored in the database.

A database that has never been set up is initialised from the bundled registry on first use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import run_with_store, seed_if_empty, settings

if TYPE_CHECKING:
    from decimal import Decimal

    from llmring.schemas import LLMModel
    from llmring.store import Store

models_app = typer.Typer(help="Browse the model registry (prices per million tokens).", no_args_is_help=True)


class SortKey(StrEnum):
    """How ``models list`` orders its rows."""

    provider = "provider"
    name = "name"
    input_cost = "input-cost"
    output_cost = "output-cost"
    context = "context"


async def _load_models(ctx: typer.Context, store: Store, provider: str | None, active_only: bool) -> list[LLMModel]:
    seeded = await seed_if_empty(store)
    if seeded is not None:
        from llmring.cli.output import note

        where = settings(ctx).target().describe()
        note(f"Initialised {where} with {len(seeded.inserted)} models from the bundled registry")
    return await store.list_models(provider, active_only=active_only)


def _sort(models: list[LLMModel], key: SortKey) -> list[LLMModel]:
    """Costs cheapest first and context largest first; unknown values last; ties by provider and name."""
    if key is SortKey.name:
        return sorted(models, key=lambda m: (m.model_name, m.provider))
    if key is SortKey.input_cost:
        return sorted(models, key=lambda m: _nulls_last(m.dollars_per_million_tokens_input, m))
    if key is SortKey.output_cost:
        return sorted(models, key=lambda m: _nulls_last(m.dollars_per_million_tokens_output, m))
    if key is SortKey.context:
        return sorted(models, key=lambda m: _nulls_last(-m.max_context if m.max_context else None, m))
    return sorted(models, key=lambda m: (m.provider, m.model_name))


def _nulls_last(value: Decimal | int | None, model: LLMModel) -> tuple[Any, ...]:
    return (value is None, value if value is not None else 0, model.provider, model.model_name)


def _features(model: LLMModel) -> str:
    flags = (
        ("vision", model.supports_vision),
        ("tools", model.supports_function_calling),
        ("json", model.supports_json_mode),
        ("pdf", model.supports_pdf),
        ("reasoning", model.is_reasoning),
    )
    return ", ".join(name for name, on in flags if on)


def _model_json(model: LLMModel) -> dict[str, Any]:
    data = model.model_dump(exclude={"id"})
    return {"key": model.key, "active": model.is_active, **data}


@models_app.command("list")
def list_models(
    ctx: typer.Context,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", metavar="PROVIDER", help="Only this provider.")
    ] = None,
    vision: Annotated[bool, typer.Option("--vision", help="Only models that accept images.")] = False,
    functions: Annotated[bool, typer.Option("--functions", help="Only models with tool/function calling.")] = False,
    max_cost: Annotated[
        float | None,
        typer.Option(
            "--max-cost", metavar="DOLLARS", min=0, help="Only models whose input price is at most this ($/M)."
        ),
    ] = None,
    min_context: Annotated[
        int | None, typer.Option("--min-context", metavar="TOKENS", min=0, help="Only models with this much context.")
    ] = None,
    sort: Annotated[SortKey, typer.Option("--sort", help="Order of the rows.")] = SortKey.provider,
    inactive: Annotated[bool, typer.Option("--inactive", help="Include retired models.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List models with their prices and capabilities."""
    from decimal import Decimal

    from llmring.errors import ConfigurationError
    from llmring.schemas import PROVIDERS

    if provider is not None and provider not in PROVIDERS:
        raise ConfigurationError(f"unknown provider {provider!r}: use one of {', '.join(PROVIDERS)}")
    limit = None if max_cost is None else Decimal(str(max_cost))

    async def action(store: Store) -> list[LLMModel]:
        return await _load_models(ctx, store, provider, active_only=not inactive)

    chosen = [
        m
        for m in run_with_store(ctx, action)
        if (not vision or m.supports_vision)
        and (not functions or m.supports_function_calling)
        and (
            limit is None
            or (m.dollars_per_million_tokens_input is not None and m.dollars_per_million_tokens_input <= limit)
        )
        and (min_context is None or (m.max_context or 0) >= min_context)
    ]
    chosen = _sort(chosen, sort)
    if as_json:
        from llmring.cli.output import print_json

        print_json([_model_json(m) for m in chosen])
        return
    _print_table(chosen, show_status=inactive)


def _print_table(models: list[LLMModel], *, show_status: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from llmring.cli.output import console, money

    table = Table(caption=f"{len(models)} model(s); prices in $ per million tokens")
    for name, justify in (
        ("Provider", "left"),
        ("Model", "left"),
        ("Name", "left"),
        ("Input", "right"),
        ("Output", "right"),
        ("Context", "right"),
        ("Features", "left"),
    ):
        table.add_column(name, justify=justify, no_wrap=name in ("Provider", "Model"))  # type: ignore[arg-type]
    if show_status:
        table.add_column("Status")
    for m in models:
        row: list[Text | str] = [
            Text(m.provider),
            Text(m.model_name),
            Text(m.display_name or ""),
            money(m.dollars_per_million_tokens_input),
            money(m.dollars_per_million_tokens_output),
            f"{m.max_context:,}" if m.max_context else "-",
            _features(m),
        ]
        if show_status:
            row.append("active" if m.is_active else f"retired {m.inactive_from:%Y-%m-%d}")
        table.add_row(*row)
    console().print(table)


@models_app.command("info")
def info(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(metavar="MODEL", help="provider:model, or a model name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show everything known about one model."""

    async def action(store: Store) -> LLMModel:
        await _load_models(ctx, store, None, active_only=True)
        return await find_model(store, model)

    found = run_with_store(ctx, action)
    if as_json:
        from llmring.cli.output import print_json

        print_json(_model_json(found))
        return
    _print_info(found)


async def find_model(store: Store, name: str) -> LLMModel:
    """The model ``name`` refers to: ``provider:model`` exactly, or a model name one provider has.

    An unknown name raises ``ModelNotFoundError`` with close matches; a name several providers
    share raises ``ConfigurationError`` listing the ``provider:model`` forms to use.
    """
    from difflib import get_close_matches

    from llmring.errors import ConfigurationError, ModelNotFoundError
    from llmring.schemas import PROVIDERS

    prefix, sep, rest = name.partition(":")
    if sep and prefix in PROVIDERS:
        found = await store.get_model(prefix, rest)
        if found is not None:
            return found
    everything = await store.list_models(active_only=False)
    matches = [m for m in everything if m.model_name == name]
    if len(matches) > 1:
        active = [m for m in matches if m.is_active]
        matches = active if len(active) == 1 else matches
    if len(matches) == 1:
        return matches[0]
    if matches:
        choices = ", ".join(m.key for m in matches)
        raise ConfigurationError(f"{name!r} is offered by several providers: use one of {choices}")
    names = {m.key: m.key for m in everything} | {m.model_name: m.key for m in everything}
    close = get_close_matches(name, list(names), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(names[c] for c in close))
    hint = "" if suggestions else ": `llmring models list` shows them all"
    raise ModelNotFoundError(f"unknown model {name!r}{hint}", suggestions=suggestions)


def _print_info(m: LLMModel) -> None:
    from rich.table import Table
    from rich.text import Text

    from llmring.cli.output import console, money

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()

    def row(label: str, value: object) -> None:
        if value is not None and value != "":
            grid.add_row(label, Text(str(value)))

    row("Model", m.key)
    row("Name", m.display_name)
    row("Description", m.description)
    row("Status", "active" if m.is_active else f"retired since {m.inactive_from:%Y-%m-%d}")
    row("Context", f"{m.max_context:,} tokens" if m.max_context else "unknown")
    row("Max output", f"{m.max_output_tokens:,} tokens" if m.max_output_tokens else "unknown")
    row("Features", _features(m) or "none")
    row("Streaming", "yes" if m.supports_streaming else "no")
    row("Temperature", "yes" if m.supports_temperature else "no (fixed by the provider)")
    row("Parallel tools", "yes" if m.supports_parallel_tool_calls else "no")
    row("Tool format", m.tool_call_format)
    for label, price in (
        ("Input", m.dollars_per_million_tokens_input),
        ("Output", m.dollars_per_million_tokens_output),
        ("Cached input", m.dollars_per_million_tokens_cached_input),
        ("Cache write 5m", m.dollars_per_million_tokens_cache_write_5m),
        ("Cache write 1h", m.dollars_per_million_tokens_cache_write_1h),
        ("Reasoning", m.dollars_per_million_tokens_reasoning),
        ("Input, long context", m.dollars_per_million_tokens_input_long_context),
        ("Output, long context", m.dollars_per_million_tokens_output_long_context),
    ):
        if price is not None or label in ("Input", "Output"):
            row(f"{label} $/M", money(price, unknown="unknown"))
    if m.long_context_threshold_tokens:
        row("Long context from", f"{m.long_context_threshold_tokens:,} tokens")
    row("Source", m.source)
    row("Prices as of", m.as_of)
    console().print(grid)


def register(app: typer.Typer) -> None:
    """Add the ``models`` group to the app."""
    app.add_typer(models_app, name="models")
