"""What the API answered: 202 (queued), 503 (refused) and other 5xx, counted per minute.

The HTTP middleware counts each such answer (:func:`count_outcome`) per region and minute,
and per site; the probe's ``responses`` check and the daily digest read the counts back
(:func:`outcomes`). CloudWatch gets the same counts as EMF metrics.
"""

from __future__ import annotations

from chalicelib.platform import clock, config
from chalicelib.platform.logs import logger
from chalicelib.store import ephemeral

#: Counts are kept as long as probe reports (seconds).
KEEP = 30 * 86400
KINDS = ("queued", "refused", "errors")
METRICS = {"queued": "Queued202", "refused": "Refused503", "errors": "Errors5xx"}


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
    try:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        with single_metric(
            name=METRICS[kind], unit=MetricUnit.Count, value=1, namespace="sidenote"
        ) as metric:
            metric.add_dimension(name="region", value=region)
        ephemeral.add_outcome(region, clock.rfc3339(now)[:16], kind, site, now + KEEP)
    except Exception as exc:  # counting must never break a response
        logger.info("outcome not counted", extra={"error": repr(exc)[:200]})


def outcomes(region: str, start: float, end: float, site: str | None = None) -> dict[str, int]:
    """202 / 503 / 5xx counts of ``region`` between two times (whole minutes), of every
    site or of ``site``. Storage errors propagate."""
    totals = dict.fromkeys(KINDS, 0)
    for minute in ephemeral.read_outcomes(
        region, clock.rfc3339(start)[:16], clock.rfc3339(end)[:16]
    ):
        for kind in totals:
            totals[kind] += minute.get(f"{kind}@{site}" if site else kind, 0)
    return totals
