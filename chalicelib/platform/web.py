"""HTTP plumbing shared by every route: JSON bodies, caching, CORS, and the one place
where errors become responses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from chalice import Response
from chalice.app import Request

from chalicelib.platform.errors import (
    CommentTooLarge,
    InvalidRequest,
    RequestTooLarge,
    SidenoteError,
)
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


#: Routes whose errors are not JSON (TrackBack answers XML): resource path → renderer,
#: registered by the route's blueprint. :func:`error_response` and :func:`route_error` are
#: the one place that applies them.
ERROR_RENDERERS: dict[str, Callable[[str, str, int, dict[str, str]], Response]] = {}


def _renderer(request: Request | None) -> Callable[..., Response] | None:
    if request is None:
        return None
    return ERROR_RENDERERS.get((request.context or {}).get("resourcePath") or "")


def route_error(request: Request, response: Response) -> Response:
    """Chalice's own refusal of a request (415 and the like, JSON ``{"Code","Message"}``)
    in the format of the route, when the route has its own."""
    render = _renderer(request)
    if render is None or response.status_code < 400:
        return response
    body = response.body if isinstance(response.body, dict) else {}
    if isinstance(response.body, str):
        try:
            body = json.loads(response.body)
        except ValueError:
            body = {}
    message = (
        str(body.get("Message") or "The request was refused.") if isinstance(body, dict) else ""
    )
    code = str(body.get("Code") or "InvalidRequest") if isinstance(body, dict) else ""
    headers = {k: v for k, v in (response.headers or {}).items() if k.lower() != "content-type"}
    return render(code, message, response.status_code, headers)


def error_response(error: SidenoteError, request: Request | None = None) -> Response:
    """The response to a domain error: ``{"Code","Message"}`` JSON, or the format of the
    route ``request`` went to (:data:`ERROR_RENDERERS`)."""
    render = _renderer(request)
    if render is not None:
        return render(error.code, error.message, error.STATUS_CODE, error.headers)
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


def current_request() -> Request | None:
    """The request being handled (set by the edge middleware for each request)."""
    return _current.get()


def set_current_request(request: Request | None) -> Token:
    """Mark ``request`` as the one being handled; reset with :func:`reset_current_request`."""
    return _current.set(request)


def reset_current_request(token: Token) -> None:
    _current.reset(token)


def is_read(request: Request | None) -> bool:
    """GET/HEAD, or a POST that only reads (:data:`READ_POSTS`); no request: a read."""
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


def preflight(event: Request) -> Response:
    """Answer a CORS preflight; the grant itself is added by :func:`edge`."""
    return Response(
        body="", status_code=204,
        headers={"Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
                 "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                 "Access-Control-Max-Age": "600"},
    )  # fmt: skip
