"""Moderation: the queue, actions on comments, bans, thread locks, settings, the audit log.

Counts stay exact: a status change is one DynamoDB transaction holding the comment's update
(conditioned on the status it was read with, so two moderators cannot both count the same
change), ``±1`` on THIS region's counter item when the comment enters or leaves
``approved``, and the audit entry. A condition failure re-reads the comment and decides
again. Actions that change nothing (approving an approved comment) are 200 no-ops and
write nothing — safe to retry, safe in bulk.

Folders (the sparse ``queue`` index, key ``queue_site``): pending comments under
``<site>``, spam under ``<site>#spam``, moderator-deleted under ``<site>#deleted``;
approved comments are listed from the ``feed`` index. With ``thread`` a listing is one
Query of the thread's partition, filtered by status. Never a scan.

A moderator's delete keeps the content (``restore`` brings it back, to the status it had:
``prior``); an author's own delete erases it, so it cannot be restored or approved.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from chalicelib.moderation.auth import Moderator
from chalicelib.platform import clock, config, tokens
from chalicelib.platform.errors import (
    BanNotFound,
    InvalidCursor,
    InvalidRequest,
    InvalidTransition,
    NotFound,
    SidenoteError,
)
from chalicelib.store import comments, sites
from chalicelib.store.models import AuditEntry, Comment, Counter, KnownAuthor, ThreadMeta
from chalicelib.store.sites import SiteConfig

STATUSES = ("pending", "approved", "spam", "deleted")
ACTIONS = {"approve": "approved", "spam": "spam", "delete": "deleted", "restore": None}
MAX_BULK = 100
#: Moderation listings' default page size (the range is validation's PAGE_MIN..PAGE_MAX).
PAGE_DEFAULT = 50
AUDIT_TEXT_CHARS = 2000
_ATTEMPTS = 4


# --- views --------------------------------------------------------------------------------


def comment_view(comment: Comment) -> dict[str, Any]:
    """What a moderator sees: the public fields plus status, thread, e-mail, IP hash, source."""
    view = comments.public_view(comment)
    if comment.status == "deleted" and comment.prior:  # moderator-deleted: content kept
        view.update(author=comment.author, website=comment.website, html=comment.html)
    view.update(
        status=comment.status,
        thread=comment.thread,
        email=comment.email,
        ip_hash=comment.ip_hash,
        text=comment.text,
        url=comment.url,
        prior=comment.prior,
        has_replies=bool(comment.has_replies),
        restorable=comment.status == "spam"
        or (comment.status == "deleted" and comment.prior is not None),
    )
    return view


def ban_view(ban: Any) -> dict[str, Any]:
    now = clock.now()
    return {
        "id": ban.id,
        "target": ban.target,
        "label": ban.label or ban.target,
        "reason": ban.reason or "",
        "created": ban.created,
        "until": ban.until,
        "active": ban.until is None or clock.parse_rfc3339(ban.until) > now,
        "by": ban.key_id,
    }


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "time": entry.time,
        "key_id": entry.key_id,
        "key_name": entry.key_name,
        "action": entry.action,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
    }


# --- cursors (signed: a cursor reaches only the listing that issued it) ---------------------


def _encode_cursor(scope: str, key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True)
    tag = tokens.keyed_hash("moderation-cursor", f"{scope}\x00{raw}", 16)
    return base64.urlsafe_b64encode(f"{tag}{raw}".encode()).decode().rstrip("=")


def _decode_cursor(scope: str, cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, raw = text[:16], text[16:]
        expected = tokens.keyed_hash("moderation-cursor", f"{scope}\x00{raw}", 16)
        if not hmac.compare_digest(tag.encode(), expected.encode()):  # str: ASCII only
            raise ValueError("tag")
        key = json.loads(raw)
        if not isinstance(key, dict):
            raise ValueError("shape")
        return key
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not valid for this listing; start again.") from exc


def parse_page_limit(raw: str | None, default: int = PAGE_DEFAULT) -> int:
    from chalicelib.platform.validation import parse_limit

    return parse_limit(raw, default=default)


# --- the queue and other listings ----------------------------------------------------------


def list_comments(
    site: SiteConfig,
    status: str | None,
    *,
    thread: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = "newest",
) -> dict[str, Any]:
    """A page of the site's comments in one status (default ``pending``), newest first."""
    from chalicelib.store.models import ThreadItem

    status = status or "pending"
    if status not in STATUSES:
        raise InvalidRequest(f"'status' must be one of {', '.join(STATUSES)}.")
    if sort not in {"newest", "oldest"}:
        raise InvalidRequest("'sort' must be 'newest' or 'oldest'.")
    scope = f"comments\x00{site.id}\x00{status}\x00{thread or ''}\x00{sort}"
    start = _decode_cursor(scope, cursor)
    connection = ThreadItem._get_connection()
    forward = sort == "oldest"
    if thread is not None:
        response = connection.query(
            comments.thread_pk(site.id, thread),
            range_key_condition=ThreadItem.sk.startswith(comments.COMMENT_PREFIX),
            filter_condition=Comment.status == status,
            scan_index_forward=forward,
            exclusive_start_key=start,
            limit=limit,
        )
    elif status == "approved":
        response = connection.query(
            site.id, index_name="feed", scan_index_forward=forward,
            exclusive_start_key=start, limit=limit,
        )  # fmt: skip
    else:
        response = connection.query(
            comments.queue_key(site.id, status), index_name="queue",
            scan_index_forward=forward, exclusive_start_key=start, limit=limit,
        )  # fmt: skip
    found = [ThreadItem.from_raw_data(raw) for raw in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return {
        "comments": [
            comment_view(c) for c in found if isinstance(c, Comment) and c.status == status
        ],
        "cursor": _encode_cursor(scope, last) if last else None,
    }


def get_comment(site: SiteConfig, comment_id: str) -> dict[str, Any]:
    return {"comment": comment_view(comments.find(site, comment_id))}


# --- actions on comments ------------------------------------------------------------------


def _audit_item(
    site_id: str, who: Moderator, action: str, target: str, before: Any, after: Any
) -> AuditEntry:
    entry_id = str(ULID())
    return AuditEntry(
        f"AUDIT#{site_id}", entry_id, id=entry_id, site=site_id, key_id=who.key_id,
        key_name=who.name or "", action=action, target=target, before=before, after=after,
        time=clock.rfc3339(),
    )  # fmt: skip


def record(
    site_id: str, who: Moderator, action: str, target: str, before: Any = None, after: Any = None
) -> None:
    """Write an audit entry for an action that is not itself a transaction."""
    _audit_item(site_id, who, action, target, before, after).save()


def _target_status(comment: Comment, action: str) -> str:
    erased = comment.status == "deleted" and comment.prior is None
    if action == "restore":
        if comment.status not in {"deleted", "spam"}:
            return comment.status
        if erased:
            raise InvalidTransition("Its author deleted this comment; it cannot be restored.")
        return comment.prior if comment.prior in {"approved", "pending"} else "pending"
    if erased and action == "approve":
        raise InvalidTransition("Its author deleted this comment; it cannot be approved.")
    return ACTIONS[action]


def _transition(
    site: SiteConfig, comment: Comment, new: str, who: Moderator, action: str
) -> str | None:
    """Store the change (one transaction); returns the ``prior`` it recorded."""
    old = comment.status
    prior: str | None = None
    delta = (new == "approved") - (old == "approved")
    actions = [Comment.status.set(new)]
    actions.append(
        Comment.feed_site.set(site.id) if new == "approved" else Comment.feed_site.remove()
    )
    folder = comments.queue_key(site.id, new)
    actions.append(Comment.queue_site.set(folder) if folder else Comment.queue_site.remove())
    if new in {"spam", "deleted"}:
        prior = old if old in {"approved", "pending"} else comment.prior
        actions.append(Comment.prior.set(prior) if prior else Comment.prior.remove())
    else:
        actions.append(Comment.prior.remove())
    audit = _audit_item(
        site.id, who, action, f"comment:{comment.id}",
        {"status": old, "thread": comment.thread}, {"status": new, "thread": comment.thread},
    )  # fmt: skip

    def build(tx: Any, with_parent: bool) -> None:
        tx.update("comment", comment, actions=actions, condition=Comment.status == old)
        if delta:
            tx.update(
                "counter",
                Counter(comment.pk, comments.counter_sk(config.settings.region)),
                actions=[Counter.kind.set(Counter), Counter.n.add(delta)],
            )
        if new == "approved" and comment.email:
            author_pk = comments._author_pk(site.id, comment.email)
            tx.put("author", KnownAuthor(author_pk, "#AUTHOR", first=comment.id))
        if new == "approved" and comment.parent and with_parent:
            tx.update(
                "parent",
                Comment(comment.pk, comments.COMMENT_PREFIX + comment.parent),
                actions=[Comment.has_replies.set(True)],
                condition=Comment.sk.exists(),
            )
        tx.put("audit", audit)

    try:
        comments._transact(lambda tx: build(tx, True))
    except TransactWriteError as exc:
        if "parent" not in getattr(exc, "failed", set()) or "comment" in exc.failed:
            raise
        comments._transact(lambda tx: build(tx, False))
    return prior


class _Changed(Exception):
    """The comment changed between our read and our write: read again."""


def act(site: SiteConfig, comment_id: str, action: str, who: Moderator) -> dict[str, Any]:
    """approve | spam | delete | restore one comment. Returns ``{"comment": view}``."""
    if action not in ACTIONS:
        raise InvalidRequest(f"The action must be one of {', '.join(ACTIONS)}.")
    for _ in range(_ATTEMPTS):
        comment = comments.find(site, comment_id)
        new = _target_status(comment, action)
        if new == comment.status:
            return {"comment": comment_view(comment)}
        try:
            prior = _transition(site, comment, new, who, action)
        except TransactWriteError as exc:
            if "comment" in getattr(exc, "failed", set()):
                continue  # someone else changed it: decide again on a fresh read
            raise
        comment.status, comment.prior = new, prior  # as stored: no second read
        return {"comment": comment_view(comment)}
    raise InvalidTransition("This comment keeps changing; reload and try again.")


def edit(site: SiteConfig, comment_id: str, text: str, who: Moderator) -> dict[str, Any]:
    """Replace a comment's text (re-rendered), keeping its status. Audited."""
    from chalicelib.platform.render import render

    for _ in range(_ATTEMPTS):
        comment = comments.find(site, comment_id)
        if comment.status == "deleted" and comment.prior is None:
            raise InvalidTransition("Its author deleted this comment; it cannot be edited.")
        if comment.text == text:
            return {"comment": comment_view(comment)}
        audit = _audit_item(
            site.id, who, "edit", f"comment:{comment.id}",
            {"text": comment.text[:AUDIT_TEXT_CHARS]}, {"text": text[:AUDIT_TEXT_CHARS]},
        )  # fmt: skip
        html = render(text)
        edited = clock.rfc3339()

        def build(tx: Any, comment: Comment = comment, html: str = html, edited: str = edited,
                  audit: AuditEntry = audit) -> None:  # fmt: skip
            tx.update(
                "comment",
                comment,
                actions=[Comment.text.set(text), Comment.html.set(html),
                         Comment.edited.set(edited)],
                condition=Comment.status == comment.status,
            )  # fmt: skip
            tx.put("audit", audit)

        try:
            comments._transact(build)
        except TransactWriteError as exc:
            if "comment" in getattr(exc, "failed", set()):
                continue
            raise
        comment.text, comment.html, comment.edited = text, html, edited
        return {"comment": comment_view(comment)}
    raise InvalidTransition("This comment keeps changing; reload and try again.")


def bulk(site: SiteConfig, body: Any, who: Moderator) -> dict[str, Any]:
    """``{"action": …, "ids": [...]}``: each comment on its own (one fails, others go on)."""
    if not isinstance(body, dict):
        raise InvalidRequest('Send {"action": "approve", "ids": ["01J…", …]}.')
    action, ids = body.get("action"), body.get("ids")
    if not isinstance(action, str) or action not in ACTIONS:  # a list is unhashable
        raise InvalidRequest(f"'action' must be one of {', '.join(ACTIONS)}.")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise InvalidRequest("'ids' must be a list of comment ids.")
    if len(ids) > MAX_BULK:
        raise InvalidRequest(f"At most {MAX_BULK} comments per request.")
    results = []
    for comment_id in dict.fromkeys(ids):
        try:
            done = act(site, comment_id, action, who)["comment"]
            results.append({"id": comment_id, "status": done["status"]})
        except SidenoteError as error:
            results.append({"id": comment_id, "error": {"Code": error.code,
                                                        "Message": error.message}})  # fmt: skip
    return {"results": results}


# --- bans ------------------------------------------------------------------------------------


def _days(body: dict[str, Any]) -> float | None:
    days = body.get("days")
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int | float):
        raise InvalidRequest("'days' must be a number (or absent: forever).")
    return float(days)


def ban(site: SiteConfig, body: Any, who: Moderator) -> dict[str, Any]:
    """Ban by ``comment`` (its author's e-mail and IP; ``"range": true`` adds the IP's
    /24 or /48), ``ip`` (an address, or a /24 / /48 range) or ``email``."""
    if not isinstance(body, dict):
        raise InvalidRequest('Send {"comment": id} or {"ip": …} or {"email": …}.')
    given = [name for name in ("comment", "ip", "email") if body.get(name) is not None]
    if len(given) != 1:
        raise InvalidRequest("Give exactly one of 'comment', 'ip' or 'email'.")
    reason = body.get("reason") or ""
    days = _days(body)
    if given[0] == "comment":
        stored = _ban_comment(site, body, days, reason, who)
    else:
        value = body[given[0]]
        if not isinstance(value, str):
            raise InvalidRequest(f"'{given[0]}' must be a string.")
        stored = sites.add_ban(
            site.id, given[0], value, days=days, reason=reason, key_id=who.key_id
        )
    view = ban_view(stored)
    record(site.id, who, "ban", f"ban:{stored.id}", None,
           {k: view[k] for k in ("target", "label", "until", "reason")})  # fmt: skip
    return {"ban": view}


def _ban_comment(
    site: SiteConfig, body: dict[str, Any], days: float | None, reason: str, who: Moderator
) -> Any:
    comment = comments.find(site, body["comment"])
    hashes, parts = [], []
    if comment.email:
        hashes.append(sites.ban_hash("email", comment.email))
        parts.append(f"e-mail {sites.mask_email(comment.email)}")
    if comment.ip_hash:
        hashes.append(comment.ip_hash)
        parts.append("IP address")
    if body.get("range") and comment.net_hash:
        hashes.append(comment.net_hash)
        parts.append("IP range")
    if not hashes:
        raise InvalidRequest("This comment has no e-mail or IP address to ban.")
    label = f"author of comment {comment.id} ({', '.join(parts)})"
    return sites.save_ban(
        site.id, "comment", hashes, label=label, days=days, reason=reason, key_id=who.key_id
    )


def list_bans(site: SiteConfig) -> dict[str, Any]:
    return {"bans": [ban_view(b) for b in sites.list_bans(site.id)]}


def unban(site: SiteConfig, ban_id: str, who: Moderator) -> None:
    try:
        removed = sites.remove_ban(site.id, ban_id)
    except NotFound as exc:
        raise BanNotFound("This site has no ban with this id.") from exc
    view = ban_view(removed)
    record(site.id, who, "unban", f"ban:{ban_id}",
           {k: view[k] for k in ("target", "label", "until", "reason")}, None)  # fmt: skip


# --- threads --------------------------------------------------------------------------------


def lock(site: SiteConfig, key: str, body: Any, who: Moderator) -> dict[str, Any]:
    """Lock (no new comments) or unlock a thread; it need not have comments yet."""
    if not isinstance(body, dict) or not isinstance(body.get("locked"), bool):
        raise InvalidRequest('Send {"locked": true} or {"locked": false}.')
    locked = body["locked"]
    pk = comments.thread_pk(site.id, key)
    try:
        before = bool(ThreadMeta.get(pk, comments.META_SK, consistent_read=True).locked)
    except ThreadMeta.DoesNotExist:
        before = False
    meta = ThreadMeta(pk, comments.META_SK)
    meta.update(
        actions=[
            ThreadMeta.kind.set(ThreadMeta),
            ThreadMeta.site.set(site.id),
            ThreadMeta.key.set(key),
            ThreadMeta.created.set(ThreadMeta.created | clock.rfc3339()),
            ThreadMeta.locked.set(locked),
        ]
    )
    if before != locked:
        record(site.id, who, "lock" if locked else "unlock", f"thread:{key}",
               {"locked": before}, {"locked": locked})  # fmt: skip
    count = comments.thread_counts(site, [key])[key]
    return {
        "thread": {"key": key, "title": meta.title, "url": meta.url, "locked": bool(meta.locked),
                   "count": count}
    }  # fmt: skip


# --- settings ------------------------------------------------------------------------------

SETTINGS = (
    "name", "moderation", "origins", "edit_window_minutes", "max_length", "require_author",
    "require_email", "notify_email", "read_only",
)  # fmt: skip


def get_settings(site_id: str) -> dict[str, Any]:
    return {"settings": sites.get_site(site_id, fresh=True).public_settings()}


def update_settings(site_id: str, changes: Any, who: Moderator) -> dict[str, Any]:
    if isinstance(changes, dict) and any(name not in SETTINGS for name in changes):
        unknown = next(name for name in changes if name not in SETTINGS)
        raise InvalidRequest(f"Unknown setting '{unknown}'.")
    before = sites.get_site(site_id, fresh=True).public_settings()
    after = sites.update_site(site_id, changes).public_settings()
    changed = [name for name in SETTINGS if before.get(name) != after.get(name)]
    if changed:
        record(site_id, who, "settings", "settings",
               {n: before[n] for n in changed}, {n: after[n] for n in changed})  # fmt: skip
    return {"settings": after}


# --- the audit log -------------------------------------------------------------------------


def audit_log(site_id: str, *, cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
    """The site's audit entries, newest first."""
    from chalicelib.store.models import SiteItem

    scope = f"audit\x00{site_id}"
    response = SiteItem._get_connection().query(
        f"AUDIT#{site_id}", scan_index_forward=False, limit=limit,
        exclusive_start_key=_decode_cursor(scope, cursor),
    )  # fmt: skip
    entries = [SiteItem.from_raw_data(raw) for raw in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return {
        "entries": [audit_view(e) for e in entries if isinstance(e, AuditEntry)],
        "cursor": _encode_cursor(scope, last) if last else None,
    }


# --- the moderation page -------------------------------------------------------------------

PAGE_HEADERS = {
    # The page holds a moderator key in sessionStorage: no third-party script, no framing.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self' "
    "'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def page(request: Any) -> Any:
    """``GET /moderate``: static HTML (no secret in it) with a strict CSP."""
    from chalicelib.platform import static, web

    html = static.read("moderate.html").replace(
        "__MODERATE_JS_VERSION__", static.version("moderate.js")
    )
    response = web.cacheable(request, html, content_type="text/html; charset=utf-8")
    response.headers.update(PAGE_HEADERS)
    return response
