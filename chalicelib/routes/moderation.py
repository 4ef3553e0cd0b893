"""Moderation routes (per-site moderator keys), the moderation page and its schedule.

Every path with ``/moderation/`` passes :func:`chalicelib.routes.middleware.moderation_guard`
(401 / 403 / 429) before its view; API Gateway runs :func:`moderator_key` first in AWS.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.moderation import audit, auth, bans, page, site_admin
from chalicelib.moderation import service as moderation
from chalicelib.platform import static, web
from chalicelib.platform.errors import NotFound
from chalicelib.platform.validation import parse_edit
from chalicelib.resilience.guard import storage_guard
from chalicelib.routes.params import optional_thread_key, query, thread_key
from chalicelib.store import sites

bp = Blueprint(__name__)
JSON = ["application/json"]


@bp.authorizer(ttl_seconds=auth.CACHE_SECONDS)  # the longest a revoked key still works
def moderator_key(auth_request: Any) -> Any:
    """API Gateway authorizer: a moderator key in ``Authorization: Bearer``."""
    return auth.authorizer_response(auth_request.token)


def _moderator() -> auth.Moderator:
    return auth.current(bp.current_request)


@bp.route("/sites/{site}/moderation/comments", methods=["GET"], authorizer=moderator_key)
@storage_guard
def moderation_list(site: str) -> Response:
    """List comments by status (the queue by default), newest first, with cursors."""
    request = bp.current_request
    config = sites.get_site(site)
    listing = moderation.list_comments(
        config, query(request, "status"), thread=optional_thread_key(request),
        cursor=query(request, "cursor"),
        limit=moderation.parse_page_limit(query(request, "limit")),
        sort=query(request, "sort") or "newest",
    )  # fmt: skip
    return web.json_response(listing)


def _act(site: str, comment_id: str, action: str) -> Response:
    result = moderation.act(sites.get_site(site), comment_id, action, _moderator())
    return web.json_response(result)


@bp.route("/sites/{site}/moderation/comments/{comment_id}/approve", methods=["POST"],
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_approve(site: str, comment_id: str) -> Response:
    """Approve a held comment (or one marked spam)."""
    return _act(site, comment_id, "approve")


@bp.route("/sites/{site}/moderation/comments/{comment_id}/spam", methods=["POST"],
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_spam(site: str, comment_id: str) -> Response:
    """Mark a comment as spam (hidden; restorable)."""
    return _act(site, comment_id, "spam")


@bp.route("/sites/{site}/moderation/comments/{comment_id}/delete", methods=["POST"],
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_delete(site: str, comment_id: str) -> Response:
    """Delete a comment as a moderator (restorable)."""
    return _act(site, comment_id, "delete")


@bp.route("/sites/{site}/moderation/comments/{comment_id}/restore", methods=["POST"],
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_restore(site: str, comment_id: str) -> Response:
    """Return a spam or deleted comment to its status before the moderator's action."""
    return _act(site, comment_id, "restore")


@bp.route("/sites/{site}/moderation/comments/{comment_id}", methods=["PATCH"],
          content_types=JSON, authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_edit(site: str, comment_id: str) -> Response:
    """Replace a comment's text as a moderator (re-rendered)."""
    request = bp.current_request
    config = sites.get_site(site)
    text = parse_edit(web.json_body(request, comment=True), max_length=config.max_length)
    return web.json_response(moderation.edit(config, comment_id, text, _moderator()))


@bp.route("/sites/{site}/moderation/bulk", methods=["POST"], content_types=JSON,
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_bulk(site: str) -> Response:
    """Apply one action to up to 100 comments."""
    body = web.json_body(bp.current_request)
    return web.json_response(moderation.bulk(sites.get_site(site), body, _moderator()))


@bp.route("/sites/{site}/moderation/bans", methods=["POST"], content_types=JSON,
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_ban(site: str) -> Response:
    """Ban an e-mail address, an IP address or range, or a comment's author."""
    body = web.json_body(bp.current_request)
    result = bans.ban(sites.get_site(site), body, _moderator())
    return web.json_response(result, status=201)


@bp.route("/sites/{site}/moderation/bans", methods=["GET"], authorizer=moderator_key)
@storage_guard
def moderation_bans(site: str) -> Response:
    """List the site's bans (labels only, never the banned values)."""
    return web.json_response(bans.list_bans(sites.get_site(site)))


@bp.route("/sites/{site}/moderation/bans/{ban_id}", methods=["DELETE"],
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_unban(site: str, ban_id: str) -> Response:
    """Lift a ban."""
    bans.unban(sites.get_site(site), ban_id, _moderator())
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})


@bp.route("/sites/{site}/moderation/threads", methods=["PATCH"], content_types=JSON,
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_lock(site: str) -> Response:
    """Lock or unlock a thread (no new comments while locked)."""
    request = bp.current_request
    config = sites.get_site(site)
    body = web.json_body(request)
    return web.json_response(site_admin.lock(config, thread_key(request), body, _moderator()))


@bp.route("/sites/{site}/moderation/settings", methods=["GET"], authorizer=moderator_key)
@storage_guard
def moderation_settings(site: str) -> Response:
    """The site's settings (moderation mode, origins, limits, notifications)."""
    sites.get_site(site)
    return web.json_response(site_admin.get_settings(site))


@bp.route("/sites/{site}/moderation/settings", methods=["PATCH"], content_types=JSON,
          authorizer=moderator_key)  # fmt: skip
@storage_guard
def moderation_update_settings(site: str) -> Response:
    """Change some of the site's settings."""
    sites.get_site(site)
    body = web.json_body(bp.current_request)
    return web.json_response(site_admin.update_settings(site, body, _moderator()))


@bp.route("/sites/{site}/moderation/audit", methods=["GET"], authorizer=moderator_key)
@storage_guard
def moderation_audit(site: str) -> Response:
    """The site's moderation audit log, newest first, with cursors."""
    request = bp.current_request
    sites.get_site(site)
    limit = moderation.parse_page_limit(query(request, "limit"))
    return web.json_response(audit.audit_log(site, cursor=query(request, "cursor"),
                                                  limit=limit))  # fmt: skip


@bp.route("/sites/{site}/moderation/report", methods=["GET"], authorizer=moderator_key)
@storage_guard
def moderation_report(site: str) -> Response:
    """The site's daily digest for one UTC day (``day=YYYY-MM-DD``, default yesterday)."""
    from chalicelib.health import digest

    request = bp.current_request
    config = sites.get_site(site)
    _moderator()  # the moderation guard has checked the key; this names who asked
    found = digest.report_for(config, digest.parse_day(query(request, "day")))
    if found is None:
        raise NotFound("There is no report for that day.")
    return web.json_response(found)


@bp.route("/moderate", methods=["GET"])
def moderate_page() -> Response:
    """The moderation page (HTML; the key is entered in the page, never in the URL)."""
    return page.page(bp.current_request)


@bp.route("/moderate.js", methods=["GET"])
def moderate_js() -> Response:
    """The moderation page's script."""
    return static.asset(bp.current_request, "moderate.js")


@bp.schedule("rate(5 minutes)", name="notify_moderators")
def notify_moderators(event: Any) -> None:
    """Send each site's moderators one summary of newly held comments."""
    from chalicelib.moderation import notify

    notify.flush()
