"""Where the CLI writes: results to stdout (rich tables or JSON), diagnostics to stderr.

The rich Consoles are created on first use, so ``llmring --help`` never imports rich's console.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

_consoles: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """The rich Console for stdout (results) or stderr (diagnostics)."""
    if stderr not in _consoles:
        from rich.console import Console

        stream = sys.stderr if stderr else sys.stdout
        # Piped output is not cut to 80 columns: long model names stay on one line for grep.
        width = None if stream.isatty() else int(os.environ.get("COLUMNS") or 160)
        _consoles[stderr] = Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)
    return _consoles[stderr]


def decimal_text(value: Decimal) -> str:
    """A Decimal as plain positional text (``0.0000001``, never ``1E-7``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (Decimals as strings, datetimes as ISO-8601)."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default))


def error(message: str) -> None:
    """A one-line error on stderr."""
    typer.echo(f"Error: {message}", err=True)


def note(message: str) -> None:
    """A one-line diagnostic on stderr (progress, what was done implicitly)."""
    typer.echo(message, err=True)


def money(value: Decimal | None, *, unknown: str = "-", free: str = "free") -> str:
    """A price or cost for display: ``$0.075``, ``$2.50``; ``unknown`` for None, ``free`` for 0."""
    if value is None:
        return unknown
    if value == 0:
        return free
    text = decimal_text(value)
    whole, _, frac = text.partition(".")
    return f"${whole}.{frac.ljust(2, '0')}"
