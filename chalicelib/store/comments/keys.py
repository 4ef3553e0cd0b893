"""Key layout of the comments table (one partition per thread).

``pk = "<site>#<thread key>"``; ``sk``: ``"#META"`` the thread, ``"#COUNT#<region>"`` one
counter per region, ``"C#<ulid>"`` the comments. ``#`` sorts before ``C``, so the first
page of a thread in ascending order carries meta, counters and comments: one Query.
"""

from __future__ import annotations

META_SK = "#META"
COUNTER_PREFIX = "#COUNT#"
COMMENT_PREFIX = "C#"


def thread_pk(site_id: str, key: str) -> str:
    return f"{site_id}#{key}"


def counter_sk(region: str) -> str:
    return f"{COUNTER_PREFIX}{region}"


def comment_sk(comment_id: str) -> str:
    return f"{COMMENT_PREFIX}{comment_id}"


def queue_key(site_id: str, status: str) -> str | None:
    """The sparse ``queue`` index key: pending comments under the site id (the moderation
    queue); spam and moderator-deleted ones in their own folders; approved: none."""
    if status == "pending":
        return site_id
    return f"{site_id}#{status}" if status in {"spam", "deleted"} else None
