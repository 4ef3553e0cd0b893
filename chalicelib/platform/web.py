"""HTTP plumbing shared by every route: JSON bodies, caching, CORS, and the one place
where errors become responses."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from chalice import Response
from chalice.app import Request
from pynamodb.exceptions import PynamoDBException

from chalicelib.platform.errors import (
    CommentTooLarge,
    InvalidRequest,
    OriginNotAllowed,
    RequestTooLarge,
    SidenoteError,
)
from chalicelib.platform.logs import bind_request, logger
from chalicelib.platform.validation import MAX_BODY_BYTES

JSON = "application/json"
#: Short freshness, then stale copies while revalidating or while the origin fails.
READ_CACHE = "public, max-age=15, stale-while-revalidate=60, stale-if-error=86400"
STATIC_CACHE = "public, max-age=86400, stale-while-revalidate=604800, stale-if-error=604800"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
ALLOWED_HEADERS = "Content-Type, Idempotency-Key, X-Edit-Token"
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def dumps(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        body=dumps(body) if body is not None else "",
        status_code=status,
        headers={"Content-Type": f"{JSON}; charset=utf-8", "Cache-Control": "no-store",
                 **(headers or {})},
    )  # fmt: skip


def cacheable(
    request: Request,
    body: str | bytes,
    *,
    content_type: str = f"{JSON}; charset=utf-8",
    cache: str = READ_CACHE,
) -> Response:
    """A cacheable 200 with an ETag, or 304 when the client holds the same version."""
    raw = body.encode() if isinstance(body, str) else body
    etag = '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Origin"}
    presented = (request.headers or {}).get("if-none-match", "")
    if etag in {tag.strip().removeprefix("W/") for tag in presented.split(",")}:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=body, status_code=200, headers={"Content-Type": content_type, **headers})


def cacheable_json(request: Request, body: Any) -> Response:
    return cacheable(request, dumps(body))


def json_body(request: Request, *, comment: bool = False) -> Any:
    """The request's JSON body. Raises a clear 4xx for empty, oversized or malformed bodies.

    ``comment``: the body carries a comment, so an oversized one is ``CommentTooLarge``
    (the contract's code for POST/PATCH of a comment); elsewhere ``RequestTooLarge``.
    """
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        error = CommentTooLarge if comment else RequestTooLarge
        raise error(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    if not raw.strip():
        raise InvalidRequest("The request needs a JSON body.")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # deeply nested arrays
        raise InvalidRequest("The body is not valid JSON (UTF-8).") from exc


def client_ip(request: Request) -> str | None:
    identity = (request.context or {}).get("identity") or {}
    return identity.get("sourceIp") or None


def header(request: Request, name: str) -> str | None:
    return (request.headers or {}).get(name.lower())


def error_response(error: SidenoteError) -> Response:
    return json_response(
        {"Code": error.code, "Message": error.message},
        status=error.STATUS_CODE,
        headers=error.headers,
    )


#: The request being handled (set by :func:`edge`): storage_guard needs its method.
_current: ContextVar[Request | None] = ContextVar("sidenote_request", default=None)
#: Routes that read although they are POSTs (a long list of thread keys).
READ_POSTS = {"/sites/{site}/counts"}
DEGRADED_CACHE = "public, max-age=5, stale-while-revalidate=30, stale-if-error=86400"


def _is_read(request: Request | None) -> bool:
    if request is None:
        return True
    if request.method in {"GET", "HEAD"}:
        return True
    return (request.context or {}).get("resourcePath") in READ_POSTS


def mark_degraded(response: Response, region: str) -> Response:
    """A response served from ``region``'s replica: header, JSON flag, shorter caching."""
    headers = response.headers
    headers["X-Sidenote-Degraded"] = f"fallback-region={region}"
    if response.status_code == 200 and "Cache-Control" in headers:
        headers["Cache-Control"] = DEGRADED_CACHE
    if response.status_code == 200 and headers.get("Content-Type", "").startswith(JSON):
        try:
            body = json.loads(response.body)
        except (TypeError, ValueError):
            return response
        if isinstance(body, dict):
            body["degraded"] = True
            response.body = dumps(body)
            if "ETag" in headers:
                digest = hashlib.blake2b(response.body.encode(), digest_size=12).hexdigest()
                headers["ETag"] = f'"{digest}"'
    return response


def storage_guard(view: Callable[..., Any]) -> Callable[..., Any]:
    """What a view does when the database fails (DESIGN, "Failure behaviour").

    Reads: this region's replica, else a fallback region's replica, marked degraded
    (``X-Sidenote-Degraded`` and ``"degraded": true``); 503 ``Unavailable`` only when no
    replica answers — never a 500. Writes that reach here unhandled (posting a comment
    queues it instead, see writequeue.py): 503 ``ReadOnly`` with ``Retry-After``.
    Chalice converts any other exception to a 500 before middleware sees it.
    """

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        from chalicelib.platform.errors import ReadOnly, Unavailable
        from chalicelib.store import replicas

        if _is_read(_current.get()):
            try:
                response, region = replicas.read_marked(lambda: view(*args, **kwargs))
            except (PynamoDBException, BotoCoreError, ClientError) as exc:
                logger.warning("no replica answers", extra={"error": repr(exc)[:300]})
                raise Unavailable("The comment store is not answering; try again shortly.") from exc
            if region is not None:
                logger.warning("served from a fallback replica", extra={"fallback": region})
                if isinstance(response, Response):
                    response = mark_degraded(response, region)
            return response
        try:
            return view(*args, **kwargs)
        except (PynamoDBException, BotoCoreError, ClientError) as exc:
            replicas.writes.trip()
            logger.warning("storage refuses a write", extra={"error": repr(exc)[:300]})
            raise ReadOnly(
                "The comment store cannot take changes right now; try again in a minute.",
                retry_after=30,
            ) from exc

    return guarded


def _public_site_id(event: Request) -> str | None:
    params = event.uri_params or {}
    if "site" in params and "/moderation" not in (event.path or ""):
        return params["site"]
    return None


def _allowed_origin(site_id: str, origin: str) -> bool | None:
    """Whether ``origin`` is one of the site's origins; None when the site is unknown or
    cannot be read right now (the view then answers with the right error)."""
    from chalicelib.platform.errors import SiteNotFound
    from chalicelib.store.sites import get_site

    try:
        return origin.lower() in get_site(site_id).origins
    except (SiteNotFound, PynamoDBException, BotoCoreError, ClientError):
        return None


def edge(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Middleware body: log context, origin checks for writes, errors → HTTP, CORS grant."""
    site_id = (event.uri_params or {}).get("site")
    bind_request((event.context or {}).get("requestId"), site_id, event.method, event.path)
    origin = header(event, "origin")
    public_site = _public_site_id(event)
    _current.set(event)
    try:
        writing = public_site and origin and event.method in WRITE_METHODS
        if writing and _allowed_origin(public_site, origin) is False:
            raise OriginNotAllowed(f"Comments on this site can't be posted from {origin}.")
        response = get_response(event)
    except SidenoteError as error:
        response = error_response(error)
    if public_site and origin and _allowed_origin(public_site, origin):
        response.headers.update({
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": "ETag, Retry-After, X-Sidenote-Degraded",
            "Vary": "Origin",
        })  # fmt: skip
    if response.status_code >= 500:
        logger.warning("request failed", extra={"status": response.status_code})
    return response


def preflight(event: Request) -> Response:
    """Answer a CORS preflight; the grant itself is added by :func:`edge`."""
    return Response(
        body="", status_code=204,
        headers={"Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
                 "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                 "Access-Control-Max-Age": "600"},
    )  # fmt: skip
