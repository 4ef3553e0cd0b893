"""Can this region serve? A fast check for ``/health`` (Route 53 health checks)."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from chalicelib.models import ThreadItem


def can_serve() -> tuple[bool, dict[str, Any]]:
    """One GetItem on this region's replica: a read that works means threads can render."""
    started = time.perf_counter()
    try:
        ThreadItem._get_connection().get_item("#health", "#health")
    except (PynamoDBException, BotoCoreError, ClientError) as exc:
        return False, {"reason": f"comment store unreachable: {type(exc).__name__}"}
    return True, {"latency_ms": round((time.perf_counter() - started) * 1000, 1)}
