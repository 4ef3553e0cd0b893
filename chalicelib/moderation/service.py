"""Moderation of comments: the queue and other listings, actions, edits, bulk actions.

Counts stay exact: a status change is one transaction in the comments gateway
(``store.comments.change_status``) holding the comment's update (conditioned on the status
it was read with, so two moderators cannot both count the same change), ``±1`` on THIS
region's counter when the comment enters or leaves ``approved``, and the audit entry. A
condition failure re-reads the comment and decides again. Actions that change nothing
(approving an approved comment) are 200 no-ops and write nothing — safe to retry, safe in
bulk.

Folders: pending comments are the queue; spam and moderator-deleted comments have their
own; approved ones are listed from the site's feed. With ``thread`` a listing is one Query
of the thread's partition. Never a scan.

A moderator's delete keeps the content (``restore`` brings it back, to the status it had:
``prior``); an author's own delete erases it, so it cannot be restored or approved.
"""

from __future__ import annotations

from typing import Any

from chalicelib.moderation import cursors
from chalicelib.moderation.audit import new_entry
from chalicelib.moderation.auth import Moderator
from chalicelib.platform.errors import (
    InvalidRequest,
    InvalidTransition,
    SidenoteError,
)
from chalicelib.store import comments
from chalicelib.store.comments import Comment
from chalicelib.store.sites import SiteConfig

STATUSES = ("pending", "approved", "spam", "deleted")
ACTIONS = {"approve": "approved", "spam": "spam", "delete": "deleted", "restore": None}
MAX_BULK = 100
#: Moderation listings' default page size (the range is validation's PAGE_MIN..PAGE_MAX).
PAGE_DEFAULT = 50
AUDIT_TEXT_CHARS = 2000
_ATTEMPTS = 4

comment_view = comments.moderator_view


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
    limit: int = PAGE_DEFAULT,
    sort: str = "newest",
) -> dict[str, Any]:
    """A page of the site's comments in one status (default ``pending``), newest first."""
    status = status or "pending"
    if status not in STATUSES:
        raise InvalidRequest(f"'status' must be one of {', '.join(STATUSES)}.")
    if sort not in {"newest", "oldest"}:
        raise InvalidRequest("'sort' must be 'newest' or 'oldest'.")
    scope = f"comments\x00{site.id}\x00{status}\x00{thread or ''}\x00{sort}"
    found, last = comments.by_status(
        site.id, status, thread=thread, forward=sort == "oldest",
        start=cursors.decode(scope, cursor), limit=limit,
    )  # fmt: skip
    return {
        "comments": [comment_view(c) for c in found],
        "cursor": cursors.encode(scope, last) if last else None,
    }


# --- actions on comments ------------------------------------------------------------------


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


def act(site: SiteConfig, comment_id: str, action: str, who: Moderator) -> dict[str, Any]:
    """approve | spam | delete | restore one comment. Returns ``{"comment": view}``."""
    if not isinstance(action, str) or action not in ACTIONS:
        raise InvalidRequest(f"The action must be one of {', '.join(ACTIONS)}.")
    for _ in range(_ATTEMPTS):
        comment = comments.find(site, comment_id)
        new = _target_status(comment, action)
        if new == comment.status:
            return {"comment": comment_view(comment)}
        audit = new_entry(
            site.id, who, action, f"comment:{comment.id}",
            {"status": comment.status, "thread": comment.thread},
            {"status": new, "thread": comment.thread},
        )  # fmt: skip
        try:
            comments.change_status(comment, new, audit)
        except comments.Changed:
            continue  # someone else changed it: decide again on a fresh read
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
        audit = new_entry(
            site.id, who, "edit", f"comment:{comment.id}",
            {"text": comment.text[:AUDIT_TEXT_CHARS]}, {"text": text[:AUDIT_TEXT_CHARS]},
        )  # fmt: skip
        try:
            comments.moderator_edit(comment, text, render(text), audit)
        except comments.Changed:
            continue
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
