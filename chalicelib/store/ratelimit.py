"""Fixed-window rate limits as TTL items: one UpdateItem per hit, no read."""

from __future__ import annotations

from chalicelib.platform import clock
from chalicelib.platform.errors import RateLimited
from chalicelib.store.models import RateWindow


def hit(scope: str, *, limit: int, window: int = 60, message: str | None = None) -> None:
    """Count one event for ``scope``; raise RateLimited once ``limit`` per ``window`` s is passed."""
    now = clock.now()
    start = int(now // window) * window
    item = RateWindow(f"RATE#{scope}#{start}", "#")
    n = _count(item, start, window)
    if n > limit:
        retry_after = max(1, int(start + window - now + 0.999))
        raise RateLimited(
            (message or "Too many comments from here. Please wait {s} s and send again.").format(
                s=retry_after
            ),
            retry_after=retry_after,
        )


def peek(scope: str, *, window: int = 60) -> tuple[int, int]:
    """Events counted for ``scope`` in the current window, and seconds until it ends."""
    now = clock.now()
    start = int(now // window) * window
    try:
        n = int(RateWindow.get(f"RATE#{scope}#{start}", "#").n)
    except RateWindow.DoesNotExist:
        n = 0
    return n, max(1, int(start + window - now + 0.999))


#: Windows counted in this container while the table refuses writes (see _count).
_local: dict[str, int] = {}


def _count(item: RateWindow, start: int, window: int) -> int:
    """Add one to the window; return its count. When the table is failing writes the
    limit is kept per container instead, so that the comment can still be queued."""
    from chalicelib.store import replicas

    if not replicas.writes.is_open():
        try:
            item.update(
                actions=[
                    RateWindow.n.add(1),
                    RateWindow.kind.set(RateWindow),
                    RateWindow.expires.set(clock.at(start + 2 * window)),
                ]
            )
            return int(item.n)
        except replicas.STORAGE_ERRORS:
            replicas.writes.trip()
    for stale in [k for k in _local if not k.endswith(f"#{start}")]:
        del _local[stale]
    _local[item.pk] = _local.get(item.pk, 0) + 1
    return _local[item.pk]
