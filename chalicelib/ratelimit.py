"""Fixed-window rate limits as TTL items: one UpdateItem per hit, no read."""

from __future__ import annotations

from chalicelib import clock
from chalicelib.errors import RateLimited
from chalicelib.models import RateWindow


def hit(scope: str, *, limit: int, window: int = 60) -> None:
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
            f"Too many comments from here. Please wait {retry_after} s and send again.",
            retry_after=retry_after,
        )
