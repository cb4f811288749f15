"""One of several OS processes logging calls into the same SQLite file (see ``test_load.py``).

``python -m tests.faults.log_from_process DB ORIGIN FIRST CALLS MODEL...``: makes CALLS calls
(chat and stream in turn, over the MODELs, whose providers are configured by the usual env vars)
through ``LLMRingSQLite``, 50 at a time, numbered from FIRST in their prompts. It prints
``ready``, waits for a line on stdin so that all processes start together, then prints a JSON
summary. It imports no test fakes (their SDK types take seconds to import). With
``LLMRING_TEST_ROUNDS=N`` it does that N times, each time with a new ring and CALLS calls all at
once (so the two processes race on opening the file and on every batch, N times per run).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from llmring.schemas import LLMRequest, Message
from llmring.service_sqlite import LLMRingSQLite


async def main(db_path: str, origin: str, first: int, calls: int, models: list[str]) -> dict[str, object]:
    print("ready", flush=True)
    sys.stdin.readline()
    rounds = int(os.environ.get("LLMRING_TEST_ROUNDS", "1"))
    summary: dict[str, object] = {"errors": [], "unwritten": 0, "write_failures": 0, "last_error": None}
    for round_number in range(rounds):
        result = await one_round(db_path, origin, first + round_number * calls, calls, models)
        for name in ("unwritten", "write_failures"):
            summary[name] = int(summary[name]) + int(result[name])  # type: ignore[call-overload]
        summary["errors"] = [*summary["errors"], *result["errors"]]  # type: ignore[misc]
        summary["last_error"] = summary["last_error"] or result["last_error"]
    return summary


async def one_round(db_path: str, origin: str, first: int, calls: int, models: list[str]) -> dict[str, object]:
    ring = LLMRingSQLite(db_path, origin=origin)
    slots = asyncio.Semaphore(50)

    async def one(index: int) -> None:
        number = first + index
        text = f"Say [call {number}]"
        request = LLMRequest(model=models[number % len(models)], messages=[Message(role="user", content=text)])
        async with slots:
            if index % 2:
                async for _ in ring.chat_stream(request):
                    pass
            else:
                await ring.chat(request)

    results = await asyncio.gather(*(one(i) for i in range(calls)), return_exceptions=True)
    await ring.close(timeout=30)
    assert ring.writer is not None
    return {
        "errors": [repr(r) for r in results if r is not None],
        "unwritten": ring.writer.unwritten,
        "write_failures": ring.writer.write_failures,
        "last_error": repr(ring.writer.last_error) if ring.writer.last_error else None,
    }


if __name__ == "__main__":
    path, name, start, count, *names = sys.argv[1:]
    print(json.dumps(asyncio.run(main(path, name, int(start), int(count), names))), flush=True)
