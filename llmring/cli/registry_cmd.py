"""``llmring registry``: how current the database's prices are, and bringing them up to date.

::

    llmring registry status            # per provider: the database's and the package's registry
    llmring registry update --dry-run  # what the LiteLLM price map would change
    llmring registry update --from genai-prices
    llmring registry update --from ./registry_json   (or a <provider>.json file, or a URL)

``update`` validates everything it loads before it writes, then applies it in one transaction;
nothing is downloaded unless this command is run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from llmring.cli.context import LLMRingCommand, run_with_store

if TYPE_CHECKING:
    from llmring.registry import RegistryVersion
    from llmring.registry_update import Update
    from llmring.schemas import LLMModel
    from llmring.store import Store, SyncReport

STALE_DAYS = 60

app = typer.Typer(
    help="How current the database's model prices are, and updating them.",
    no_args_is_help=True,
)


def _age_days(updated: str | None) -> int | None:
    from datetime import date

    from llmring.schemas import utc_now

    if updated is None:
        return None
    return (utc_now().date() - date.fromisoformat(updated)).days


def _version_text(row: RegistryVersion | None) -> str:
    if row is None:
        return "-"
    return f"v{row.version} {row.updated or '(no date)'}"


@app.command("status", cls=LLMRingCommand, short_help="How current the database's registry is, per provider.")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Per provider: the registry version and date in the database and in the installed package.

    A provider whose database prices are more than 60 days old gets a warning on stderr.
    """
    from llmring.cli import output
    from llmring.registry import bundled_versions

    async def action(store: Store) -> dict[str, RegistryVersion]:
        return await store.registry_versions()

    stored = run_with_store(ctx, action)
    shipped = bundled_versions()
    rows: list[dict[str, Any]] = []
    for provider in sorted(set(stored) | set(shipped)):
        mine, theirs = stored.get(provider), shipped.get(provider)
        age = _age_days(mine.updated if mine is not None else None)
        rows.append(
            {
                "provider": provider,
                "database": None if mine is None else mine.model_dump(mode="json", exclude={"provider"}),
                "package": None if theirs is None else {"version": theirs.version, "updated": theirs.updated},
                "age_days": age,
                "stale": age is not None and age > STALE_DAYS,
            }
        )
    if as_json:
        output.print_json({"stale_after_days": STALE_DAYS, "providers": rows})
    else:
        output.print_rows(
            [output.Column("Provider"), output.Column("Database"), output.Column("Source"), output.Column("Package"),
             output.Column("Age", number=True)],
            [
                (
                    r["provider"],
                    _version_text(stored.get(r["provider"])),
                    stored[r["provider"]].source if r["provider"] in stored else "not recorded",
                    _version_text(shipped.get(r["provider"])),
                    "-" if r["age_days"] is None else f"{r['age_days']} d",
                )
                for r in rows
            ],
            output.choose_format(None),
        )  # fmt: skip
    for r in rows:
        if r["stale"]:
            output.note(
                f"Warning: {r['provider']} prices in the database are {r['age_days']} days old;"
                " `llmring registry update` brings them up to date"
            )


@app.command("update", cls=LLMRingCommand, short_help="Update the models from registry files or a price map.")
def update(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Option(
            "--from",
            metavar="PATH|URL|litellm|genai-prices",
            help="llmring registry files (a directory, a <provider>.json file or a URL), or a public price map"
            " (litellm=PATH|URL reads another copy of it).",
        ),
    ] = "litellm",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the changes as JSON.")] = False,
) -> None:
    """Update the database's models from registry files or a public price map.

    Shows per provider +new ~changed -retired with each changed field old -> new. Everything is
    validated first and applied in one transaction; a failed download changes nothing.
    """
    from llmring.registry_update import MAPS, load_update

    own_format = source.partition("=")[0] not in MAPS
    # llmring's own files are read and checked before the database is opened.
    loaded = load_update(source, []) if own_format else None

    async def action(store: Store) -> tuple[Update, list[LLMModel], SyncReport]:
        current = await store.list_models(active_only=False)
        chosen = loaded if loaded is not None else load_update(source, current)
        report = await store.sync_models(chosen.models, chosen.retire_in, dry_run=dry_run, versions=chosen.versions)
        return chosen, current, report

    chosen, current, report = run_with_store(ctx, action, create=True)
    changes = _changes(chosen, current, report)
    if as_json:
        from llmring.cli.output import print_json

        print_json({"source": chosen.label, "dry_run": dry_run, "providers": changes, "skipped": chosen.skipped})
        return
    _print(chosen, changes, dry_run)


def _changes(chosen: Update, current: list[LLMModel], report: SyncReport) -> dict[str, dict[str, Any]]:
    """Per provider: new keys, changed keys with their fields ``[old, new]``, retired keys."""
    from llmring.registry_update import field_changes

    before = {m.key: m for m in current}
    after = {m.key: m for m in chosen.models}
    result: dict[str, dict[str, Any]] = {}

    def bucket(key: str) -> dict[str, Any]:
        return result.setdefault(key.partition(":")[0], {"new": [], "changed": {}, "retired": []})

    for key in report.inserted:
        bucket(key)["new"].append(key)
    for key in report.updated:
        bucket(key)["changed"][key] = field_changes(before.get(key), after.get(key))
    for key in report.retired:
        bucket(key)["retired"].append(key)
    return dict(sorted(result.items()))


def _print(chosen: Update, changes: dict[str, dict[str, Any]], dry_run: bool) -> None:
    from llmring.cli import output
    from llmring.formatting import inert

    suffix = " (dry run: nothing was changed)" if dry_run else ""
    typer.echo(f"Registry update from {inert(chosen.label)}{suffix}")
    if not changes:
        typer.echo("No changes: the database already has these models and prices.")
    for provider, change in changes.items():
        typer.echo(f"{provider}: +{len(change['new'])} ~{len(change['changed'])} -{len(change['retired'])}")
        for key in change["new"]:
            typer.echo(f"  + {inert(key)}")
        for key, fields in change["changed"].items():
            diffs = "; ".join(f"{name} {old} -> {new}" for name, (old, new) in fields.items())
            typer.echo(f"  ~ {inert(key)}: {inert(diffs)}")
        for key in change["retired"]:
            typer.echo(f"  - {inert(key)}")
    if chosen.skipped:
        output.note(f"{len(chosen.skipped)} map entries could not be read as registry entries (--json lists them)")


def register(root: typer.Typer) -> None:
    """Add the ``registry`` group to the root app."""
    root.add_typer(app, name="registry", short_help="How current the model prices are; update them.")
