"""An author's own edit and delete, with the edit token, within the edit window.

An edit is held to the same rules as a new comment: the service and site must be
writable, the author not banned, and the new text goes through the spam checks and the
site's moderation policy again (``threads.status.decide``). An approved comment whose new
text would not be approved goes back to pending — its count leaves in the same
transaction — and the response says so (``"status": "pending"``).
"""

from __future__ import annotations

from typing import Any

from chalicelib.platform import clock, tokens
from chalicelib.platform.errors import CommentNotFound, EditNotAllowed
from chalicelib.platform.validation import NewComment
from chalicelib.store import comments, sites
from chalicelib.store.comments import Comment
from chalicelib.store.sites import SiteConfig
from chalicelib.threads import spam, status
from chalicelib.threads.posting import check_not_banned, check_writable


def _authorise(site: SiteConfig, comment_id: str, token: str | None) -> Comment:
    comment = comments.find(site, comment_id)
    if comment.status in {"deleted", "spam"}:
        raise CommentNotFound("No comment has this id on this site.")
    if not tokens.check_edit_token(site.id, comment.id, token):
        raise EditNotAllowed("The edit token does not match this comment.")
    if clock.now() > clock.parse_rfc3339(comment.edit_until):
        raise EditNotAllowed("The time to edit or delete this comment has passed.")
    return comment


def edit_own(
    site: SiteConfig, comment_id: str, token: str | None, text: str, *, ip: str | None = None
) -> dict[str, Any]:
    """Replace the text of the author's comment (re-rendered, re-moderated).

    Returns ``{"comment": view}`` with the comment's status after the edit. Raises
    ReadOnly, Banned, CommentNotFound, EditNotAllowed, RateLimited (from a spam check).
    """
    from chalicelib.platform.render import render

    check_writable(site)
    comment = _authorise(site, comment_id, token)
    check_not_banned(site, email=comment.email, ip=ip)
    edited = NewComment(text=text, author=comment.author or None, email=comment.email,
                        website=comment.website, parent=comment.parent)  # fmt: skip
    verdict = spam.screen(site, comment.thread, edited, ip_hash=comment.ip_hash)
    known = site.moderation == "first-time" and sites.is_known_author(site.id, comment.email)
    decided = status.decide(site.moderation, text, known_author=known, verdicts=[verdict])
    if comment.status == "pending" and decided == "approved":
        decided = "pending"  # an edit never approves what a moderator has not seen
    comments.replace_text(comment, text, render(text), status=decided)
    view = comments.public_view(comment)
    view["status"] = "pending" if decided == "spam" else decided
    return {"comment": view}


def delete_own(site: SiteConfig, comment_id: str, token: str | None) -> None:
    """Delete the author's comment: its content, name, e-mail and website are erased;
    replies keep their place under a tombstone."""
    check_writable(site)
    comments.erase(_authorise(site, comment_id, token))
