"""Other regions' replicas: where reads go when this region's replica fails.

Each region's stack talks to its own replica (docs/architecture.md). When that replica
rejects or times out reads, a read is answered from a fallback region's replica instead
(the regions listed after this one in ``SIDENOTE_REGIONS``) and marked degraded.

How: every model call asks ``Model._get_connection()``; the base models in ``models.py``
route that through :func:`connection_for`, which answers with this region's connection
unless a :func:`using` block names another region. For another region it builds (once)
a subclass of the model with ``Meta.region`` overridden and ``_connection = None``
(PynamoDB caches one connection per class), with shorter timeouts and one attempt.
The happy path costs one context-variable lookup per call and no round trip.

Breakers: after a failure, this container skips the local replica for
``config.settings.breaker_seconds`` (reads go straight to the fallback, writes straight to the
queue), then tries it again. A reader waits at most one bounded failure per window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from pynamodb.exceptions import PynamoDBException

from chalicelib.platform import config
from chalicelib.platform.clients import AWS_ERRORS

#: What a failing DynamoDB (or SQS, SNS…) call raises, as PynamoDB and botocore raise it.
#: The one definition: every module that catches storage failures uses this.
STORAGE_ERRORS: tuple[type[Exception], ...] = (PynamoDBException, *AWS_ERRORS)

T = TypeVar("T")

_region: ContextVar[str | None] = ContextVar("sidenote_replica_region", default=None)
_models: dict[tuple[type, str], type] = {}
_lock = threading.Lock()


@contextmanager
def using(region: str) -> Iterator[None]:
    """Send every model call inside the block to ``region``'s replica."""
    token = _region.set(region)
    try:
        yield
    finally:
        _region.reset(token)


def model_for(model: type[T], region: str) -> type[T]:
    """``model`` bound to ``region``'s replica: a cached subclass with its own connection."""
    key = (model, region)
    found = _models.get(key)
    if found is not None:
        return found
    with _lock:
        found = _models.get(key)
        if found is None:
            fallback = region != config.settings.region
            meta = type(
                "Meta",
                (model.Meta,),  # type: ignore[attr-defined]
                {
                    "region": region,
                    "host": config.settings.endpoint_for(region),
                    **(
                        {
                            "connect_timeout_seconds": config.settings.fallback_connect_timeout,
                            "read_timeout_seconds": config.settings.fallback_read_timeout,
                            "max_retry_attempts": 0,
                        }
                        if fallback
                        else {}
                    ),
                },
            )
            found = type(
                f"{model.__name__}_{region.replace('-', '_')}",
                (model,),
                {"Meta": meta, "_connection": None, "__module__": model.__module__},
            )
            _models[key] = found
    return found


def connection_for(model: type) -> Any | None:
    """The connection a model call should use, or None for the model's own."""
    region = _region.get()
    if region is None or region == model.Meta.region:
        return None
    # One connection per table and region: bind the class that declares the table.
    table_model = next(c for c in model.__mro__ if "Meta" in vars(c))
    bound = model_for(table_model, region)
    if "_connection" not in vars(bound):  # never inherit the local region's connection
        bound._connection = None
    return bound._get_connection()


def replica_models() -> list[type]:
    """Every region-bound model class built so far (the fault-injection tests hook them)."""
    return list(_models.values())


# --- breakers ----------------------------------------------------------------------------


class Breaker:
    """Open for ``config.settings.breaker_seconds`` after a failure; then one call may try again."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.open_until = 0.0

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        self.open_until = time.monotonic() + config.settings.breaker_seconds

    def close(self) -> None:
        self.open_until = 0.0


reads = Breaker("reads")
writes = Breaker("writes")


def reset() -> None:
    """Close both breakers (tests; after an operator fixed the table)."""
    reads.close()
    writes.close()


def read(call: Callable[[], T]) -> T:
    """``call()`` on this region's replica, else on each fallback replica in turn."""
    return read_marked(call)[0]


def read_marked(call: Callable[[], T]) -> tuple[T, str | None]:
    """``(call(), None)`` from this region's replica, or ``(call(), region)`` from the
    first fallback replica that answers.

    Inside a :func:`using` block (already falling back) it is just ``call()``. Raises the
    last storage error when no replica answers.
    """
    if _region.get() is not None:
        return call(), None
    error: Exception | None = None
    if not reads.is_open():
        try:
            return call(), None
        except STORAGE_ERRORS as exc:
            reads.trip()
            error = exc
    for region in config.settings.fallback_regions:
        try:
            with using(region):
                return call(), region
        except STORAGE_ERRORS as exc:
            error = exc
    if error is None:  # breaker open and no fallback configured: try locally after all
        return call(), None
    raise error
