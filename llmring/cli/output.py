"""How every command writes its results, so they all behave alike (and new commands get it free).

* **Where**: results to stdout, diagnostics to stderr (``error``, ``note``: one line each).
* **Formats** (``OutputFormat``; the ``FormatOpt`` and ``JsonOpt`` options, resolved by
  ``choose_format``): ``table`` when stdout is a terminal, fitted to its width; ``plain``
  (aligned columns, no box, no padding to the terminal's width, no trailing spaces) when it is
  not; ``tsv`` (a header line, then one tab-separated line per row); ``json``.
* **Tables** (``Column`` + ``print_rows``): a number is never cut. When a table is too wide,
  columns with the highest ``drop`` rank go first (names, features, origin), text columns may
  wrap down to ``min_width``, and the caption says what was hidden and how to see it. If even
  the essential columns do not fit, the table is printed plain.
* **Inert text**: every cell, ``note`` and ``error`` goes through ``llmring.formatting.inert``,
  so a model name, user id, origin or error message from the ledger or a provider cannot send an
  escape sequence to the terminal; JSON escapes the C1 controls that ``json.dumps`` leaves raw.
* **Empty results** (``nothing_matched``) name the filters that matched nothing.
* **Times** are UTC and labelled (``time_header``), or local with ``--local`` (``LocalOpt``,
  ``time_zone``).
* **Money, prices, counts** come from ``llmring.formatting`` (the dashboard uses the same).

Rich is imported on first use only, so ``llmring --help`` never loads it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

if TYPE_CHECKING:
    from datetime import tzinfo
    from decimal import Decimal

    from rich.console import Console

# json, decimal and llmring.formatting load on first use: ``llmring --help`` imports this module.


def inert(text: str, *, multiline: bool = False) -> str:
    """``llmring.formatting.inert``, imported on first use."""
    from llmring.formatting import inert as make_inert

    return make_inert(text, multiline=multiline)


class OutputFormat(StrEnum):
    """How results are written (``--format``)."""

    table = "table"
    plain = "plain"
    tsv = "tsv"
    json = "json"


FormatOpt = Annotated[
    OutputFormat | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table (the default on a terminal), plain (the default when piped), tsv or json.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (same as --format json).")]
LocalOpt = Annotated[bool, typer.Option("--local", help="Show times in this machine's time zone, not UTC.")]


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal (tables and streamed answers) or a pipe/file (plain text)."""
    return sys.stdout.isatty()


def choose_format(chosen: OutputFormat | None, as_json: bool = False) -> OutputFormat:
    """``--json`` wins, then ``--format``; otherwise a table on a terminal and plain text in a pipe."""
    if as_json:
        return OutputFormat.json
    if chosen is not None:
        return chosen
    return OutputFormat.table if stdout_is_terminal() else OutputFormat.plain


# -- consoles and one-line diagnostics ---------------------------------------------------------------
_consoles: dict[tuple[bool, int | None], Console] = {}


def terminal_width() -> int:
    """The width tables fit: the terminal's, else ``$COLUMNS``, else 80."""
    try:
        return int(os.environ.get("COLUMNS") or 0) or os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return 80


def console(stderr: bool = False) -> Console:
    """The rich Console for stdout (results) or stderr (diagnostics); never wider than the terminal.

    One per stream and width (an app run in-process, as tests do, may change both).
    """
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else terminal_width()
    key = (stderr, width)
    if key not in _consoles:
        from rich.console import Console

        _consoles[key] = Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)
    return _consoles[key]


def error(message: str) -> None:
    """A one-line error on stderr."""
    typer.echo(f"Error: {inert(message)}", err=True)


def note(message: str) -> None:
    """A one-line diagnostic on stderr (progress, what was done implicitly, why nothing is shown)."""
    typer.echo(inert(message), err=True)


# -- JSON ----------------------------------------------------------------------------------------------
def decimal_text(value: Decimal) -> str:
    """A Decimal as plain positional text (``0.0000001``, never ``1E-7``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _json_default(value: Any) -> Any:
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


# json.dumps escapes C0 controls but writes DEL and the C1 range (CSI is U+009B) as they are.
_JSON_ESCAPES = {code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0), 0x2028, 0x2029)}


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (Decimals as strings, datetimes as ISO-8601)."""
    import json

    text = json.dumps(data, indent=2, ensure_ascii=False, default=_json_default)
    typer.echo(text.translate(_JSON_ESCAPES))


# -- tables --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of a result table.

    ``number`` columns are right-aligned and never cut or wrapped. ``drop`` ranks what goes when
    the terminal is too narrow (0: never; the highest first). Text columns wrap, down to
    ``min_width``, before anything is dropped.
    """

    header: str
    number: bool = False
    drop: int = 0
    min_width: int = 10

    @property
    def justify(self) -> Literal["left", "right"]:
        return "right" if self.number else "left"


Row = Sequence[str]


def print_rows(
    columns: Sequence[Column],
    rows: Iterable[Row],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """Write ``rows`` as a table, plain columns or TSV (``json`` is each command's own shape)."""
    cells = [[inert(str(cell)) for cell in row] for row in rows]
    # A title or caption can name a path or a value from a file (a directory unpacked from an
    # archive can be called anything): inert like the cells.
    title = inert(title) if title else None
    caption = inert(caption, multiline=True) if caption else None
    if fmt is OutputFormat.tsv:
        lines = ["\t".join(c.header for c in columns), *("\t".join(row) for row in cells)]
        typer.echo("\n".join(lines))
    elif fmt is OutputFormat.table:
        _print_table(list(columns), cells, title=title, caption=caption)
    else:
        typer.echo("\n".join([*([title] if title else []), *plain_lines(columns, cells)]))


def plain_lines(columns: Sequence[Column], rows: Sequence[Row]) -> list[str]:
    """Aligned columns two spaces apart, numbers right-aligned, no trailing spaces."""
    from rich.cells import cell_len

    table = [[c.header for c in columns], *rows]
    widths = [max(cell_len(row[i]) for row in table) for i in range(len(columns))]
    lines = []
    for row in table:
        parts = []
        for column, width, cell in zip(columns, widths, row, strict=True):
            pad = " " * (width - cell_len(cell))
            parts.append(pad + cell if column.number else cell + pad)
        lines.append("  ".join(parts).rstrip())
    return lines


def _print_table(columns: list[Column], rows: list[list[str]], *, title: str | None, caption: str | None) -> None:
    from rich.cells import cell_len

    out = console()
    width = out.width
    natural = [max([cell_len(c.header), *(cell_len(row[i]) for row in rows)]) for i, c in enumerate(columns)]
    least = [n if c.number else min(n, c.min_width) for n, c in zip(natural, columns, strict=True)]
    shown = list(range(len(columns)))

    def needed(indexes: list[int], essentials_whole: bool = False) -> int:
        # Two characters between columns (collapsed padding around the divider), none at the edges.
        whole = [natural[i] if essentials_whole and not columns[i].drop else least[i] for i in indexes]
        return sum(whole) + 2 * (len(indexes) - 1)

    # A low-value column stays only if the essential ones can still have their whole width.
    droppable = sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: (-columns[i].drop, -i))
    hidden: list[int] = []
    while needed(shown, essentials_whole=True) > width and droppable:
        gone = droppable.pop(0)
        shown.remove(gone)
        hidden.append(gone)
    if needed(shown) > width:
        typer.echo("\n".join(plain_lines(columns, rows)))  # even the essentials do not fit: never cut a number
        return
    lengths = [[cell_len(columns[i].header), *(cell_len(row[i]) for row in rows)] for i in shown]
    widths = _fit(lengths, [least[i] for i in shown], width - 2 * (len(shown) - 1), [columns[i].drop for i in shown])
    notes = [caption] if caption else []
    if hidden:
        names = ", ".join(columns[i].header for i in sorted(hidden))
        notes.append(f"not shown at {width} columns: {names} (widen the terminal or use --format plain)")
    table = _rich_table([columns[i] for i in shown], widths, title, notes)
    for row in rows:
        table.add_row(
            *(_text(row[i] if columns[i].number else wrap(row[i], w)) for i, w in zip(shown, widths, strict=True))
        )
    out.print(table)


def wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width``: after a ``:``, ``/``, ``-`` or space, or
    before a capital (``ProviderTimeout`` / ``Error``), where one is near the end, else mid-word."""
    lines = []
    while len(text) > width > 0:
        marks = [i for i in range(width) if text[i] in ":/- " or (text[i + 1].isupper() and text[i].islower())]
        # The last break that does not leave a stub of one or two characters on the next line.
        cut = next((i for i in reversed(marks) if len(text) - i - 1 > 2), marks[-1] if marks else -1)
        if cut < width // 3:
            lines.append(text[:width])
            text = text[width:]
        else:
            lines.append(text[: cut + 1].rstrip())
            text = text[cut + 1 :].lstrip()
    lines.append(text)
    return "\n".join(lines)


def _fit(lengths: list[list[int]], least: list[int], room: int, drop: list[int]) -> list[int]:
    """Column widths within ``room``: one character at a time is taken from the column where that
    wraps the fewest more cells (then the least essential, then the widest), never below ``least``."""
    from bisect import bisect_right

    ordered = [sorted(cells) for cells in lengths]
    widths = [cells[-1] if cells else 0 for cells in ordered]

    def wrapped(i: int, width: int) -> int:
        return len(ordered[i]) - bisect_right(ordered[i], width)

    for _ in range(max(sum(widths) - room, 0)):
        candidates = [i for i, w in enumerate(widths) if w > least[i]]
        if not candidates:
            break
        i = min(candidates, key=lambda i: (wrapped(i, widths[i] - 1) - wrapped(i, widths[i]), -drop[i], -widths[i]))
        widths[i] -= 1
    return widths


def _text(cell: str) -> Any:
    from rich.text import Text

    return Text(cell)


def _rich_table(columns: list[Column], widths: list[int], title: str | None, notes: list[str]) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        title=Text(title) if title else None,  # Text: a [tag] in a path is not markup
        title_justify="left",
        caption=Text("\n".join(notes)) if notes else None,
        caption_justify="left",
    )
    for column, width in zip(columns, widths, strict=True):
        if column.number:
            table.add_column(column.header, justify="right", no_wrap=True, width=width)
        else:
            table.add_column(column.header, overflow="fold", width=width)
    return table


def print_pairs(pairs: Iterable[tuple[str, str]], fmt: OutputFormat, *, title: str | None = None) -> None:
    """Label/value lines (a summary): a two-column table, or ``label  value`` lines when plain."""
    rows = [(label, value) for label, value in pairs]
    title = inert(title) if title else None
    if fmt is OutputFormat.tsv:
        typer.echo("\n".join(f"{inert(label)}\t{inert(value)}" for label, value in rows))
        return
    if fmt is OutputFormat.plain:
        columns = (Column("", min_width=1), Column("", min_width=1))
        lines = plain_lines(columns, [(inert(a), inert(b)) for a, b in rows])[1:]
        typer.echo("\n".join([*([title] if title else []), *lines]))
        return
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.title = Text(title) if title else None
    grid.title_justify = "left"
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(Text(inert(label)), Text(inert(value)))
    console().print(grid)


# -- empty results and times ----------------------------------------------------------------------------
def filter_words(filters: Mapping[str, object]) -> str:
    """The filters that were given, as typed: ``--status timeout --search 'two words'``."""
    return " ".join(f"{flag} {_shell_word(value)}" for flag, value in filters.items() if value not in (None, False))


def nothing_matched(noun: str, filters: Mapping[str, object], total: int | None = None) -> str:
    """``No calls match --status timeout --search x (17 calls logged in all; drop a filter to see them).``"""
    if total is None:
        return f"No {noun} match {filter_words(filters)}."
    return f"No {noun} match {filter_words(filters)} ({total:,} {noun} logged in all; drop a filter to see them)."


def _shell_word(value: object) -> str:
    text = str(value)
    safe = text and all(ch.isalnum() or ch in "-_.:/@+," for ch in text)
    return text if safe else "'" + text.replace("'", "'\\''") + "'"


def time_zone(local: bool) -> tzinfo:
    """UTC, or this machine's zone with ``--local``."""
    from datetime import UTC

    from llmring.formatting import local_zone

    return local_zone() if local else UTC


def time_header(tz: tzinfo, label: str = "Time") -> str:
    """A time column's header naming its zone: ``Time (UTC)``, ``Time (CET)``."""
    from llmring.formatting import zone_name

    return f"{label} ({zone_name(tz)})"
