"""Imports: many comments of one thread stored in one transaction (the migration's speed).

A batch holds what :func:`chalicelib.store.comments.writes.store_new` would write for each
of its comments — the comment (only if new), the thread meta, the counters, the day
figures, the parents' reply flags, the known authors — with each shared item written once.
A refused batch wrote nothing; the posting path then stores it one comment at a time.
"""

from __future__ import annotations

from collections.abc import Set

from pynamodb.exceptions import TransactWriteError

from chalicelib.platform import clock, config
from chalicelib.store.comments.keys import comment_sk, counter_sk, thread_pk
from chalicelib.store.comments.records import PreparedComment
from chalicelib.store.comments.transactions import Transaction, failed, transact
from chalicelib.store.comments.writes import DAY_FIGURE, DAY_KEEP_SECONDS, day_pk, meta_update
from chalicelib.store.models import Comment, Counter, DayCount, KnownAuthor
from chalicelib.store.sites import author_pk

#: DynamoDB's ceiling of actions in one TransactWriteItems.
MAX_TRANSACTION_ACTIONS = 100
#: A batch's items stay under this many bytes of text (a transaction holds ≤ 4 MB).
MAX_BATCH_BYTES = 3_000_000


class BatchRefused(Exception):
    """A condition of an import batch failed (a comment was stored before, or a parent
    outside the batch is missing): nothing of the batch was written. ``refused`` names
    the failed operations (``comment``, ``parent``)."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__(f"batch refused by {', '.join(sorted(refused)) or 'a condition'}")
        self.refused = refused


def _counted(prepared: PreparedComment) -> bool:
    return prepared.status == "approved"


def imported_batches(
    prepared: list[PreparedComment], known: Set[str] = frozenset()
) -> list[list[PreparedComment]]:
    """Split imported comments of one thread (in store order: parents before replies) into
    batches that each fit one transaction for :func:`store_imported_batch` (given the same
    ``known``): at most :data:`MAX_TRANSACTION_ACTIONS` actions and
    :data:`MAX_BATCH_BYTES` of text."""
    batches: list[list[PreparedComment]] = []
    current: list[PreparedComment] = []
    ids: set[str] = set()
    days: set[str] = set()
    parents: set[str] = set()
    authors: set[str] = set()
    size = 0
    for item in prepared:
        day = {item.created[:10]}
        parent = {item.parent} if item.parent and item.parent not in ids else set()
        author = (
            {item.email} if _counted(item) and item.email and item.email not in known else set()
        )
        length = len(item.text.encode()) + len(item.html.encode()) + 1024
        # puts + meta + counter + days + parents outside the batch + known authors
        actions = (len(current) + 1 + 2 + len(days | day) + len(parents | parent)
                   + len(authors | author))  # fmt: skip
        if current and (actions > MAX_TRANSACTION_ACTIONS or size + length > MAX_BATCH_BYTES):
            batches.append(current)
            current, ids, days, parents, authors, size = [], set(), set(), set(), set(), 0
            day, author = {item.created[:10]}, author
            parent = {item.parent} if item.parent else set()
        current.append(item)
        ids.add(item.id)
        days |= day
        parents |= parent
        authors |= author
        size += length
    if current:
        batches.append(current)
    return batches


def store_imported_batch(batch: list[PreparedComment], known: Set[str] = frozenset()) -> None:
    """Store imported comments of ONE thread in one transaction (a batch from
    :func:`imported_batches`), with exactly the effects :func:`store_new` has for each:
    every comment put only if its id is new; one meta update; one counter update by the
    batch's approved comments (linkbacks apart); one update per creation day of the day
    figures; each parent outside the batch flagged (an approved reply) or checked once; a
    parent inside the batch is put with its reply flag set; one known-author item per
    address of an approved comment (but those in ``known``: addresses whose known-author
    item the caller has stored already).

    All or nothing: raises :class:`BatchRefused` when a comment exists already or a parent
    outside the batch is missing (nothing written; store them one by one to tell which).
    Raises ValueError for comments that are not imported, of several threads, or too many
    for one transaction.
    """
    if not batch:
        return
    first = batch[0]
    if any(p.imported is None or (p.site, p.thread) != (first.site, first.thread) for p in batch):
        raise ValueError("a batch holds imported comments of one thread")
    if len(imported_batches(batch, known)) != 1:
        raise ValueError("the batch does not fit one transaction")
    pk = thread_pk(first.site, first.thread)
    ids = {p.id for p in batch}
    replied = {p.parent for p in batch if p.parent and _counted(p)}
    outside: dict[str, bool] = {}  # parent id → flag it (an approved reply) or only check
    for p in batch:
        if p.parent and p.parent not in ids:
            outside[p.parent] = outside.get(p.parent, False) or _counted(p)
    comments_n = sum(1 for p in batch if _counted(p) and p.type in {"comment", None})
    linkbacks_n = sum(1 for p in batch if _counted(p) and p.type not in {"comment", None})
    days: dict[str, dict[str, int]] = {}
    latest: dict[str, str] = {}
    for p in batch:
        figures = days.setdefault(p.created[:10], {})
        for name in ("posted", DAY_FIGURE[p.status]):
            figures[name] = figures.get(name, 0) + 1
        latest[p.created[:10]] = max(latest.get(p.created[:10], ""), p.created)
    authors: dict[str, str] = {}
    for p in batch:
        if _counted(p) and p.email and p.email not in known:
            authors.setdefault(p.email, p.id)
    title = next((p.title for p in batch if p.title), None)
    url = next((p.url for p in batch if p.url), None)

    def build(tx: Transaction) -> None:
        for p in batch:
            model = p.as_model()
            if p.id in replied:
                model.has_replies = True
            tx.put("comment", model, condition=Comment.sk.does_not_exist())
        meta_update(tx, first, title=title, url=url)
        if comments_n or linkbacks_n:
            tx.update(
                "counter",
                Counter(pk, counter_sk(config.settings.region)),
                actions=[
                    Counter.kind.set(Counter),
                    *([Counter.n.add(comments_n)] if comments_n else []),
                    *([Counter.tb.add(linkbacks_n)] if linkbacks_n else []),
                ],
            )
        for day, figures in days.items():
            expires = clock.parse_rfc3339(latest[day]) + DAY_KEEP_SECONDS
            tx.update(
                "day",
                DayCount(day_pk(first.site, day), config.settings.region),
                actions=[DayCount.kind.set(DayCount), DayCount.expires.set(clock.at(expires)),
                         *(getattr(DayCount, name).add(n) for name, n in figures.items())],
            )  # fmt: skip
        for parent, flag in outside.items():
            if flag:
                tx.update(
                    "parent",
                    Comment(pk, comment_sk(parent)),
                    actions=[Comment.has_replies.set(True)],
                    condition=Comment.sk.exists(),
                )
            else:
                tx.check("parent", Comment, pk, comment_sk(parent), condition=Comment.sk.exists())
        for email, first_id in authors.items():
            tx.put("author", KnownAuthor(author_pk(first.site, email), "#AUTHOR", first=first_id))

    try:
        transact(build)
    except TransactWriteError as exc:
        refused = failed(exc)
        if refused:
            raise BatchRefused(refused) from exc
        raise
