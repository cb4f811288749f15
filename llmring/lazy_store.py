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
still cannot be written are counted in a warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

from llmring.log_writer import BackgroundWriter

if TYPE_CHECKING:
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


# How long the exit path may spend on one ring's rows: an exit must never hang on a database.
EXIT_WRITE_TIMEOUT = 10.0


def _write_at_exit() -> None:
    """Write the rows that rings never closed left queued (the process is exiting normally)."""
    for lazy in list(_LIVE):
        if lazy.writer.unwritten:
            try:
                asyncio.run(asyncio.wait_for(lazy.release_at_exit(), EXIT_WRITE_TIMEOUT))
            except Exception as exc:  # exit must go on; the rows are reported as lost
                logger.warning(
                    "llmring: %d call-log row(s) lost at exit: %s",
                    lazy.writer.unwritten,
                    exc or type(exc).__name__,
                )
        _LIVE.discard(lazy)


class LazyStore:
    """The store ``factory`` builds, opened on first use; owner of the rows waiting for it."""

    def __init__(self, factory: Callable[[], Store], owner: str = "LLMRing") -> None:
        self._factory = factory
        self._owner = owner
        self.store: Store | None = None
        self.writer = BackgroundWriter(self.open)
        self._lock = asyncio.Lock()
        self._guard: asyncio.Task[None] | None = None
        self._warned = False
        self._closed_warned = False

    def put(self, record: CallRecord) -> None:
        """Queue a call row (never blocks, never raises for store trouble)."""
        _LIVE.add(self)  # ~40 ns; _hold (arming the exit hook) ran when the store was first asked for
        self.writer.put(record)

    async def open(self) -> Store:
        """The initialised store, opened on first use; raises if it cannot be opened."""
        if self.store is not None:
            return self.store
        _hold(self)
        self._arm_loop_exit_guard()
        async with self._lock:
            if self.store is None:
                store = self._factory()
                await store.initialize()
                self.store = store
        return self.store

    async def open_or_none(self) -> Store | None:
        """The store for the call path: None (and one warning) when it cannot be opened, so a
        call never fails for the store's sake (its rows wait in the writer's queue)."""
        try:
            return await self.open()
        except Exception as exc:
            if not self._warned:
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
            logger.warning(
                "llmring: %d call-log row(s) not written before the event loop ended"
                " (call `await ring.close()` before it ends): %s",
                left,
                self.writer.last_error,
            )
        store, self.store = self.store, None
        if store is not None:
            await store.close()
        if not left:
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
