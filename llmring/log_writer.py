"""``BackgroundWriter``: call-log rows go to the store in batches, off the call's path.

``put`` is synchronous and never waits: the row joins a queue and a task on the running loop
writes up to ``batch_size`` rows at a time, after at most ``max_delay`` seconds. If the store
raises (unreachable PostgreSQL, a locked or read-only SQLite file), the rows stay queued and the
write is retried with exponential backoff until it works (``flush`` cuts the wait short; a failed
write that may have committed anyway is looked up first, so no row is written twice or blocks
the queue). ``flush`` waits for the queue to drain; ``close`` drains with a time limit and
returns how many rows could not be written, after logging a warning with that count.

The queue is bounded: past ``max_queue`` rows (and at ``close`` for what is left), rows go to
``spill_to`` (``llmring.spill``: a local file, replayed when the database is next opened), or,
without one, the oldest are dropped with a warning. ``unwritten`` always says how many rows this
writer took that are not in the store (queued, spilled or dropped). ``put(..., wait=True)``
returns a future that says whether the row reached the store (``durability="sync"``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmring.schemas import CallRecord
    from llmring.store import Store

logger = logging.getLogger("llmring.calls")

StoreGetter = Callable[[], Awaitable["Store"]]
# Keeps chunks of rows somewhere safe (returns where), or raises.
Spiller = Callable[[list[list["CallRecord"]]], str]


class BackgroundWriter:
    """Batches rows into ``store.record_api_calls`` from a task on the caller's event loop."""

    def __init__(
        self,
        get_store: StoreGetter,
        *,
        batch_size: int = 500,
        max_delay: float = 0.05,
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
        max_queue: int = 10_000,
        spill_to: Spiller | None = None,
    ) -> None:
        self._get_store = get_store
        self.max_queue = max_queue
        self.spill_to = spill_to
        self.spilled = 0  # rows this writer put in spill files (or dropped, without one)
        self._waiters: dict[str, asyncio.Future[bool]] = {}
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._pending: deque[CallRecord] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._retry_now = asyncio.Event()
        self._lock = asyncio.Lock()
        self._hurry = False
        # Rows at the head of the queue whose write failed but may have committed (the
        # connection was lost before the answer came): checked before they are written again.
        self._unsure = 0
        # Rows of the write under way; still set if its event loop ended before it answered.
        self._in_flight = 0
        self.written = 0
        self.write_failures = 0
        self._failing = False  # the last write failed (other than by waiting for a lock)
        self._spill_at = max_queue  # raised when the spill file cannot be written
        self.last_error: BaseException | None = None
        # Busy database (another process writing): waited for silently up to busy_warn_after s.
        self.busy_warn_after = 30.0
        self.last_busy: BaseException | None = None
        self._busy_since: float | None = None

    @property
    def unwritten(self) -> int:
        """Rows taken but not in the store: still queued, or spilled to a file (or dropped)."""
        return len(self._pending) + self.spilled

    @property
    def queued(self) -> int:
        """Rows waiting in memory."""
        return len(self._pending)

    def put(self, record: CallRecord, *, wait: bool = False) -> asyncio.Future[bool] | None:
        """Queue ``record`` (never blocks, never raises for store trouble).

        With ``wait``, returns a future that becomes True once the row is in the store, or
        False if it was spilled instead.
        """
        if self._failing and len(self._pending) >= self._spill_at and self.spill_to is not None:
            # The store keeps failing (not merely busy or slow): keep memory bounded.
            self._spill(keep=self._in_flight)
        self._pending.append(record)
        self._ensure_task()
        self._drained.clear()
        if not self._wakeup.is_set():
            self._wakeup.set()
        if not wait:
            return None
        future = asyncio.get_running_loop().create_future()
        self._waiters[record.id] = future
        return future

    def spill_queued(self, reason: str | None = None) -> None:
        """Move every queued row out of memory (to the spill file); one warning either way
        (without a spill file, or when it cannot be written, the rows stay queued)."""
        self._spill(keep=0, reason=reason)

    def _spill(self, keep: int, reason: str | None = None) -> None:
        """Move every queued row but the first ``keep`` (a write in flight) out of memory."""
        rows = [self._pending[i] for i in range(keep, len(self._pending))]
        if not rows:
            return
        why = self.last_error or self.last_busy or reason or f"{self.max_queue} rows were waiting"
        # A batch that failed but may have committed is its own chunk: replay checks it whole.
        unsure = 0 if keep else self._unsure
        chunks = [rows[:unsure]] if unsure else []
        chunks += [rows[i : i + self.batch_size] for i in range(unsure, len(rows), self.batch_size)]
        try:
            if self.spill_to is None:
                raise OSError("no spill file for this store")
            where = self.spill_to(chunks)
        except OSError as exc:
            logger.warning("llmring: %d call-log row(s) could not be written (last error: %s)", len(rows), why)
            if keep:  # the queue is full: say why it cannot be emptied, and try again at twice the size
                logger.warning("llmring: call-log rows stay in memory: %s", exc)
                self._spill_at = 2 * len(self._pending)
            return
        for _ in rows:
            self._pending.pop()
        if not keep:
            self._unsure = 0
        self.spilled += len(rows)
        if self._waiters:
            for row in rows:
                future = self._waiters.pop(row.id, None)
                if future is not None and not future.done():
                    with contextlib.suppress(RuntimeError):  # its event loop is closed (exit path)
                        future.set_result(False)
        logger.warning(
            "llmring: %d call-log row(s) could not be written (last error: %s); saved to %s,"
            " written when the database is next opened",
            len(rows),
            why,
            where,
        )

    def _ensure_task(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and self._loop is loop and not self._task.done():
            return
        if self._loop is not loop:
            self.rebind()
            self._loop = loop
        self._task = loop.create_task(self._run(), name="llmring-log-writer")

    def rebind(self) -> None:
        """Forget the loop the writer ran on (it has ended): new events, lock and task.

        Events and locks bind to the loop that first waits on them, and a lock held by a task of
        a loop that was closed mid-write would never be released.
        """
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._retry_now = asyncio.Event()
        self._lock = asyncio.Lock()
        self._loop = None
        self._task = None
        if self._in_flight:
            # The dead loop's last write may have committed on the store's thread after all.
            self._unsure, self._in_flight = self._in_flight, 0

    async def _run(self) -> None:
        delay = self.retry_initial
        while True:
            if not self._pending:
                self._drained.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if len(self._pending) < self.batch_size and not self._hurry:
                # Let concurrent calls add their rows so they share one transaction.
                await asyncio.sleep(self.max_delay)
            try:
                await self._write_batch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(exc)
                await self._back_off(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            delay = self.retry_initial
            self._busy_since = None
            self._failing = False

    def _failed(self, exc: Exception) -> None:
        """Count a failed write and warn about it, except while another process holds the lock.

        A lock held by another writer (``DatabaseError.busy``) is a turn to wait for, not a fault:
        it is retried silently unless it lasts longer than ``busy_warn_after`` seconds.
        """
        if getattr(exc, "busy", False):
            now = time.monotonic()
            if self._busy_since is None:
                self._busy_since = now
            self.last_busy = exc
            if now - self._busy_since < self.busy_warn_after:
                return
        self.write_failures += 1
        self._failing = True
        self.last_error = exc
        if self.write_failures == 1 or self.write_failures % 20 == 0:
            logger.warning("llmring: could not write %d call-log row(s), will retry: %s", len(self._pending), exc)

    async def _back_off(self, delay: float) -> None:
        """Wait ``delay`` seconds before the next try, or less when ``flush`` asks for one now
        (the store may be back already: a flush or close must not sit out a long backoff)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._retry_now.wait()
        self._retry_now.clear()

    async def _write_batch(self) -> None:
        """Write the oldest ``batch_size`` rows and only then drop them from the queue."""
        async with self._lock:
            if not self._pending:
                return
            store = await self._get_store()
            if self._unsure:
                await self._settle(store)
            batch = [self._pending[i] for i in range(min(self.batch_size, len(self._pending)))]
            if not batch:
                return
            self._in_flight = len(batch)
            write = asyncio.ensure_future(store.record_api_calls(batch))
            try:
                await asyncio.shield(write)
            except asyncio.CancelledError:
                # Cancelled mid-write (the loop is shutting down): let the write finish, so its
                # rows are neither lost nor written twice by the final drain.
                await asyncio.wait([write])
                if not write.cancelled() and write.exception() is None:
                    self._done(len(batch))
                else:
                    self._unsure, self._in_flight = len(batch), 0
                raise
            except Exception:
                self._unsure, self._in_flight = len(batch), 0
                raise
            self._done(len(batch))

    async def _settle(self, store: Store) -> None:
        """Find out whether the last failed write committed after all, and if so drop its rows.

        A batch is one transaction, so its first row tells. Without this check a write whose
        commit succeeded but whose answer was lost (PostgreSQL stopped at that moment) would be
        retried forever, failing on its own duplicate ids, with every later row stuck behind it.
        """
        if await store.get_call(self._pending[0].id) is not None:
            self._done(self._unsure)
        self._unsure = 0

    def _done(self, count: int) -> None:
        self._unsure = self._in_flight = 0
        for _ in range(count):
            row = self._pending.popleft()
            if self._waiters:
                future = self._waiters.pop(row.id, None)
                if future is not None and not future.done():
                    future.set_result(True)
        self.written += count

    async def drain_now(self) -> int:
        """Write every queued row now, once, without the background task; returns rows left.

        Used when the event loop is ending without ``close()``: there is no later to retry in.
        """
        while self._pending:
            try:
                await self._write_batch()
            except Exception as exc:
                self.last_error = exc
                break
        return len(self._pending)

    async def flush(self, timeout: float | None = None) -> int:
        """Wait until every queued row is written (or ``timeout`` passes); returns rows left."""
        if not self._pending:
            return 0
        self._ensure_task()
        self._hurry = True
        self._retry_now.set()
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    while self._pending:
                        await self._drained.wait()
        finally:
            self._hurry = False
        return len(self._pending)

    async def close(self, timeout: float = 5.0) -> int:
        """Drain for at most ``timeout`` seconds, stop the task, spill what is left and return
        the rows this writer could not put in the store (``unwritten``)."""
        if self._pending:
            await self.flush(timeout)
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            if self._loop is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._pending:
            self.spill_queued("none: the close timeout passed first")
        return self.unwritten
