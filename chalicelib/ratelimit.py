"""Fixed-window rate limits as TTL items: one UpdateItem per hit, no read."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.errors import RateLimited
from chalicelib.models import RateWindow


def hit(scope: str, *, limit: int, window: int = 60, message: str | None = None) -> None:
    """Count one event for ``scope``; raise RateLimited once ``limit`` per ``window`` s is passed."""
    now = clock.now()
    start = int(now // window) * window
    item = RateWindow(f"RATE#{scope}#{start}", "#")
    item.update(
        actions=[
            RateWindow.n.add(1),
            RateWindow.kind.set(RateWindow),
            RateWindow.expires.set(clock.at(start + 2 * window)),
        ]
    )
    if item.n > limit:
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
