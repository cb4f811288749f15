"""``llmring init-db`` and ``llmring json-refresh``: create the schema and load the model registry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmring.cli.context import run_with_store, seed_if_empty, settings

if TYPE_CHECKING:
    from llmring.retention import PruneReport
    from llmring.schemas import LLMModel
    from llmring.store import Store, SyncReport


def init_db(ctx: typer.Context) -> None:
    """Create the database and load the bundled models.

    Creates or upgrades the schema and, if the database has no models yet, loads the bundled
    registry. Safe to run again: an up-to-date database is left as it is. With a ``retention``
    setting (llmring.toml), calls older than it are pruned (``llmring calls prune``).
    """
    target = settings(ctx).target()
    retention = settings(ctx).config().get("retention")

    async def action(store: Store) -> tuple[list[str] | None, SyncReport | None, int, PruneReport | None]:
        seeded = await seed_if_empty(store)
        count = len(await store.list_models(active_only=False))
        pruned = None
        if retention:
            from llmring.cli.calls_prune import prune_store

            pruned = await prune_store(store, retention)
        return getattr(store, "applied_migrations", None), seeded, count, pruned

    applied, seeded, count, pruned = run_with_store(ctx, action, create=True)
    typer.echo(f"Database: {target.describe()} ({target.backend})")
    if applied is None:
        typer.echo("Schema: ready")
    elif applied:
        typer.echo(f"Schema: {applied_text(applied)}")
    else:
        typer.echo("Schema: up to date")
    if seeded is not None:
        # Two lines: with four providers the counts would push one line past 80 columns.
        typer.echo(f"Models: added {len(seeded.inserted)} from the bundled registry")
        typer.echo(f"        {_per_provider(seeded.inserted)}")
    else:
        typer.echo(f"Models: {count} already present (`llmring json-refresh` updates them from the registry)")
    if pruned is not None:
        from llmring.cli.calls_prune import describe

        typer.echo(f"Retention ({retention}): {describe(pruned)}")


def applied_text(names: list[str]) -> str:
    """``applied 8 migrations, 001_initial to 008_call_id_index``: the count and the range, which
    fits 80 columns however many there are (they apply in name order, so the range says which)."""
    if len(names) == 1:
        return f"applied 1 migration, {names[0]}"
    joined = f"{names[0]} and {names[1]}" if len(names) == 2 else f"{names[0]} to {names[-1]}"
    return f"applied {len(names)} migrations, {joined}"


def _per_provider(keys: list[str]) -> str:
    counts: dict[str, int] = {}
    for key in keys:
        provider = key.partition(":")[0]
        counts[provider] = counts.get(provider, 0) + 1
    return ", ".join(f"{provider} {n}" for provider, n in sorted(counts.items()))


def json_refresh(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    provider: Annotated[
        list[str] | None,
        typer.Option("--provider", "-p", metavar="PROVIDER", help="Only this provider (repeatable)."),
    ] = None,
    models_dir: Annotated[
        Path | None,
        typer.Option("--models-dir", metavar="DIR", help="Read <provider>.json files from DIR (default: bundled)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load registry JSON files into the database.

    Adds new models, updates changed ones and retires the ones a provider's file no longer lists.
    Every file is validated before anything is written; then all changes apply in one transaction.
    """
    from llmring.registry import bundled_versions

    models, providers, source = _load(provider, models_dir)

    async def action(store: Store) -> SyncReport:
        # The bundled files record their versions (so a newer package brings them up on open);
        # files of the user's own do not, and are never overwritten by an upgrade.
        versions = [] if models_dir is not None else [v for p, v in bundled_versions().items() if p in providers]
        return await store.sync_models(models, providers, dry_run=dry_run, versions=versions)

    report = run_with_store(ctx, action, create=True)
    if as_json:
        from llmring.cli.output import print_json

        print_json(
            {
                "dry_run": report.dry_run,
                "models_dir": str(source),
                "providers": providers,
                "counts": {
                    "inserted": len(report.inserted),
                    "updated": len(report.updated),
                    "retired": len(report.retired),
                    "unchanged": len(report.unchanged),
                },
                "inserted": report.inserted,
                "updated": report.updated,
                "retired": report.retired,
            }
        )
        return
    _print_report(report, source)


def _load(providers: list[str] | None, models_dir: Path | None) -> tuple[list[LLMModel], list[str], Path]:
    """Validate every registry file first (a bad one stops everything before the database opens)."""
    from llmring.errors import ConfigurationError, RegistryError
    from llmring.registry import bundled_dir, bundled_root, load_registry
    from llmring.schemas import PROVIDERS

    for name in providers or ():
        if name not in PROVIDERS:
            raise ConfigurationError(f"unknown provider {name!r}: use one of {', '.join(PROVIDERS)}")
    source = models_dir or bundled_dir()  # for messages; the bundled files load as package resources
    root = models_dir if models_dir is not None else bundled_root()
    for name in providers or ():
        if root.is_dir() and not (root / f"{name}.json").is_file():
            raise RegistryError(f"{source / f'{name}.json'}: no such registry file", file=str(source))
    # Retired entries too (with their retirement dates) and dated prices: calls are priced at
    # their own time, and old names still price.
    registry = load_registry(models_dir, providers, include_retired=True, price_history=True)
    models = [m for provider_models in registry.values() for m in provider_models]
    return models, list(registry), source


def _print_report(report: SyncReport, source: Path) -> None:
    from llmring.cli.output import Column, choose_format, print_rows
    from llmring.formatting import inert

    suffix = " (dry run: nothing was changed)" if report.dry_run else ""
    typer.echo(f"Registry files: {inert(str(source))}{suffix}")
    changes = (
        ("inserted", report.inserted),
        ("updated", report.updated),
        ("retired", report.retired),
        ("unchanged", report.unchanged),
    )
    print_rows(
        [Column("Change"), Column("Models", number=True)],
        [(label, f"{len(keys):,}") for label, keys in changes],
        choose_format(None),
    )
    for mark, keys in (("+", report.inserted), ("~", report.updated), ("-", report.retired)):
        for key in keys:
            typer.echo(f"{mark} {inert(key)}")


def register(app: typer.Typer) -> None:
    """Add ``init-db`` and ``json-refresh`` to the app."""
    from llmring.cli.context import LLMRingCommand

    app.command("init-db", cls=LLMRingCommand, short_help="Create the database and load the bundled models.")(init_db)
    app.command("json-refresh", cls=LLMRingCommand, short_help="Load registry JSON files into the database.")(
        json_refresh
    )
