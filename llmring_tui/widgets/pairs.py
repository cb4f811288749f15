"""Label/value pairs as a two-column Rich grid (values are plain ``Text``, never markup)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text


def pairs_table(pairs: Iterable[tuple[str, str]], label_width: int = 16) -> Table:
    """A borderless grid: dim labels on the left, values (wrapped, not parsed) on the right."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(style="dim", width=label_width, no_wrap=True)
    grid.add_column(ratio=1, overflow="fold")
    for label, value in pairs:
        grid.add_row(Text(label), Text(value))
    return grid
