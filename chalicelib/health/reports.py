"""Health reports: states with hysteresis, storage, alerts on change, metrics, outcome counts.

Each probe run (:func:`probe_and_record`) stores its report (30 days), adds it to a
15-minute bucket (timeline, availability, p95 latency), and moves this region's state:
a new state needs ``config.settings.probe_confirm`` consecutive probes that agree. Only a change of
state (or the recovery to ok) sends an alert, with the reason in plain words.

The overall state (ok if every region is ok, down if every region is down, else degraded) is
kept by the home region (the first of ``config.settings.regions`` in sorted order), so each item has
one writer. A region with no report for a while counts as down.

If the store itself fails, the last state is kept in memory so the probe can still alert.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from chalicelib.health.probes import STATES, Report, why, worst
from chalicelib.platform import clients, clock, config, tracing
from chalicelib.platform.logs import logger
from chalicelib.store.replicas import STORAGE_ERRORS

REPORT_TTL = 30 * 86400
BUCKET_SECONDS = 15 * 60
OVERALL = "overall"


def home_region() -> str:
    return sorted(config.settings.regions)[0]


def _expires(now: float, ttl: float = REPORT_TTL):
    return clock.at(now + ttl)


def bucket_key(ts: float) -> str:
    start = ts - ts % BUCKET_SECONDS
    return clock.rfc3339(start)[:16]


# --- states and hysteresis ----------------------------------------------------------------


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


def _load(key: str) -> State | None:
    from chalicelib.store.models import RegionState

    try:
        item = RegionState.get(f"STATE#{key}", "#", consistent_read=True)
    except RegionState.DoesNotExist:
        return _memory.get(key)
    except STORAGE_ERRORS as exc:
        logger.warning("state unreadable, using memory", extra={"error": why(exc)})
        return _memory.get(key)
    fields = {name: getattr(item, name) for name in State.__dataclass_fields__}
    fields["streak"] = int(fields["streak"] or 0)
    fields["interval"] = float(fields["interval"] or 60)
    return State(**fields)


def _save(key: str, state: State, now: float) -> bool:
    from chalicelib.store.models import RegionState

    _memory[key] = state
    try:
        RegionState(f"STATE#{key}", "#", expires=_expires(now), **vars(state)).save()
    except STORAGE_ERRORS as exc:
        logger.warning("state not stored", extra={"error": why(exc)})
        return False
    return True


def load_states(keys: list[str]) -> dict[str, State | None]:
    """States of several regions (and ``overall``) in one BatchGet."""
    from chalicelib.store.models import RegionState

    found: dict[str, State | None] = dict.fromkeys(keys)
    for item in RegionState.batch_get([(f"STATE#{k}", "#") for k in keys]):
        key = item.pk.removeprefix("STATE#")
        fields = {name: getattr(item, name) for name in State.__dataclass_fields__}
        fields["streak"] = int(fields["streak"] or 0)
        fields["interval"] = float(fields["interval"] or 60)
        found[key] = State(**fields)
    return found


def overall_of(states: dict[str, State | None], now: float) -> str:
    seen = ["down" if s is None or s.stale(now) else s.state for s in states.values()]
    if all(s == "ok" for s in seen):
        return "ok"
    if all(s == "down" for s in seen):
        return "down"
    return "degraded"


# --- recording a probe --------------------------------------------------------------------


@dataclass
class RecordedProbe:
    """One probe, recorded: its report, the region's state after it, the overall state (home
    region only) and the alert sent, if any."""

    report: Report
    state: State
    changed: bool
    overall: State | None
    alert: str | None


def _store_report(report: Report, state: str, now: float) -> None:
    from chalicelib.store.models import ProbeReport, StatusBucket

    body = json.dumps(report.to_dict(), separators=(",", ":"))
    ProbeReport(
        f"PROBE#{report.region}",
        report.at,
        region=report.region,
        observed=report.state,
        state=state,
        report=body,
        expires=_expires(now),
    ).save()
    bucket = StatusBucket(f"BUCKET#{report.region}", bucket_key(now))
    actions = [
        getattr(StatusBucket, state).add(1),
        StatusBucket.expires.set(_expires(now)),
        StatusBucket.kind.set(StatusBucket),  # an update doesn't write the discriminator
    ]
    if report.latency_ms is not None:
        latencies = StatusBucket.latencies
        actions.append(latencies.set((latencies | []).append([report.latency_ms])))
    bucket.update(actions=actions)


def _words(name: str, old: State | None, new: State, now: float) -> str:
    if new.state == "ok":
        lasted = ""
        if old is not None and old.since:
            minutes = max(1, round((now - clock.parse_rfc3339(old.since)) / 60))
            lasted = f" after {minutes} min {old.state}"
        return f"{name} has recovered{lasted}: everything works again."
    return f"{name} is {new.state}: {new.reason or 'no reason given'}."


def probe_and_record(now: float | None = None, *, metrics: bool = True) -> RecordedProbe:
    """Probe this region, store the report, move the states, alert on change, emit metrics."""
    from chalicelib.health import probes

    now = clock.now() if now is None else now
    report = probes.run(now)
    region = report.region
    previous = _load(region)
    state, changed = advance(
        previous, report.state, report.reason, now, config.settings.probe_confirm
    )
    state.interval = config.settings.probe_interval
    state.report = json.dumps(report.to_dict(), separators=(",", ":"))
    lines = [_words(f"Region {region}", previous, state, now)] if changed else []

    overall: State | None = None
    if region == home_region():
        overall, overall_changed = _advance_overall(region, state, now)
        if overall_changed and overall is not None:
            lines.append(f"Overall, sidenote is {overall.state}.")
            if not changed:
                lines.insert(0, _words("sidenote", None, overall, now))
    alert = " ".join(lines) if lines else None
    pending = state.alert_pending
    state.alert_pending = None
    for message in (pending, alert):
        if message and not send_alert(region, message):
            state.alert_pending = message
    stored = _save(region, state, now)
    with tracing.subsegment("probe.store", region=region, state=state.state):
        try:
            if stored:  # else the same table would only time out again
                _store_report(report, state.state, now)
        except STORAGE_ERRORS as exc:
            logger.warning("report not stored", extra={"error": why(exc)})
    if metrics:
        emit_metrics(report, state)
    logger.info(
        "probe",
        extra={
            "region": region,
            "observed": report.state,
            "state": state.state,
            "reason": report.reason,
        },
    )
    return RecordedProbe(report, state, changed, overall, alert)


def _advance_overall(region: str, mine: State, now: float) -> tuple[State | None, bool]:
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
    previous = _load(OVERALL)
    # Region states already carry hysteresis: the overall state follows them directly.
    overall, changed = advance(previous, observed, "; ".join(reasons), now, 1)
    overall.interval = config.settings.probe_interval
    _save(OVERALL, overall, now)
    return overall, changed


# --- alerts and metrics -------------------------------------------------------------------


def _sns() -> Any:
    return clients.client("sns")


def send_alert(region: str, message: str) -> bool:
    """Publish an alert; False if it could not be sent (it is retried with the next probe)."""
    logger.warning("health alert", extra={"alert": message, "region": region})
    topic = config.settings.alert_topic_arn
    if not topic:
        return True
    subject = f"sidenote {config.settings.stage} {region}: " + (
        "recovered" if "recovered" in message.split(":")[0] else "state changed"
    )
    try:
        _sns().publish(TopicArn=topic, Subject=subject[:99], Message=message)
    except STORAGE_ERRORS as exc:
        logger.error("alert not sent", extra={"error": why(exc)})
        return False
    return True


def emit_metrics(report: Report, state: State) -> None:
    """CloudWatch embedded metric format (one log line), through Powertools Metrics."""
    from aws_lambda_powertools.metrics import Metrics, MetricUnit

    metrics = Metrics(namespace="sidenote", service="sidenote")
    metrics.add_dimension(name="region", value=report.region)
    metrics.add_metric(name="StateLevel", unit=MetricUnit.Count, value=STATES.index(state.state))
    metrics.add_metric(name="ProbeOk", unit=MetricUnit.Count, value=int(report.state == "ok"))
    for key, name in (("write_ms", "CanaryWriteLatency"), ("read_ms", "CanaryReadLatency")):
        value = report.value("canary", key)
        if value is not None:
            metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)
    for key, name in (("backlog", "QueueBacklog"), ("dead_letters", "DeadLetters")):
        value = report.value("queue", key)
        if value is not None:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    lag = report.value("replication", "lag_s") or {}
    if lag:
        metrics.add_metric(name="ReplicationLag", unit=MetricUnit.Seconds, value=max(lag.values()))
    waiting = report.value("moderation", "waiting") or {}
    metrics.add_metric(name="ModerationBacklog", unit=MetricUnit.Count, value=sum(waiting.values()))
    for key, name in (("queued", "Queued202"), ("refused", "Refused503"), ("errors", "Errors5xx")):
        value = report.value("responses", key)
        if value is not None:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()


# --- outcome counts (202 / 503 / 5xx), written by the HTTP middleware ----------------------


def _client() -> Any:
    """A DynamoDB client with tight limits: counting must not slow a failing request much."""
    endpoint = config.settings.dynamodb_endpoint or None
    return clients.client("dynamodb", endpoint=endpoint, connect=0.3, read=0.3, attempts=1)


def outcome_kind(status: int) -> str | None:
    if status == 202:
        return "queued"
    if status == 503:
        return "refused"
    if status >= 500:
        return "errors"
    return None


def count_outcome(status: int, site: str | None, now: float | None = None) -> None:
    """Count a 202, 503 or other 5xx answer (per region and minute, and per site). Best
    effort: one bounded call, failures ignored; EMF metrics carry the same counts."""
    kind = outcome_kind(status)
    if kind is None:
        return
    now = clock.now() if now is None else now
    region = config.settings.region
    names = {"#k": kind, "#kind": "kind", "#exp": "expires"}
    expression = "ADD #k :one"
    if site:
        names["#s"] = f"{kind}@{site}"
        expression += ", #s :one"
    try:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        metric = {"queued": "Queued202", "refused": "Refused503", "errors": "Errors5xx"}[kind]
        with single_metric(name=metric, unit=MetricUnit.Count, value=1, namespace="sidenote") as m:
            m.add_dimension(name="region", value=region)
        _client().update_item(
            TableName=config.settings.ephemeral_table,
            Key={"pk": {"S": f"OUTCOMES#{region}"}, "sk": {"S": clock.rfc3339(now)[:16]}},
            UpdateExpression=expression + " SET #kind = :kind, #exp = :exp",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":kind": {"S": "outcomes"},
                ":exp": {"N": str(int(now + REPORT_TTL))},
            },
        )
    except Exception as exc:  # counting must never break a response
        logger.info("outcome not counted", extra={"error": repr(exc)[:200]})


def _outcome_items(region: str, start: str, end: str) -> list[dict[str, Any]]:
    from chalicelib.store.models import EphemeralItem

    connection = EphemeralItem._get_connection()
    items, last = [], None
    while True:
        page = connection.query(
            f"OUTCOMES#{region}",
            EphemeralItem.sk.between(start, end),
            exclusive_start_key=last,
        )
        items += page.get("Items", [])
        last = page.get("LastEvaluatedKey")
        if not last:
            return items


def outcomes(region: str, start: float, end: float, site: str | None = None) -> dict[str, int]:
    """202 / 503 / 5xx counts of ``region`` between two times (whole minutes)."""
    totals = {"queued": 0, "refused": 0, "errors": 0}
    for item in _outcome_items(region, clock.rfc3339(start)[:16], clock.rfc3339(end)[:16]):
        for kind in totals:
            name = f"{kind}@{site}" if site else kind
            if name in item:
                totals[kind] += int(item[name]["N"])
    return totals


def recent_outcomes(region: str, start: float, end: float) -> dict[str, int]:
    return outcomes(region, start, end)


# --- reading reports back -----------------------------------------------------------------


def buckets(region: str, start: float, end: float) -> list[Any]:
    from chalicelib.store.models import StatusBucket

    return list(
        StatusBucket.query(
            f"BUCKET#{region}", StatusBucket.sk.between(bucket_key(start), bucket_key(end))
        )
    )


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def status(now: float | None = None) -> dict[str, Any]:
    """The public status: overall and per-region states with their latest reports."""
    now = clock.now() if now is None else now
    regions = sorted(config.settings.regions)
    states = load_states([*regions, OVERALL])
    per_region = []
    for region in regions:
        state = states[region]
        view = {
            "region": region,
            **(
                state.public(now)
                if state
                else {
                    "status": "unknown",
                    "since": None,
                    "reason": "no report yet",
                    "updated": None,
                }
            ),
        }
        view["report"] = _public_report(json.loads(state.report)) if state else None
        per_region.append(view)
    region_states = {r: states[r] for r in regions}
    overall = overall_of(region_states, now) if any(region_states.values()) else "unknown"
    return {"status": overall, "generated": clock.rfc3339(now), "regions": per_region}


def _public_report(report: dict[str, Any]) -> dict[str, Any]:
    """A stored report without anything a stranger shouldn't see (no table names, no
    per-site moderation backlogs)."""
    if not report:
        return report
    checks = []
    for check in report.get("checks", []):
        check = dict(check)
        if check["name"] == "tables":
            check["values"] = {}
        if check["name"] == "moderation":  # per-site backlogs are the sites' business
            waiting = sum((check.get("values") or {}).get("waiting", {}).values())
            check["values"] = {"waiting": waiting}
            check["detail"] = f"{waiting} comments waiting for a moderator (all sites)"
        checks.append(check)
    return {**report, "checks": checks}


def timeline(region: str, now: float, hours: int = 24) -> list[dict[str, Any]]:
    """One slot per 15 minutes over the last ``hours``: the worst state seen, and counts."""
    found = {b.sk: b for b in buckets(region, now - hours * 3600, now)}
    first = now - hours * 3600
    first -= first % BUCKET_SECONDS
    slots = []
    for i in range(hours * 3600 // BUCKET_SECONDS + 1):
        start = first + i * BUCKET_SECONDS
        if start > now:
            break
        b = found.get(bucket_key(start))
        counts = {s: int(getattr(b, s) or 0) for s in STATES} if b else dict.fromkeys(STATES, 0)
        seen = [s for s in STATES if counts[s]]
        slots.append(
            {"start": clock.rfc3339(start), "state": worst(seen) if seen else "none", **counts}
        )
    return slots
