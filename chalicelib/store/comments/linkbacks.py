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

from pynamodb.exceptions import PutError

from chalicelib.platform import tokens
from chalicelib.store.comments.changes import replace_text
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
    """A re-sent webmention: new content and ``status`` (see ``changes.replace_text``).
    Raises CommentNotFound when it changed meanwhile."""
    replace_text(comment, text, html, status=status, author=author, website=website)
