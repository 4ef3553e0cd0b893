"""Writing a new comment, and the effects every write of a comment shares: this region's
counter, the site's day figures, the thread meta. Changes to stored comments (edits,
deletes, moderation) are in :mod:`.changes`; batched imports in :mod:`.imports`. Each
write of a comment is one transaction with the counter and flags it affects, so counts
stay exact.

Counters: an approved, not deleted comment is +1 on THIS region's counter item (only this
region writes it; a thread's count is the sum). A status change is conditioned on the
status it was read with, so two writers cannot both count the same change.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.platform import clock, config
from chalicelib.platform.errors import (
    ParentNotFound,
    ThreadLocked,
)
from chalicelib.store.comments.keys import (
    META_SK,
    comment_sk,
    counter_sk,
    thread_pk,
)
from chalicelib.store.comments.records import PreparedComment
from chalicelib.store.comments.transactions import Transaction, failed, transact
from chalicelib.store.ephemeral import idempotency
from chalicelib.store.models import (
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


def counter_update(tx: Transaction, pk: str, delta: int, kind: str | None = "comment") -> None:
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


def day_update(tx: Transaction, comment: Comment | PreparedComment, deltas: dict[str, int]) -> None:
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


def moved(old: str, new: str) -> dict[str, int]:
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
            counter_update(tx, pk, 1, prepared.type)
        day_update(tx, prepared, {"posted": 1, DAY_FIGURE[prepared.status]: 1})
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
