"""Health reports: a probe run recorded, alerts on change, metrics, and reading them back.

Each probe run (:func:`probe_and_record`) stores its report (30 days), adds it to a
15-minute bucket (timeline, availability, p95 latency), and moves this region's state and,
in the home region, the overall state (:mod:`chalicelib.health.states`: hysteresis). Only a
change of state (or the recovery to ok) sends an alert, with the reason in plain words.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from chalicelib.health import probes, states
from chalicelib.health.probes import STATES, Report, why, worst
from chalicelib.health.states import (
    OVERALL,
    REPORT_TTL,
    State,
    advance,
    advance_overall,
    load,
    load_states,
    overall_of,
    save,
)
from chalicelib.platform import clients, clock, config, tracing
from chalicelib.platform.logs import logger
from chalicelib.store import ephemeral
from chalicelib.store.ephemeral import Bucket
from chalicelib.store.replicas import STORAGE_ERRORS

BUCKET_SECONDS = 15 * 60


def bucket_key(ts: float) -> str:
    start = ts - ts % BUCKET_SECONDS
    return clock.rfc3339(start)[:16]


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
    body = json.dumps(report.to_dict(), separators=(",", ":"))
    expires = now + REPORT_TTL
    ephemeral.write_probe(report.region, report.at, report.state, state, body, expires)
    ephemeral.count_in_bucket(report.region, bucket_key(now), state, report.latency_ms, expires)


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
    now = clock.now() if now is None else now
    report = probes.run(now)
    region = report.region
    previous = load(region)
    state, changed = advance(
        previous, report.state, report.reason, now, config.settings.probe_confirm
    )
    state.interval = config.settings.probe_interval
    state.report = json.dumps(report.to_dict(), separators=(",", ":"))
    lines = [_words(f"Region {region}", previous, state, now)] if changed else []

    overall: State | None = None
    if region == states.home_region():
        overall, overall_changed = advance_overall(region, state, now)
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
    stored = save(region, state, now)
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


# --- reading reports back -----------------------------------------------------------------


def buckets(region: str, start: float, end: float) -> list[Bucket]:
    """``region``'s 15-minute buckets from the one holding ``start`` to the one holding ``end``."""
    return ephemeral.read_buckets(region, bucket_key(start), bucket_key(end))


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
    found = {b.slot: b for b in buckets(region, now - hours * 3600, now)}
    first = now - hours * 3600
    first -= first % BUCKET_SECONDS
    slots = []
    for i in range(hours * 3600 // BUCKET_SECONDS + 1):
        start = first + i * BUCKET_SECONDS
        if start > now:
            break
        b = found.get(bucket_key(start))
        counts = {s: b.counts.get(s, 0) for s in STATES} if b else dict.fromkeys(STATES, 0)
        seen = [s for s in STATES if counts[s]]
        slots.append(
            {"start": clock.rfc3339(start), "state": worst(seen) if seen else "none", **counts}
        )
    return slots
