"""Call-log rows that could not reach the database, kept in a local file until they can.

When the store stays unreachable, the writer's queue would grow without limit (about 4.5 KB a
row). Past ``max_queue`` rows, and for whatever is still queued when the ring closes, the rows
are appended to a JSON-lines file in the user data directory, one directory per database
(``unwritten/<hash of the database>/<pid>-<time>.jsonl``). The next ring that opens that
database claims each file (an atomic rename, so two processes never replay one file), writes its
rows and deletes it.

Each line holds one chunk of rows that is written back in one transaction. A chunk whose write
may have committed before the database went away (the writer was not told) is its own line, and
replay skips a chunk whose first row is already stored: so a row is never written twice, even
when a replay is itself cut short. A spilled row keeps every column; the prompt and answer
captured with ``log_content=True`` are not spilled (they are held in memory only).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from llmring.schemas import CallRecord

if TYPE_CHECKING:
    from llmring.store import Store

_CLAIMED = ".replaying-"


def spill_dir(database: str) -> Path:
    """The directory for rows that could not be written to ``database`` (its description)."""
    from platformdirs import user_data_path

    digest = hashlib.sha256(database.encode()).hexdigest()[:16]
    return user_data_path("llmring", appauthor=False) / "unwritten" / digest


def spill(directory: Path, chunks: Sequence[Sequence[CallRecord]]) -> Path:
    """Append ``chunks`` to this process's spill file in ``directory``; returns the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{os.getpid()}-{time.time_ns()}.jsonl"
    lines = []
    for chunk in chunks:
        if chunk:
            lines.append(json.dumps([row.model_dump(mode="json") for row in chunk], separators=(",", ":")))
    with open(path, "a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim(directory: Path) -> Iterator[Path]:
    """Spill files to replay, each renamed to this process first (a file another live process
    is replaying is left alone; one whose replayer died is taken over)."""
    if not directory.is_dir():
        return
    me = os.getpid()
    for path in sorted(directory.iterdir()):
        name = path.name
        if _CLAIMED in name:
            owner = name.rsplit(_CLAIMED, 1)[1]
            if not owner.isdigit() or int(owner) == me or _alive(int(owner)):
                continue
            name = name.split(_CLAIMED, 1)[0]
        elif not name.endswith(".jsonl"):
            continue
        claimed = directory / f"{name}{_CLAIMED}{me}"
        with contextlib.suppress(FileNotFoundError):  # another process claimed it first
            path.rename(claimed)
            yield claimed


async def replay(directory: Path, store: Store) -> int:
    """Write every spilled row in ``directory`` to ``store``; returns how many were written.

    A file is deleted once all its chunks are stored; one that fails midway keeps its claim and
    is taken over by the next process to open the database once this one has exited.
    """
    written = 0
    for path in _claim(directory):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            chunk = [CallRecord.model_validate(row) for row in json.loads(line)]
            if await store.get_call(chunk[0].id) is not None:
                continue  # written before (an unsure write, or a replay cut short)
            written += await store.record_api_calls(chunk)
        path.unlink()
    return written
