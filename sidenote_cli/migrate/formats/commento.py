"""Commento (and Commento++): the JSON export a domain's owner downloads, gzip or not.

The export is one JSON object: ``{"version": 1, "comments": [...], "commenters": [...]}``.
A comment has ``commentHex``, ``domain``, ``url`` (the page's path; ``path`` is accepted
too), ``commenterHex``, ``markdown``, ``html``, ``parentHex`` (``"root"`` at the top
level), ``score``, ``state``, ``creationDate`` (RFC 3339) and ``deleted``; a commenter
``commenterHex``, ``email``, ``name``, ``link``, ``photo``, ``provider``, ``joinDate``.

The file is streamed twice with an incremental JSON parser: first for the commenters
(kept by hex: memory grows with the number of commenters, never with comments), then
for the comments, one at a time.

Mapping:

- thread: the page path is the thread identifier; ``https://{domain}{path}`` the thread
  URL (Commento does not record the scheme). Commento has no thread titles.
- ``commentHex`` → ``source_id``, ``parentHex`` → ``parent_id`` (none for ``root``);
  ``creationDate`` → aware UTC.
- text: ``markdown`` (what was typed); the export has no ``html``, used only when the
  Markdown is empty.
- author: the commenter's ``name``, ``email`` and ``link`` (website; ``undefined`` and
  empty links are none). Anonymous comments (``commenterHex`` ``"anonymous"``) are kept,
  author ``Anonymous``, no e-mail. A commenter missing from ``commenters`` leaves the
  author empty (the comment is still yielded).
- status: ``state`` ``approved`` → ``approved``, ``unapproved`` → ``pending``,
  ``flagged`` (Akismet or the toxicity filter said spam) → ``spam``; ``deleted: true`` →
  ``deleted``, and so is Commento's deletion mark (the export omits ``deleted``, but a
  deleted comment was rewritten to text ``[deleted]`` by ``anonymous``). No ``state``
  means ``approved`` (Commento's default); any other state stops with an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import ijson

from sidenote_cli.migrate.formats._read import LineReader, open_binary, parse_rfc3339
from sidenote_cli.migrate.source import SourceComment, SourceError

#: Commento's ``state`` values.
STATUSES = {"approved": "approved", "unapproved": "pending", "flagged": "spam"}
ANONYMOUS = "anonymous"
#: How Commento rewrites a deleted comment.
DELETED_MARK = "[deleted]"


class Commenter(NamedTuple):
    name: str | None
    email: str | None
    link: str | None


def parse(path: Path) -> Iterator[SourceComment]:
    """Every comment of a Commento export, in file order (see the module docstring).

    Raises :class:`SourceError` with the line for malformed JSON, an export of another
    version, or a comment without an id or a valid ``creationDate`` (the message names
    the comment's index in ``comments``).
    """
    commenters = _commenters(path)
    with LineReader(open_binary(path)) as reader:
        index = -1
        try:
            for index, record in enumerate(ijson.items(reader, "comments.item")):
                yield _comment(record, index, reader.line, commenters)
        except ijson.JSONError as exc:
            raise SourceError(
                f"not valid JSON after comments[{index}]: {_first_line(exc)}", line=reader.line
            ) from exc


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _commenters(path: Path) -> dict[str, Commenter]:
    """First pass: the version check and the commenters, by hex."""
    commenters: dict[str, Commenter] = {}
    version: Any = None
    builder: ijson.ObjectBuilder | None = None
    with LineReader(open_binary(path)) as reader:
        try:
            events = ijson.parse(reader)
            first = next(events, None)
            if first is None or first[:2] != ("", "start_map"):
                raise SourceError(
                    "not a Commento export: expected a JSON object with comments and commenters",
                    line=reader.line,
                )
            for prefix, event, value in events:
                if prefix == "version" and event == "number":
                    version = value
                elif prefix == "commenters.item" and event == "start_map":
                    builder = ijson.ObjectBuilder()
                if builder is not None:
                    builder.event(event, value)
                    if prefix == "commenters.item" and event == "end_map":
                        _add_commenter(commenters, builder.value)
                        builder = None
        except ijson.JSONError as exc:
            raise SourceError(f"not valid JSON: {_first_line(exc)}", line=reader.line) from exc
    if version not in (None, 1):
        raise SourceError(f"export version {version}: only version 1 is known")
    return commenters


def _add_commenter(commenters: dict[str, Commenter], record: Any) -> None:
    if not isinstance(record, dict) or not record.get("commenterHex"):
        return  # nothing can refer to it
    link = record.get("link") or None
    if link in ("undefined", "null"):
        link = None
    commenters[str(record["commenterHex"])] = Commenter(
        name=record.get("name") or None, email=record.get("email") or None, link=link
    )


def _comment(record: Any, index: int, line: int, commenters: dict[str, Commenter]) -> SourceComment:
    where = f"comments[{index}]"
    if not isinstance(record, dict) or not record.get("commentHex"):
        raise SourceError(f"{where}: a comment without a commentHex", line=line)
    hex_id = str(record["commentHex"])
    try:
        created = parse_rfc3339(str(record["creationDate"]))
    except KeyError as exc:
        raise SourceError(f"{where} ({hex_id}): no creationDate", line=line) from exc
    except ValueError as exc:
        raise SourceError(
            f"{where} ({hex_id}): creationDate {record['creationDate']!r} is not RFC 3339",
            line=line,
        ) from exc

    commenter_hex = str(record.get("commenterHex") or "")
    markdown = record.get("markdown") or ""
    if commenter_hex == ANONYMOUS:
        author: Commenter | None = Commenter("Anonymous", None, None)
    else:
        author = commenters.get(commenter_hex)

    state = record.get("state") or "approved"
    if record.get("deleted") or (commenter_hex == ANONYMOUS and markdown == DELETED_MARK):
        status = "deleted"
    elif state in STATUSES:
        status = STATUSES[state]
    else:
        raise SourceError(
            f"{where} ({hex_id}): state {state!r} is not one of Commento's "
            "(approved, unapproved, flagged)",
            line=line,
        )

    path = record.get("url") or record.get("path") or None
    domain = record.get("domain") or None
    text, is_html = (markdown, False) if markdown else (record.get("html") or "", True)
    parent = record.get("parentHex")
    return SourceComment(
        source_id=hex_id,
        thread_id=path,
        thread_url=f"https://{domain}{path}" if domain and path else None,
        thread_title=None,
        created=created,
        text=text,
        is_html=is_html,
        parent_id=str(parent) if parent and parent != "root" else None,
        author=author.name if author else None,
        email=author.email if author else None,
        website=author.link if author else None,
        ip=None,
        status=status,
        kind="comment",
        where=where,
    )
