"""sidenote's route table: parse the request, call chalicelib, return the response.

Importing this module needs no AWS access and no environment variable.
"""

from __future__ import annotations

from chalice import Chalice, Response

from chalicelib.platform import static, tracing, web
from chalicelib.platform.config import settings
from chalicelib.platform.errors import InvalidRequest
from chalicelib.platform.validation import (
    check_idempotency_key,
    normalize_thread_key,
    parse_edit,
    parse_limit,
    parse_new_comment,
)
from chalicelib.resilience import writequeue
from chalicelib.store import comments, sites
from chalicelib.store.idempotency import fingerprint

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
    body = web.json_body(_request(), comment=True)
    new = parse_new_comment(
        body,
        max_length=config.max_length,
        require_author=config.require_author,
        require_email=config.require_email,
    )
    idempotency_key = check_idempotency_key(web.header(_request(), "idempotency-key"))
    status, payload = writequeue.post(
        config, key, new, ip=web.client_ip(_request()), idempotency_key=idempotency_key,
        body_hash=fingerprint(key, body) if idempotency_key else None,
    )  # fmt: skip
    return web.json_response(payload, status=status)


@app.route("/sites/{site}/comments/{comment_id}", methods=["PATCH"], content_types=JSON)
@web.storage_guard
def edit_comment(site: str, comment_id: str) -> Response:
    config = sites.get_site(site)
    text = parse_edit(web.json_body(_request(), comment=True), max_length=config.max_length)
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
    from chalicelib.threads.feed import atom

    config = sites.get_site(site)
    thread = _thread() if _query("thread") is not None else None
    document = atom(static.base_url(_request()), config, thread, comments.latest(config, thread))
    return web.cacheable(_request(), document, content_type="application/atom+xml; charset=utf-8")


@app.route("/sites/{site}/comments", methods=["OPTIONS"])
@app.route("/sites/{site}/comments/{comment_id}", methods=["OPTIONS"])
@app.route("/sites/{site}/counts", methods=["OPTIONS"])
def preflight(**_: str) -> Response:
    return web.preflight(_request())


# --- durable write queue (comments accepted while the table refused them) -----------------


@app.on_sqs_message(queue=settings.write_queue, batch_size=10)
def store_queued_comments(event) -> dict:
    return writequeue.handle_batch(event)


# --- service ------------------------------------------------------------------------------


@app.route("/health", methods=["GET"])
def health() -> Response:
    from chalicelib.health import readiness as probe

    ok, detail = probe.can_serve()
    return web.json_response(
        {"status": "ok" if ok else "down", "region": settings.region, **detail},
        status=200 if ok else 503,
    )


@app.route("/openapi.json", methods=["GET"])
def openapi() -> Response:
    from chalicelib.routes.openapi import document

    return web.cacheable_json(_request(), document(static.base_url(_request())))


# --- moderation: per-site moderator keys (chalicelib/auth.py, moderation.py) -------------
# Every path with /moderation/ is checked by auth.guard (401 / 403 / 429) before its view.


def _moderation_guard(event, get_response):
    from chalicelib.moderation import auth

    return auth.guard(event, get_response)


app.register_middleware(_moderation_guard, "http")


@app.authorizer(ttl_seconds=30)  # auth.CACHE_SECONDS: the longest a revoked key still works
def moderator_key(auth_request):
    from chalicelib.moderation import auth

    return auth.authorizer_response(auth_request.token)


def _moderation():
    from chalicelib.moderation import service as moderation

    return moderation


def _moderator():
    from chalicelib.moderation import auth

    return auth.current(_request())


@app.route("/sites/{site}/moderation/comments", methods=["GET"], authorizer=moderator_key)
@web.storage_guard
def moderation_list(site: str) -> Response:
    m = _moderation()
    config = sites.get_site(site)
    thread = _thread() if _query("thread") is not None else None
    page = m.list_comments(
        config, _query("status"), thread=thread, cursor=_query("cursor"),
        limit=m.parse_page_limit(_query("limit")), sort=_query("sort") or "newest",
    )  # fmt: skip
    return web.json_response(page)


def _act(site: str, comment_id: str, action: str) -> Response:
    result = _moderation().act(sites.get_site(site), comment_id, action, _moderator())
    return web.json_response(result)


@app.route("/sites/{site}/moderation/comments/{comment_id}/approve", methods=["POST"],
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_approve(site: str, comment_id: str) -> Response:
    return _act(site, comment_id, "approve")


@app.route("/sites/{site}/moderation/comments/{comment_id}/spam", methods=["POST"],
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_spam(site: str, comment_id: str) -> Response:
    return _act(site, comment_id, "spam")


@app.route("/sites/{site}/moderation/comments/{comment_id}/delete", methods=["POST"],
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_delete(site: str, comment_id: str) -> Response:
    return _act(site, comment_id, "delete")


@app.route("/sites/{site}/moderation/comments/{comment_id}/restore", methods=["POST"],
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_restore(site: str, comment_id: str) -> Response:
    return _act(site, comment_id, "restore")


@app.route("/sites/{site}/moderation/comments/{comment_id}", methods=["PATCH"],
           content_types=JSON, authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_edit(site: str, comment_id: str) -> Response:
    config = sites.get_site(site)
    text = parse_edit(web.json_body(_request(), comment=True), max_length=config.max_length)
    return web.json_response(_moderation().edit(config, comment_id, text, _moderator()))


@app.route("/sites/{site}/moderation/bulk", methods=["POST"], content_types=JSON,
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_bulk(site: str) -> Response:
    body = web.json_body(_request())
    return web.json_response(_moderation().bulk(sites.get_site(site), body, _moderator()))


@app.route("/sites/{site}/moderation/bans", methods=["POST"], content_types=JSON,
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_ban(site: str) -> Response:
    body = web.json_body(_request())
    result = _moderation().ban(sites.get_site(site), body, _moderator())
    return web.json_response(result, status=201)


@app.route("/sites/{site}/moderation/bans", methods=["GET"], authorizer=moderator_key)
@web.storage_guard
def moderation_bans(site: str) -> Response:
    return web.json_response(_moderation().list_bans(sites.get_site(site)))


@app.route("/sites/{site}/moderation/bans/{ban_id}", methods=["DELETE"],
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_unban(site: str, ban_id: str) -> Response:
    _moderation().unban(sites.get_site(site), ban_id, _moderator())
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})


@app.route("/sites/{site}/moderation/threads", methods=["PATCH"], content_types=JSON,
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_lock(site: str) -> Response:
    config = sites.get_site(site)
    body = web.json_body(_request())
    return web.json_response(_moderation().lock(config, _thread(), body, _moderator()))


@app.route("/sites/{site}/moderation/settings", methods=["GET"], authorizer=moderator_key)
@web.storage_guard
def moderation_settings(site: str) -> Response:
    sites.get_site(site)
    return web.json_response(_moderation().get_settings(site))


@app.route("/sites/{site}/moderation/settings", methods=["PATCH"], content_types=JSON,
           authorizer=moderator_key)  # fmt: skip
@web.storage_guard
def moderation_update_settings(site: str) -> Response:
    sites.get_site(site)
    body = web.json_body(_request())
    return web.json_response(_moderation().update_settings(site, body, _moderator()))


@app.route("/sites/{site}/moderation/audit", methods=["GET"], authorizer=moderator_key)
@web.storage_guard
def moderation_audit(site: str) -> Response:
    m = _moderation()
    sites.get_site(site)
    return web.json_response(
        m.audit_log(site, cursor=_query("cursor"), limit=m.parse_page_limit(_query("limit")))
    )


@app.route("/moderate", methods=["GET"])
def moderate_page() -> Response:
    return _moderation().page(_request())


@app.route("/moderate.js", methods=["GET"])
def moderate_js() -> Response:
    return static.asset(_request(), "moderate.js")


@app.schedule("rate(5 minutes)", name="notify_moderators")
def notify_moderators(event) -> None:
    from chalicelib.moderation import notify

    notify.flush()


# --- health reports: probes, status page and feed, digest (chalicelib/reports.py …) ------


@app.schedule("rate(1 minute)", name="probe")
def probe(event) -> None:
    from chalicelib.health import probes, reports

    with probes.budget():  # tight DynamoDB limits: a hung store must not eat the timeout
        reports.probe_and_record()


@app.schedule("cron(5 0 * * ? *)", name="daily_digest")
def daily_digest(event) -> None:
    from chalicelib.health import digest

    digest.run()


def _count_outcomes(event, get_response):
    """Count 202 / 503 / 5xx answers for the probes (best effort, lazily imported)."""
    from chalicelib.platform.errors import SidenoteError

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
        if status == 202 or status >= 500:
            from chalicelib.health import reports

            reports.count_outcome(status, (event.uri_params or {}).get("site"))


app.register_middleware(_count_outcomes, "http")


@app.route("/status", methods=["GET"])
def status_json() -> Response:
    from chalicelib.health import statuspage

    body, ok = statuspage.read()
    return web.json_response(body, status=200 if ok else 503)


@app.route("/status.html", methods=["GET"])
def status_html() -> Response:
    from chalicelib.health import statuspage

    body, ok = statuspage.read()
    return Response(
        body=statuspage.html(static.base_url(_request()), body),
        status_code=200 if ok else 503,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


@app.route("/status.atom", methods=["GET"])
@web.storage_guard
def status_atom() -> Response:
    from chalicelib.health import notes, statuspage

    document = statuspage.atom(static.base_url(_request()), notes.recent())
    return web.cacheable(_request(), document, content_type="application/atom+xml; charset=utf-8")


@app.route("/sites/{site}/status", methods=["GET"])
@web.storage_guard
def site_status(site: str) -> Response:
    from chalicelib.health import statuspage

    summary = statuspage.site_summary(static.base_url(_request()), sites.get_site(site))
    return web.cacheable_json(_request(), summary)


@app.route("/sites/{site}/moderation/report", methods=["GET"], authorizer=moderator_key)
@web.storage_guard
def moderation_report(site: str) -> Response:
    from chalicelib.health import digest

    config = sites.get_site(site)
    _moderator()  # the moderation guard has checked the key; this names who asked
    found = digest.report_for(config, digest.parse_day(_query("day")))
    if found is None:
        from chalicelib.platform.errors import NotFound

        raise NotFound("There is no report for that day.")
    return web.json_response(found)


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
