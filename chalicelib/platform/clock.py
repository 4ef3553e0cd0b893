"""Time, in one place, so tests can move it."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now() -> float:
    """Seconds since the epoch."""
    return time.time()


def rfc3339(ts: float | None = None) -> str:
    """``2026-11-25T16:00:00Z`` for ``ts`` (default: now)."""
    moment = datetime.fromtimestamp(now() if ts is None else ts, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(value: str) -> float:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def at(ts: float) -> datetime:
    """An aware UTC datetime for ``ts`` (what TTL attributes take)."""
    return datetime.fromtimestamp(ts, tz=UTC)
