"""A program that never closes its ``LLMRing`` (see ``test_unclosed_ring.py``).

``python -m tests.faults.forgetful_ring DATABASE MODE RUNS CALLS``: RUNS times, makes CALLS
concurrent logged calls (``gpt-4o-mini``, provider from the usual env vars) and never calls
``close()``; prints ``done`` and exits normally. DATABASE is a ``postgresql://`` URL or
``sqlite:///path``. The calls are numbered ``[run N call M]`` in their prompts, so the test can
say which rows are missing. MODE:

- ``local``: each run is its own ``asyncio.run(main())`` with the ring in a local of ``main``,
  dropped and garbage-collected before ``main`` returns (what the issue's probe lost rows with);
- ``loops``: one ring, made before any loop, used by every run's ``asyncio.run``;
- ``unrun``: each run on a loop that is closed without ``asyncio.run``'s cleanup (the tasks are
  never cancelled), so only the exit path can write the rows.
"""

from __future__ import annotations

import asyncio
import gc
import sys

from llmring import LLMRing
from llmring.schemas import LLMRequest, Message


def request(run: int, call: int) -> LLMRequest:
    return LLMRequest(model="gpt-4o-mini", messages=[Message(role="user", content=f"Say [run {run} call {call}]")])


async def calls(ring: LLMRing, run: int, count: int) -> None:
    await asyncio.gather(*(ring.chat(request(run, i)) for i in range(count)))


def main(database: str, mode: str, runs: int, count: int) -> None:
    shared = LLMRing(db_connection_string=database) if mode == "loops" else None
    for run in range(runs):

        async def one_run(run: int = run) -> None:
            if shared is not None:
                await calls(shared, run, count)
                return
            ring = LLMRing(db_connection_string=database)
            await calls(ring, run, count)
            del ring
            gc.collect()  # what a busy program's collector does at some point: the ring is garbage

        if mode == "unrun":
            loop = asyncio.new_event_loop()
            loop.run_until_complete(one_run())
            loop.close()
        else:
            asyncio.run(one_run())
    print("done", flush=True)


if __name__ == "__main__":
    import faulthandler

    faulthandler.dump_traceback_later(40, exit=True)  # a hang shows where, instead of a test timeout
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
