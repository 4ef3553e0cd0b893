"""Health records in the ephemeral table: region states, probe reports, 15-minute buckets.

``STATE#<region>`` / ``STATE#overall`` hold a confirmed state with its hysteresis fields;
``PROBE#<region>`` one item per probe run; ``BUCKET#<region>`` per 15-minute slot the number
of probes that found each state and their canary latencies. Each item has one writer (its
region; the home region for ``overall``). What the fields mean is
:mod:`chalicelib.health.states`' business: this module only stores and reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform import clock
from chalicelib.store.models import ProbeReport, RegionState, StatusBucket

#: The fields of a stored state, as :func:`read_state` returns them.
STATE_FIELDS = (
    "state", "since", "reason", "candidate", "streak", "updated", "interval", "report",
    "alert_pending",
)  # fmt: skip
#: The states a bucket counts.
BUCKET_STATES = ("ok", "degraded", "down")


def _state_fields(item: RegionState) -> dict[str, Any]:
    fields = {name: getattr(item, name) for name in STATE_FIELDS}
    fields["streak"] = int(fields["streak"] or 0)
    fields["interval"] = float(fields["interval"] or 60)
    return fields


def read_state(key: str, *, consistent: bool = True) -> dict[str, Any] | None:
    """The stored state of ``key`` (a region or ``overall``) as :data:`STATE_FIELDS`, or None
    when there is none. One GetItem; storage errors propagate."""
    try:
        item = RegionState.get(f"STATE#{key}", "#", consistent_read=consistent)
    except RegionState.DoesNotExist:
        return None
    return _state_fields(item)


def read_states(keys: list[str]) -> dict[str, dict[str, Any]]:
    """The stored states of several keys in one BatchGetItem (missing keys are absent)."""
    found: dict[str, dict[str, Any]] = {}
    for item in RegionState.batch_get([(f"STATE#{k}", "#") for k in keys]):
        found[item.pk.removeprefix("STATE#")] = _state_fields(item)
    return found


def write_state(key: str, fields: dict[str, Any], expires: float) -> None:
    """Store the state of ``key`` (every :data:`STATE_FIELDS` field), kept until ``expires``."""
    values = {name: fields[name] for name in STATE_FIELDS}
    RegionState(f"STATE#{key}", "#", expires=clock.at(expires), **values).save()


def write_probe(
    region: str, at: str, observed: str, state: str, report: str, expires: float
) -> None:
    """Store one probe run of ``region`` (``at``: its RFC 3339 time; ``report``: JSON)."""
    ProbeReport(
        f"PROBE#{region}",
        at,
        region=region,
        observed=observed,
        state=state,
        report=report,
        expires=clock.at(expires),
    ).save()


def count_in_bucket(
    region: str, slot: str, state: str, latency_ms: float | None, expires: float
) -> None:
    """Add one probe that found ``state`` (and its latency, if measured) to a slot's bucket.
    One UpdateItem: the region's only writer adds, never reads."""
    bucket = StatusBucket(f"BUCKET#{region}", slot)
    actions = [
        getattr(StatusBucket, state).add(1),
        StatusBucket.expires.set(clock.at(expires)),
        StatusBucket.kind.set(StatusBucket),  # an update doesn't write the discriminator
    ]
    if latency_ms is not None:
        latencies = StatusBucket.latencies
        actions.append(latencies.set((latencies | []).append([latency_ms])))
    bucket.update(actions=actions)


@dataclass
class Bucket:
    """One 15-minute slot of a region: probes per state and their canary latencies (ms)."""

    slot: str
    counts: dict[str, int]
    latencies: list[float] = field(default_factory=list)


def read_buckets(region: str, first_slot: str, last_slot: str) -> list[Bucket]:
    """``region``'s buckets from ``first_slot`` to ``last_slot`` (both included), oldest first."""
    items = StatusBucket.query(f"BUCKET#{region}", StatusBucket.sk.between(first_slot, last_slot))
    return [
        Bucket(
            item.sk,
            {state: int(getattr(item, state) or 0) for state in BUCKET_STATES},
            [float(v) for v in item.latencies or []],
        )
        for item in items
    ]
