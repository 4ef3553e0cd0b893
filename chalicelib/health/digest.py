"""The daily digest of a site: what happened on one UTC day.

- comments posted that day, and what became of them (approved, held for moderation, spam,
  deleted — their status when the digest is made);
- queue events: comments accepted with 202 (queued) and refused with 503, from the per-minute
  outcome counts of every region;
- availability from the probes: the share of probes, across all regions, that found the
  region able to serve (not down), and the share that found it fully ok;
- p95 of the probes' canary latency (a write plus a read, ms).

Made once a day by the home region (the ``daily_digest`` schedule in ``chalicelib/routes/health.py``), stored 400 days, sent
to the site's notify address through SNS, and readable at ``GET /sites/{site}/moderation/report``.
Comment figures come from per-site day counters kept by the comment transactions: no scan.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.health import outcomes, reports, states
from chalicelib.health.probes import why
from chalicelib.platform import clients, clock, config
from chalicelib.platform.logs import logger
from chalicelib.store import ephemeral
from chalicelib.store.replicas import STORAGE_ERRORS

KEEP = 400 * 86400


def yesterday(now: float | None = None) -> str:
    moment = datetime.fromtimestamp(clock.now() if now is None else now, tz=UTC)
    return (moment - timedelta(days=1)).strftime("%Y-%m-%d")


def day_bounds(day: str) -> tuple[float, float]:
    start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    return start, start + 86400 - 1


def comment_counts(day: str, site_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per site: comments created on ``day`` by current status, from the day figures that
    the comment transactions keep (one Query per site; never a scan)."""
    from chalicelib.store import comments

    return {site_id: comments.day_figures(site_id, day) for site_id in site_ids}


def _empty_counts() -> dict[str, int]:
    return {"posted": 0, "approved": 0, "held": 0, "spam": 0, "deleted": 0}


def probe_figures(day: str) -> dict[str, Any]:
    start, end = day_bounds(day)
    per_region: dict[str, Any] = {}
    latencies: list[float] = []
    total = serving = fully_ok = 0
    for region in sorted(config.settings.regions):
        counts = {"ok": 0, "degraded": 0, "down": 0}
        for bucket in reports.buckets(region, start, end):
            for state in counts:
                counts[state] += bucket.counts.get(state, 0)
            latencies += bucket.latencies
        probes = sum(counts.values())
        per_region[region] = {
            "probes": probes,
            **counts,
            "availability_percent": _percent(counts["ok"] + counts["degraded"], probes),
        }
        total += probes
        serving += counts["ok"] + counts["degraded"]
        fully_ok += counts["ok"]
    return {
        "probes": total,
        "availability_percent": _percent(serving, total),
        "ok_percent": _percent(fully_ok, total),
        "p95_probe_latency_ms": reports.p95(latencies),
        "regions": per_region,
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 3) if whole else None


def queue_events(site_id: str, day: str) -> dict[str, int]:
    start, end = day_bounds(day)
    totals = {"queued": 0, "refused": 0, "errors": 0}
    for region in sorted(config.settings.regions):
        for kind, n in outcomes.outcomes(region, start, end, site=site_id).items():
            totals[kind] += n
    return {"queued": totals["queued"], "refused": totals["refused"]}


def build(
    site: Any,
    day: str,
    comments: dict[str, dict[str, int]] | None = None,
    probes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    comments = comment_counts(day, [site.id]) if comments is None else comments
    probes = probe_figures(day) if probes is None else probes
    return {
        "site": site.id,
        "day": day,
        "generated": clock.rfc3339(),
        "comments": comments.get(site.id, _empty_counts()),
        "queue": queue_events(site.id, day),
        "availability_percent": probes["availability_percent"],
        "ok_percent": probes["ok_percent"],
        "p95_probe_latency_ms": probes["p95_probe_latency_ms"],
        "probes": probes["probes"],
        "regions": probes["regions"],
    }


def text(digest: dict[str, Any]) -> str:
    """The digest as a short e-mail."""
    c, q = digest["comments"], digest["queue"]
    availability = digest["availability_percent"]
    p95 = digest["p95_probe_latency_ms"]
    return "\n".join(
        [
            f"sidenote daily digest for {digest['site']}, {digest['day']} (UTC)",
            "",
            f"Comments posted: {c['posted']} — approved {c['approved']}, held {c['held']}, "
            f"spam {c['spam']}, deleted {c['deleted']}",
            f"Queue: {q['queued']} comments queued while the database was unavailable, "
            f"{q['refused']} refused (read-only)",
            "Availability: "
            + (
                f"{availability:g}% of {digest['probes']} probes could serve"
                if availability is not None
                else "no probe reports"
            ),
            "p95 probe latency: " + (f"{p95:g} ms" if p95 is not None else "n/a"),
        ]
    )


def store(digest: dict[str, Any]) -> None:
    ephemeral.write_digest(digest, clock.now() + KEEP)


def stored(site_id: str, day: str | None = None) -> dict[str, Any] | None:
    """The digest of ``day``, or the latest one."""
    if day:
        return ephemeral.read_digest(site_id, day)
    return ephemeral.latest_digest(site_id)


def send(site: Any, digest: dict[str, Any]) -> bool:
    """Publish to the digest topic with the site and its notify address as attributes."""
    topic = config.settings.digest_topic_arn
    if not topic or not site.notify_email:
        return False
    attributes = {
        "site": {"DataType": "String", "StringValue": site.id},
        "notify_email": {"DataType": "String", "StringValue": site.notify_email},
    }
    try:
        clients.client("sns").publish(
            TopicArn=topic,
            Subject=f"sidenote digest: {site.id} {digest['day']}",
            Message=text(digest),
            MessageAttributes=attributes,
        )
    except STORAGE_ERRORS as exc:
        logger.error("digest not sent", extra={"site": site.id, "error": why(exc)})
        return False
    return True


def run(day: str | None = None, *, only_home: bool = True) -> list[dict[str, Any]]:
    """Make, store and send every site's digest for ``day`` (default: yesterday)."""
    from chalicelib.store.sites import list_sites

    if only_home and config.settings.region != states.home_region():
        return []
    day = day or yesterday()
    every_site = list_sites()
    comments = comment_counts(day, [site.id for site in every_site])
    probes = probe_figures(day)
    made = []
    for site in every_site:
        digest = build(site, day, comments, probes)
        store(digest)
        digest["sent"] = send(site, digest)
        made.append(digest)
    return made


def report_for(site: Any, day: str | None) -> dict[str, Any] | None:
    """``GET /sites/{site}/moderation/report[?day=]``: the stored digest; a past day with none
    stored is made (and stored) now; today gives the figures so far (not stored)."""
    today = clock.rfc3339()[:10]
    if day is None:
        found = stored(site.id)
        if found is not None:
            return found
        day = yesterday()
    elif day == today:
        return {**build(site, day), "partial": True}
    found = stored(site.id, day)
    if found is None and day < today:
        found = build(site, day)
        store(found)
    return found


def parse_day(raw: str | None) -> str | None:
    """``?day=YYYY-MM-DD`` (a real date, not in the future) or None."""
    from chalicelib.platform.errors import InvalidRequest

    if raw is None:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").strftime("%Y-%m-%d")
    except ValueError:
        day = ""
    if not day or day != raw or day > clock.rfc3339()[:10]:  # "" (?day=) is no date either
        raise InvalidRequest("'day' must be a date (YYYY-MM-DD), today or earlier.")
    return day
