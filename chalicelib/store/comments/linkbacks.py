"""Linkbacks in the comments table: the webmention reference and the changes a re-sent or
vanished webmention makes. New linkbacks are stored by :func:`.writes.store_new` like any
comment (``type`` ``trackback`` / ``webmention``); what is particular to them is here.

A webmention is identified by (site, source, target): a :class:`LinkbackRef` item keyed by
a keyed hash of the pair names the comment it became, so a re-send updates that comment and
a source that is gone removes it. The reference is claimed (a conditional put) *before* the
comment is stored with the claimed id: a crash between the two leaves a reference whose
comment the next attempt stores with the same id — never two comments.
"""

from __future__ import annotations

from pynamodb.exceptions import PutError, TransactWriteError

from chalicelib.platform import clock, tokens
from chalicelib.platform.errors import CommentNotFound
from chalicelib.store.comments.transactions import Transaction, failed, transact
from chalicelib.store.comments.writes import _counter_update, _day_update, _moved, _status_actions
from chalicelib.store.models import Comment, LinkbackRef


def ref_pk(site_id: str, source: str, target: str) -> str:
    pair = f"{source}\x00{target}"
    return f"WM#{site_id}#{tokens.keyed_hash('webmention', pair, 32)}"


def find_ref(site_id: str, source: str, target: str) -> LinkbackRef | None:
    """The reference of a webmention (consistent read), or None when it is new."""
    try:
        ref = LinkbackRef.get(ref_pk(site_id, source, target), "#", consistent_read=True)
    except LinkbackRef.DoesNotExist:
        return None
    return ref if ref.comment_id else None  # emptied: its comment was removed


def claim_ref(site_id: str, source: str, target: str, comment_id: str, thread: str) -> LinkbackRef:
    """Claim the reference for ``comment_id``; if another attempt claimed it first, that
    one (whose id the caller must then use)."""
    ref = LinkbackRef(ref_pk(site_id, source, target), "#", comment_id=comment_id, thread=thread)
    try:
        ref.save(condition=LinkbackRef.pk.does_not_exist() | (LinkbackRef.comment_id == ""))
    except PutError as exc:
        existing = find_ref(site_id, source, target)
        if existing is None:
            raise exc
        return existing
    return ref


def drop_ref(site_id: str, source: str, target: str) -> None:
    """Forget a webmention's comment (it was removed): the reference is emptied, not
    deleted (no function may delete items of the comments table); a later mention from
    the same source claims it again for a new comment."""
    LinkbackRef(ref_pk(site_id, source, target), "#").update(
        actions=[LinkbackRef.comment_id.set("")]
    )


def update_linkback(
    comment: Comment, *, text: str, html: str, author: str, website: str | None, status: str
) -> None:
    """A re-sent webmention: new content and ``status`` (the counter follows in the same
    transaction). Conditioned on the status read. Raises CommentNotFound when it changed."""
    edited = clock.rfc3339()
    delta = (status == "approved") - (comment.status == "approved")

    def build(tx: Transaction) -> None:
        tx.update(
            "comment",
            comment,
            actions=[Comment.text.set(text), Comment.html.set(html), Comment.author.set(author),
                     Comment.website.set(website) if website else Comment.website.remove(),
                     Comment.edited.set(edited), *_status_actions(comment.site, status)],
            condition=Comment.status == comment.status,
        )  # fmt: skip
        if delta:
            _counter_update(tx, comment.pk, delta, comment.type)
        _day_update(tx, comment, _moved(comment.status, status))

    try:
        transact(build)
    except TransactWriteError as exc:
        if "comment" in failed(exc):
            raise CommentNotFound("This linkback was changed meanwhile.") from exc
        raise
    comment.text, comment.html, comment.author, comment.website = text, html, author, website
    comment.edited, comment.status = edited, status
