"""Writing the comments table: a new comment, an author's edit and delete, a moderator's
status change, edit and thread lock. Each change of a comment is one transaction with the
counter and flags it affects, so counts stay exact.

Counters: an approved, not deleted comment is +1 on THIS region's counter item (only this
region writes it; a thread's count is the sum). A status change is conditioned on the
status it was read with, so two writers cannot both count the same change.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.platform import clock, config
from chalicelib.platform.errors import (
    CommentNotFound,
    ParentNotFound,
    ThreadLocked,
)
from chalicelib.store.comments.keys import (
    META_SK,
    comment_sk,
    counter_sk,
    queue_key,
    thread_pk,
)
from chalicelib.store.comments.records import PreparedComment
from chalicelib.store.comments.transactions import Transaction, failed, transact
from chalicelib.store.ephemeral import idempotency
from chalicelib.store.models import (
    AuditEntry,
    Comment,
    Counter,
    DayCount,
    Fingerprint,
    KnownAuthor,
    RateWindow,
    ThreadMeta,
)
from chalicelib.store.sites import author_pk

#: How long a text's fingerprint item lives (the duplicate window).
DUPLICATE_WINDOW_SECONDS = 24 * 3600


class GuardRefused(Exception):
    """A spam guard folded into the store transaction refused the comment:
    ``guards`` holds ``"site_rate"`` (the site's per-minute ceiling is full) and/or
    ``"fingerprint"`` (another submission posted the same text first). The posting path
    decides what follows (it never reaches a client as such); nothing was written."""

    def __init__(self, guards: set[str]) -> None:
        super().__init__(f"refused by {', '.join(sorted(guards))}")
        self.guards = guards


def _counter_update(tx: Transaction, pk: str, delta: int, kind: str | None = "comment") -> None:
    """This region's counter of the thread: comments in ``n``, linkbacks (any other
    ``kind``: trackback, webmention, pingback) in ``tb``."""
    number = Counter.n if kind in {"comment", None} else Counter.tb
    tx.update(
        "counter",
        Counter(pk, counter_sk(config.settings.region)),
        actions=[Counter.kind.set(Counter), number.add(delta)],
    )


#: How a status is counted in a site's day figures.
DAY_FIGURE = {"approved": "approved", "pending": "held", "spam": "spam", "deleted": "deleted"}
#: Day figures are kept as long as the digests that read them.
DAY_KEEP_SECONDS = 400 * 86400


def day_pk(site_id: str, day: str) -> str:
    return f"DAY#{site_id}#{day}"


def _day_update(
    tx: Transaction, comment: Comment | PreparedComment, deltas: dict[str, int]
) -> None:
    """Move the comment in its creation day's figures (``posted`` or status figures)."""
    actions = [getattr(DayCount, name).add(n) for name, n in deltas.items() if n]
    if not actions:
        return
    day = comment.created[:10]
    expires = clock.parse_rfc3339(comment.created) + DAY_KEEP_SECONDS
    tx.update(
        "day",
        DayCount(day_pk(comment.site, day), config.settings.region),
        actions=[DayCount.kind.set(DayCount), DayCount.expires.set(clock.at(expires)), *actions],
    )


def _moved(old: str, new: str) -> dict[str, int]:
    return {DAY_FIGURE[old]: -1, DAY_FIGURE[new]: 1} if old != new else {}


def _guard_ops(tx: Transaction, prepared: PreparedComment) -> None:
    """The site's per-minute ceiling and the text's first-poster claim, as conditions."""
    if prepared.site_window and prepared.site_limit:
        start = int(prepared.site_window.rsplit("#", 1)[1])
        tx.update(
            "site_rate",
            RateWindow(prepared.site_window, "#"),
            actions=[
                RateWindow.n.add(1),
                RateWindow.kind.set(RateWindow),
                RateWindow.expires.set(clock.at(start + 120)),
            ],
            condition=RateWindow.n.does_not_exist() | (RateWindow.n < prepared.site_limit),
        )
    if prepared.fingerprint and prepared.fingerprint_owner:
        mine = prepared.fingerprint_owner
        tx.update(
            "fingerprint",
            Fingerprint(prepared.fingerprint, "#"),
            actions=[
                Fingerprint.n.add(1),
                Fingerprint.kind.set(Fingerprint),
                Fingerprint.owner.set(Fingerprint.owner | mine),
                Fingerprint.expires.set(clock.at(clock.now() + DUPLICATE_WINDOW_SECONDS)),
            ],
            condition=Fingerprint.owner.does_not_exist() | (Fingerprint.owner == mine),
        )


def fingerprint_owner(fingerprint: str) -> str | None:
    """Who claimed a text's fingerprint first (None: nobody, or it expired)."""
    try:
        return Fingerprint.get(fingerprint, "#", consistent_read=True).owner or ""
    except Fingerprint.DoesNotExist:
        return None


def meta_update(
    tx: Transaction,
    prepared: PreparedComment,
    *,
    title: str | None,
    url: str | None,
    condition: Any = None,
) -> None:
    """Create the thread's meta item if needed (first title and URL win), in ``tx``."""
    tx.update(
        "meta",
        ThreadMeta(thread_pk(prepared.site, prepared.thread), META_SK),
        actions=[
            ThreadMeta.kind.set(ThreadMeta),
            ThreadMeta.site.set(prepared.site),
            ThreadMeta.key.set(prepared.thread),
            ThreadMeta.created.set(ThreadMeta.created | prepared.created),
            *([ThreadMeta.title.set(ThreadMeta.title | title)] if title else []),
            *([ThreadMeta.url.set(ThreadMeta.url | url)] if url else []),
        ],
        condition=condition,
    )  # fmt: skip


def store_new(prepared: PreparedComment) -> tuple[int, dict[str, Any]]:
    """Store a prepared comment in one transaction; return (HTTP status, body).

    The transaction holds the comment (only if its id is new), the thread meta (refused if
    the thread is locked), this region's counter (if approved), the parent's reply flag,
    the known-author item, the idempotency record and the spam guards. Idempotent by
    comment id: storing the same prepared comment twice answers 201 and changes nothing.

    An imported comment (``prepared.imported``) is stored into a locked thread too, needs
    its parent to exist in any status (a deleted parent stays a tombstone over its
    replies), and a second store of it answers 200 (already there; nothing changed).

    Raises ThreadLocked, ParentNotFound, IdempotencyKeyReused, GuardRefused.
    """
    comment = prepared.as_model()
    pk = comment.pk
    body = prepared.response()
    approved = prepared.status == "approved"

    def build(tx: Transaction) -> None:
        tx.put("comment", comment, condition=Comment.sk.does_not_exist())
        open_thread = ThreadMeta.locked.does_not_exist() | (ThreadMeta.locked == False)  # noqa: E712
        meta_update(tx, prepared, title=prepared.title, url=prepared.url,
                    condition=None if prepared.imported else open_thread)  # fmt: skip
        if approved:
            _counter_update(tx, pk, 1, prepared.type)
        _day_update(tx, prepared, {"posted": 1, DAY_FIGURE[prepared.status]: 1})
        if prepared.parent:
            parent_ok = Comment.sk.exists()
            if not prepared.imported:
                parent_ok &= Comment.status == "approved"
            if approved:
                tx.update(
                    "parent",
                    Comment(pk, comment_sk(prepared.parent)),
                    actions=[Comment.has_replies.set(True)],
                    condition=parent_ok,
                )
            else:
                tx.check("parent", Comment, pk, comment_sk(prepared.parent), condition=parent_ok)
        if approved and prepared.email:
            tx.put(
                "author",
                KnownAuthor(author_pk(prepared.site, prepared.email), "#AUTHOR", first=prepared.id),
            )
        if prepared.idempotency_key and prepared.body_hash:
            record = idempotency.new_record(
                prepared.site, prepared.idempotency_key, prepared.body_hash, 201, body
            )
            tx.put("idempotency", record, condition=type(record).pk.does_not_exist())
        _guard_ops(tx, prepared)

    try:
        transact(build)
    except TransactWriteError as exc:
        refused = failed(exc)
        if "idempotency" in refused:
            replayed = idempotency.replay(
                prepared.site, prepared.idempotency_key or "", prepared.body_hash or ""
            )
            if replayed:
                return replayed
        if "comment" in refused:
            # stored before (a retry, a queue replay, an import run again): nothing to do
            return 200 if prepared.imported else 201, body
        if "meta" in refused:
            raise ThreadLocked("This thread is closed to new comments.") from exc
        if "parent" in refused:
            raise ParentNotFound("The comment you are replying to does not exist.") from exc
        guards = refused & {"site_rate", "fingerprint"}
        if guards:
            raise GuardRefused(guards) from exc
        raise
    return 201, body


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
            _counter_update(tx, comment.pk, delta, comment.type)
        _day_update(tx, comment, _moved(comment.status, status))

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
            _counter_update(tx, comment.pk, -1, comment.type)
        _day_update(tx, comment, _moved(comment.status, "deleted"))

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
            _counter_update(tx, comment.pk, delta, comment.type)
        _day_update(tx, comment, _moved(old, new))
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
