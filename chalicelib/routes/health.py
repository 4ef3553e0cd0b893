"""Health routes and schedules: /health, the public status (JSON, HTML, Atom), per-site
status, the probe and the daily digest."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.platform import config, static, web
from chalicelib.resilience.guard import storage_guard
from chalicelib.store import sites

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
def health() -> Response:
    """Can this region serve? 200 or 503 (Route 53 health checks)."""
    from chalicelib.health import readiness

    ok, detail = readiness.can_serve()
    return web.json_response(
        {"status": "ok" if ok else "down", "region": config.settings.region, **detail},
        status=200 if ok else 503,
    )


@bp.route("/status", methods=["GET"])
def status_json() -> Response:
    """The service's public status: overall and per region, timeline, notes."""
    from chalicelib.health import statuspage

    body, ok = statuspage.read()
    return web.json_response(body, status=200 if ok else 503)


@bp.route("/status.html", methods=["GET"])
def status_html() -> Response:
    """The public status page for people."""
    from chalicelib.health import statuspage

    request = bp.current_request
    body, ok = statuspage.read()
    return Response(
        body=statuspage.html(static.base_url(request), body),
        status_code=200 if ok else 503,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


@bp.route("/status.atom", methods=["GET"])
@storage_guard
def status_atom() -> Response:
    """Atom feed of the operators' incident notes."""
    from chalicelib.health import notes, statuspage

    request = bp.current_request
    document = statuspage.atom(static.base_url(request), notes.recent())
    return web.cacheable(request, document, content_type="application/atom+xml; charset=utf-8")


@bp.route("/sites/{site}/status", methods=["GET"])
@storage_guard
def site_status(site: str) -> Response:
    """A site's status summary (what its widget shows in trouble)."""
    from chalicelib.health import statuspage

    request = bp.current_request
    summary = statuspage.site_summary(static.base_url(request), sites.get_site(site))
    return web.cacheable_json(request, summary)


@bp.schedule("rate(1 minute)", name="probe")
def probe(event: Any) -> None:
    """Probe this region, record the report and alert on confirmed state changes."""
    from chalicelib.health import probes, reports

    with probes.budget():  # tight DynamoDB limits: a hung store must not eat the timeout
        reports.probe_and_record()


@bp.schedule("cron(5 0 * * ? *)", name="daily_digest")
def daily_digest(event: Any) -> None:
    """Write yesterday's digest of every site (home region only)."""
    from chalicelib.health import digest

    digest.run()
