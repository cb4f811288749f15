"""Give back connection-pool slots that a cancelled request left behind.

httpcore 1.0.9 (what httpx 0.28+ uses; encode/httpcore#1093, still open) has a leak: when a request
is cancelled after the pool created a new connection for it but before that connection connected,
the connection stays in the pool, neither idle, nor closed, nor assigned to any request, and holds
one of ``max_connections`` for good. Under contention every timeout or caller cancellation can
cost a slot, until every call waits for a slot that never frees (the load test saw calls time out
after 8 s without reaching the server). ``reclaim_orphans`` drops such connections; providers call
it after any attempt that did not finish, so the happy path pays nothing.

It reads httpcore's private state, defensively: a transport or pool shaped otherwise (a
``MockTransport``, a proxy connection, a later httpcore) is left alone.
"""

from __future__ import annotations

from typing import Any

import httpx


def reclaim_orphans(client: httpx.AsyncClient) -> int:
    """Drop never-connected connections no request owns from ``client``'s pools; how many were dropped.

    Synchronous on purpose: it runs while a cancellation unwinds, where an ``await`` could be
    interrupted. A never-connected connection has no socket, so leaving the list is all it needs.
    """
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    return sum(_reclaim(getattr(transport, "_pool", None)) for transport in transports)


def _reclaim(pool: Any) -> int:
    connections = getattr(pool, "_connections", None)
    requests = getattr(pool, "_requests", None)
    if not isinstance(connections, list) or not isinstance(requests, list):
        return 0
    owned = {id(getattr(request, "connection", None)) for request in requests}
    orphans = [
        connection
        for connection in connections
        if getattr(connection, "_connection", True) is None  # never connected (still "CONNECTING")
        and getattr(connection, "_connect_failed", True) is False
        and id(connection) not in owned
    ]
    for connection in orphans:
        connections.remove(connection)
    return len(orphans)
