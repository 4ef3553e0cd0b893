"""sidenote's route table: parse the request, call chalicelib, return the response.

Importing this module needs no AWS access and no environment variable.
"""

from __future__ import annotations

from chalice import Chalice, Response

from chalicelib import comments, sites, static, tracing, web
from chalicelib.config import settings
from chalicelib.errors import InvalidRequest
from chalicelib.idempotency import fingerprint
from chalicelib.validation import (
    check_idempotency_key,
    normalize_thread_key,
    parse_edit,
    parse_limit,
    parse_new_comment,
)

app = Chalice(app_name="sidenote")
app.register_middleware(web.edge, "http")
tracing.start()

JSON = ["application/json"]


def _request():
    return app.current_request


def _query(name: str) -> str | None:
    return (_request().query_params or {}).get(name)


def _thread() -> str:
    return normalize_thread_key(_query("thread"))


# --- public: threads and comments -------------------------------------------------------


@app.route("/sites/{site}/comments", methods=["GET"])
@web.storage_guard
def list_comments(site: str) -> Response:
    config = sites.get_site(site)
    sort = _query("sort") or "oldest"
    if sort not in {"oldest", "newest"}:
        raise InvalidRequest("'sort' must be 'oldest' or 'newest'.")
    page = comments.list_thread(
        config, _thread(), sort=sort, limit=parse_limit(_query("limit")), cursor=_query("cursor")
    )
    return web.cacheable_json(_request(), page)


@app.route("/sites/{site}/comments", methods=["POST"], content_types=JSON)
@web.storage_guard
def post_comment(site: str) -> Response:
    config = sites.get_site(site)
    key = _thread()
    body = web.json_body(_request())
    new = parse_new_comment(
        body,
        max_length=config.max_length,
        require_author=config.require_author,
        require_email=config.require_email,
    )
    idempotency_key = check_idempotency_key(web.header(_request(), "idempotency-key"))
    status, payload = comments.post(
        config, key, new, ip=web.client_ip(_request()), idempotency_key=idempotency_key,
        body_hash=fingerprint(key, body) if idempotency_key else None,
    )  # fmt: skip
    return web.json_response(payload, status=status)


@app.route("/sites/{site}/comments/{comment_id}", methods=["PATCH"], content_types=JSON)
@web.storage_guard
def edit_comment(site: str, comment_id: str) -> Response:
    config = sites.get_site(site)
    text = parse_edit(web.json_body(_request()), max_length=config.max_length)
    token = web.header(_request(), "x-edit-token")
    return web.json_response(comments.edit_own(config, comment_id, token, text))


@app.route("/sites/{site}/comments/{comment_id}", methods=["DELETE"])
@web.storage_guard
def delete_comment(site: str, comment_id: str) -> Response:
    config = sites.get_site(site)
    comments.delete_own(config, comment_id, web.header(_request(), "x-edit-token"))
    return Response(body="", status_code=204)


@app.route("/sites/{site}/counts", methods=["GET"])
@web.storage_guard
def get_counts(site: str) -> Response:
    config = sites.get_site(site)
    params = _request().query_params
    given = params.getlist("thread") if params else []
    return web.cacheable_json(_request(), {"counts": comments.counts(config, given)})


@app.route("/sites/{site}/counts", methods=["POST"], content_types=JSON)
@web.storage_guard
def post_counts(site: str) -> Response:
    config = sites.get_site(site)
    body = web.json_body(_request())
    given = body.get("threads") if isinstance(body, dict) else None
    return web.cacheable_json(_request(), {"counts": comments.counts(config, given)})


@app.route("/sites/{site}/feed.atom", methods=["GET"])
@web.storage_guard
def feed(site: str) -> Response:
    from chalicelib.feed import atom

    config = sites.get_site(site)
    thread = _thread() if _query("thread") is not None else None
    document = atom(static.base_url(_request()), config, thread, comments.latest(config, thread))
    return web.cacheable(_request(), document, content_type="application/atom+xml; charset=utf-8")


@app.route("/sites/{site}/comments", methods=["OPTIONS"])
@app.route("/sites/{site}/comments/{comment_id}", methods=["OPTIONS"])
@app.route("/sites/{site}/counts", methods=["OPTIONS"])
def preflight(**_: str) -> Response:
    return web.preflight(_request())


# --- service ------------------------------------------------------------------------------


@app.route("/health", methods=["GET"])
def health() -> Response:
    from chalicelib import health as probe

    ok, detail = probe.can_serve()
    return web.json_response(
        {"status": "ok" if ok else "down", "region": settings.region, **detail},
        status=200 if ok else 503,
    )


@app.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.openapi import document

    return web.cacheable_json(_request(), document(static.base_url(_request())))


# --- static: widget and demo --------------------------------------------------------------


@app.route("/embed.js", methods=["GET"])
def embed_js() -> Response:
    return static.asset(_request(), "embed.js")


@app.route("/haloscan/{name}", methods=["GET"])
def haloscan_js(name: str) -> Response:
    return static.haloscan(_request(), name)


@app.route("/demo", methods=["GET"])
def demo_index() -> Response:
    return static.page(_request(), "demo/index.html")


@app.route("/demo/{page}", methods=["GET"])
def demo_page(page: str) -> Response:
    return static.page(_request(), f"demo/{page}.html")
