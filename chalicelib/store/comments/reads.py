"""Reading the comments table: thread pages, counts, feeds, lookups by id, listings."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from chalicelib.platform import config
from chalicelib.platform.errors import CommentNotFound, InvalidCursor, InvalidRequest
from chalicelib.platform.validation import ULID as ULID_PATTERN
from chalicelib.platform.validation import normalize_thread_key
from chalicelib.store.comments.keys import (
    COMMENT_PREFIX,
    comment_sk,
    counter_sk,
    queue_key,
    thread_pk,
)
from chalicelib.store.comments.views import public_view, thread_view
from chalicelib.store.models import Comment, Counter, ThreadItem, ThreadMeta

MAX_COUNT_THREADS = 100


def _encode_cursor(sort: str, sk: str) -> str:
    raw = f"{sort[0]}{sk[len(COMMENT_PREFIX) :]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> str:
    """The sort key to resume after. Raises InvalidCursor for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not valid; start again without it.") from exc
    if len(raw) != 27 or raw[0] != sort[0] or not ULID_PATTERN.match(raw[1:]):
        raise InvalidCursor("The cursor is not valid for this sort order; start again without it.")
    return COMMENT_PREFIX + raw[1:]


_VISIBLE = (
    Comment.status.does_not_exist()
    | (Comment.status == "approved")
    | ((Comment.status == "deleted") & (Comment.has_replies == True))  # noqa: E712
)


def _query_page(
    pk: str, *, forward: bool, limit: int, start_sk: str | None, range_condition: Any = None
) -> tuple[list[ThreadItem], str | None]:
    """One Query call: items of the page and the last evaluated sort key (None at the end)."""
    response = ThreadItem._get_connection().query(
        pk,
        range_key_condition=range_condition,
        filter_condition=_VISIBLE,
        scan_index_forward=forward,
        exclusive_start_key={"pk": {"S": pk}, "sk": {"S": start_sk}} if start_sk else None,
        limit=limit,
    )
    items = [ThreadItem.from_raw_data(raw) for raw in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return items, last["sk"]["S"] if last else None


def _split_head(items: list[ThreadItem]) -> tuple[ThreadMeta | None, list[Counter], list[Comment]]:
    meta = next((i for i in items if isinstance(i, ThreadMeta)), None)
    counters = [i for i in items if isinstance(i, Counter)]
    comments = [i for i in items if isinstance(i, Comment)]
    return meta, counters, comments


def _thread_head(pk: str) -> tuple[ThreadMeta | None, list[Counter]]:
    """Meta and counters alone: one Query of the keys that sort before comments."""
    items, _ = _query_page(
        pk, forward=True, limit=50, start_sk=None, range_condition=ThreadItem.sk < COMMENT_PREFIX
    )
    return _split_head(items)[:2]


def list_thread(
    site: Any, key: str, *, sort: str = "oldest", limit: int = 100, cursor: str | None = None
) -> dict[str, Any]:
    """A page of a thread's visible comments, with the thread's meta and count.

    The first page in ``oldest`` order is one Query (meta and counters sort first), and so
    is a ``newest`` page that reaches the end of the thread. Other pages add one small
    Query for the meta and counters.
    A page may hold fewer than ``limit`` comments (held ones are skipped); ``cursor: None``
    is the only sign of the last page.
    """
    pk = thread_pk(site.id, key)
    forward = sort == "oldest"
    start_sk = _decode_cursor(cursor, sort) if cursor else None
    # Room for the head items (meta and counters sort before comments: first when
    # ascending, last when descending) and one comment more than the page, so that a thread
    # that exactly fills the page ends with cursor None instead of an empty extra page.
    room = limit + 1 + len(config.settings.regions) + 1
    items, last_sk = _query_page(pk, forward=forward, limit=room, start_sk=start_sk)
    meta, counters, comments = _split_head(items)
    if len(comments) > limit:
        comments = comments[:limit]
        next_cursor: str | None = _encode_cursor(sort, comment_sk(comments[-1].id))
    elif last_sk and last_sk.startswith(COMMENT_PREFIX):
        next_cursor = _encode_cursor(sort, last_sk)  # held comments filled the rest of the page
    else:
        next_cursor = None
    head_complete = (forward and not start_sk) or (not forward and last_sk is None)
    if not head_complete:
        meta, counters = _thread_head(pk)
    return {
        "thread": thread_view(key, meta, counters),
        "comments": [public_view(c) for c in comments],
        "cursor": next_cursor,
    }


def thread_totals(site: Any, keys: list[str]) -> dict[str, tuple[int, int]]:
    """(approved comments, approved linkbacks) of normalised thread ``keys``: BatchGetItem
    calls only."""
    wanted = list(dict.fromkeys(keys))
    totals = {key: [0, 0] for key in wanted}
    lookup = {thread_pk(site.id, key): key for key in wanted}
    item_keys = [(pk, counter_sk(region)) for pk in lookup for region in config.settings.regions]
    for counter in Counter.batch_get(item_keys):
        total = totals[lookup[counter.pk]]
        total[0] += int(counter.n or 0)
        total[1] += int(counter.tb or 0)
    return {key: (max(0, n), max(0, tb)) for key, (n, tb) in totals.items()}


def thread_counts(site: Any, keys: list[str]) -> dict[str, int]:
    """Approved comment counts of normalised thread ``keys``: BatchGetItem calls only."""
    return {key: n for key, (n, _) in thread_totals(site, keys).items()}


def counts(site: Any, given: object) -> dict[str, int]:
    """Counts for 1–100 thread keys, keyed by the keys exactly as given."""
    return counts_with_linkbacks(site, given)[0]


def counts_with_linkbacks(site: Any, given: object) -> tuple[dict[str, int], dict[str, int]]:
    """(comment counts, linkback counts) for 1–100 thread keys, keyed by the keys exactly
    as given. Linkbacks: approved trackbacks, webmentions and pingbacks."""
    if not isinstance(given, list) or not given:
        raise InvalidRequest("Give 1-100 thread keys ('thread' parameters or a 'threads' list).")
    if len(given) > MAX_COUNT_THREADS:
        raise InvalidRequest(f"At most {MAX_COUNT_THREADS} threads per request.")
    normalised = {raw: normalize_thread_key(raw) for raw in given}
    found = thread_totals(site, list(normalised.values()))
    return (
        {raw: found[key][0] for raw, key in normalised.items()},
        {raw: found[key][1] for raw, key in normalised.items()},
    )


def latest(site: Any, key: str | None, *, limit: int = 50) -> list[Comment]:
    """The newest approved comments of a site (sparse feed index) or of one thread."""
    if key is None:
        found = ThreadItem.feed.query(site.id, scan_index_forward=False, limit=limit)
        return [c for c in found if isinstance(c, Comment) and c.status == "approved"]
    items, _ = _query_page(
        thread_pk(site.id, key),
        forward=False,
        limit=limit,
        start_sk=None,
        range_condition=ThreadItem.sk.startswith(COMMENT_PREFIX),
    )
    return [c for c in items if isinstance(c, Comment) and c.status == "approved"]


def find(site: Any, comment_id: str) -> Comment:
    """A comment of ``site`` by id (index lookup, then a consistent read)."""
    if not isinstance(comment_id, str) or not ULID_PATTERN.match(comment_id):
        raise CommentNotFound("No comment has this id.")
    prefix = f"{site.id}#"
    # The index projects keys only (no discriminator), so read it raw.
    response = ThreadItem._get_connection().query(comment_id, index_name="by-id", limit=5)
    for hit in response.get("Items", []):
        pk, sk = hit["pk"]["S"], hit["sk"]["S"]
        if pk.startswith(prefix):
            try:
                found = ThreadItem.get(pk, sk, consistent_read=True)
            except ThreadItem.DoesNotExist:
                break
            if isinstance(found, Comment):
                return found
    raise CommentNotFound("No comment has this id on this site.")


def by_status(
    site_id: str,
    status: str,
    *,
    thread: str | None,
    forward: bool,
    start: dict[str, Any] | None,
    limit: int,
) -> tuple[list[Comment], dict[str, Any] | None]:
    """A page of a site's comments in one status, and the key to resume after.

    With ``thread``: one Query of the thread's partition, filtered by status; approved:
    the sparse ``feed`` index; pending, spam, deleted: the sparse ``queue`` index folders.
    Never a scan.
    """
    connection = ThreadItem._get_connection()
    if thread is not None:
        response = connection.query(
            thread_pk(site_id, thread),
            range_key_condition=ThreadItem.sk.startswith(COMMENT_PREFIX),
            filter_condition=Comment.status == status,
            scan_index_forward=forward, exclusive_start_key=start, limit=limit,
        )  # fmt: skip
    elif status == "approved":
        response = connection.query(
            site_id, index_name="feed", scan_index_forward=forward,
            exclusive_start_key=start, limit=limit,
        )  # fmt: skip
    else:
        response = connection.query(
            queue_key(site_id, status), index_name="queue",
            scan_index_forward=forward, exclusive_start_key=start, limit=limit,
        )  # fmt: skip
    found = [ThreadItem.from_raw_data(raw) for raw in response.get("Items", [])]
    matching = [c for c in found if isinstance(c, Comment) and c.status == status]
    return matching, response.get("LastEvaluatedKey")


def thread_meta(site_id: str, key: str) -> ThreadMeta | None:
    """The thread's meta item (consistent read), or None when the thread has none yet."""
    try:
        return ThreadMeta.get(thread_pk(site_id, key), "#META", consistent_read=True)
    except ThreadMeta.DoesNotExist:
        return None


def day_figures(site_id: str, day: str) -> dict[str, int]:
    """The site's comments created on ``day`` (UTC, ``YYYY-MM-DD``) by current status:
    ``posted``, ``approved``, ``held``, ``spam``, ``deleted`` — one Query of the day's
    figures (one item per region, summed)."""
    from chalicelib.store.comments.writes import day_pk
    from chalicelib.store.models import DayCount, EphemeralItem

    totals = dict.fromkeys(("posted", "approved", "held", "spam", "deleted"), 0)
    for item in EphemeralItem.query(day_pk(site_id, day)):
        if isinstance(item, DayCount):
            for name in totals:
                totals[name] += int(getattr(item, name) or 0)
    return totals
