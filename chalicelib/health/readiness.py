"""Can this region serve? A fast check for ``/health`` (Route 53 health checks).

One GetItem: this region's latest stored state (written by the probe every minute). If the
read fails, the store can't serve threads here: 503. If the probe's confirmed state is
``down``: 503 with its reason. Otherwise 200 (``degraded`` still serves readers).
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.health.probes import why
from chalicelib.platform import clock, config
from chalicelib.store.replicas import STORAGE_ERRORS


def can_serve() -> tuple[bool, dict[str, Any]]:
    from chalicelib.store.models import RegionState

    started = time.perf_counter()
    try:
        item = RegionState.get(f"STATE#{config.settings.region}", "#")
    except RegionState.DoesNotExist:
        item = None
    except STORAGE_ERRORS as exc:
        return False, {"state": "down", "reason": f"comment store unreachable: {why(exc)}"}
    detail: dict[str, Any] = {"latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    if item is None:
        return True, {"state": "unknown", "reason": "no probe report yet", **detail}
    age = clock.now() - clock.parse_rfc3339(item.updated)
    detail.update(state=item.state, since=item.since, report_at=item.updated)
    if age > 3 * float(item.interval or 60) + 60:
        # the store answered just now; the probe itself has stopped reporting
        detail.update(state="unknown", reason=f"no probe report since {item.updated}")
        return True, detail
    if item.state == "down":
        return False, {**detail, "reason": item.reason or "the probe finds this region down"}
    if item.reason:
        detail["reason"] = item.reason
    return True, detail
