"""One probe run: what can this region do right now? Returns a report; stores nothing.

Checks, each giving a state (ok / degraded / down) and a sentence a person can act on:

``tables``       DescribeTable of every table: status and replica status.
``canary``       a write and a strongly consistent read of this region's canary item in the
                 comments table, with latencies. Failed reads: down; failed writes: degraded.
``replication``  age of the other regions' canaries as this replica sees them (each region
                 rewrites its canary every probe, so the age bounds the replication lag).
``queue``        the write queue's backlog and dead-letter depth (SQS).
``moderation``   comments waiting for a decision, per site (information only).
``responses``    202 / 503 / other 5xx answers in the last minutes (from ``outcomes``).
``read_only``    the operator's service-wide read-only switch.
``secret``       the deployment secret: without it comments, edits and moderation get 503.

:mod:`chalicelib.health.reports` turns reports into states (hysteresis), stores them and alerts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.health import outcomes
from chalicelib.platform import clock, config, tokens, tracing
from chalicelib.store import comments, tables
from chalicelib.store.replicas import STORAGE_ERRORS

#: A region's states, best first.
STATES = ("ok", "degraded", "down")
#: A canary write + read slower than this (ms) makes the region degraded.
SLOW_MS = 1000.0
#: A write queue longer than this is degraded (comments wait too long to appear).
BACKLOG_LIMIT = 100
#: Unexpected 5xx answers (not 503) in the window before the region counts as degraded.
ERROR_LIMIT = 5


def worst(states: list[str] | tuple[str, ...]) -> str:
    return max(states, key=STATES.index, default="ok")


def why(exc: BaseException) -> str:
    """A short, readable name for a storage error (the AWS error code where there is one)."""
    code = getattr(exc, "cause_response_code", None)  # PynamoDB wraps the ClientError
    if code:
        return code
    seen: BaseException | None = getattr(exc, "cause", None) or exc
    while seen is not None:
        if isinstance(seen, ClientError):
            return seen.response.get("Error", {}).get("Code") or type(seen).__name__
        if isinstance(seen, BotoCoreError):
            return type(seen).__name__
        seen = seen.__cause__
    return type(exc).__name__


@dataclass
class Finding:
    """What one check of a probe found: a state and a sentence a person can act on."""

    name: str
    state: str
    detail: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    region: str
    at: str
    interval: float
    checks: list[Finding]

    @property
    def state(self) -> str:
        return worst([c.state for c in self.checks])

    @property
    def reason(self) -> str:
        """The non-ok checks in plain words (empty when everything is fine)."""
        bad = sorted(
            (c for c in self.checks if c.state != "ok"), key=lambda c: -STATES.index(c.state)
        )
        return "; ".join(c.detail for c in bad)

    def value(self, check: str, name: str, default: Any = None) -> Any:
        for c in self.checks:
            if c.name == check:
                return c.values.get(name, default)
        return default

    @property
    def latency_ms(self) -> float | None:
        write, read = self.value("canary", "write_ms"), self.value("canary", "read_ms")
        if write is None or read is None:
            return None
        return round(write + read, 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "at": self.at,
            "state": self.state,
            "reason": self.reason,
            "interval": self.interval,
            "checks": [asdict(c) for c in self.checks],
        }


@contextmanager
def budget(connect: float = 0.5, read: float = 1.0, retries: int = 0) -> Iterator[None]:
    """Tighter DynamoDB limits for a probe: each call at most ``connect`` + ``read`` seconds,
    no retries, so a hung store costs the probe seconds, not the Lambda's whole timeout.

    For the probe's own process (the scheduled Lambda, the CLI); the API keeps its limits.
    """
    with tables.call_limits(connect, read, retries):
        yield


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return round((time.perf_counter() - started) * 1000, 1)


# --- checks -------------------------------------------------------------------------------


def check_tables() -> Finding:
    problems, statuses = [], {}
    for table in tables.describe_tables():
        statuses[table.name] = table.status
        if table.error is not None:
            problems.append(f"table {table.name} can't be described ({why(table.error)})")
            continue
        if table.status not in {"ACTIVE", "UPDATING"}:
            problems.append(f"table {table.name} is {table.status}")
        for region, status in table.replicas.items():
            if status not in {"ACTIVE", "UPDATING"}:
                problems.append(f"the {region} replica of {table.name} is {status}")
    state = "degraded" if problems else "ok"
    detail = "; ".join(problems) or "tables and replicas are active"
    return Finding("tables", state, detail, {"status": statuses})


def check_canary(region: str, now: float) -> tuple[Finding, dict[str, float]]:
    """Write then read this region's canary. Returns the check and the other regions'
    canary times (seen in the same Query, so reading costs one call)."""
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    comments.ready_canary()  # make the clients first: time the calls, not setup
    with tracing.subsegment("probe.canary_write", region=region):
        try:
            values["write_ms"] = _timed(lambda: comments.write_canary(region, now))
        except STORAGE_ERRORS as exc:
            problems.append(
                (
                    "degraded",
                    f"comment writes fail in {region} ({why(exc)}): "
                    "new comments are queued or refused",
                )
            )
    others: dict[str, float] = {}
    with tracing.subsegment("probe.canary_read", region=region):
        try:
            started = time.perf_counter()
            seen = comments.read_canaries()
            values["read_ms"] = round((time.perf_counter() - started) * 1000, 1)
            others = {peer: written for peer, written in seen.items() if peer != region}
        except STORAGE_ERRORS as exc:
            problems.append(
                (
                    "down",
                    f"comment reads fail in {region} ({why(exc)}): "
                    "threads can't be served from this region",
                )
            )
    total = values.get("write_ms", 0) + values.get("read_ms", 0)
    if not problems and total > SLOW_MS:
        problems.append(
            (
                "degraded",
                f"the comment store is slow in {region}: a write and a read took {total:.0f} ms",
            )
        )
    if not problems:
        return Finding(
            "canary",
            "ok",
            f"write {values['write_ms']:.0f} ms, read {values['read_ms']:.0f} ms",
            values,
        ), others
    problems.sort(key=lambda problem: -STATES.index(problem[0]))
    state = worst([s for s, _ in problems])
    return Finding("canary", state, "; ".join(d for _, d in problems), values), others


def check_replication(region: str, now: float, seen: dict[str, float], read_ok: bool) -> Finding:
    interval = config.settings.probe_interval
    limit = max(5 * interval, 300.0)
    peers = [r for r in config.settings.regions if r != region]
    if not peers:
        return Finding("replication", "ok", "single region: nothing to replicate")
    if not read_ok:
        return Finding("replication", "ok", "not measured (reads fail)")
    lag = {peer: round(max(0.0, now - seen[peer]), 1) for peer in peers if peer in seen}
    behind = [p for p in peers if p in lag and lag[p] > limit]
    missing = [p for p in peers if p not in lag]
    words = []
    for peer in behind:
        words.append(
            f"replication from {peer} is behind: its newest canary here is "
            f"{lag[peer] / 60:.0f} min old"
        )
    state = "degraded" if behind else "ok"
    detail = "; ".join(words) or (
        "replicas current: " + ", ".join(f"{p} {s:.0f} s" for p, s in lag.items())
        if lag
        else "no canary from the other regions yet"
    )
    return Finding("replication", state, detail, {"lag_s": lag, "missing": missing})


def check_queue() -> Finding:
    """Backlog and dead letters of the durable write queue (``chalicelib.resilience.writequeue``)."""
    try:
        from chalicelib.resilience import writequeue
    except ImportError:
        return Finding("queue", "ok", "no write queue in this build")
    if config.settings.dynamodb_endpoint and not config.settings.sqs_endpoint:
        return Finding("queue", "ok", "no write queue in this local stack")
    try:
        depth = writequeue.depth()
    except STORAGE_ERRORS as exc:
        return Finding(
            "queue",
            "degraded",
            f"the write queue doesn't answer ({why(exc)}): if "
            "the table fails too, comments are refused",
        )
    values = {"backlog": depth.get("queue", 0), "dead_letters": depth.get("dead_letter", 0)}
    problems = []
    if values["backlog"] > BACKLOG_LIMIT:
        problems.append(f"{values['backlog']} queued comments wait to be stored")
    if values["dead_letters"] > 0:
        problems.append(
            f"{values['dead_letters']} queued comments could not be stored and "
            "wait in the dead-letter queue for an operator"
        )
    detail = "; ".join(problems) or (
        f"{values['backlog']} queued, {values['dead_letters']} dead letters"
    )
    return Finding("queue", "degraded" if problems else "ok", detail, values)


def check_moderation() -> Finding:
    """Comments waiting for a decision, per site: one COUNT query per site (information)."""
    from chalicelib.store.sites import list_sites

    try:
        waiting = {s.id: comments.queue_length(s.id) for s in list_sites()}
    except STORAGE_ERRORS as exc:
        return Finding("moderation", "ok", f"not measured ({why(exc)})")
    busy = {site: n for site, n in waiting.items() if n}
    detail = ", ".join(f"{site}: {n} waiting" for site, n in sorted(busy.items()))
    return Finding("moderation", "ok", detail or "no comments waiting", {"waiting": waiting})


def check_responses(region: str, now: float) -> Finding:
    """What the API answered lately: comments queued (202) or refused (503) mean readers
    can't post normally even if the canary gets through; many other 5xx mean a bug."""
    window = max(60.0, 3 * config.settings.probe_interval)
    try:
        counts = outcomes.outcomes(region, now - window, now)
    except STORAGE_ERRORS as exc:
        return Finding("responses", "ok", f"not measured ({why(exc)})")
    minutes = max(1, round(window / 60))
    last = f"in the last {minutes} min" if minutes > 1 else "in the last minute"
    problems = []
    if counts["queued"]:
        problems.append(f"{_n(counts['queued'], 'comment')} queued instead of stored {last}")
    if counts["refused"]:
        problems.append(f"{_n(counts['refused'], 'request')} refused with 503 {last}")
    if counts["errors"] >= ERROR_LIMIT:
        problems.append(f"{_n(counts['errors'], 'request')} failed with an unexpected error {last}")
    if problems:
        return Finding("responses", "degraded", "; ".join(problems), counts)
    detail = (f"{last}: {counts['queued']} queued (202), {counts['refused']} refused (503), "
              f"{counts['errors']} other errors")  # fmt: skip
    return Finding("responses", "ok", detail, counts)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def check_read_only() -> Finding:
    """The operator's deployment-wide read-only switch (environment or stored switch)."""
    from chalicelib.resilience import switches

    switches.clear_cache()  # the probe wants the stored value, not a container's copy
    message = switches.service_message() or config.settings.read_only_message
    if message:
        return Finding(
            "read_only", "degraded", f"writes are switched off by the operator: {message}"
        )
    return Finding("read_only", "ok", "writable")


def check_secret() -> Finding:
    """The deployment secret (:mod:`chalicelib.platform.tokens`): readable, or why not."""
    reason = tokens.problem()
    if reason:
        return Finding(
            "secret",
            "degraded",
            f"comments and moderation are refused: the deployment secret is unavailable ({reason})",
        )
    return Finding("secret", "ok", "the deployment secret is readable")


def run(now: float | None = None) -> Report:
    """Run every check once for this region."""
    region = config.settings.region
    now = clock.now() if now is None else now
    with tracing.subsegment("probe", region=region):
        canary, seen = check_canary(region, now)
        read_ok = "read_ms" in canary.values
        checks = [canary, check_replication(region, now, seen, read_ok), check_secret()]
        if read_ok:
            checks += [
                check_read_only(),
                check_tables(),
                check_queue(),
                check_moderation(),
                check_responses(region, now),
            ]
        else:  # the store doesn't answer: don't pile more timeouts on it
            checks.append(check_queue())
    return Report(region, clock.rfc3339(now), config.settings.probe_interval, checks)
