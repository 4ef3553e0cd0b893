"""Isso: its SQLite database (the ``comments.db`` named by ``[general] dbpath``).

Tables read: ``threads(id, uri, title)`` and ``comments(tid, id, parent, created, modified,
mode, remote_addr, text, author, email, website, …)``. The database is opened read-only
and read with one cursor, so memory stays flat however many comments it holds.

Mapping:

- thread: ``threads.uri`` (the ``data-isso-id`` or, by default, the page's path) is the
  thread identifier; it is also the thread URL when it is a path or an absolute URL.
  ``threads.title`` is the title. A comment whose thread row is missing is yielded
  without a thread (the importer rejects it with that reason).
- ``id`` → ``source_id``, ``parent`` → ``parent_id`` (Isso keeps replies one level deep).
- ``created`` (Unix seconds, a float) → an aware UTC time.
- ``text`` is Markdown as the commenter typed it (Isso renders it when it serves it).
- ``remote_addr`` is the address Isso kept (already cut to /24 or /48); it is handed on
  as the IP, which the importer hashes like a native one.
- ``mode`` → status: ``1`` (accepted) → ``approved``, ``2`` (waiting for moderation) →
  ``pending``, ``4`` (soft-deleted: kept because it has replies; Isso blanked its text,
  author and website) → ``deleted``. Isso has no spam state (its guard refuses spam
  before storing it). Any other mode is not Isso's and stops the import with an error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sidenote_cli.migrate.formats._read import utc_from_timestamp
from sidenote_cli.migrate.source import SourceComment, SourceError

#: Isso's ``comments.mode`` values.
STATUSES = {1: "approved", 2: "pending", 4: "deleted"}

_REQUIRED = ("id", "tid", "created", "text")
_OPTIONAL = ("parent", "mode", "remote_addr", "author", "email", "website")


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise SourceError(f"{path} is not a file")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"not an SQLite database (Isso's comments.db): {exc}") from exc
    return connection


def parse(path: Path) -> Iterator[SourceComment]:
    """Every comment of an Isso database, in id order (see the module docstring).

    Raises :class:`SourceError` when the file is not an Isso database or a row is unusable
    (no creation time, an unknown mode); the message names the comment id.
    """
    connection = _open(path)
    try:
        threads = _columns(connection, "threads")
        comments = _columns(connection, "comments")
        missing = [c for c in _REQUIRED if c not in comments]
        if not comments or not {"id", "uri"} <= threads or missing:
            raise SourceError(
                "not an Isso database: expected tables threads(id, uri, title) and "
                "comments(id, tid, parent, created, mode, text, author, email, website, …)"
            )
        picked = ", ".join(
            f"c.{c}" if c in comments else f"NULL AS {c}" for c in (*_REQUIRED, *_OPTIONAL)
        )
        title = "t.title" if "title" in threads else "NULL"
        cursor = connection.execute(
            f"SELECT {picked}, t.uri, {title} FROM comments AS c "
            "LEFT JOIN threads AS t ON t.id = c.tid ORDER BY c.id"
        )
        for row in cursor:
            yield _comment(*row)
    except sqlite3.DatabaseError as exc:
        raise SourceError(f"cannot read the Isso database: {exc}") from exc
    finally:
        connection.close()


def _comment(
    id: int,
    tid: int | None,
    created: float | None,
    text: str | None,
    parent: int | None,
    mode: int | None,
    remote_addr: str | None,
    author: str | None,
    email: str | None,
    website: str | None,
    uri: str | None,
    title: str | None,
) -> SourceComment:
    where = f"comment id {id}"
    if created is None:
        raise SourceError(f"{where}: no creation time")
    try:
        when = utc_from_timestamp(float(created))
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise SourceError(f"{where}: creation time {created!r} is not Unix seconds") from exc
    status = STATUSES.get(1 if mode is None else mode)
    if status is None:
        raise SourceError(f"{where}: mode {mode!r} is not one of Isso's (1, 2, 4)")
    is_url = uri is not None and (uri.startswith("/") or "://" in uri)
    return SourceComment(
        source_id=str(id),
        thread_id=uri,
        thread_url=uri if is_url else None,
        thread_title=title,
        created=when,
        text=text or "",
        is_html=False,
        parent_id=None if parent is None else str(parent),
        author=author or None,
        email=email or None,
        website=website or None,
        ip=remote_addr or None,
        status=status,
        kind="comment",
        where=where,
    )
