"""Public routes of threads: read, post, edit and delete comments; counts; feeds."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.platform import static, web
from chalicelib.platform.errors import InvalidRequest
from chalicelib.platform.validation import (
    check_idempotency_key,
    parse_edit,
    parse_limit,
    parse_new_comment,
)
from chalicelib.resilience.guard import storage_guard
from chalicelib.routes.params import optional_thread_key, query, thread_key
from chalicelib.store import comments, sites
from chalicelib.store.ephemeral import idempotency
from chalicelib.threads import authoring, posting

bp = Blueprint(__name__)
JSON = ["application/json"]
#: Orders of a thread's comments (``sort``); the first is the default.
SORTS = ("oldest", "newest")


@bp.route("/sites/{site}/comments", methods=["GET"])
@storage_guard
def list_comments(site: str) -> Response:
    """List a page of a thread's visible comments, with the thread's meta and count."""
    request = bp.current_request
    config = sites.get_site(site)
    sort = query(request, "sort") or SORTS[0]
    if sort not in SORTS:
        raise InvalidRequest("'sort' must be 'oldest' or 'newest'.")
    page = comments.list_thread(
        config, thread_key(request), sort=sort, limit=parse_limit(query(request, "limit")),
        cursor=query(request, "cursor"),
    )  # fmt: skip
    return web.cacheable_json(request, page)


@bp.route("/sites/{site}/comments", methods=["POST"], content_types=JSON)
@storage_guard
def post_comment(site: str) -> Response:
    """Post a comment (201 stored, 202 queued while the table refuses writes)."""
    request = bp.current_request
    config = sites.get_site(site)
    key = thread_key(request)
    body = web.json_body(request, comment=True)
    new = parse_new_comment(
        body,
        max_length=config.max_length,
        require_author=config.require_author,
        require_email=config.require_email,
    )
    idempotency_key = check_idempotency_key(web.header(request, "idempotency-key"))
    status, payload = posting.post(
        config, key, new, ip=web.client_ip(request), idempotency_key=idempotency_key,
        body_hash=idempotency.request_hash(key, body) if idempotency_key else None,
    )  # fmt: skip
    return web.json_response(payload, status=status)


@bp.route("/sites/{site}/comments/{comment_id}", methods=["PATCH"], content_types=JSON)
@storage_guard
def edit_comment(site: str, comment_id: str) -> Response:
    """Edit the text of one's own comment within the edit window (X-Edit-Token)."""
    request = bp.current_request
    config = sites.get_site(site)
    text = parse_edit(web.json_body(request, comment=True), max_length=config.max_length)
    token = web.header(request, "x-edit-token")
    ip = web.client_ip(request)
    return web.json_response(authoring.edit_own(config, comment_id, token, text, ip=ip))


@bp.route("/sites/{site}/comments/{comment_id}", methods=["DELETE"])
@storage_guard
def delete_comment(site: str, comment_id: str) -> Response:
    """Delete one's own comment within the edit window; replies keep their place."""
    request = bp.current_request
    config = sites.get_site(site)
    authoring.delete_own(config, comment_id, web.header(request, "x-edit-token"))
    return Response(body="", status_code=204)


@bp.route("/sites/{site}/counts", methods=["GET"])
@storage_guard
def get_counts(site: str) -> Response:
    """Approved comment and linkback counts of 1–100 threads (repeated ``thread`` parameters)."""
    request = bp.current_request
    config = sites.get_site(site)
    params = request.query_params
    given = params.getlist("thread") if params and "thread" in params else []
    found, linkbacks = comments.counts_with_linkbacks(config, given)
    return web.cacheable_json(request, {"counts": found, "trackbacks": linkbacks})


@bp.route("/sites/{site}/counts", methods=["POST"], content_types=JSON)
@storage_guard
def post_counts(site: str) -> Response:
    """Approved comment and linkback counts of 1–100 threads (a JSON ``threads`` list)."""
    request = bp.current_request
    config = sites.get_site(site)
    body = web.json_body(request)
    given = body.get("threads") if isinstance(body, dict) else None
    found, linkbacks = comments.counts_with_linkbacks(config, given)
    return web.cacheable_json(request, {"counts": found, "trackbacks": linkbacks})


@bp.route("/sites/{site}/feed.atom", methods=["GET"])
@storage_guard
def feed(site: str) -> Response:
    """Atom feed of the newest approved comments of a site, or of one thread."""
    from chalicelib.threads.feed import atom

    request = bp.current_request
    config = sites.get_site(site)
    thread = optional_thread_key(request)
    document = atom(static.base_url(request), config, thread, comments.latest(config, thread))
    return web.cacheable(request, document, content_type="application/atom+xml; charset=utf-8")


@bp.route("/sites/{site}/comments", methods=["OPTIONS"])
@bp.route("/sites/{site}/comments/{comment_id}", methods=["OPTIONS"])
@bp.route("/sites/{site}/counts", methods=["OPTIONS"])
def preflight(**_: str) -> Response:
    """Answer a CORS preflight (the grant itself is added by the edge middleware)."""
    return web.preflight(bp.current_request)
