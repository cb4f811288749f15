"""``llmring models list`` and ``llmring models info``: the model registry as stored in the database.

A database that has never been set up is initialised from the bundled registry on first use.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import LLMRingCommand, run_with_store, seed_if_empty, settings
from llmring.cli.output import Column, FormatOpt, JsonOpt

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
    from llmring.schemas import utc_now

    now = utc_now()  # dated prices shown as they are today
    return [m.priced_at(now) for m in await store.list_models(provider, active_only=active_only)]


def registry_models(ctx: typer.Context, provider: str | None, *, active_only: bool) -> list[LLMModel]:
    """The registry as the configured database holds it.

    Read-only: a SQLite file that is not there is not created. On a fresh machine (the default
    path, nothing logged yet) that is the bundled registry, with a note; a path that was given
    and does not exist is an error (``context.database_must_exist``).
    """
    from llmring.settings import default_sqlite_path

    target = settings(ctx).target()
    path = target.sqlite_path
    if path is not None and not path.exists() and path == default_sqlite_path():
        from llmring.cli.output import note
        from llmring.registry import load_registry

        note(f"No database yet at {path} (`llmring init-db` creates it): showing the bundled registry")
        registry = load_registry(None, [provider] if provider else None)
        return [m for provider_models in registry.values() for m in provider_models]

    async def action(store: Store) -> list[LLMModel]:
        return await _load_models(ctx, store, provider, active_only=active_only)

    return run_with_store(ctx, action)


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


@models_app.command("list", cls=LLMRingCommand, short_help="Models with their prices and capabilities.")
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
    sort: Annotated[
        SortKey,
        typer.Option("--sort", metavar="[provider|name|input-cost|output-cost|context]", help="Order of the rows."),
    ] = SortKey.provider,
    inactive: Annotated[bool, typer.Option("--inactive", help="Include retired models.")] = False,
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List models with their prices (in $ per million tokens) and capabilities."""
    from decimal import Decimal

    from llmring.cli.output import OutputFormat, choose_format, note, nothing_matched, print_json, print_rows
    from llmring.errors import ConfigurationError
    from llmring.schemas import PROVIDERS

    if provider is not None and provider not in PROVIDERS:
        raise ConfigurationError(f"unknown provider {provider!r}: use one of {', '.join(PROVIDERS)}")
    limit = None if max_cost is None else Decimal(str(max_cost))

    chosen = [
        m
        for m in registry_models(ctx, provider, active_only=not inactive)
        if (not vision or m.supports_vision)
        and (not functions or m.supports_function_calling)
        and (
            limit is None
            or (m.dollars_per_million_tokens_input is not None and m.dollars_per_million_tokens_input <= limit)
        )
        and (min_context is None or (m.max_context or 0) >= min_context)
    ]
    chosen = _sort(chosen, sort)
    out = choose_format(fmt, as_json)
    if out is OutputFormat.json:
        print_json([_model_json(m) for m in chosen])
        return
    if not chosen:
        filters = {"--provider": provider, "--vision": vision, "--functions": functions, "--max-cost": max_cost}
        note(nothing_matched("models", filters | {"--min-context": min_context}))
        return
    print_rows(
        model_columns(show_status=inactive),
        (model_cells(m, show_status=inactive) for m in chosen),
        out,
        caption=f"{len(chosen)} model(s); prices in $ per million tokens",
    )


def model_columns(*, show_status: bool) -> list[Column]:
    """The models table: prices and context never cut; the name and features go first when narrow."""
    columns = [
        Column("Provider", min_width=9),
        Column("Model", min_width=24),
        Column("Name", drop=3, min_width=12),
        Column("Input $/M", number=True),
        Column("Output $/M", number=True),
        Column("Context", number=True),
        Column("Features", drop=2, min_width=34),
    ]
    if show_status:
        columns.append(Column("Status", min_width=10))
    return columns


def model_cells(m: LLMModel, *, show_status: bool) -> list[str]:
    """One model as table cells, in ``model_columns`` order."""
    from llmring import formatting as fmt

    row = [
        m.provider,
        m.model_name,
        m.display_name or "",
        fmt.price(m.dollars_per_million_tokens_input),
        fmt.price(m.dollars_per_million_tokens_output),
        fmt.count(m.max_context),
        _features(m),
    ]
    if show_status:
        row.append("active" if m.is_active else f"retired {m.inactive_from:%Y-%m-%d}")
    return row


@models_app.command("info", cls=LLMRingCommand, short_help="Everything known about one model.")
def info(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(metavar="MODEL", help="provider:model, or a model name.")],
    fmt: FormatOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show everything known about one model.

    MODEL is resolved as `llmring ask` resolves it: provider:model, a bare name, or an Ollama tag
    such as llama3.2:latest.
    """
    from llmring.cli.output import OutputFormat, choose_format, print_json, print_pairs

    found = find_model(registry_models(ctx, None, active_only=False), model)
    out = choose_format(fmt, as_json)
    if out is OutputFormat.json:
        print_json(_model_json(found))
        return
    print_pairs(info_pairs(found), out)


def find_model(known: list[LLMModel], name: str) -> LLMModel:
    """The registry entry ``name`` routes to (``routing.resolve``, the rules every call follows).

    A name no provider offers raises ``ModelNotFoundError`` with close matches; so does a
    well-formed name the registry does not hold (``gpt-4o-mni``).
    """
    from difflib import get_close_matches

    from llmring.errors import ModelNotFoundError
    from llmring.routing import resolve
    from llmring.schemas import utc_now

    route = resolve(name, known)
    if route.model is not None:
        return route.model.priced_at(utc_now())
    keys = [m.key for m in known]
    suggestions = get_close_matches(route.key, keys, n=3, cutoff=0.6)
    hint = "" if suggestions else ": `llmring models list` shows them all"
    raise ModelNotFoundError(f"unknown model {name!r}{hint}", suggestions=suggestions)


def info_pairs(m: LLMModel) -> list[tuple[str, str]]:
    """Every registry field of ``m`` worth reading, labelled."""
    from llmring import formatting as fmt

    pairs: list[tuple[str, str]] = [("Model", m.key)]
    for label, value in (("Name", m.display_name), ("Description", m.description)):
        if value:
            pairs.append((label, value))
    pairs += [
        ("Status", "active" if m.is_active else f"retired since {m.inactive_from:%Y-%m-%d}"),
        ("Context", f"{m.max_context:,} tokens" if m.max_context else "unknown"),
        ("Max output", f"{m.max_output_tokens:,} tokens" if m.max_output_tokens else "unknown"),
        ("Features", _features(m) or "none"),
        ("Streaming", fmt.yes_no(m.supports_streaming)),
        ("Temperature", "yes" if m.supports_temperature else "no (fixed by the provider)"),
        ("Parallel tools", fmt.yes_no(m.supports_parallel_tool_calls)),
    ]
    if m.tool_call_format:
        pairs.append(("Tool format", m.tool_call_format))
    pairs += _control_pairs(m)
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
            pairs.append((f"{label} $/M", "unknown" if price is None else fmt.price(price)))
    if m.long_context_threshold_tokens:
        pairs.append(("Long context from", f"{m.long_context_threshold_tokens:,} tokens"))
    for label, value in (("Source", m.source), ("Prices as of", m.as_of), ("Note", m.note)):
        if value:
            pairs.append((label, value))
    return pairs


def _control_pairs(m: LLMModel) -> list[tuple[str, str]]:
    """How requests to ``m`` are driven (issue 14): its reasoning settings, structured output,
    Responses-only and the shortest prompt its provider caches."""
    from llmring.controls import reasoning_accepted, structured_output

    pairs = [
        ("Reasoning (-r)", reasoning_accepted(m) or "none"),
        ("Structured output", structured_output(m)),
    ]
    if m.responses_only:
        pairs.append(("API", "Responses only"))
    if m.prompt_cache_min_tokens:
        pairs.append(("Prompt cache from", f"{m.prompt_cache_min_tokens:,} tokens"))
    return pairs


@models_app.command("default", cls=LLMRingCommand, short_help="Show or set the default model.")
def default_model(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(metavar="MODEL", help="A model or an alias to make the default.")
    ] = None,
) -> None:
    """Show the default model (used when -m is not given) and where it is set, or set it to MODEL
    in the --config file, else the user's llmring.toml."""
    from llmring.cli.aliases import check_models
    from llmring.config import editable_config_file
    from llmring.config_edit import set_key

    config = settings(ctx).config()
    if model is None:
        current = config.default_model
        if current is None:
            from llmring.cli.output import note

            note("No default model: set one with `llmring models default MODEL`")
            return
        typer.echo(f"{current}  ({config.source('default_model')})")
        return
    check_models([model], config.aliases)
    path = editable_config_file(settings(ctx).config_path)
    set_key(path, "default_model", model)
    typer.echo(f"default_model = {model}  ({path})")


def register(app: typer.Typer) -> None:
    """Add the ``models`` group to the app."""
    app.add_typer(models_app, name="models", short_help="Browse the model registry: prices and capabilities.")
