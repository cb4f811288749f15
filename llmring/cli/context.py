"""What every command shares: the global settings, error-to-exit-code mapping, and store access.

Kept import-light (no rich, no pydantic, no database driver): it loads for ``llmring --help``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from llmring.errors import ConfigurationError, LLMRingError

try:  # typer >= 0.20 vendors click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer on the click package
    from click.exceptions import UsageError  # type: ignore[no-redef,assignment,unused-ignore]

if TYPE_CHECKING:
    from llmring.config import Config
    from llmring.settings import DatabaseTarget
    from llmring.store import Store, SyncReport

T = TypeVar("T")
CLI_ORIGIN = "llmring-cli"


@dataclass
class CLISettings:
    """Global options as given on the command line (None: fall back to env, then the default)."""

    sqlite: Path | None = None
    database_url: str | None = field(default=None, repr=False)  # may hold a password
    config_path: Path | None = None  # --config
    _target: tuple[DatabaseTarget, str] | None = field(default=None, repr=False)
    _config: Config | None = field(default=None, repr=False)

    def config(self) -> Config:
        """The merged ``llmring.toml`` settings (read on first use; a bad file is a ``ConfigurationError``)."""
        if self._config is None:
            from llmring.config import load_config

            self._config = load_config(self.config_path)
        return self._config

    def origin(self) -> str:
        """The origin the CLI's calls are logged under: the config's ``origin``, else ``llmring-cli``."""
        return str(self.config().get("origin") or CLI_ORIGIN)

    def target(self) -> DatabaseTarget:
        """The store to use; raises ``ConfigurationError`` for a bad URL or both options at once."""
        return self.target_and_source()[0]

    def target_and_source(self) -> tuple[DatabaseTarget, str]:
        """The store to use and where it was chosen (flag, env variable, config file or default)."""
        if self._target is None:
            from llmring.config import store_target

            self._target = store_target(self.config(), self.sqlite, self.database_url)
        return self._target


def settings(ctx: typer.Context) -> CLISettings:
    """The ``CLISettings`` the app callback stored (a default one when a command runs alone)."""
    found = ctx.find_object(CLISettings)
    if found is None:
        found = ctx.ensure_object(CLISettings)
    return found


def exit_code_for(exc: LLMRingError) -> int:
    """2 for bad settings or arguments, 1 for an operation that failed."""
    return 2 if isinstance(exc, ConfigurationError) else 1


def report_error(exc: LLMRingError) -> None:
    """One line on stderr: what went wrong (the message already says what to do)."""
    from llmring.cli.output import error

    error(exc.message or type(exc).__name__)


@contextmanager
def one_line_usage_errors() -> Iterator[None]:
    """Click's usage errors (bad option value, unknown command) as one ``Error:`` line and exit 2.

    Click prints the usage synopsis, a hint and a blank line before the error; the CLI's rule is
    one line that says what is wrong and where to look. ``llmring`` with no arguments still prints
    the help (that "error" is click's way of showing it).
    """
    try:
        yield
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise
        from llmring.cli.output import error

        hint = f" (see '{exc.ctx.command_path} {exc.ctx.help_option_names[0]}')" if exc.ctx is not None else ""
        error(exc.format_message().replace("Value error, ", "").rstrip(".") + hint)
        raise typer.Exit(exc.exit_code) from None


class LLMRingGroup(TyperGroup):
    """The root command group: turns an ``LLMRingError`` from any command, and any usage error, into
    one line on stderr and an exit code."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        try:
            with one_line_usage_errors():
                return super().invoke(ctx)
        except LLMRingError as exc:
            report_error(exc)
            raise typer.Exit(exit_code_for(exc)) from None


def _plain_argument_name(param: TyperArgument) -> Callable[[], str]:
    def usage_name() -> str:
        name = param.metavar or (param.name or "").upper()
        return name if param.required else f"[{name}]"

    return usage_name


class LLMRingCommand(TyperCommand):
    """A command whose help reads plainly: ``MODEL`` and ``[PROMPT]``, not ``{MODEL}`` and ``<str>``.

    Typer writes a required argument as ``{NAME}`` and tags arguments and options without a
    metavar with their Python type. Every value option here has a metavar (a test checks); an
    argument keeps its name, upper-cased, and loses the type tag.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument):
                # Per-instance overrides: Typer builds the parameters, so there is no subclass to pick.
                param._usage_display_name = _plain_argument_name(param)  # type: ignore[method-assign]
                param.display_type_rich = lambda ctx: None  # type: ignore[method-assign]
                if param.metavar is None:
                    param.metavar = (param.name or "").upper()
            elif isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
                param.metavar = "TEXT"


def database_must_exist(target: DatabaseTarget) -> None:
    """A one-line ``DatabaseError`` when a read-only command is pointed at a SQLite file that is not there.

    Opening it would create the directories and an empty database: a typo in ``--sqlite`` must
    not look like an empty log.
    """
    path = target.sqlite_path
    if path is None or path.exists():
        return
    from llmring.errors import DatabaseError

    raise DatabaseError(
        f"no database at {path}: check --sqlite / LLMRING_SQLITE_DB, or run `llmring init-db` to create it"
    )


def run_with_store(ctx: typer.Context, action: Callable[[Store], Awaitable[T]], *, create: bool = False) -> T:
    """Open and initialise the configured store, run ``action`` on it, close it; returns the result.

    Only commands that are meant to create a database (``init-db``, ``json-refresh``) pass
    ``create=True``; the rest refuse a SQLite path that does not exist (``database_must_exist``).
    """
    import asyncio

    target = settings(ctx).target()
    if not create:
        database_must_exist(target)

    async def main() -> T:
        from llmring.store import open_store

        store = open_store(target)
        try:
            await store.initialize()
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(main())


async def seed_if_empty(store: Store) -> SyncReport | None:
    """Load the bundled registry into a store that has no models at all; None if it had some.

    This is what makes ``llmring models list`` work on a fresh machine without ``init-db``.
    """
    if await store.list_models(active_only=False):
        return None
    from llmring.registry import bundled_versions, load_registry

    registry = load_registry(include_retired=True, price_history=True)
    models = [m for provider_models in registry.values() for m in provider_models]
    versions = [v for p, v in bundled_versions().items() if p in registry]
    return await store.sync_models(models, list(registry), versions=versions)
