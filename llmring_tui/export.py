"""``e`` in any mode: the table on screen saved as CSV, safe to open in a spreadsheet.

Values are the raw ones (ISO-8601 UTC times, decimal dollars, milliseconds), not the screen's
rounded text. A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading ``'`` so a spreadsheet shows it as text instead of running it as a formula (a model
name or error message in the log is text from a provider, not something to execute).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """One CSV cell: raw numbers as they are, text guarded against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """``header`` and ``rows`` as CSV text (RFC 4180 quoting, ``\\r\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def write_csv(
    directory: Path, stem: str, header: Sequence[str], rows: Iterable[Sequence[object]], now: datetime
) -> Path:
    """Write ``llmring-<stem>-<YYYYmmdd-HHMMSS>.csv`` in ``directory`` (a new name if it exists)."""
    base = directory / f"llmring-{stem}-{now:%Y%m%d-%H%M%S}"
    path = base.with_suffix(".csv")
    counter = 2
    while path.exists():
        path = Path(f"{base}-{counter}.csv")
        counter += 1
    path.write_text(csv_text(header, rows), encoding="utf-8", newline="")
    return path
