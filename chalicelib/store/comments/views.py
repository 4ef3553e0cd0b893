"""What the API shows of stored comments and threads."""

from __future__ import annotations

from typing import Any

from chalicelib.store.models import Comment, Counter, ThreadMeta


def public_view(comment: Comment) -> dict[str, Any]:
    """The allow-listed public fields. Never e-mail, IP or Markdown source."""
    deleted = comment.status == "deleted"
    return {
        "id": comment.id,
        "parent": comment.parent,
        "author": "" if deleted else comment.author,
        "website": None if deleted else comment.website,
        "avatar": None if deleted else comment.avatar,
        "html": "" if deleted else comment.html,
        "created": comment.created,
        "edited": comment.edited,
        "deleted": deleted,
        #: comment | trackback | webmention | pingback (linkbacks: the linking page's
        #: author, its URL as ``website``, an excerpt as ``html``).
        "type": comment.type or "comment",
    }


def moderator_view(comment: Comment) -> dict[str, Any]:
    """What a moderator sees: the public fields plus status, thread, e-mail, IP hash, source."""
    view = public_view(comment)
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


def thread_view(key: str, meta: ThreadMeta | None, counters: list[Counter]) -> dict[str, Any]:
    return {
        "key": key,
        "title": meta.title if meta else None,
        "url": meta.url if meta else None,
        "locked": bool(meta.locked) if meta else False,
        "count": max(0, sum(int(c.n) for c in counters)),
        "linkbacks": max(0, sum(int(c.tb or 0) for c in counters)),
    }
