"""Visible, bounded waits for the prompt commands: a spinner on stderr saying what the call is
doing, and the real total wait in the error when it fails.

``CallWaits`` is the ring's progress hook (``llmring.progress``). It always counts the attempts
and the time, so a failed call's one error line says how long it really waited (three silent
attempts of a 60 s timeout are not "timed out after 60s"). Only when it is told to ``show`` (stderr
is a terminal and the command prints no JSON) does it draw a one-line spinner, redrawn by Rich's
thread a few times a second so countdowns move, and erased before the answer is printed. A call
answered within a quarter of a second never shows it (no flicker before a quick answer)::

    ⠹ 3 s  waiting for openai:gpt-5.4-mini...
    ⠼ 5 s  openai:gpt-5.4-mini rate limited (429), retrying in 4 s (1/2)
    ⠦ 9 s  falling back to google:gemini-3.1-flash-lite (openai:gpt-5.4-mini timed out)

Nothing of it reaches stdout, a pipe or a file.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from llmring.errors import ProviderConnectionError, ProviderTimeoutError, ProviderUnavailableError, RateLimitError

if TYPE_CHECKING:
    from rich.live import Live
    from rich.text import Text

    from llmring.progress import Progress

# The errors of a call that waited and gave up (after its retries): their message names one
# attempt's limit, so the CLI adds the whole call's wait. (A ``FallbackError`` and a reached
# ``--timeout`` deadline say it already: see ``gave_up``.)
WAIT_ERRORS = (RateLimitError, ProviderTimeoutError, ProviderUnavailableError, ProviderConnectionError)

GRACE = 0.25  # seconds a call waits before the spinner appears
_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_ASCII_FRAMES = "-\\|/"


class CallWaits:
    """One prompt command's call: what it is waiting for, since when, and the spinner showing it."""

    def __init__(self, *, show: bool) -> None:
        self.show = show
        # The clock starts when the first request goes out: opening the log and the registry is
        # the command's setup, not a wait for a model (a 1 s deadline then reads as 1 s, not 1.9).
        self.started: float | None = None
        self.attempts = 0
        self.event: Progress | None = None
        self.event_at = 0.0
        self._live: Live | None = None
        self._timer: asyncio.TimerHandle | None = None

    def __call__(self, event: Progress) -> None:
        """The ring's progress hook: keep the event (the spinner's thread draws it)."""
        self.attempts += 1
        self.event, self.event_at = event, time.monotonic()
        if self.started is None:
            self.started = self.event_at
        if self._live is not None:
            self._live.refresh()  # each step shows at once, not at the next redraw
        elif self.show and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(GRACE, self._start)

    def waited(self) -> float:
        """Seconds since the first request went out (0 before it)."""
        return 0.0 if self.started is None else time.monotonic() - self.started

    def gave_up(self, exc: Exception) -> str:
        """``exc``'s error line, with how long the failed call really waited when it does not say."""
        message = getattr(exc, "message", "") or type(exc).__name__
        if getattr(exc, "limit", None) == "deadline":
            return message  # "call deadline of 30s reached after 30.0s (3 attempts)": the whole wait
        tries = f", {self.attempts} attempts" if self.attempts > 1 else ""
        return f"{message} (gave up after {self.waited():.1f} s{tries})"

    def stop(self) -> None:
        """Erase the spinner (before the answer is printed, and when the call ends)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def line(self) -> str:
        """The spinner's text, without its frame."""
        event = self.event
        now = time.monotonic()
        elapsed = f"{int(self.waited())} s  "
        if event is None:
            return elapsed + "waiting..."
        if event.kind == "retrying":
            left = event.delay - (now - self.event_at)
            if left > 0:
                wait = f"{max(1, round(left))} s ({event.attempt}/{event.retries})"
                return f"{elapsed}{event.model} {event.reason}, retrying in {wait}"
            return f"{elapsed}waiting for {event.model}... (retry {event.attempt}/{event.retries})"
        if event.kind == "falling_back":
            return f"{elapsed}falling back to {event.model} ({event.reason})"
        return f"{elapsed}waiting for {event.model}..."

    def _start(self) -> None:
        from rich.live import Live

        from llmring.cli import output

        console = output.console(stderr=True)
        frames = _FRAMES if (console.encoding or "").lower().startswith("utf") else _ASCII_FRAMES
        self._live = Live(
            _Line(self, frames),
            console=console,
            transient=True,
            refresh_per_second=8,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start(refresh=True)


class _Line:
    """The spinner's renderable: evaluated at each redraw, so the clock and countdown move."""

    def __init__(self, waits: CallWaits, frames: str) -> None:
        self.waits, self.frames = waits, frames

    def __rich__(self) -> Text:
        from rich.text import Text

        from llmring.formatting import inert

        frame = self.frames[int(time.monotonic() * 10) % len(self.frames)]
        return Text(f"{frame} {inert(self.waits.line())}", no_wrap=True, overflow="ellipsis", end="")

    def __repr__(self) -> str:  # pragma: no cover - Rich's debugging only
        return f"_Line({self.waits.line()!r})"


def spinner_wanted(as_json: bool, enabled: bool = True) -> bool:
    """A spinner only on a terminal's stderr, never with ``--json``, and not when the config's
    ``spinner`` (``LLMRING_SPINNER``) is off."""
    import sys

    stream: Any = sys.stderr
    return enabled and not as_json and stream is not None and stream.isatty()
