"""The storage guard: what a view does when the database fails.

Owned here: the decision between a fallback-replica read (marked degraded), a 503
``Unavailable`` read, and a 503 ``ReadOnly`` write. Every route that touches a table wears
:func:`storage_guard` (a test walks the route table to prove it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.platform import web
from chalicelib.platform.errors import ReadOnly, Unavailable
from chalicelib.platform.logs import logger
from chalicelib.store import replicas


def storage_guard(view: Callable[..., Any]) -> Callable[..., Any]:
    """What a view does when the database fails (docs/architecture.md, "Failure behaviour").

    Reads: this region's replica, else a fallback region's replica, marked degraded
    (``X-Sidenote-Degraded`` and ``"degraded": true``); 503 ``Unavailable`` only when no
    replica answers — never a 500. Writes that reach here unhandled (posting a comment
    queues it instead, see writequeue.py): 503 ``ReadOnly`` with ``Retry-After``.
    Chalice converts any other exception to a 500 before middleware sees it.
    """

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:

        if web.is_read(web.current_request()):
            try:
                response, region = replicas.read_marked(lambda: view(*args, **kwargs))
            except replicas.STORAGE_ERRORS as exc:
                logger.warning("no replica answers", extra={"error": repr(exc)[:300]})
                raise Unavailable("The comment store is not answering; try again shortly.") from exc
            if region is not None:
                logger.warning("served from a fallback replica", extra={"fallback": region})
                if isinstance(response, Response):
                    response = web.mark_degraded(response, region)
            return response
        try:
            return view(*args, **kwargs)
        except replicas.STORAGE_ERRORS as exc:
            replicas.writes.trip()
            logger.warning("storage refuses a write", extra={"error": repr(exc)[:300]})
            raise ReadOnly(
                "The comment store cannot take changes right now; try again in a minute.",
                retry_after=30,
            ) from exc

    guarded.storage_guarded = True  # type: ignore[attr-defined]  # read by the route-table test
    return guarded
