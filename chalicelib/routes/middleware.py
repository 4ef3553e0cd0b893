"""HTTP middleware, registered in one block by ``app.py``, outermost first.

1. :func:`edge` — log context, origin check for public writes, errors → HTTP (the one place
   a :class:`~chalicelib.platform.errors.SidenoteError` becomes a response), CORS grant.
2. :func:`moderation_guard` — moderator keys on every ``/moderation/`` path (401/403/429).
3. :func:`count_outcomes` — 202/503/5xx answers counted for the health probes.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import Response
from chalice.app import Request

from chalicelib.platform import web
from chalicelib.platform.errors import OriginNotAllowed, SidenoteError, SiteNotFound
from chalicelib.platform.logs import bind_request, logger
from chalicelib.store import replicas, sites


def _public_site_id(event: Request) -> str | None:
    params = event.uri_params or {}
    if "site" in params and "/moderation" not in (event.path or ""):
        return params["site"]
    return None


def _allowed_origin(site_id: str, origin: str) -> bool | None:
    """Whether ``origin`` is one of the site's origins; None when the site is unknown or
    cannot be read right now (the view then answers with the right error)."""
    try:
        return origin.lower() in sites.get_site(site_id).origins
    except (SiteNotFound, *replicas.STORAGE_ERRORS):
        return None


def edge(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Log context, origin checks for writes, errors → HTTP, CORS grant."""
    site_id = (event.uri_params or {}).get("site")
    bind_request((event.context or {}).get("requestId"), site_id, event.method, event.path)
    token = web.set_current_request(event)
    try:
        return _answer(event, get_response)
    finally:
        web.reset_current_request(token)


def _answer(event: Request, get_response: Callable[[Request], Response]) -> Response:
    origin = web.header(event, "origin")
    public_site = _public_site_id(event)
    try:
        writing = public_site and origin and event.method in web.WRITE_METHODS
        if writing and _allowed_origin(public_site, origin) is False:
            raise OriginNotAllowed(f"Comments on this site can't be posted from {origin}.")
        response = web.route_error(event, get_response(event))
    except SidenoteError as error:
        response = web.error_response(error, event)
    if public_site and origin and _allowed_origin(public_site, origin):
        response.headers.update({
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "ETag, Retry-After, X-Sidenote-Degraded",
            "Vary": "Origin",
        })  # fmt: skip
    if response.status_code >= 500:
        logger.warning("request failed", extra={"status": response.status_code})
    return response


def moderation_guard(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Every path with ``/moderation/`` is checked by the moderator-key guard first."""
    from chalicelib.moderation import auth

    return auth.guard(event, get_response)


#: The one route whose 202 means "queued because the table refused it" (a webmention's 202
#: is its normal answer, not a sign of trouble).
QUEUED_ROUTE = "/sites/{site}/comments"


def count_outcomes(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Count queued posts (202 of a comment), 503 and other 5xx answers for the probes
    (best effort, lazily imported)."""
    status = 500
    try:
        response = get_response(event)
    except SidenoteError as error:
        status = error.STATUS_CODE
        raise
    else:
        status = response.status_code
        return response
    finally:
        queued = status == 202 and (event.context or {}).get("resourcePath") == QUEUED_ROUTE
        if queued or status >= 500:
            from chalicelib.health import outcomes

            outcomes.count_outcome(status, (event.uri_params or {}).get("site"))


#: (middleware, event type) in registration order: the first is the outermost.
MIDDLEWARE: tuple[tuple[Callable[..., Response], str], ...] = (
    (edge, "http"),
    (moderation_guard, "http"),
    (count_outcomes, "http"),
)
