"""``LazyStore``: an ``LLMRing``'s store, opened on first use, drained when its event loop ends.

Constructing a ring opens nothing. The first call, query or log row that needs the store opens
and initialises it (one lock, so concurrent first calls open it once). The ``BackgroundWriter``
that queues call rows belongs to this object and reaches the store through ``open``.

A program that never calls ``close()`` would otherwise lose its last rows and hang at exit on the
store's worker thread: so the first use on an event loop arms a guard task on that loop, and
``asyncio.run`` cancelling it at the end of ``main`` makes it write what is queued and close the
store (with a ``ResourceWarning`` saying ``close()`` was not called, as an unclosed file does).

An event loop holds its tasks only weakly, so a ring dropped in a local of ``main`` would take
its guard, its writer task and its queued rows into the garbage collector with it: every
``LazyStore`` with an open store or queued rows is therefore held by this module (``_LIVE``)
until it is closed or has released everything. What a loop that ended without that cleanup
(``loop.close()`` without ``asyncio.run``) left queued is written when the process exits normally,
on a fresh loop and a fresh store, before Python waits for the store's worker thread; rows that
still cannot be written are counted in a warning. (On PostgreSQL a connection of the dead loop
may still hold a lock the fresh store needs, such as the schema bootstrap lock, until the
process exits: those rows are then reported, after at most ``EXIT_WRITE_TIMEOUT`` seconds.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from llmring.errors import DatabaseError
from llmring.log_writer import BackgroundWriter
from llmring.spill import replay, spill

if TYPE_CHECKING:
    from pathlib import Path

    from llmring.schemas import CallRecord
    from llmring.store import Store

logger = logging.getLogger("llmring")

# Strong owner of every LazyStore that has an open store or queued rows (see the module docstring).
_LIVE: set[LazyStore] = set()
_exit_hook_armed = False


def _hold(lazy: LazyStore) -> None:
    global _exit_hook_armed
    _LIVE.add(lazy)
    if not _exit_hook_armed:
        _exit_hook_armed = True
        # Runs before the interpreter joins non-daemon threads (aiosqlite's worker is one), where
        # atexit would be too late: the exit would hang on that thread first.
        register = getattr(threading, "_register_atexit", None)
        if register is None:  # pragma: no cover - CPython has had it since 3.9
            import atexit

            register = atexit.register
        register(_write_at_exit)


# How long a call waits for a cold store to open before going ahead without it (its rows wait):
# long enough for any open on a loaded machine, short beside another process's lock.
COLD_OPEN_WAIT = 2.0
# How long ``durability="sync"`` waits for a call's row before the call raises.
SYNC_TIMEOUT = 30.0
# How long the exit path may spend on one ring's rows: an exit must never hang on a database.
EXIT_WRITE_TIMEOUT = 10.0


def _write_at_exit() -> None:
    """Write the rows that rings never closed left queued (the process is exiting normally);
    what cannot be written within ``EXIT_WRITE_TIMEOUT`` seconds in all goes to the spill file."""
    deadline = time.monotonic() + EXIT_WRITE_TIMEOUT
    for lazy in list(_LIVE):
        if lazy.writer.queued:
            try:
                left = max(deadline - time.monotonic(), 0.1)
                asyncio.run(asyncio.wait_for(lazy.release_at_exit(), left))
            except Exception as exc:  # exit must go on; the rows are spilled or reported below
                lazy.writer.last_error = lazy.writer.last_error or exc
            if lazy.writer.queued:
                lazy.writer.spill_queued("the process exited before they could be written")
        _LIVE.discard(lazy)


def _retrieve(task: asyncio.Future[Store]) -> None:
    """Mark a background open's failure as seen (the call that started it may have moved on)."""
    if not task.cancelled():
        task.exception()


class LazyStore:
    """The store ``factory`` builds, opened on first use; owner of the rows waiting for it."""

    def __init__(
        self,
        factory: Callable[[], Store],
        owner: str = "LLMRing",
        *,
        durability: str = "batched",
        max_queue: int = 10_000,
        spill_dir: Path | None = None,
    ) -> None:
        self._factory = factory
        self._owner = owner
        self.store: Store | None = None
        self.spill_dir = spill_dir
        spill_to = None if spill_dir is None else lambda chunks: str(spill(spill_dir, chunks))
        self.writer = BackgroundWriter(self.open, max_queue=max_queue, spill_to=spill_to)
        self.sync = durability == "sync"
        if self.sync:
            self.writer.max_delay = 0.0  # a caller waits for its row: no gathering delay
        self._last_put: asyncio.Future[bool] | None = None
        self._opening: asyncio.Future[Store] | None = None
        self._exiting = False
        self._open_by: float | None = None
        self._replay: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._guard: asyncio.Task[None] | None = None
        self._warned = False
        self._closed_warned = False

    def put(self, record: CallRecord) -> None:
        """Queue a call row (never blocks, never raises for store trouble)."""
        _LIVE.add(self)  # ~40 ns; _hold (arming the exit hook) ran when the store was first asked for
        if self.sync:
            self._last_put = self.writer.put(record, wait=True)
        else:
            self.writer.put(record)

    async def committed(self, timeout: float | None = None) -> None:
        """Wait until the last row put is in the store (``durability="sync"``).

        Raises ``DatabaseError`` if it is not there within ``timeout`` seconds (it stays queued)
        or was spilled to a local file instead.
        """
        future, self._last_put = self._last_put, None
        if future is None:
            return
        timeout = SYNC_TIMEOUT if timeout is None else timeout
        try:
            async with asyncio.timeout(timeout):
                stored = await asyncio.shield(future)
        except TimeoutError:
            stored = None
        if not stored:
            what = "was not written within {timeout:g} s (it stays queued)" if stored is None else "was spilled"
            raise DatabaseError(
                f"the call's log row {what.format(timeout=timeout)}: {self.writer.last_error or 'database busy'}"
            )

    async def _replay_spilled(self, store: Store) -> None:
        """Write the rows earlier rings spilled for this database (``llmring.spill``)."""
        assert self.spill_dir is not None
        try:
            count = await replay(self.spill_dir, store)
        except Exception as exc:
            logger.warning("llmring: spilled call-log rows in %s not written yet: %s", self.spill_dir, exc)
            return
        if count:
            logger.info("llmring: %d spilled call-log row(s) written", count)

    async def open(self) -> Store:
        """The initialised store, opened on first use; raises if it cannot be opened."""
        if self.store is not None:
            return self.store
        _hold(self)
        if not self._exiting:  # the exit path's own loop ends right after it: nothing to guard
            self._arm_loop_exit_guard()
        async with self._lock:
            if self.store is None:
                store = self._factory()
                await store.initialize()
                self.store = store
                if self.spill_dir is not None and self.spill_dir.is_dir():
                    self._replay = asyncio.ensure_future(self._replay_spilled(store))
        return self.store

    async def _replayed(self, timeout: float) -> None:
        replaying, self._replay = self._replay, None
        if replaying is not None and not replaying.done() and replaying.get_loop() is asyncio.get_running_loop():
            await asyncio.wait([replaying], timeout=timeout)

    async def open_or_none(self, wait: float | None = None) -> Store | None:
        """The store for the call path: None when it cannot be opened, so a call never fails for
        the store's sake (its rows wait in the writer's queue); one warning, unless the cause is
        another process's lock (a turn to wait, not a fault).

        With ``wait``, a cold open that takes longer (another process holds the file's lock while
        it migrates or writes) goes on in the background and the call goes ahead without it.
        """
        if self.store is not None:
            return self.store
        loop = asyncio.get_running_loop()
        opening = self._opening
        if opening is None or opening.done() or opening.get_loop() is not loop:
            opening = self._opening = asyncio.ensure_future(self.open())
            opening.add_done_callback(_retrieve)
            # Every call waits until the same moment: the steps of one call (route, cache read,
            # cache write) never add up several waits.
            self._open_by = None if wait is None else loop.time() + wait
        try:
            async with asyncio.timeout_at(self._open_by if wait is not None else None):
                return await asyncio.shield(opening)
        except TimeoutError:
            return None
        except Exception as exc:
            if not self._warned and not getattr(exc, "busy", False):
                self._warned = True
                logger.warning("llmring: database unavailable, calls continue and log rows wait: %s", exc)
            return None

    def _arm_loop_exit_guard(self) -> None:
        loop = asyncio.get_running_loop()
        if self._guard is not None and not self._guard.done() and self._guard.get_loop() is loop:
            return

        async def guard() -> None:
            try:
                await loop.create_future()
            except asyncio.CancelledError:
                # close() detaches its guard before cancelling it: it has written and reported
                # the rows itself, and must not see them drained (and the store reopened) again.
                if self._guard is asyncio.current_task():
                    self._warn_not_closed()
                    await self.release()
                raise

        self._guard = loop.create_task(guard(), name="llmring-loop-exit-guard")

    async def release(self) -> None:
        """Write what is queued (once) and close the store; it reopens on next use."""
        left = await self.writer.drain_now()
        if left:
            self.writer.spill_queued("the event loop ended (call `await ring.close()` before it ends)")
        await self._replayed(5.0)
        store, self.store = self.store, None
        if store is not None:
            await store.close()
        if not self.writer.queued:  # written, or spilled and reported; else the exit tries again
            _LIVE.discard(self)

    def _warn_not_closed(self) -> None:
        if not self._closed_warned:
            self._closed_warned = True
            warnings.warn(
                f"{self._owner} was not closed: call `await ring.close()` (or use `async with`) before"
                " its event loop ends; its queued call-log rows were written as the loop ended",
                ResourceWarning,
                stacklevel=1,
            )

    async def release_at_exit(self) -> None:
        """Write what a dead event loop left queued, on this (new) loop and a fresh store."""
        self._warn_not_closed()
        self._exiting = True
        store, self.store, self._guard = self.store, None, None
        # A task of the dead loop may have held the lock (opening the store) when it stopped.
        self._lock = asyncio.Lock()
        if store is not None:
            # Opened on the dead loop: close what can be closed (aiosqlite's worker thread must
            # stop, or the exit hangs on it), never wait long for the rest.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1):
                    await store.close()
        self.writer.rebind()
        await self.release()

    async def close(self, timeout: float = 5.0) -> int:
        """Write queued rows (for at most ``timeout`` s), close the store and disarm the guard;
        returns the rows that could not be written (also logged as a warning)."""
        left = await self.writer.close(timeout)
        await self._replayed(timeout)
        store, self.store = self.store, None
        if store is not None:
            await store.close()
        guard, self._guard = self._guard, None
        if guard is not None and not guard.done() and guard.get_loop() is asyncio.get_running_loop():
            guard.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await guard
        _LIVE.discard(self)  # rows left are reported above; the exit must not wait on them again
        return left
