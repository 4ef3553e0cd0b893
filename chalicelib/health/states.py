"""Region states with hysteresis, and the overall state.

A region's state moves only when ``config.settings.probe_confirm`` consecutive probes agree
on a new one (:func:`advance`). The overall state (ok if every region is ok, down if every
region is down, else degraded) is kept by the home region (the first of
``config.settings.regions`` in sorted order), so each stored state has one writer. A region
with no report for three probe intervals counts as down.

If the store itself fails, the last states are kept in memory so the probe can still alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.health.probes import why
from chalicelib.platform import clock, config
from chalicelib.platform.logs import logger
from chalicelib.store import ephemeral
from chalicelib.store.replicas import STORAGE_ERRORS

#: States and probe reports are kept this long (seconds).
REPORT_TTL = 30 * 86400
OVERALL = "overall"


def home_region() -> str:
    return sorted(config.settings.regions)[0]


@dataclass
class State:
    state: str
    since: str
    reason: str = ""
    candidate: str | None = None
    streak: int = 0
    updated: str = ""
    interval: float = 60.0
    report: str = "{}"
    alert_pending: str | None = None

    def stale(self, now: float) -> bool:
        """No report for more than three probe intervals (plus a minute of slack)."""
        if not self.updated:
            return True
        return now - clock.parse_rfc3339(self.updated) > 3 * self.interval + 60

    def public(self, now: float) -> dict[str, Any]:
        stale = self.stale(now)
        view = {
            "status": "down" if stale else self.state,
            "since": self.since,
            "reason": (f"no report since {self.updated}" if stale else self.reason),
            "updated": self.updated,
        }
        if self.candidate and not stale:
            view["changing_to"] = self.candidate
        return view


#: Last known states, for when the store can't be read (the probe still alerts).
_memory: dict[str, State] = {}


def forget() -> None:
    """Drop the in-memory states (tests)."""
    _memory.clear()


def advance(
    previous: State | None, observed: str, reason: str, now: float, need: int
) -> tuple[State, bool]:
    """The next state after a probe that observed ``observed``; True if the state changed.

    The first probe ever sets the state directly (a change only if it isn't ok).
    """
    stamp = clock.rfc3339(now)
    if previous is None:
        return State(observed, stamp, reason, updated=stamp), observed != "ok"
    state = State(**vars(previous))
    state.updated = stamp
    if observed == state.state:
        state.candidate, state.streak = None, 0
        state.reason = reason
        return state, False
    if observed == state.candidate:
        state.streak += 1
    else:
        state.candidate, state.streak = observed, 1
    if state.streak >= need:
        state.state, state.since, state.reason = observed, stamp, reason
        state.candidate, state.streak = None, 0
        return state, True
    return state, False


def load(key: str) -> State | None:
    """The stored state of ``key`` (a region or ``overall``); the remembered one when there
    is none stored or the store can't be read."""
    try:
        fields = ephemeral.read_state(key)
    except STORAGE_ERRORS as exc:
        logger.warning("state unreadable, using memory", extra={"error": why(exc)})
        return _memory.get(key)
    return _memory.get(key) if fields is None else State(**fields)


def save(key: str, state: State, now: float) -> bool:
    """Remember and store ``state``; False if the store refused it."""
    _memory[key] = state
    try:
        ephemeral.write_state(key, vars(state), now + REPORT_TTL)
    except STORAGE_ERRORS as exc:
        logger.warning("state not stored", extra={"error": why(exc)})
        return False
    return True


def load_states(keys: list[str]) -> dict[str, State | None]:
    """States of several regions (and ``overall``) in one BatchGet; None where none is stored.
    Storage errors propagate."""
    found = ephemeral.read_states(keys)
    return {key: State(**found[key]) if key in found else None for key in keys}


def overall_of(states: dict[str, State | None], now: float) -> str:
    seen = ["down" if s is None or s.stale(now) else s.state for s in states.values()]
    if all(s == "ok" for s in seen):
        return "ok"
    if all(s == "down" for s in seen):
        return "down"
    return "degraded"


def advance_overall(region: str, mine: State, now: float) -> tuple[State | None, bool]:
    """Move the overall state (home region only) after ``region``'s state became ``mine``."""
    keys = list(config.settings.regions)
    try:
        states = load_states([k for k in keys if k != region]) if len(keys) > 1 else {}
    except STORAGE_ERRORS:
        states = {k: _memory.get(k) for k in keys if k != region}
    states[region] = mine
    observed = overall_of(states, now)
    reasons = [
        f"{k}: {'no recent report' if s is None or s.stale(now) else s.reason}"
        for k, s in sorted(states.items())
        if s is None or s.stale(now) or s.state != "ok"
    ]
    previous = load(OVERALL)
    # Region states already carry hysteresis: the overall state follows them directly.
    overall, changed = advance(previous, observed, "; ".join(reasons), now, 1)
    overall.interval = config.settings.probe_interval
    save(OVERALL, overall, now)
    return overall, changed
