"""Every comment of a site, for the operator's export (``sidenote export``). CLI only.

No index holds every comment of a site: the sparse ``feed`` and ``queue`` indexes carry
approved, pending, spam and moderator-deleted comments, but a comment its author deleted
leaves both (it stays only as a tombstone over its replies). So the export finds the
site's threads with one Scan of the table filtered to thread meta items (a request never
does this; the CLI and schedules may, and an export is rare), then reads each thread's
partition with paginated Queries, oldest first: every comment, in every status, parents
before their replies.
"""

from __future__ import annotations

from collections.abc import Iterator

from chalicelib.store.comments.keys import COMMENT_PREFIX, thread_pk
from chalicelib.store.models import Comment, ThreadItem, ThreadMeta

PAGE = 500


def site_threads(site_id: str) -> list[ThreadMeta]:
    """The site's threads (meta items), sorted by key. One paginated, filtered Scan."""
    found = ThreadMeta.scan(ThreadMeta.site == site_id, page_size=PAGE)  # kind: added by PynamoDB
    return sorted((m for m in found if isinstance(m, ThreadMeta)), key=lambda m: m.key)


def thread_comments(site_id: str, key: str) -> Iterator[Comment]:
    """Every comment of one thread (any status), oldest first; one page in memory."""
    for item in ThreadItem.query(
        thread_pk(site_id, key),
        ThreadItem.sk.startswith(COMMENT_PREFIX),
        scan_index_forward=True,
        consistent_read=True,
        page_size=PAGE,
    ):
        if isinstance(item, Comment):
            yield item
