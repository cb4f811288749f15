"""``LazyStore``: an ``LLMRing``'s store, opened on first use, drained when its event loop ends.

Constructing a ring opens nothing. The first call, query or log row that needs the store opens
and initialises it (one lock, so concurrent first calls open it once). The ``BackgroundWriter``
that queues call rows belongs to this object and reaches the store through ``open``.

A program that never calls ``close()`` would otherwise lose its last rows and hang at exit on the
store's worker thread: so the first use on an event loop arms a guard task on that loop, and
``asyncio.run`` cancelling it at the end of ``main`` makes it write what is queued and close the
store. The guard holds this object, not the ring, so a ring that is dropped without ``close()``
still has its rows written when the loop ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from llmring.log_writer import BackgroundWriter

if TYPE_CHECKING:
    from llmring.schemas import CallRecord
    from llmring.store import Store

logger = logging.getLogger("llmring")


class LazyStore:
    """The store ``factory`` builds, opened on first use; owner of the rows waiting for it."""

    def __init__(self, factory: Callable[[], Store]) -> None:
        self._factory = factory
        self.store: Store | None = None
        self.writer = BackgroundWriter(self.open)
        self._lock = asyncio.Lock()
        self._guard: asyncio.Task[None] | None = None
        self._warned = False

    def put(self, record: CallRecord) -> None:
        """Queue a call row (never blocks, never raises for store trouble)."""
        self.writer.put(record)

    async def open(self) -> Store:
        """The initialised store, opened on first use; raises if it cannot be opened."""
        if self.store is not None:
            return self.store
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
        return left
