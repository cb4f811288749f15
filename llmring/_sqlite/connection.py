"""Opening the SQLite store's connection: its pragmas (WAL, busy timeout) and aiosqlite's worker
thread, which must never hold the process's exit."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import TYPE_CHECKING

from llmring._sqlite import codec
from llmring._sqlite.errors import is_busy

if TYPE_CHECKING:
    import aiosqlite


async def configure(conn: aiosqlite.Connection, busy_timeout_ms: int) -> None:
    """Set the pragmas every connection of the store runs with."""
    codec.bind_none_fast()
    conn.row_factory = sqlite3.Row
    await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    await conn.execute("PRAGMA foreign_keys = ON")
    # 32 MB of page cache (allocated only as used) keeps the call log's indexes hot, which
    # holds batch inserts above 20k rows/s as the log grows.
    await conn.execute("PRAGMA cache_size = -32000")
    await use_wal(conn, busy_timeout_ms)  # readers never block the writer
    await conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe in WAL


async def use_wal(conn: aiosqlite.Connection, busy_timeout_ms: int) -> None:
    """Switch the file to WAL (it stays so), waiting out another connection doing the same.

    Switching needs the file to itself, and SQLite may answer "database is locked" at once,
    without its busy handler, while another connection opens it (two stores or processes
    starting together): so retry here, for as long as the busy timeout.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    delay = 0.005
    while True:
        async with conn.execute("PRAGMA journal_mode") as cur:
            row = await cur.fetchone()
        if row is None or row[0] in ("wal", "memory"):
            return
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)


def daemonize(pending: aiosqlite.Connection) -> None:
    """Let the process exit without waiting for this connection's worker thread.

    A connection whose event loop was closed in the middle of a call (``loop.close()`` without
    ``asyncio.run``'s cleanup) can never be closed, and a non-daemon thread would hang the exit
    forever. SQLite rolls back a transaction cut by the exit, as after a crash; the rows a ring
    left queued are written before (``lazy_store``'s exit path).
    """
    thread = getattr(pending, "_thread", None)
    if isinstance(thread, threading.Thread) and not thread.is_alive():
        thread.daemon = True


async def join_worker(pending: aiosqlite.Connection) -> None:
    """Wait for a failed connection's worker thread to stop.

    aiosqlite stops the thread without waiting; if the event loop closed first (``asyncio.run``
    returning with our DatabaseError), the thread would print a "loop is closed" traceback.
    """
    thread = getattr(pending, "_thread", None)
    if isinstance(thread, threading.Thread) and thread.is_alive():
        await asyncio.to_thread(thread.join, 5)
