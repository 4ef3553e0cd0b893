"""Can this region serve? A fast check for ``/health`` (Route 53 health checks).

One GetItem: this region's latest stored state (written by the probe every minute). If the
read fails, the store can't serve threads here: 503. If the probe's confirmed state is
``down``: 503 with its reason. Otherwise 200 (``degraded`` still serves readers).
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.health.probes import why
from chalicelib.health.states import State
from chalicelib.platform import clock, config
from chalicelib.store import ephemeral
from chalicelib.store.replicas import STORAGE_ERRORS


def can_serve() -> tuple[bool, dict[str, Any]]:
    started = time.perf_counter()
    try:
        fields = ephemeral.read_state(config.settings.region, consistent=False)
    except STORAGE_ERRORS as exc:
        return False, {"state": "down", "reason": f"comment store unreachable: {why(exc)}"}
    detail: dict[str, Any] = {"latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    if fields is None:
        return True, {"state": "unknown", "reason": "no probe report yet", **detail}
    state = State(**fields)
    age = clock.now() - clock.parse_rfc3339(state.updated)
    detail.update(state=state.state, since=state.since, report_at=state.updated)
    if age > 3 * state.interval + 60:
        # the store answered just now; the probe itself has stopped reporting
        detail.update(state="unknown", reason=f"no probe report since {state.updated}")
        return True, detail
    if state.state == "down":
        return False, {**detail, "reason": state.reason or "the probe finds this region down"}
    if state.reason:
        detail["reason"] = state.reason
    return True, detail
