"""Run the ``llmring`` console script on a pseudo-terminal and return every byte it wrote.

Tests of what reaches a terminal must look at the terminal's bytes: a CliRunner captures text
that never went through a tty, and Rich decides what to emit by whether it is writing to one.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

LLMRING = Path(sys.executable).with_name("llmring")


def run_on_pty(
    args: list[str],
    *,
    columns: int = 80,
    rows: int = 24,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> tuple[int, bytes]:
    """``llmring *args`` with stdin, stdout and stderr on a ``columns`` x ``rows`` pty: (exit code, bytes)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    environment = {**(env or os.environ), "TERM": "xterm-256color"}
    environment.pop("COLUMNS", None)  # the pty's size is the terminal's width
    environment.pop("LINES", None)
    process = subprocess.Popen(
        [str(LLMRING), *args], stdin=slave, stdout=slave, stderr=slave, env=environment, close_fds=True, cwd=cwd
    )
    os.close(slave)
    output = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the pty
                    break
                if not chunk:
                    break
                output.extend(chunk)
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    return code, bytes(output)
