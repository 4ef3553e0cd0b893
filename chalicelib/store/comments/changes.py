"""Changing stored comments: an author's edit and delete, a re-sent webmention, a
moderator's status change, edit and thread lock. Each is one transaction with the counter
and day figures it moves, conditioned on the status it was read with, so two writers
cannot both count the same change.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.platform import clock
from chalicelib.platform.errors import CommentNotFound
from chalicelib.store.comments.keys import META_SK, comment_sk, queue_key, thread_pk
from chalicelib.store.comments.transactions import Transaction, failed, transact
from chalicelib.store.comments.writes import counter_update, day_update, moved
from chalicelib.store.models import AuditEntry, Comment, KnownAuthor, ThreadMeta
from chalicelib.store.sites import author_pk

# --- the author's own edit and delete -----------------------------------------------------


def _status_actions(site_id: str, status: str) -> list[Any]:
    """Set ``status`` and the sparse index keys that follow from it."""
    folder = queue_key(site_id, status)
    return [
        Comment.status.set(status),
        Comment.feed_site.set(site_id) if status == "approved" else Comment.feed_site.remove(),
        Comment.queue_site.set(folder) if folder else Comment.queue_site.remove(),
    ]


_KEEP = object()


def replace_text(
    comment: Comment,
    text: str,
    html: str,
    *,
    status: str,
    author: Any = _KEEP,
    website: Any = _KEEP,
) -> str:
    """New text (an author's edit, a re-sent webmention), and ``status``: what no longer
    passes the site's policy goes back to pending, and the counter and day figures follow
    in the same transaction. ``author``/``website`` change too when given (``None``
    removes the website). Conditioned on the status read. Returns the edit time. Raises
    CommentNotFound when the comment changed meanwhile."""
    edited = clock.rfc3339()
    delta = (status == "approved") - (comment.status == "approved")
    actions = [Comment.text.set(text), Comment.html.set(html), Comment.edited.set(edited),
               *_status_actions(comment.site, status)]  # fmt: skip
    if author is not _KEEP:
        actions.append(Comment.author.set(author))
    if website is not _KEEP:
        actions.append(Comment.website.set(website) if website else Comment.website.remove())

    def build(tx: Transaction) -> None:
        tx.update("comment", comment, actions=actions, condition=Comment.status == comment.status)
        if delta:
            counter_update(tx, comment.pk, delta, comment.type)
        day_update(tx, comment, moved(comment.status, status))

    try:
        transact(build)
    except TransactWriteError as exc:
        if "comment" in failed(exc):
            raise CommentNotFound("This comment was changed or deleted meanwhile.") from exc
        raise
    comment.text, comment.html, comment.edited, comment.status = text, html, edited, status
    if author is not _KEEP:
        comment.author = author
    if website is not _KEEP:
        comment.website = website
    return edited


def erase(comment: Comment) -> None:
    """An author's delete: content, name, e-mail and website erased; replies keep their
    place under the tombstone. Raises CommentNotFound when it changed meanwhile."""

    def build(tx: Transaction) -> None:
        tx.update(
            "comment",
            comment,
            actions=[
                Comment.status.set("deleted"), Comment.text.set(""), Comment.html.set(""),
                Comment.author.set(""), Comment.email.remove(), Comment.website.remove(),
                Comment.feed_site.remove(), Comment.queue_site.remove(),
                Comment.prior.remove(), Comment.edited.set(clock.rfc3339()),
            ],
            condition=Comment.status == comment.status,
        )  # fmt: skip
        if comment.status == "approved":
            counter_update(tx, comment.pk, -1, comment.type)
        day_update(tx, comment, moved(comment.status, "deleted"))

    try:
        transact(build)
    except TransactWriteError as exc:
        if "comment" in failed(exc):
            raise CommentNotFound("This comment was changed or deleted meanwhile.") from exc
        raise


# --- a moderator's changes ------------------------------------------------------------------


class Changed(Exception):
    """The comment changed between the caller's read and this write: read again."""


def change_status(comment: Comment, new: str, audit: AuditEntry) -> str | None:
    """A moderator's status change, with the counter, the known-author item, the parent's
    reply flag and the audit entry in one transaction. Returns the ``prior`` status it
    recorded (what ``restore`` returns to). Raises :class:`Changed` when the comment's
    status is no longer the one read."""
    old = comment.status
    delta = (new == "approved") - (old == "approved")
    actions = _status_actions(comment.site, new)
    prior: str | None = None
    if new in {"spam", "deleted"}:
        prior = old if old in {"approved", "pending"} else comment.prior
        actions.append(Comment.prior.set(prior) if prior else Comment.prior.remove())
    else:
        actions.append(Comment.prior.remove())

    def build(tx: Transaction, with_parent: bool) -> None:
        tx.update("comment", comment, actions=actions, condition=Comment.status == old)
        if delta:
            counter_update(tx, comment.pk, delta, comment.type)
        day_update(tx, comment, moved(old, new))
        if new == "approved" and comment.email:
            tx.put("author", KnownAuthor(author_pk(comment.site, comment.email), "#AUTHOR",
                                         first=comment.id))  # fmt: skip
        if new == "approved" and comment.parent and with_parent:
            tx.update(
                "parent",
                Comment(comment.pk, comment_sk(comment.parent)),
                actions=[Comment.has_replies.set(True)],
                condition=Comment.sk.exists(),
            )
        tx.put("audit", audit)

    try:
        try:
            transact(lambda tx: build(tx, True))
        except TransactWriteError as exc:
            refused = failed(exc)
            if "parent" not in refused or "comment" in refused:
                raise
            transact(lambda tx: build(tx, False))  # the parent is gone: no flag to set
    except TransactWriteError as exc:
        if "comment" in failed(exc):
            raise Changed() from exc
        raise
    comment.status, comment.prior = new, prior
    return prior


def moderator_edit(comment: Comment, text: str, html: str, audit: AuditEntry) -> None:
    """A moderator's edit: new text, status kept, audited in the same transaction.
    Raises :class:`Changed` when the comment's status is no longer the one read."""
    edited = clock.rfc3339()

    def build(tx: Transaction) -> None:
        tx.update(
            "comment",
            comment,
            actions=[Comment.text.set(text), Comment.html.set(html), Comment.edited.set(edited)],
            condition=Comment.status == comment.status,
        )
        tx.put("audit", audit)

    try:
        transact(build)
    except TransactWriteError as exc:
        if "comment" in failed(exc):
            raise Changed() from exc
        raise
    comment.text, comment.html, comment.edited = text, html, edited


def set_locked(site_id: str, key: str, locked: bool) -> ThreadMeta:
    """Lock or unlock a thread (it need not have comments yet); returns the meta."""
    meta = ThreadMeta(thread_pk(site_id, key), META_SK)
    meta.update(
        actions=[
            ThreadMeta.kind.set(ThreadMeta),
            ThreadMeta.site.set(site_id),
            ThreadMeta.key.set(key),
            ThreadMeta.created.set(ThreadMeta.created | clock.rfc3339()),
            ThreadMeta.locked.set(locked),
        ]
    )
    return meta
